"""Our expansion against the examples of RFC 5545 section 3.8.5.3, as the RFC lists them
(DTSTART in America/New_York), and the DST rules: a weekly 09:00 stays 09:00, a time in the
spring-forward gap takes the offset before the gap, one in the fall-back overlap is its first
instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from resolvers.calendar import recurrence
from resolvers.calendar.recurrence import Series

NY = ZoneInfo("America/New_York")


def local_starts(
    dtstart: str, rule: str, n: int, *, exdates: tuple[str, ...] = ()
) -> list[datetime]:
    """The first ``n`` occurrences' wall-clock starts in New York."""
    start = datetime.strptime(dtstart, "%Y%m%dT%H%M%S").replace(tzinfo=NY).astimezone(UTC)
    series = Series(
        start=start,
        end=start + timedelta(hours=1),
        tz=NY,
        rrule=rule,
        exdates=[
            datetime.strptime(x, "%Y%m%dT%H%M%S").replace(tzinfo=NY).astimezone(UTC).isoformat()
            for x in exdates
        ],
    )
    found = recurrence.occurrences(series, start, start + timedelta(days=366 * 12), limit=n)
    return [o.start.astimezone(NY).replace(tzinfo=None) for o in found]


def days(year: int, month: int, *dd: int, hour: int = 9, minute: int = 0) -> list[datetime]:
    return [datetime(year, month, d, hour, minute) for d in dd]


CASES: list[tuple[str, str, str, int, list[datetime]]] = [
    ("daily, 10", "19970902T090000", "FREQ=DAILY;COUNT=10", 100, days(1997, 9, *range(2, 12))),
    (
        "every other day",
        "19970902T090000",
        "FREQ=DAILY;INTERVAL=2",
        5,
        days(1997, 9, 2, 4, 6, 8, 10),
    ),
    (
        "every 10 days, 5",
        "19970902T090000",
        "FREQ=DAILY;INTERVAL=10;COUNT=5",
        100,
        days(1997, 9, 2, 12, 22) + days(1997, 10, 2, 12),
    ),
    (
        "weekly, 10",
        "19970902T090000",
        "FREQ=WEEKLY;COUNT=10",
        100,
        days(1997, 9, 2, 9, 16, 23, 30) + days(1997, 10, 7, 14, 21, 28) + days(1997, 11, 4),
    ),
    (
        "Tuesdays and Thursdays for five weeks",
        "19970902T090000",
        "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
        100,
        days(1997, 9, 2, 4, 9, 11, 16, 18, 23, 25, 30) + days(1997, 10, 2),
    ),
    (
        "every other week MO,WE,FR until Dec 24",
        "19970901T090000",
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
        100,
        days(1997, 9, 1, 3, 5, 15, 17, 19, 29)
        + days(1997, 10, 1, 3, 13, 15, 17, 27, 29, 31)
        + days(1997, 11, 10, 12, 14, 24, 26, 28)
        + days(1997, 12, 8, 10, 12, 22),
    ),
    (
        "every other week TU,TH, 8",
        "19970902T090000",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH",
        100,
        days(1997, 9, 2, 4, 16, 18, 30) + days(1997, 10, 2, 14, 16),
    ),
    (
        "first Friday, 10",
        "19970905T090000",
        "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        100,
        days(1997, 9, 5)
        + days(1997, 10, 3)
        + days(1997, 11, 7)
        + days(1997, 12, 5)
        + days(1998, 1, 2)
        + days(1998, 2, 6)
        + days(1998, 3, 6)
        + days(1998, 4, 3)
        + days(1998, 5, 1)
        + days(1998, 6, 5),
    ),
    (
        "first Friday until Dec 24",
        "19970905T090000",
        "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR",
        100,
        days(1997, 9, 5) + days(1997, 10, 3) + days(1997, 11, 7) + days(1997, 12, 5),
    ),
    (
        "every other month, first and last Sunday, 10",
        "19970907T090000",
        "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
        100,
        days(1997, 9, 7, 28)
        + days(1997, 11, 2, 30)
        + days(1998, 1, 4, 25)
        + days(1998, 3, 1, 29)
        + days(1998, 5, 3, 31),
    ),
    (
        "second-to-last Monday, 6",
        "19970922T090000",
        "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
        100,
        days(1997, 9, 22)
        + days(1997, 10, 20)
        + days(1997, 11, 17)
        + days(1997, 12, 22)
        + days(1998, 1, 19)
        + days(1998, 2, 16),
    ),
    (
        "third-to-last day of the month",
        "19970928T090000",
        "FREQ=MONTHLY;BYMONTHDAY=-3",
        6,
        days(1997, 9, 28)
        + days(1997, 10, 29)
        + days(1997, 11, 28)
        + days(1997, 12, 29)
        + days(1998, 1, 29)
        + days(1998, 2, 26),
    ),
    (
        "2nd and 15th, 10",
        "19970902T090000",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
        100,
        days(1997, 9, 2, 15)
        + days(1997, 10, 2, 15)
        + days(1997, 11, 2, 15)
        + days(1997, 12, 2, 15)
        + days(1998, 1, 2, 15),
    ),
    (
        "first and last day, 10",
        "19970930T090000",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
        100,
        days(1997, 9, 30)
        + days(1997, 10, 1, 31)
        + days(1997, 11, 1, 30)
        + days(1997, 12, 1, 31)
        + days(1998, 1, 1, 31)
        + days(1998, 2, 1),
    ),
    (
        "every 18 months, 10th to 15th, 10",
        "19970910T090000",
        "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
        100,
        days(1997, 9, 10, 11, 12, 13, 14, 15) + days(1999, 3, 10, 11, 12, 13),
    ),
    (
        "June and July, 10",
        "19970610T090000",
        "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
        100,
        [datetime(y, m, 10, 9) for y in range(1997, 2002) for m in (6, 7)],
    ),
    (
        "every other year, January to March, 10",
        "19970310T090000",
        "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3",
        100,
        [datetime(1997, 3, 10, 9)]
        + [datetime(y, m, 10, 9) for y in (1999, 2001, 2003) for m in (1, 2, 3)],
    ),
    (
        "every third year, days 1, 100 and 200, 10",
        "19970101T090000",
        "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
        100,
        days(1997, 1, 1)
        + days(1997, 4, 10)
        + days(1997, 7, 19)
        + days(2000, 1, 1)
        + days(2000, 4, 9)
        + days(2000, 7, 18)
        + days(2003, 1, 1)
        + days(2003, 4, 10)
        + days(2003, 7, 19)
        + days(2006, 1, 1),
    ),
    (
        "20th Monday of the year",
        "19970519T090000",
        "FREQ=YEARLY;BYDAY=20MO",
        3,
        days(1997, 5, 19) + days(1998, 5, 18) + days(1999, 5, 17),
    ),
    (
        "Monday of week 20",
        "19970512T090000",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        3,
        days(1997, 5, 12) + days(1998, 5, 11) + days(1999, 5, 17),
    ),
    (
        "every Thursday in March",
        "19970313T090000",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=TH",
        11,
        days(1997, 3, 13, 20, 27) + days(1998, 3, 5, 12, 19, 26) + days(1999, 3, 4, 11, 18, 25),
    ),
    (
        "first Saturday after the first Sunday",
        "19970913T090000",
        "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
        10,
        days(1997, 9, 13)
        + days(1997, 10, 11)
        + days(1997, 11, 8)
        + days(1997, 12, 13)
        + days(1998, 1, 10)
        + days(1998, 2, 7)
        + days(1998, 3, 7)
        + days(1998, 4, 11)
        + days(1998, 5, 9)
        + days(1998, 6, 13),
    ),
    (
        "US presidential election day",
        "19961105T090000",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
        3,
        days(1996, 11, 5) + days(2000, 11, 7) + days(2004, 11, 2),
    ),
    (
        "third of TU,WE,TH, 3 (BYSETPOS)",
        "19970904T090000",
        "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
        100,
        days(1997, 9, 4) + days(1997, 10, 7) + days(1997, 11, 6),
    ),
    (
        "second-to-last weekday (BYSETPOS)",
        "19970929T090000",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
        7,
        days(1997, 9, 29)
        + days(1997, 10, 30)
        + days(1997, 11, 27)
        + days(1997, 12, 30)
        + days(1998, 1, 29)
        + days(1998, 2, 26)
        + days(1998, 3, 30),
    ),
    (
        "every 15 minutes, 6",
        "19970902T090000",
        "FREQ=MINUTELY;INTERVAL=15;COUNT=6",
        100,
        [datetime(1997, 9, 2, 9, 0) + timedelta(minutes=15 * i) for i in range(6)],
    ),
    (
        "WKST=MO",
        "19970805T090000",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
        100,
        days(1997, 8, 5, 10, 19, 24),
    ),
    (
        "WKST=SU",
        "19970805T090000",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
        100,
        days(1997, 8, 5, 17, 19, 31),
    ),
    (
        "an invalid date (February 30th) is skipped",
        "20070115T090000",
        "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
        100,
        days(2007, 1, 15, 30) + days(2007, 2, 15) + days(2007, 3, 15, 30),
    ),
]


@pytest.mark.parametrize(
    ("name", "dtstart", "rule", "n", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_rfc5545_examples(
    name: str, dtstart: str, rule: str, n: int, expected: list[datetime]
) -> None:
    assert local_starts(dtstart, rule, n) == expected


def test_daily_until_december_24th() -> None:
    found = local_starts("19970902T090000", "FREQ=DAILY;UNTIL=19971224T000000Z", 1000)
    assert len(found) == 113
    assert found[0] == datetime(1997, 9, 2, 9) and found[-1] == datetime(1997, 12, 23, 9)


def test_every_day_in_january_for_three_years() -> None:
    rule = "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA"
    found = local_starts("19980101T090000", rule, 1000)
    assert found == [datetime(y, 1, d, 9) for y in (1998, 1999, 2000) for d in range(1, 32)]
    daily = local_starts("19980101T090000", "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1", 1000)
    assert daily == found


def test_friday_the_13th() -> None:
    found = local_starts(
        "19970902T090000",
        "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        5,
        exdates=("19970902T090000",),
    )
    assert found == [
        datetime(1998, 2, 13, 9),
        datetime(1998, 3, 13, 9),
        datetime(1998, 11, 13, 9),
        datetime(1999, 8, 13, 9),
        datetime(2000, 10, 13, 9),
    ]


def _utc_starts(local: str, zone: str, rule: str, n: int) -> list[datetime]:
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(local).replace(tzinfo=tz).astimezone(UTC)
    series = Series(start=start, end=start + timedelta(minutes=30), tz=tz, rrule=rule)
    found = recurrence.occurrences(series, start, start + timedelta(days=30), limit=n)
    return [o.start for o in found]


def test_a_gap_time_takes_the_offset_before_the_gap() -> None:
    # 02:30 does not exist in New York on 2026-03-08: RFC 5545 3.3.5 reads it with the offset
    # before the gap (EST, -5), which is 07:30Z (03:30 EDT).
    found = _utc_starts("2026-03-07T02:30:00", "America/New_York", "FREQ=DAILY;COUNT=3", 3)
    assert found == [
        datetime(2026, 3, 7, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 6, 30, tzinfo=UTC),
    ]


def test_an_overlap_time_is_its_first_instant() -> None:
    # 01:30 happens twice in New York on 2026-11-01: the first (EDT, 05:30Z) counts.
    found = _utc_starts("2026-10-31T01:30:00", "America/New_York", "FREQ=DAILY;COUNT=3", 3)
    assert found == [
        datetime(2026, 10, 31, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),
    ]
    berlin = _utc_starts("2026-10-24T02:30:00", "Europe/Berlin", "FREQ=WEEKLY;COUNT=2", 2)
    assert berlin == [
        datetime(2026, 10, 24, 0, 30, tzinfo=UTC),  # CEST
        datetime(2026, 10, 31, 1, 30, tzinfo=UTC),  # CET: 02:30 local again
    ]


def test_all_day_series_count_in_dates() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    start = recurrence.midnight(date(2026, 1, 30), tz)
    series = Series(
        start=start,
        end=recurrence.midnight(date(2026, 1, 31), tz),
        tz=tz,
        rrule="FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
        all_day=True,
        start_date=date(2026, 1, 30),
        end_date=date(2026, 1, 31),
    )
    found = recurrence.occurrences(series, start, start + timedelta(days=120))
    assert [o.start.astimezone(tz).date() for o in found] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]


def test_a_dtstart_in_the_gap_keeps_its_wall_clock_afterwards() -> None:
    # DTSTART;TZID=America/New_York:20260308T023000 (an .ics can say so): that day it is
    # 07:30Z (offset before the gap), the next days 02:30 EDT again.
    tz = NY
    start = datetime(2026, 3, 8, 2, 30).replace(tzinfo=tz).astimezone(UTC)
    series = Series(
        start=start,
        end=start + timedelta(minutes=30),
        tz=tz,
        rrule="FREQ=DAILY;COUNT=3",
        wall_start=datetime(2026, 3, 8, 2, 30),
    )
    found = [o.start for o in recurrence.occurrences(series, start, start + timedelta(days=5))]
    assert found == [
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 10, 6, 30, tzinfo=UTC),
    ]
