// Reads an .ics file Hello wrote and prints what ical.js makes of it, one JSON value per line:
// {"kind": "calendar", method} once, then per VEVENT master {"kind": "event", uid, sequence,
// organizer, attendees: [{email, partstat, role}]}, then {"kind": "occurrence", uid, start,
// end, summary} for every occurrence starting before the window's end (argv[3]), expanded by
// ical.js's own iterator (RRULE, RDATE, EXDATE, RECURRENCE-ID exceptions) in the zones the
// file's VTIMEZONEs define. Instants are UTC ISO strings; all-day ones are dates.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
const until = ICAL.Time.fromJSDate(new Date(process.argv[3]), true);
const root = new ICAL.Component(ICAL.parse(text));
for (const tz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(tz);
}
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");
print({ kind: "calendar", method: root.getFirstPropertyValue("method") });

const when = (time) =>
  time.isDate ? time.toString().slice(0, 10) : time.toJSDate().toISOString().replace(".000Z", "Z");

const vevents = root.getAllSubcomponents("vevent");
const masters = vevents.filter((v) => !v.hasProperty("recurrence-id"));
for (const vevent of masters) {
  const event = new ICAL.Event(vevent);
  for (const other of vevents) {
    if (other.hasProperty("recurrence-id") && other.getFirstPropertyValue("uid") === event.uid) {
      event.relateException(other);
    }
  }
  print({
    kind: "event",
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    organizer: vevent.getFirstPropertyValue("organizer"),
    attendees: event.attendees.map((a) => ({
      email: a.getFirstValue(),
      partstat: a.getParameter("partstat"),
      role: a.getParameter("role"),
    })),
  });
  if (!event.isRecurring()) {
    print({ kind: "occurrence", uid: event.uid, start: when(event.startDate),
            end: when(event.endDate), summary: event.summary });
    continue;
  }
  const it = event.iterator();
  for (let next = it.next(); next && next.compare(until) < 0; next = it.next()) {
    const details = event.getOccurrenceDetails(next);
    print({ kind: "occurrence", uid: event.uid, start: when(details.startDate),
            end: when(details.endDate), summary: details.item.summary });
  }
}
