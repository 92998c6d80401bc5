"""Time: stored in UTC, shown and counted in the province's local time (Asia/Ho_Chi_Minh)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.timezone.utc


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return dt.datetime.now(UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return as_utc(value).astimezone(LOCAL_TZ)


def local_date(value: dt.datetime) -> dt.date:
    """The calendar date in Lai Châu at which ``value`` happened."""
    return to_local(value).date()


def local_today() -> dt.date:
    return utcnow().astimezone(LOCAL_TZ).date()


#: The first and last instants Python can hold, for the edges of the calendar.
EARLIEST = dt.datetime.min.replace(tzinfo=UTC)
LATEST = dt.datetime.max.replace(tzinfo=UTC)


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 local on ``day``, as an aware UTC datetime.

    1 January of year 1 begins before the first instant Python can write in
    UTC: it is clamped to ``EARLIEST`` (a filter "from 0001-01-01" means
    "from the beginning", not an error).
    """
    try:
        return dt.datetime.combine(day, dt.time(0), LOCAL_TZ).astimezone(UTC)
    except OverflowError:
        return EARLIEST


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` (local), as an aware UTC datetime; ``LATEST`` after 31/12/9999."""
    return LATEST if day == dt.date.max else local_midnight(day + dt.timedelta(days=1))


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """A local wall-clock time as an aware UTC datetime."""
    return dt.datetime.combine(day, time, LOCAL_TZ).astimezone(UTC)


def parse_iso_datetime(text: str) -> dt.datetime:
    """Parse ISO 8601 with an explicit offset; a time without offset is refused.

    Raises ``ValueError`` with a message fit for an import report.
    """
    try:
        value = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"expected an ISO 8601 time like 2024-03-02T08:15:00+07:00, got {text!r}")
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset (write e.g. +07:00)")
    return value.astimezone(UTC)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}")


@dataclass(frozen=True)
class Period:
    """A closed range of local dates ``[start, end]``."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def half_year(cls, year: int) -> "Period":
        return cls(dt.date(year, 1, 1), dt.date(year, 6, 30))

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        first = dt.date(year, month, 1)
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        return cls(first, nxt - dt.timedelta(days=1))

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """``(first instant, first instant after)`` of the period, in UTC."""
        return local_midnight(self.start), end_of_local_day(self.end)

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def shifted_years(self, years: int) -> "Period":
        def shift(day):
            try:
                return day.replace(year=day.year + years)
            except ValueError:  # 29 February
                return day.replace(year=day.year + years, day=28)
        return Period(shift(self.start), shift(self.end))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self):
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


class local_date_of(FunctionElement):
    """SQL expression: the local (UTC+7) calendar date of a UTC timestamp column.

    Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed
    offset is exact for every date ILMS stores.
    """

    type = Date()
    inherit_cache = True
    name = "local_date_of"


@compiles(local_date_of)
def _local_date_default(element, compiler, **kw):
    (column,) = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, '+7 hours')"


@compiles(local_date_of, "postgresql")
def _local_date_pg(element, compiler, **kw):
    (column,) = list(element.clauses)
    return f"CAST(({compiler.process(column, **kw)} + INTERVAL '7 hours') AS DATE)"


__all__ = [
    "EARLIEST", "LATEST", "LOCAL_TZ", "UTC", "Period", "as_utc", "end_of_local_day", "local_date", "local_date_of",
    "local_datetime", "local_midnight", "local_today", "parse_date", "parse_iso_datetime",
    "to_local", "utcnow",
]
