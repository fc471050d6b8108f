"""Who gets what: one row per query field and mutation that takes an object ID.

Columns: the owner, an admin, a member and a guest of organization A, and the owner of
organization B (the stranger). The objects are A's (``tests/security/world.py``): mostly the
member's, e.g. the member's group chat with the guest and the admin in it as plain members,
and the member's folder shared with the guest as viewer, with a file in it. The owner is in
no chat of the member's and sees none of the member's files (private until shared).

Each row is five outcome words, in the column order above: OK, NULL (nothing, no error:
node-like lookups), EMPTY (an empty list), SELF (a list of people holding only the caller, where
a row's ``judge`` says so), or the error code that must come back, top-level or in the payload
(NF for NOT_FOUND, F for FORBIDDEN, or the mutation's own code).
The stranger always gets NOT_FOUND, NULL or EMPTY: nothing may tell them A's objects exist.

A row's ``why`` says the reason where the outcome is not obvious. Options of a row: ``ids``
(which slot an ID input takes; None leaves it out), ``values`` (other inputs), ``select`` (what
to ask of the result); see ``matrix.Case``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.security.calls import OK
from tests.security.matrix import NODE_SLOTS, SELF, Case, X

_TYPENAME_SHA = hashlib.sha256(b"{ __typename }").hexdigest()
_SDP = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\na=fingerprint:sha-256 AA:BB\r\n"
)


def _link_token(world: Any, slots: dict[str, str]) -> str:
    return str(world.extra["link_tokens"][slots["share_link"]])


def _members(data: Any, caller: str) -> str:
    """SELF when the caller finds only itself among the organization's members."""
    ids = {e["node"]["id"] for e in data["members"]["edges"]}
    return "SELF" if ids == {caller} else OK


# `node` looks up one object of each Node type (a new type fails until it has its line).
#                 owner admin member guest stranger
NODE = {
    "AuditEntry":   "OK    OK    NULL   NULL  NULL",
    "BackgroundJob": "OK   OK    NULL   NULL  NULL",
    "Chat":         "NULL  OK    OK     OK    NULL",
    "Department":   "OK    OK    OK     NULL  NULL",
    "File":         "NULL  NULL  OK     OK    NULL",
    "Group":        "OK    OK    OK     NULL  NULL",
    "Invitation":   "OK    OK    NULL   NULL  NULL",
    "Message":      "NULL  OK    OK     OK    NULL",
    "Organization": "OK    OK    OK     OK    NULL",
    "Session":      "OK    OK    OK     NULL  NULL",
    "TrustedDocument": "OK OK    NULL   NULL  NULL",
    "PersonalAccessToken": "NULL NULL OK   NULL  NULL",
    "User":         "OK    OK    OK     NULL  NULL",
    "App":          "OK    OK    OK     NULL  NULL",
    "WebhookDelivery": "OK OK    NULL   NULL  NULL",
    "WebhookSubscription": "OK OK NULL  NULL  NULL",
    # A primary calendar's free/busy is the organization's, not a guest's; the member's event
    # invites the guest, so they see it; colleagues see a busy block (hasDetails false).
    "Calendar":     "OK    OK    OK     NULL  NULL",
    "Event":        "OK    OK    OK     OK    NULL",
    # An occurrence shows as its event does (colleagues: a busy block; the guest attends).
    "EventOccurrence": "OK  OK    OK     OK    NULL",
    # Buildings and rooms are places everyone in the organization reads, guests included.
    "Building":     "OK    OK    OK     OK    NULL",
    "Room":         "OK    OK    OK     OK    NULL",
    # A doc is a Drive item: private to the member until shared (the guest views the folder).
    "Doc":          "NULL  NULL  OK     OK    NULL",
    # The member's meeting: the admin, the guest and a colleague are in it, the owner is not.
    "Meeting":      "NULL  OK    OK     OK    NULL",
    "MeetingParticipant": "NULL OK  OK     OK    NULL",
    # A recording shows to those who see its meeting (its file is Drive's to show).
    "MeetingRecording": "NULL  OK    OK     OK    NULL",
}  # fmt: skip

MATRIX: dict[str, Case | list[Case]] = {
    # --- lookups and lists ------- owner admin member guest stranger
    "node": [
        *(X(row, ids={"id": NODE_SLOTS[t]}) for t, row in NODE.items()),
        X(                             "OK    OK    OK     SELF  NULL",
          ids={"id": "organization"},
          select="{ ... on Organization { members { edges { node { id } } } } }", judge=_members,
          why="a guest finds only itself in organization.members"),
    ],
    "nodes": [
        X(                             "NULL  OK    OK     OK    NULL", ids={"ids": "chat"}),
        X(                             "OK    OK    OK     NULL  NULL", ids={"ids": "member"}),
    ],
    "user":                          X("OK    OK    OK     NULL  NULL"),
    "department":                    X("OK    OK    OK     NULL  NULL"),
    "group":                         X("OK    OK    OK     NULL  NULL"),
    "chat":                          X("NULL  OK    OK     OK    NULL"),
    "file":                          X("NULL  NULL  OK     OK    NULL"),
    "doc":                           X("NULL  NULL  OK     OK    NULL"),
    "meeting":                       X("NULL  OK    OK     OK    NULL",
                                       why="those in the member's meeting; the owner is not"),
    "docSync":                       X("NF    NF    OK     OK    NF"),
    "uploadSession":                 X("NULL  NULL  OK     NULL  NULL"),
    "users":                         X("OK    OK    OK     F     NF"),
    "departments":                   X("EMPTY EMPTY EMPTY  F     NF", ids={"parentId": "department"}),
    "auditLog":                      X("OK    OK    F      F     NF", ids={"actorId": "owner"}),
    "pinnedMessages":                X("NF    EMPTY EMPTY  EMPTY NF"),
    "messageSearch": [
        X(                             "NF    OK    OK     OK    NF",
          ids={"senderId": None}, values={"query": "message"}),
        X(                             "NF    OK    OK     NF    NF", values={"query": "message"},
          why="guests see nobody but themselves in the directory, senders included"),
    ],
    "presence":                      X("OK    OK    OK     NULL  NULL"),
    "sharedLink": [
        X(                             "OK    OK    OK     NF    NF",
          ids={"fileId": None}, values={"token": _link_token},
          why="ORGANIZATION links are for members: guests get only what is shared with them"),
        X(                             "NF    NF    NF     NF    NF", ids={"fileId": None},
          why="a made-up token is NOT_FOUND for everyone"),
    ],
    # --- people and sessions ----- owner admin member guest stranger
    "sessionRevoke":                 X("NF    NF    OK     NF    NF", why="one's own sessions only"),
    "personalAccessTokenRevoke":     X("NF    NF    OK     NF    NF", why="one's own tokens only"),
    "userCreate":                    X("OK    OK    F      F     NF"),
    "userUpdate": [
        X(                             "OK    OK    F      F     NF"),
        X(                             "OK ROLE_NOT_ALLOWED F F   OK",
          ids={"userId": SELF, "departmentIds": None, "managerId": None},
          values={"input.role": "OWNER"},
          why="nobody makes themselves owner (ownership moves by transfer); owners stay"),
    ],
    "userDeactivate":                X("OK    OK    F      F     NF"),
    "userReactivate":                X("OK    OK    F      F     NF"),
    "passwordReset": [
        X(                             "OK    OK    F      F     NF"),
        X(                             "SELF  SELF  F      F     SELF", ids={"userId": SELF},
          why="one's own password changes through passwordChange (current password)"),
    ],
    "ownershipTransfer":             X("OK    F     F      F     NF"),
    # --- directory --------------- owner admin member guest stranger
    "departmentCreate":              X("OK    OK    F      F     NF", ids={"parentId": "department"}),
    "departmentUpdate":              X("OK    OK    F      F     NF"),
    "departmentMove":                X("OK    OK    F      F     NF",
                                       ids={"departmentId": "empty_department",
                                            "parentId": "department"}),
    "departmentDelete":              X("OK    OK    F      F     NF",
                                       ids={"departmentId": "empty_department"}),
    "departmentMembersAdd":          X("OK    OK    F      F     NF"),
    "departmentMembersRemove":       X("OK    OK    F      F     NF", ids={"userIds": "member"}),
    "groupCreate":                   X("OK    OK    F      F     NF"),
    "groupUpdate":                   X("OK    OK    F      F     NF"),
    "appUpdate":                     X("OK    OK    F      NF    NF", why="guests see no app"),
    "appSecretRotate":               X("OK    OK    F      NF    NF", why="guests see no app"),
    "appDisable":                    X("OK    OK    F      NF    NF", why="guests see no app"),
    "appAuthorizationRevoke":        X("OK    OK    OK     NF    NF",
                                       why="anyone who may see the app revokes their own grants"),
    "groupDelete":                   X("OK    OK    F      F     NF"),
    "groupMembersAdd":               X("OK    OK    F      F     NF"),
    "groupMembersRemove":            X("OK    OK    F      F     NF", ids={"userIds": "member"}),
    "invitationCreate":              X("OK    OK    F      F     NF"),
    "invitationRevoke":              X("OK    OK    F      F     NF"),
    # --- apps: trusted documents (admins manage apps; a guest sees no app at all) ---
    #                               owner admin member guest stranger
    "appTrustedDocuments":           X("OK    OK    F      NF    NF"),
    "appTrustedDocumentsUpload":     X("OK    OK    F      NF    NF",
                                       values={"input.manifest": {_TYPENAME_SHA: "{ __typename }"}}),
    "appTrustedDocumentsDelete":     X("OK    OK    F      NF    NF"),
    "appTrustedDocumentsOnlySet":    X("OK    OK    F      NF    NF", values={"input.only": True}),
    "backgroundJobRetry":            X("OK    OK    F      F     NF", ids={"input.id": "background_job"},
                                       why="admins retry their organization's dead jobs"),
    # --- webhooks: owners and admins manage their organization's apps' webhooks ---
    #                               owner admin member guest stranger
    "webhookSubscriptions":          X("OK    OK    F      F     NF"),
    "webhookDeliveries":             X("OK    OK    F      F     NF"),
    "webhookSubscriptionCreate":     X("URL_NOT_ALLOWED URL_NOT_ALLOWED F F NF",
                                       values={"input.url": "http://127.0.0.1:9/matrix",
                                               "input.eventTypes": ["message.added"]},
                                       why="loopback is refused unless allowed by the operator"),
    "webhookSubscriptionUpdate":     X("OK    OK    F      F     NF",
                                       ids={"input.id": "webhook_subscription"}),
    "webhookSubscriptionDelete":     X("OK    OK    F      F     NF",
                                       ids={"input.id": "webhook_subscription"}),
    "webhookRedeliver":              X("OK    OK    F      F     NF"),
    # Incoming webhooks: the chat's owner (the member) and admins; plain members are refused.
    "chatIncomingWebhooks":          X("NF    F     OK     F     NF"),
    "chatIncomingWebhookCreate":     X("NF    F     OK     F     NF",
                                       values={"input.name": "Matrix hook"}),
    "chatIncomingWebhookRevoke":     X("NF    F     OK     F     NF",
                                       ids={"input.id": "incoming_webhook"}),
    # --- messenger: the member owns the chat; the admin and the guest are plain members ---
    #                               owner admin member guest stranger
    "chatCreate":                    X("OK    OK    OK  GUEST_NOT_ALLOWED NF",
                                       values={"input.name": "Matrix chat"}),
    "chatUpdate":                    X("NF    F     OK     F     NF"),
    "chatMembersAdd":                X("NF    OK    OK  GUEST_NOT_ALLOWED NF",
                                       why="guests may not add members"),
    "chatMembersRemove":             X("NF    F     OK     F     NF", ids={"userIds": "guest"}),
    "chatLeave":                     X("NF    OK OWNER_MUST_HAND_OVER OK NF"),
    "chatDisband":                   X("NF    F     OK     F     NF"),
    "chatMemberRoleSet":             X("NF    F     OK     F     NF", ids={"userId": "admin"}),
    "chatMemberSettingsUpdate":      X("NF    OK    OK     OK    NF"),
    "chatMarkRead":                  X("NF    OK    OK     OK    NF"),
    "typingStart":                   X("NF    OK    OK     OK    NF"),
    "messageSend": [
        X(                             "NF    OK    OK     OK    NF",
          ids={"fileIds": None}, values={"input.text": "hi"}),
        X(                             "NF    NF    OK  CANNOT_ATTACH NF",
          ids={"replyToId": None, "threadRootId": None, "mentionedUserIds": None},
          why="only files one may share can be attached; the guest only views the file"),
    ],
    "messageEdit":                   X("NF NOT_SENDER OK NOT_SENDER NF",
                                       values={"input.text": "edited"}),
    "messageRecall":                 X("NF NOT_ALLOWED OK NOT_ALLOWED NF"),
    "messageReactionToggle":         X("NF    OK    OK     OK    NF"),
    "messagePin":                    X("NF NOT_ALLOWED OK NOT_ALLOWED NF"),
    "messageUnpin":                  X("NF NOT_ALLOWED OK NOT_ALLOWED NF"),
    "messageForward":                X("NF    OK    OK     OK    NF"),
    # --- drive: the member's folder, shared with the guest as viewer, and a file in it ----
    #                               owner admin member guest stranger
    "fileUpload":                    X("NF    NF    OK     F     NF"),
    # --- docs: the member's doc in that folder (the guest views it) ----------------------
    # --- video meetings ---------- owner admin member guest stranger
    "meetingCreate":                 X("NF    OK    OK     F     NF", ids={"chatId": "chat"},
        why="started from the member's chat (the owner is not in it); guests host nothing"),
    "meetingJoin":                   X("NF    OK    OK     OK    NF",
        why="by ID: those invited (in it so far); the owner would need the number"),
    "meetingLeave":                  X("NF    OK    OK     OK    NF"),
    "meetingSignal":                 X("NF    OK    OK     OK    NF",
        values={"input.kind": "OFFER", "input.payload": _SDP},
        why="to the colleague in the meeting; the owner is not in it"),
    # Host controls: the member hosts; the admin and the guest are attendees (FORBIDDEN).
    "meetingLobbyAdmit":             X("NF    F     OK     F     NF",
        why="the colleague is in already: nobody waits, nothing to admit"),
    "meetingLobbyRefuse":            X("NF    F     OK     F     NF",
        why="the colleague is in already: nobody waits, nothing to refuse"),
    "meetingParticipantRemove":      X("NF    F     OK     F     NF"),
    "meetingParticipantMute":        X("NF    F     OK     F     NF"),
    "meetingMuteAll":                X("NF    F     OK     F     NF"),
    "meetingHandsLower":             X("NF    F     OK     F     NF"),
    "meetingCohostSet":              X("NF    F     OK     F     NF",
        values={"input.cohost": True}, why="the host only; the colleague is a member"),
    "meetingHostTransfer":           X("NF    F     OK     F     NF",
        why="the host only, to the colleague, a member in the meeting"),
    "meetingUpdate":                 X("NF    F     OK     F     NF",
        values={"input.locked": True}),
    "meetingEnd":                    X("NF    F     OK     F     NF", why="the host only"),
    # Everyone in the meeting acts for themselves.
    "meetingSelfUpdate":             X("NF    OK    OK     OK    NF",
        values={"input.handRaised": True}),
    "meetingReact":                  X("NF    OK    OK     OK    NF",
        values={"input.emoji": "\N{THUMBS UP SIGN}"}),
    "meetingRecordingStart":         X("NF    F     RECORDING_CONFLICT F NF",
        ids={"meetingId": "recorded_meeting"},
        why="hosts only (the admin and the guest attend); its recording runs already, so the "
        "host, allowed, starts no recorder in the background of the matrix"),
    "meetingRecordingStop":          X("NF    F     OK     F     NF",
        ids={"meetingId": "recorded_meeting"}, why="the host stops its running recording"),
    "docCreate":                     X("NF    NF    OK     F     NF",
        values={"input.title": "Matrix doc"},
        why="a doc goes in a folder one may edit; the guest only views the member's folder"),
    "docUpdate":                     X("NF    NF    OK     F     NF",
        values={"input.update": "AAA="},
        why="editors send updates (an empty one changes nothing); the guest is a viewer"),
    "docAwareness":                  X("NF    NF    OK     OK    NF",
        values={"input.update": "AQEBBG51bGw="},
        why="whoever sees the doc shows presence: the guest views it"),
    "docBlocksInsert":               X("NF    NF    OK     F     NF",
        ids={"input.blocks.fileId": None, "input.blocks.target": None},
        values={"input.revision": 1, "input.blocks": [{"type": "PARAGRAPH", "text": "hi"}]},
        why="editors insert blocks; the guest is a viewer"),
    # An unknown block id: the member (an editor) gets as far as the block; the others stop
    # at the doc.
    "docBlockUpdate":                X("NF    NF    BLOCK_NOT_FOUND F NF",
        ids={"fileId": None, "target": None},
        values={"input.revision": 1, "input.blockId": "none", "input.text": "x"}),
    "docBlocksDelete":               X("NF    NF    BLOCK_NOT_FOUND F NF",
        values={"input.revision": 1, "input.blockIds": ["none"]}),
    "docBlocksMove":                 X("NF    NF    BLOCK_NOT_FOUND F NF",
        values={"input.revision": 1, "input.blockIds": ["none"]}),
    # Comments: commenters and up write them (the guest views); only the author edits; the
    # author or the doc's owner deletes. The thread is the member's, on the member's doc.
    "docCommentCreate":              X("NF    NF    OK     F     NF",
        ids={"input.mentionedUserIds": None, "input.anchor.blockId": None},
        values={"input.body": "Matrix"},
        why="the guest only views the doc; the others cannot see it"),
    "docCommentReply":               X("NF    NF    OK     F     NF",
        ids={"input.mentionedUserIds": None}, values={"input.body": "Matrix"}),
    "docCommentUpdate":              X("NF    NF    OK     F     NF",
        ids={"input.mentionedUserIds": None}, values={"input.body": "Edited"},
        why="the guest sees the comment but is not its author"),
    "docCommentDelete":              X("NF    NF    OK     F     NF"),
    "docCommentResolve":             X("NF    NF    OK     F     NF"),
    "docCommentReopen":              X("NF    NF    OK     F     NF",
        why="reopening an open thread changes nothing, but still needs the commenter role"),
    "docVersionCreate":              X("NF    NF    OK     F     NF",
        values={"input.name": "Matrix"}),
    "docVersionRestore":             X("NF    NF    OK     F     NF",
        ids={"input.versionId": "doc_version"},
        why="editors restore; the guest views the doc and its history"),
    "docImport":                     X("NF    NF    OK     F     NF",
        ids={"input.fileId": None},
        values={"input.format": "MARKDOWN", "input.content": "# Matrix import"},
        why="an import is a new doc: in a folder one may edit; the guest only views it"),
    "docExport":                     X("NF    NF    OK     OK    NF",
        ids={"input.folderId": None},
        values={"input.format": "TEXT"},
        why="whoever sees a doc may export it into their own drive, viewers too (Drive lets "
        "viewers download); the owner and admin do not see the member's doc"),
    "eventCreate":                   X("F     F     OK     NF    NF",
        ids={"calendarId": "calendar", "input.attendees.userId": None,
             "input.attendees.groupId": None, "input.attendees.departmentId": None,
             "input.attendees.roomId": None, "attachmentIds": None, "chatId": None,
             "docId": None},
        values={"input.startAt": "2026-06-02T09:00:00Z", "input.endAt": "2026-06-02T10:00:00Z"},
        why="colleagues see the member's primary calendar as free/busy (FORBIDDEN to write); "
        "a guest does not see it at all"),
    "freeBusy":                      X("OK    OK    OK     NF    NF",
        ids={"userIds": "member", "roomIds": None},
        values={"from": "2026-06-01T00:00:00Z", "to": "2026-06-08T00:00:00Z"},
        why="a person's free/busy is for whoever has a role on their primary calendar: "
        "colleagues by default, not guests (the whole query is NOT_FOUND)"),
    "findMeetingTimes":              X("OK    OK    OK     NF    NF",
        ids={"input.attendeeIds": "member", "input.optionalAttendeeIds": None,
             "input.roomIds": None},
        values={"input.durationMinutes": 30, "input.from": "2026-06-01T00:00:00Z",
                "input.to": "2026-06-08T00:00:00Z"},
        why="people are authorized as in freeBusy"),
    "events":                        X("OK    OK    OK     NF    NF",
        ids={"calendarIds": "calendar"},
        values={"from": "2026-06-01T00:00:00Z", "to": "2026-07-01T00:00:00Z"},
        why="colleagues read the member's primary calendar as free/busy (busy blocks); a "
        "guest does not see the calendar, only the event they are invited to"),
    "eventUpdate":                   X("F     F     OK     F     NF",
        ids={"eventId": "event", "input.attendeesAdd.userId": None,
             "input.attendeesAdd.groupId": None, "input.attendeesAdd.departmentId": None,
             "input.attendeesAdd.roomId": None, "attendeesRemove": None,
             "attachmentIds": None},
        values={"input.version": 1, "input.title": "Changed"},
        why="colleagues see the event as busy, the guest attends: neither organizes nor writes"),
    "eventDelete":                   X("F     F     OK     F     NF", ids={"eventId": "event"}),
    "eventRespond":                  X("NOT_AN_ATTENDEE NOT_AN_ATTENDEE OK OK NF",
        ids={"eventId": "event"}, values={"input.response": "ACCEPTED"},
        why="the organizer and the invited guest attend; colleagues only see a busy block"),
    # --- calendar rooms: the owner's building and room (approval by the organization's
    # admins), the member's pending booking of it ---------------------------------------------
    "rooms":                         X("OK    OK    OK     OK    NF"),
    "roomBookings":                  X("OK    OK    NF     NF    NF",
        why="a room's bookings are for its admin and the organization's admins"),
    "buildingUpdate":                X("OK    OK    F      F     NF"),
    "buildingDelete":                X("OK    OK    F      F     NF"),
    "roomCreate":                    X("OK    OK    F      F     NF",
        ids={"input.bookableBy.userId": None, "input.bookableBy.departmentId": None,
             "input.bookableBy.groupId": None, "adminId": None},
        values={"input.name": "Matrix new room"}),
    "roomUpdate":                    X("OK    OK    F      F     NF",
        ids={"input.bookableBy.userId": None, "input.bookableBy.departmentId": None,
             "input.bookableBy.groupId": None, "adminId": None}),
    "roomDisable":                   X("OK    OK    F      F     NF"),
    "roomBookingApprove":            X("OK    OK    NF     NF    NF",
        ids={"eventId": None, "roomId": None},
        why="only the room's admin (none: the organization's admins) answers; others cannot "
        "tell a booking exists"),
    "eventReminderSet":              X("NOT_AN_ATTENDEE NOT_AN_ATTENDEE OK OK NF",
        ids={"eventId": "event"}, values={"input.minutes": [5]},
        why="colleagues see the member's event as busy but do not attend it; the guest does"),
    "roomBookingDecline":            X("OK    OK    NF     NF    NF",
        ids={"eventId": None, "roomId": None}),
    # --- calendars, sharing, iCalendar (D): the member's primary calendar, free/busy to
    # colleagues, unseen by guests -------- owner admin member guest stranger
    "calendarUpdate":                X("F     F     OK     NF    NF",
        ids={"calendarId": "calendar"}, values={"input.name": "Renamed"},
        why="only its owner changes a calendar; colleagues see its free/busy"),
    "calendarDelete": [
        X(                             "F     F     OK     NF    NF",
          ids={"calendarId": "team_calendar"}, why="its owner deletes it; readers may not"),
        X(                             "F     F     PRIMARY_CALENDAR NF NF",
          ids={"calendarId": "calendar"}, why="the primary calendar is never deleted"),
    ],
    "calendarSubscribe":             X("OK    OK    ALREADY_SUBSCRIBED NF NF",
        ids={"calendarId": "team_calendar"},
        why="colleagues may list what they read; its owner has it in the list already"),
    "calendarSubscriptionUpdate":    X("NF    NF    NF     NF    NF",
        ids={"calendarId": "team_calendar"}, values={"input.hidden": True},
        why="nobody subscribed to the fresh calendar"),
    "calendarUnsubscribe":           X("NF    NF    NF     NF    NF",
        ids={"calendarId": "team_calendar"}, why="nobody subscribed to the fresh calendar"),
    "calendarShare":                 X("F     F     OK     NF    NF",
        ids={"calendarId": "calendar", "userId": "colleague", "departmentId": None,
             "groupId": None},
        values={"input.role": "READER"}, why="owners only share"),
    "calendarUnshare":               X("F     F     NF     NF    NF",
        ids={"calendarId": "calendar", "userId": "colleague", "departmentId": None,
             "groupId": None},
        why="owners only; the member gave the colleague no grant to take away"),
    "calendarExport":                X("OK    OK    OK     NULL  NULL",
        ids={"calendarId": "calendar"}, why="colleagues get busy blocks"),
    "eventExport":                   X("OK    OK    OK     OK    NULL",
        ids={"eventId": "event"}, why="as node(id:) on the event: the guest is invited"),
    "calendarImport":                X("F     F     OK     NF    NF",
        ids={"calendarId": "calendar"},
        values={"input.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                "BEGIN:VEVENT\r\nUID:m@t\r\nDTSTART:20260302T090000Z\r\n"
                "DTEND:20260302T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}),
    "calendarFeedReset":             X("F     F     OK     NF    NF",
        ids={"calendarId": "calendar"}),
    "calendarFeedRevoke":            X("F     F     OK     NF    NF",
        ids={"calendarId": "calendar"}),
    "folderCreate":                  X("NF    NF    OK     F     NF", ids={"parentId": "folder"}),
    "fileRename":                    X("NF    NF    OK     F     NF"),
    "fileMove":                      X("NF    NF    OK     F     NF"),
    "fileCopy":                      X("NF    NF    OK     F     NF",
                                       values={"input.onConflict": "RENAME"}),
    "fileDelete":                    X("NF    NF    OK     F     NF"),
    "fileRestore":                   X("NF    NF    OK     NF    NF", ids={"fileId": "trashed_file"},
                                       why="the trash shows only to editors"),
    "trashEmpty":                    X("NF    NF    OK     NF    NF", ids={"fileIds": "trashed_file"}),
    "fileVersionRestore":            X("NF    NF    OK     F     NF"),
    "fileShare":                     X("NF    NF    OK     F     NF",
                                       ids={"departmentId": None, "groupId": None}),
    "fileUnshare":                   X("NF    NF    OK     F     NF",
                                       ids={"fileId": "folder", "userId": None,
                                            "departmentId": None, "groupId": None},
                                       why="the permission is the group's; the guest only views"),
    "shareLinkCreate":               X("NF    NF    OK     F     NF"),
    "shareLinkRevoke":               X("NF    NF    OK     F     NF", ids={"shareLinkId": "share_link"},
                                       why="the same NOT_FOUND for others' and made-up links"),
    "uploadSessionCreate":           X("NF    NF    OK     F     NF", ids={"fileId": None},
                                       values={"input.name": "matrix.bin"}),
    "uploadSessionComplete":         X("NF    NF PARTS_MISSING NF NF",
                                       ids={"uploadSessionId": "upload_session"}),
    "uploadSessionAbort":            X("NF    NF    OK     NF    NF", ids={"uploadSessionId": "upload_session"}),
}  # fmt: skip
