"""Figures under the structure in force on each event's date (issue 25; indicators.md: "An event
counts under the network's structure on its own local date").

A period in which no change of the network takes effect is computed exactly as before (one
computation over the whole period with today's rows, which then equal the versions of the period).
A period that a change splits is cut at each effective date into segments; each segment reads the
network of its first day (``org.history.network_on``), and a group's value is built from the
segments' values:

- a sum (loans, visits, events...) is the sum of each segment's value over the institutions the
  group held in that segment: exact;
- a state at the period's end or a share (holdings, connected %, stocks of ``engine.STOCK_CODES``,
  unit percent) is read over the whole period for the institutions the group holds at its end, as
  Koha's and Evergreen's end-of-period inventories do;
- a ``distinct`` count (readers, titles) cannot be split and re-added without counting twice a
  reader active in both halves of a group whose members changed. We add the segments, so such a
  reader counts once under each structure he was served in (each half tells the truth of its own
  group); when the group's members are the same in every segment the whole period is computed in
  one piece, so groups that no change touched keep their exact distinct count.

An institution's own row covers the segments in which it belonged to what is shown (the province:
all of them). Projections of an open period follow the structure in force at its end.
"""
from __future__ import annotations

import datetime as dt

from ..common.time import Period
from ..org.history import change_dates, network_on
from .engine import projection_rule

ONE_DAY = dt.timedelta(days=1)


def segments(period: Period):
    """``[(Period, network of that segment)]``, or ``None`` when no change took effect after the period
    began (today's rows are then the structure of the whole period). A period before a change is
    one segment read as of its first day, so last year's figures stay where they were."""
    if not change_dates(period.start - ONE_DAY, dt.date.max):
        return None
    dates = change_dates(period.start, period.end)
    starts = [period.start] + dates
    out = []
    for n, start in enumerate(starts):
        end = starts[n + 1] - ONE_DAY if n + 1 < len(starts) else period.end
        out.append((Period(start, end), network_on(start)))
    return out


def changes_in(period: Period):
    """The effective dates splitting ``period`` (pages say "the network changed on ...")."""
    return change_dates(period.start, period.end)


def value_over(engine, indicator, period: Period, parts):
    """A group's value over ``period`` from ``parts``, ``[(segment Period, [institution ids])]``."""
    sets = [frozenset(ids) for _p, ids in parts]
    if all(s == sets[0] for s in sets):
        return engine.group(indicator, period, sets[0])
    if projection_rule(indicator) == "none":
        return engine.group(indicator, period, sets[-1])
    total = 0.0
    for (segment, _ids), members in zip(parts, sets):
        if members:
            total += float(engine.group(indicator, segment, members) or 0)
    return indicator.rounded(total)


def union_of(parts):
    """The institutions of any segment, each as in the last segment it belongs to, in code order."""
    out = {}
    for _seg, members in parts:
        for inst in members:
            out[inst.id] = inst
    return sorted(out.values(), key=lambda i: i.code)
