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
#: period end"). indicators.md: "a share or a stock (holdings, connected %,
#: clubs) is not projected". LIB.PERIODICAL_TITLES is a distinct count of
#: titles taken, which grows with new titles rather than with the months that
#: pass (a daily paper subscribed for the year counts once): it is treated as a
#: stock too.
STOCK_CODES = frozenset({"LIB.HOLDINGS", "LIB.INTERNET_CONNECTED", "NET.STATIONS", "CUL.CLUBS",
                         "LIB.PERIODICAL_TITLES", "MUS.PERMANENT_DISPLAYS"})

#: Fewer days than this of an open year, with no earlier full year: no projection (indicators.md).
MIN_DAYS_LINEAR = 30

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
        entry = self.cache.get(key, tag) if self.cache is not None else None
        if entry is not None:
            value = entry[1]
        else:
            self.queries += 1
            value = fn()
            if self.cache is not None:
                self.cache.put(key, tag, value)
        self._memo[key] = value
        return value

    @staticmethod
    def _ident(indicator):
        """A key naming the indicator's computation, the same in every process (prepared figures are
        shared through a file): its code and the function computing it."""
        compute = indicator.compute
        return (indicator.code, getattr(compute, "__module__", ""), getattr(compute, "__qualname__", ""))

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
                value = fresh.get(inst_id, 0)
                value = None if value is None and indicator.nullable else float(value or 0)
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
    def go_live(self, ids):
        from .golive import go_live_dates
        key = ("golive", tuple(sorted(set(ids))))
        if key not in self._memo:
            self._memo[key] = go_live_dates(ids, engine=self if self.cache is not None else None)
        return self._memo[key]

    def project(self, indicator, period: Period, ids, as_of: dt.date):
        """Where the set's value is heading at ``period.end``, seen on ``as_of`` (``None`` if the period is over).

        The rules of indicators.md ("Targets"), in ``projection_rule``'s words:

        - shares (unit percent) and stocks (``STOCK_CODES``) are not projected;
        - a sum is projected institution by institution, each from the earlier years that
          institution recorded in full (``golive``): its value to date divided by the share the
          same part of the year held in those years; without such a year, linearly in elapsed days
          (not at all before ``MIN_DAYS_LINEAR`` days); the group's projection is the sum;
        - a ``distinct`` figure cannot be added up across institutions: the group's own value is
          followed along its own curve in the earlier years that every institution of the group
          with any record recorded in full (the mean of each year's ratio year-end / same day);
        - never below the value to date.
        """
        if as_of >= period.end or as_of < period.start:
            return None
        ids = sorted(set(ids))
        so_far = Period(period.start, as_of)
        to_date = self.group(indicator, so_far, ids)
        kind = projection_rule(indicator)
        if kind == "none":
            return Projection(as_of=as_of, period=period, to_date=to_date, projected=None, method="not_projected",
                              reason="share_or_stock")
        live = self.go_live(ids)
        if kind == "distinct" or indicator.group is not None:
            recorded = [live[i] for i in ids if live.get(i) is not None]
            years = self._common_full_years(recorded, period)
            history = [(year, self.group(indicator, so_far.shifted_years(year - period.start.year), ids),
                        self.group(indicator, period.shifted_years(year - period.start.year), ids))
                       for year in years]
            projection = extrapolate(indicator, period, as_of, to_date, history, curve=True)
        else:
            per_inst = self.project_each(indicator, period, ids, as_of)
            projection = combine(indicator, period, as_of, to_date, list(per_inst.values()))
        return at_least(projection, self.group(indicator, period, ids))

    def project_each(self, indicator, period: Period, ids, as_of: dt.date):
        """``{institution_id: Projection}`` for every institution on its own (``each`` targets)."""
        if as_of >= period.end or as_of < period.start:
            return {}
        ids = sorted(set(ids))
        so_far = Period(period.start, as_of)
        to_date = self.rounded_values(indicator, so_far, ids)
        kind = projection_rule(indicator)
        if kind == "none":
            return {i: Projection(as_of=as_of, period=period, to_date=to_date.get(i, 0), projected=None,
                                  method="not_projected", reason="share_or_stock") for i in ids}
        live = self.go_live(ids)
        years_of = {i: self._common_full_years([live[i]] if live.get(i) else [], period) for i in ids}
        needed = sorted({y for ys in years_of.values() for y in ys})
        past = {}
        for year in needed:
            shift = year - period.start.year
            past[year] = (self.rounded_values(indicator, so_far.shifted_years(shift), ids),
                          self.rounded_values(indicator, period.shifted_years(shift), ids))
        known = self.rounded_values(indicator, period, ids)
        return {i: at_least(extrapolate(indicator, period, as_of, to_date.get(i, 0),
                                        [(y, past[y][0].get(i, 0), past[y][1].get(i, 0)) for y in years_of[i]],
                                        curve=kind == "distinct"), known.get(i, 0))
                for i in ids}

    @staticmethod
    def _common_full_years(go_lives, period):
        """Earlier years (at most ``HISTORY_YEARS``) recorded in full by every go-live date given."""
        from .golive import full_years
        if not go_lives:
            return []
        latest = max(go_lives)
        return full_years(latest, period.start.year, HISTORY_YEARS)


def at_least(projection, known):
    """Never below what the period already holds: records dated later in the period (an exhibition
    planned for the last week, an accession dated ahead) count in the period's value already."""
    if projection and known is not None and projection.projected < known:
        projection.projected = known
        projection.outcomes = [max(v, known) for v in projection.outcomes]
    return projection


def projection_rule(indicator):
    """``none`` (a share or a stock), ``distinct`` (its own curve) or ``sum`` (share of the year)."""
    if indicator.unit == "percent" or indicator.code in STOCK_CODES:
        return "none"
    if indicator.distinct:
        return "distinct"
    return "sum"


#: What a projection's ``method`` says (the JSON carries the key, the page these words).
METHODS = ("same_part_of_year", "own_curve", "linear", "mixed", "not_projected", "too_early")


@dataclass
class Projection:
    """A value heading for ``projected`` at the period's end.

    ``method``: ``same_part_of_year`` (a sum scaled by the share the same part
    of the year held in the ``years`` listed), ``own_curve`` (a distinct
    figure following its own curve in those years), ``linear`` (elapsed days,
    no earlier full year), ``mixed`` (a group whose institutions used
    different methods), ``not_projected`` (a share or a stock) or
    ``too_early`` (fewer than 30 days and no full year). ``projected`` is
    ``None`` when there is no projection; the object is then false, and
    ``reason`` says why. ``outcomes`` are the ends each earlier year's
    pattern would give.
    """

    as_of: dt.date
    period: Period
    to_date: float
    projected: float | None
    method: str
    years: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)
    reason: str = ""

    def __bool__(self):
        return self.projected is not None

    @property
    def remainder(self):
        return (self.projected - self.to_date) if self.projected is not None else None

    def as_json(self):
        """The ``projection`` object of the indicator document (exchange.md)."""
        return {"value": self.projected, "method": self.method, "years": list(self.years)}

    def chance(self, low, high):
        """``likely`` (every outcome within the range), ``unlikely`` (none), ``uncertain``;
        with ``over`` when all outcomes end above the maximum."""
        if self.projected is None:
            return "unknown"
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


def _tidy(indicator, value, floor):
    value = max(float(floor or 0), float(value))
    if indicator.unit == "percent":
        value = min(100.0, value)
    return indicator.rounded(value)


def extrapolate(indicator, period: Period, as_of: dt.date, to_date, history, *, curve=False):
    """The projection of ``to_date`` (the value on ``as_of``) to ``period.end`` from ``history``,
    ``[(year, value on the same day, value at the year's end)]`` of years recorded in full.

    A sum (``curve=False``): divided by the share the same part of the year held in those years
    together (``sum(same day) / sum(year end)``); when they held nothing by that day, the mean of
    what came after is added. A distinct figure (``curve=True``): each year's own ratio
    year-end / same day, averaged (a ratio of sums would weigh the busy years; the curve of
    distinct readers flattens as the year goes on, and each year's curve says how much). Without
    history: linear in elapsed days, and nothing before ``MIN_DAYS_LINEAR`` days. Never below the
    value to date.
    """
    to_date = float(to_date or 0)
    usable = [(y, float(s or 0), float(w or 0)) for y, s, w in history]
    if usable:
        outcomes = []
        for _year, so_far, whole in usable:
            outcomes.append(to_date * whole / so_far if so_far else to_date + whole)
        if curve:
            ratios = [w / s for _y, s, w in usable if s]
            if ratios:
                point = to_date * sum(ratios) / len(ratios)
            else:
                point = to_date + sum(w for _y, _s, w in usable) / len(usable)
            method = "own_curve"
        else:
            sum_so_far = sum(s for _y, s, _w in usable)
            sum_whole = sum(w for _y, _s, w in usable)
            point = (to_date * sum_whole / sum_so_far if sum_so_far
                     else to_date + (sum_whole - sum_so_far) / len(usable))
            method = "same_part_of_year"
        return Projection(as_of=as_of, period=period, to_date=indicator.rounded(to_date),
                          projected=_tidy(indicator, point, to_date), method=method,
                          years=sorted(y for y, _s, _w in usable),
                          outcomes=[_tidy(indicator, v, to_date) for v in outcomes])
    elapsed = (as_of - period.start).days + 1
    if elapsed < MIN_DAYS_LINEAR:
        return Projection(as_of=as_of, period=period, to_date=indicator.rounded(to_date), projected=None,
                          method="too_early", reason="too_early")
    point = to_date * period.days / elapsed
    return Projection(as_of=as_of, period=period, to_date=indicator.rounded(to_date),
                      projected=_tidy(indicator, point, to_date), method="linear", years=[],
                      outcomes=[_tidy(indicator, point, to_date)])


def combine(indicator, period, as_of, to_date, parts):
    """A group's projection of a sum: the sum of its institutions' projections.

    An institution with nothing recorded so far and no projection adds nothing; if one with
    figures cannot be projected yet (too early), neither can the group. The years are those used
    by any institution; the method is theirs when they agree, else ``mixed``. Outcomes per year
    add each institution's outcome for that year (or its point projection when it lacks that year).
    """
    shown = [p for p in parts if p]
    blocked = [p for p in parts if not p and p.to_date]
    if blocked or (not shown and parts and not any(p.to_date for p in parts)
                   and all(p.method == "too_early" for p in parts)):
        return Projection(as_of=as_of, period=period, to_date=to_date, projected=None, method="too_early",
                          reason="too_early")
    # an institution with nothing so far and no earlier full year adds nothing and says nothing of the method
    telling = [p for p in shown if p.to_date or p.years] or shown
    methods = {p.method for p in telling}
    method = methods.pop() if len(methods) == 1 else ("mixed" if methods else "linear")
    years = sorted({y for p in telling for y in p.years})
    point = sum(p.projected for p in shown)
    outcomes = []
    for year in years:
        total = 0
        for p in shown:
            total += p.outcomes[p.years.index(year)] if year in p.years else p.projected
        outcomes.append(total)
    return Projection(as_of=as_of, period=period, to_date=to_date, projected=_tidy(indicator, point, to_date),
                      method=method, years=years,
                      outcomes=[_tidy(indicator, v, to_date) for v in outcomes] or [_tidy(indicator, point, to_date)])
