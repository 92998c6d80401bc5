"""Computing figures for pages and reports: values, group values, monthly series, projections.

An ``Engine`` is made for one page or report. It asks the registered
indicators for their figures (``compute``, ``group``, ``series``,
``breakdowns``), remembers every answer for the rest of the computation and,
unless told otherwise, keeps them in the cross-request cache of
``stats.cache`` (figures per institution, so a loan at one library only
invalidates that library's figures).

Contract assumed from the domains (see ``registry.Indicator``):
``compute(period, ids)`` gives each institution's value independently of the
other ids asked for, and depends only on the stored data and the period
(never on today's date); ``series`` gives the same values month by month.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..common.time import Period
from . import cache as figure_cache

#: Indicators that are a state at the period's end rather than a count of
#: events in it (indicators.md: "at period end", "latest ... on or before the
#: period end"). Their projection adds the change seen in the rest of earlier
#: years instead of scaling the count so far. LIB.PERIODICAL_TITLES is a
#: distinct count of titles taken, which grows with new titles, not with the
#: months that pass (a daily paper subscribed for the year counts once), so it
#: is projected the same way.
STOCK_CODES = frozenset({"LIB.HOLDINGS", "LIB.INTERNET_CONNECTED", "NET.STATIONS", "CUL.CLUBS",
                         "LIB.PERIODICAL_TITLES", "MUS.PERMANENT_DISPLAYS"})

#: How many earlier years a projection looks at.
HISTORY_YEARS = 3


def months_of(period: Period):
    """The calendar months touching ``period``, each clipped to it, as ``("YYYY-MM", Period)``."""
    out = []
    year, month = period.start.year, period.start.month
    while dt.date(year, month, 1) <= period.end:
        whole = Period.month(year, month)
        out.append((f"{year:04d}-{month:02d}",
                    Period(max(whole.start, period.start), min(whole.end, period.end))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def per_month(period: Period, compute) -> dict:
    """``{(institution_id, "YYYY-MM"): value}`` from ``compute(month) -> {institution_id: value}``, asked
    once per month of ``months_of(period)``.

    Twelve small grouped queries, each reading an index range in order, beat one query that works out
    every row's local month (a function per row) or sorts a year of rows by month.
    """
    out = {}
    for key, month in months_of(period):
        for inst, value in compute(month).items():
            out[(inst, key)] = value
    return out


class Engine:
    """Figures for one computation; ``cached=False`` asks the indicators every time (CLI, API)."""

    def __init__(self, *, cached=True):
        self.cache = figure_cache.figure_cache() if cached else None
        self.tokens = figure_cache.Tokens() if self.cache is not None else None
        self._memo = {}
        self.queries = 0   # calls made to the indicators (tests and benchmarks read it)

    # -- keys -----------------------------------------------------------------
    def _cached(self, key, tag, fn):
        if key in self._memo:
            return self._memo[key]
        value = None
        if self.cache is not None:
            entry = self.cache.get(key, tag)
            if entry is not None:
                value = entry[1]
        if value is None:
            self.queries += 1
            value = fn()
            if self.cache is not None:
                self.cache.put(key, tag, value)
        self._memo[key] = value
        return value

    @staticmethod
    def _ident(indicator):
        return (indicator.code, id(indicator))

    # -- per institution -----------------------------------------------------
    def values(self, indicator, period: Period, ids) -> dict:
        """``{institution_id: raw value}`` for every id asked (zeros included)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        ident = self._ident(indicator)
        if self.cache is not None:
            self.cache.pin(indicator)
        out, missing = {}, []
        for inst_id in ids:
            key = ("v", ident, period.start, period.end, inst_id)
            if key in self._memo:
                out[inst_id] = self._memo[key]
                continue
            entry = self.cache.get(key, self.tokens.of(inst_id)) if self.cache is not None else None
            if entry is not None:
                out[inst_id] = self._memo[key] = entry[1]
            else:
                missing.append(inst_id)
        if missing:
            self.queries += 1
            fresh = indicator.compute(period, missing) or {}
            for inst_id in missing:
                value = float(fresh.get(inst_id, 0) or 0)
                key = ("v", ident, period.start, period.end, inst_id)
                self._memo[key] = out[inst_id] = value
                if self.cache is not None:
                    self.cache.put(key, self.tokens.of(inst_id), value)
        return out

    def group(self, indicator, period: Period, ids):
        """The value of a set of institutions: the sum, or the indicator's own ``group`` (rounded)."""
        ids = sorted(set(ids))
        if not ids:
            return indicator.rounded(0)
        if indicator.group is None:
            values = self.values(indicator, period, ids)
            return indicator.rounded(sum(values.values()))
        key = ("g", self._ident(indicator), period.start, period.end, tuple(ids))
        tag = self.tokens.of_set(ids) if self.cache is not None else None
        if self.cache is not None:
            self.cache.pin(indicator)
        return indicator.rounded(self._cached(key, tag, lambda: indicator.group(period, ids)))

    def rounded_values(self, indicator, period, ids):
        return {i: indicator.rounded(v) for i, v in self.values(indicator, period, ids).items()}

    # -- months --------------------------------------------------------------
    def monthly(self, indicator, period: Period, ids, until: dt.date | None = None):
        """``[(\"YYYY-MM\", value or None)]`` for the set of institutions; months after ``until`` are None."""
        ids = sorted(set(ids))
        months = months_of(period)
        if indicator.group is None and indicator.series is not None and ids:
            per_inst = self._series(indicator, period, ids)
            out = []
            for label, month in months:
                if until is not None and month.start > until:
                    out.append((label, None))
                    continue
                total = sum(per_inst.get(i, {}).get(label, 0) for i in ids)
                out.append((label, indicator.rounded(total)))
            return out
        return [(label, None if until is not None and month.start > until else self.group(indicator, month, ids))
                for label, month in months]

    def _series(self, indicator, period, ids):
        ident = self._ident(indicator)
        if self.cache is not None:
            self.cache.pin(indicator)
        out, missing = {}, []
        for inst_id in ids:
            key = ("s", ident, period.start, period.end, inst_id)
            if key in self._memo:
                out[inst_id] = self._memo[key]
                continue
            entry = self.cache.get(key, self.tokens.of(inst_id)) if self.cache is not None else None
            if entry is not None:
                out[inst_id] = self._memo[key] = entry[1]
            else:
                missing.append(inst_id)
        if missing:
            self.queries += 1
            raw = indicator.series(period, missing) or {}
            fresh = {inst_id: {} for inst_id in missing}
            for (inst_id, month), value in raw.items():
                if inst_id in fresh:
                    fresh[inst_id][str(month)] = fresh[inst_id].get(str(month), 0) + float(value or 0)
            for inst_id, months in fresh.items():
                key = ("s", ident, period.start, period.end, inst_id)
                self._memo[key] = out[inst_id] = months
                if self.cache is not None:
                    self.cache.put(key, self.tokens.of(inst_id), months)
        return out

    # -- breakdowns ------------------------------------------------------------
    def breakdown(self, indicator, name, period, ids):
        ids = sorted(set(ids))
        fn = indicator.breakdowns[name]
        key = ("b", self._ident(indicator), name, period.start, period.end, tuple(ids))
        tag = self.tokens.of_set(ids) if self.cache is not None else None
        if self.cache is not None:
            self.cache.pin(indicator)
        return self._cached(key, tag, lambda: dict(fn(period, ids) or {}))

    # -- projections -------------------------------------------------------------
    def project(self, indicator, period: Period, ids, as_of: dt.date):
        """Where the set's value is heading at ``period.end``, seen on ``as_of`` (``None`` if the period is over)."""
        if as_of >= period.end or as_of < period.start:
            return None
        so_far = Period(period.start, as_of)
        to_date = self.group(indicator, so_far, ids)
        history = self._history(indicator, period, as_of, lambda p: self.group(indicator, p, ids))
        start_value = (self.group(indicator, Period(period.start, period.start), ids)
                       if indicator.code in STOCK_CODES else 0)
        return extrapolate(indicator, period, as_of, to_date, start_value, history)

    def project_each(self, indicator, period: Period, ids, as_of: dt.date):
        """``{institution_id: Projection}`` for every institution on its own (``each`` targets)."""
        if as_of >= period.end or as_of < period.start:
            return {}
        so_far = Period(period.start, as_of)
        to_date = self.rounded_values(indicator, so_far, ids)
        past = self._history(indicator, period, as_of, lambda p: self.rounded_values(indicator, p, ids))
        starts = (self.rounded_values(indicator, Period(period.start, period.start), ids)
                  if indicator.code in STOCK_CODES else {})
        return {i: extrapolate(indicator, period, as_of, to_date.get(i, 0), starts.get(i, 0),
                               [(year, t.get(i, 0), f.get(i, 0)) for year, t, f in past])
                for i in ids}

    def _history(self, indicator, period, as_of, value_of):
        out = []
        for back in range(1, HISTORY_YEARS + 1):
            whole = period.shifted_years(-back)
            so_far = Period(period.start, as_of).shifted_years(-back)
            out.append((period.start.year - back, value_of(so_far), value_of(whole)))
        return out


@dataclass
class Projection:
    """A value heading for ``projected`` at the period's end.

    ``method`` is ``history`` (the same months of the ``years`` listed) or
    ``linear`` (the pace so far, no earlier year had data); ``outcomes``
    are the ends each earlier year's pattern would give (one value for linear).
    """

    as_of: dt.date
    period: Period
    to_date: float
    projected: float
    method: str
    years: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)

    @property
    def remainder(self):
        return self.projected - self.to_date

    def chance(self, low, high):
        """``likely`` (every outcome within the range), ``unlikely`` (none), ``uncertain``;
        with ``over`` when all outcomes end above the maximum."""
        statuses = [status_of(v, low, high) for v in self.outcomes or [self.projected]]
        if all(s == "within" for s in statuses):
            return "likely"
        if all(s == "above" for s in statuses):
            return "over"
        if all(s != "within" for s in statuses):
            return "unlikely"
        return "uncertain"

    def meeting(self, low, high):
        outcomes = self.outcomes or [self.projected]
        return sum(1 for v in outcomes if status_of(v, low, high) == "within"), len(outcomes)


def status_of(value, low, high):
    if low is not None and value < low:
        return "below"
    if high is not None and value > high:
        return "above"
    return "within"


def extrapolate(indicator, period: Period, as_of: dt.date, to_date, start_value, history):
    """The projection of ``to_date`` (value on ``as_of``) to ``period.end``.

    Counts (flows): each earlier year with data scales the value so far by its
    own ratio whole / same-months (adding its remainder when its same months
    had nothing); the point estimate uses the ratio of the sums. Without
    history: the pace so far, ``to_date × days / days elapsed``.
    States (``STOCK_CODES``): the value so far plus the change earlier years saw
    in the rest of the period; without history, the trend since the first day.
    Percentages stay within 0–100; nothing goes below zero.
    """
    stock = indicator.code in STOCK_CODES
    usable = [(year, so_far, whole) for year, so_far, whole in history if whole]
    if usable:
        outcomes = []
        for _year, so_far, whole in usable:
            if stock or not so_far:
                outcomes.append(to_date + (whole - so_far))
            else:
                outcomes.append(to_date * whole / so_far)
        sum_so_far = sum(s for _y, s, _w in usable)
        sum_whole = sum(w for _y, _s, w in usable)
        if stock or not sum_so_far:
            point = to_date + (sum_whole - sum_so_far) / len(usable)
        else:
            point = to_date * sum_whole / sum_so_far
        method, years = "history", sorted(y for y, _s, _w in usable)
    else:
        elapsed = (as_of - period.start).days + 1
        if stock:
            gone = (as_of - period.start).days
            remaining = (period.end - as_of).days
            point = to_date + ((to_date - start_value) / gone * remaining if gone else 0)
        else:
            point = to_date * period.days / elapsed
        outcomes, method, years = [point], "linear", []

    def tidy(value):
        value = max(0.0, float(value))
        if indicator.unit == "percent":
            value = min(100.0, value)
        return indicator.rounded(value)

    return Projection(as_of=as_of, period=period, to_date=to_date, projected=tidy(point), method=method,
                      years=years, outcomes=[tidy(v) for v in outcomes])
