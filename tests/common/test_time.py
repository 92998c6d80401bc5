import datetime as dt

import pytest

from ilms.common.time import UTC, Period, local_date, parse_iso_datetime


def test_half_past_midnight_on_new_year_is_the_new_year_locally():
    instant = dt.datetime(2024, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 Jan 2025 in Lai Châu
    assert local_date(instant) == dt.date(2025, 1, 1)
    assert local_date(instant) in Period.year(2025)
    assert local_date(instant) not in Period.year(2024)


def test_period_bounds_are_local_midnights_in_utc():
    start, end = Period.year(2024).utc_bounds()
    assert start == dt.datetime(2023, 12, 31, 17, 0, tzinfo=UTC)
    assert end == dt.datetime(2024, 12, 31, 17, 0, tzinfo=UTC)


def test_period_refuses_end_before_start():
    with pytest.raises(ValueError):
        Period(dt.date(2024, 2, 1), dt.date(2024, 1, 1))


def test_month_and_shift():
    assert Period.month(2024, 2) == Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert Period.month(2024, 12).end == dt.date(2024, 12, 31)
    assert Period(dt.date(2024, 2, 29), dt.date(2024, 3, 1)).shifted_years(-1).start == dt.date(2023, 2, 28)


def test_times_need_an_offset():
    assert parse_iso_datetime("2024-03-02T08:15:00+07:00") == dt.datetime(2024, 3, 2, 1, 15, tzinfo=UTC)
    with pytest.raises(ValueError, match="offset"):
        parse_iso_datetime("2024-03-02T08:15:00")


def test_local_date_sql_expression_agrees_with_python(app):
    import sqlalchemy as sa

    from ilms.common.time import local_date_of
    from ilms.extensions import db
    instants = [dt.datetime(2024, 12, 31, 16, 59, tzinfo=UTC), dt.datetime(2024, 12, 31, 17, 0, tzinfo=UTC)]
    for instant in instants:
        naive = instant.replace(tzinfo=None)
        got = db.session.execute(sa.select(local_date_of(sa.literal(naive, sa.DateTime)))).scalar()
        assert str(got) == local_date(instant).isoformat()
