"""Property-based: our expansion against plain dateutil for random rules in New York, Berlin
and Shanghai, DTSTARTs in DST gaps (02:30 on spring-forward day) and overlaps (01:30 on
fall-back day) included.

The reference expands the rule in naive wall-clock time (dateutil without a zone) and reads
each local time in the zone with ``fold=0``: the wall clock stays the same across DST, a time
in a gap takes the offset before the gap (RFC 5545 3.3.5), one in an overlap its first
instant. Ours expands with an aware DTSTART in the zone (``recurrence.occurrences``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvers.calendar import recurrence
from resolvers.calendar.recurrence import Series

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Shanghai"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Local DTSTARTs near DST changes: 2026 spring-forward and fall-back days of each zone, at a
# gap time, an overlap time and ordinary times.
ANCHORS = [
    datetime(2026, 3, 8, 2, 30),  # New York gap
    datetime(2026, 11, 1, 1, 30),  # New York overlap
    datetime(2026, 3, 29, 2, 30),  # Berlin gap
    datetime(2026, 10, 25, 2, 30),  # Berlin overlap
    datetime(2026, 3, 1, 9, 0),
    datetime(2026, 10, 20, 23, 45),
    datetime(2025, 12, 31, 0, 0),
]


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 3))}"]
    if freq in ("WEEKLY", "MONTHLY", "YEARLY") and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        if freq != "WEEKLY" and draw(st.booleans()):
            chosen = [f"{draw(st.sampled_from([1, 2, -1]))}{d}" for d in chosen[:1]]
        parts.append("BYDAY=" + ",".join(chosen))
    elif freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        days = draw(
            st.lists(st.sampled_from([1, 8, 15, 28, -1, -3]), min_size=1, max_size=2, unique=True)
        )
        parts.append("BYMONTHDAY=" + ",".join(str(d) for d in days))
    if freq == "YEARLY" and draw(st.booleans()):
        parts.append(
            "BYMONTH="
            + ",".join(
                str(m)
                for m in draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True))
            )
        )
    if freq == "MONTHLY" and "BYDAY" in parts[-1] and "," in parts[-1] and draw(st.booleans()):
        parts.append(f"BYSETPOS={draw(st.sampled_from([1, -1, 2]))}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(['MO', 'SU']))}")
    parts.append(f"COUNT={draw(st.integers(1, 40))}")
    return ";".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    anchor=st.sampled_from(ANCHORS),
    shift_days=st.integers(-3, 3),
    rule=rules(),
)
def test_matches_wall_clock_dateutil(
    zone: str, anchor: datetime, shift_days: int, rule: str
) -> None:
    tz = ZoneInfo(zone)
    local = anchor + timedelta(days=shift_days)
    start = local.replace(tzinfo=tz).astimezone(UTC)
    series = Series(
        start=start, end=start + timedelta(minutes=45), tz=tz, rrule=rule, wall_start=local
    )
    ours = list(recurrence.occurrences(series, start, start + timedelta(days=366 * 4)))
    naive = list(rrulestr("RRULE:" + rule, dtstart=local))
    expected = [n.replace(tzinfo=tz).astimezone(UTC) for n in naive]
    expected = [e for e in expected if e < start + timedelta(days=366 * 4)]
    assert [o.start for o in ours] == expected
    assert all(o.end - o.start == timedelta(minutes=45) for o in ours)
    # The wall clock is the DTSTART's wherever it exists that day.
    for o, n in zip(ours, naive, strict=False):
        back = o.start.astimezone(tz).replace(tzinfo=None)
        roundtrip = back.replace(tzinfo=tz).astimezone(UTC) == o.start
        if (
            roundtrip
            and n.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == n
        ):
            assert back == n
