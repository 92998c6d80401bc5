"""Dates of a recurring event: every week, every month on the same day, or on the same weekday of the month."""
import calendar
import datetime as dt

from .models import Repeat

#: A series never makes more occurrences than this at once (two years of weekly events).
MAX_OCCURRENCES = 104


def _add_months(year, month, n):
    month0 = month - 1 + n
    return year + month0 // 12, month0 % 12 + 1


def week_of_month(day: dt.date) -> int:
    """1 for the first such weekday of the month, 2 for the second... 5 for a fifth."""
    return (day.day - 1) // 7 + 1


def nth_weekday(year, month, weekday, n, *, last=False):
    """The ``n``-th ``weekday`` (0 = Monday) of a month, or its last one; ``None`` when there is none."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if last:
        return days[-1]
    return days[n - 1] if n <= len(days) else None


def occurrences(first: dt.date, repeat: Repeat, until: dt.date, *, limit=MAX_OCCURRENCES):
    """Every date from ``first`` up to ``until`` (included) following ``repeat``, ``first`` included.

    Monthly on a day that a month lacks (the 31st) skips that month rather
    than moving the event; monthly on a weekday keeps "the 2nd Saturday", and
    an event on a 5th weekday (which most months lack) moves to the last one.
    """
    repeat = Repeat(repeat)
    out = []
    if repeat == Repeat.WEEKLY:
        day = first
        while day <= until and len(out) < limit:
            out.append(day)
            day += dt.timedelta(days=7)
        return out
    nth = week_of_month(first)
    last = nth == 5
    n = 0
    while len(out) < limit:
        year, month = _add_months(first.year, first.month, n)
        n += 1
        if dt.date(year, month, 1) > until:
            break
        if repeat == Repeat.MONTHLY_DAY:
            if first.day > calendar.monthrange(year, month)[1]:
                continue
            day = dt.date(year, month, first.day)
        else:
            day = nth_weekday(year, month, first.weekday(), nth, last=last)
            if day is None:
                continue
        if day <= until:
            out.append(day)
    return out
