"""calendarSettings and calendarSettingsUpdate: defaults, working hours checked and stored in
order, the time zone on the profile, typed errors that change nothing."""

from __future__ import annotations

from typing import Any

from models.calendar import CalendarSettings
from models.identity import User
from tests.calendar.helpers import pk
from tests.client import Account, Api

FIELDS = "timeZone workingHours { weekday start end } defaultReminderMinutes customized"
READ = "query { calendarSettings { " + FIELDS + " } }"
UPDATE = (
    "mutation($i: CalendarSettingsUpdateInput!) { calendarSettingsUpdate(input: $i) { "
    "calendarSettings { " + FIELDS + " } errors { code field message } } }"
)


async def update(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    data = await api.gql(UPDATE, {"i": fields}, token=who.access_token)
    return data["calendarSettingsUpdate"]


async def test_defaults_then_update(api: Api) -> None:
    ada = await api.sign_up()
    found = (await api.gql(READ, token=ada.access_token))["calendarSettings"]
    assert found["timeZone"] == "UTC" and found["customized"] is False
    assert [(h["weekday"], h["start"], h["end"]) for h in found["workingHours"]] == [
        (d, "09:00", "17:00") for d in range(1, 6)
    ]
    payload = await update(
        api,
        ada,
        timeZone="Europe/Berlin",
        defaultReminderMinutes=[10, 60],
        workingHours=[
            {"weekday": 2, "start": "13:00", "end": "18:00"},
            {"weekday": 2, "start": "08:30", "end": "12:00"},
            {"weekday": 6, "start": "20:00", "end": "24:00"},
        ],
    )
    assert payload["errors"] == []
    settings = payload["calendarSettings"]
    assert settings["timeZone"] == "Europe/Berlin" and settings["customized"] is True
    assert settings["defaultReminderMinutes"] == [60, 10]  # as eventCreate stores them
    assert [(h["weekday"], h["start"], h["end"]) for h in settings["workingHours"]] == [
        (2, "08:30", "12:00"),
        (2, "13:00", "18:00"),
        (6, "20:00", "24:00"),
    ]
    assert (await User.get(id=pk(ada.user_id))).time_zone == "Europe/Berlin"
    assert (await api.gql(READ, token=ada.access_token))["calendarSettings"] == settings
    # Omitted parts stay.
    again = await update(api, ada, defaultReminderMinutes=[])
    assert again["calendarSettings"]["workingHours"] == settings["workingHours"]
    assert again["calendarSettings"]["timeZone"] == "Europe/Berlin"


async def test_bad_input_changes_nothing(api: Api) -> None:
    ada = await api.sign_up()
    block = {"weekday": 1, "start": "09:00", "end": "17:00"}
    cases = [
        ({"workingHours": [block, {"weekday": 1, "start": "16:00", "end": "18:00"}]},
         "INVALID_WORKING_HOURS", "workingHours.1"),
        ({"workingHours": [{"weekday": 1, "start": "10:00", "end": "10:00"}]},
         "INVALID_WORKING_HOURS", "workingHours.0.end"),
        ({"workingHours": [{"weekday": 1, "start": "9:00", "end": "17:00"}]},
         "INVALID_WORKING_HOURS", "workingHours.0.start"),
        ({"workingHours": [{"weekday": 1, "start": "09:00", "end": "24:30"}]},
         "INVALID_WORKING_HOURS", "workingHours.0.end"),
        ({"workingHours": [{"weekday": 8, "start": "09:00", "end": "17:00"}]},
         "INVALID_WORKING_HOURS", "workingHours.0.weekday"),
        ({"workingHours": [block] * 29}, "BAD_USER_INPUT", "workingHours"),
        ({"timeZone": "Mars/Olympus", "workingHours": [block]}, "UNKNOWN_TIME_ZONE", "timeZone"),
        ({"defaultReminderMinutes": [-5]}, "INVALID_REMINDER", "defaultReminderMinutes.0"),
    ]  # fmt: skip
    for fields, code, field in cases:
        payload = await update(api, ada, **fields)
        assert payload["calendarSettings"] is None, payload
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], fields
    assert await CalendarSettings.filter(user_id=pk(ada.user_id)).count() == 0
    assert (await User.get(id=pk(ada.user_id))).time_zone == "UTC"
