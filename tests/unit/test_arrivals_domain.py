"""A document's arrival day is its UTC date, however the moment is spelled, and a tally loses none."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from superinsight.documents.arrivals import arrival_day, tally

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=offsets)


@given(moments, offsets)
def test_the_same_moment_falls_on_the_same_day_in_any_zone(moment: datetime, zone: timezone) -> None:
    assert arrival_day(moment) == arrival_day(moment.astimezone(zone)) == moment.astimezone(UTC).date()


@given(moments)
def test_a_naive_moment_is_read_as_utc_as_sqlite_returns_them(moment: datetime) -> None:
    in_utc = moment.astimezone(UTC)
    assert arrival_day(in_utc.replace(tzinfo=None)) == arrival_day(moment)


@given(st.lists(moments, max_size=50))
def test_a_tally_counts_every_moment_once_on_its_day(found: list[datetime]) -> None:
    counted = tally(found)
    assert sum(counted.values()) == len(found)
    assert all(count > 0 for count in counted.values())
    assert set(counted) == {arrival_day(moment) for moment in found}


def test_either_side_of_midnight_utc() -> None:
    tokyo, denver = timezone(timedelta(hours=9)), timezone(timedelta(hours=-7))
    assert arrival_day(datetime(2026, 3, 2, 8, 59, tzinfo=tokyo)) == date(2026, 3, 1)
    assert arrival_day(datetime(2026, 3, 1, 23, 30, tzinfo=denver)) == date(2026, 3, 2)
