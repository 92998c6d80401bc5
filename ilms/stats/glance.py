"""The manager's year at a glance (home page panel): targets with projections, the next report, data gaps.

For the current year and the user's scope: each target with its value so
far, the value expected at the year's end and the status that value would
have; the next report due under the plans in force; and the institutions
that have whole months without a single operational record, so a gap is
chased before the report is due instead of discovered in it.

"Operational records" are the events the indicators count: every registered
indicator that counts events in a period (it has a monthly ``series``, it is
a count, not a distinct count, a share or a stock at the period's end). A
month is checked once it is over (the current month is still being
entered). Which months have records is cached per institution under the
figure cache's data tokens, so the panel costs one query per indicator only
after that institution's data changed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..common.time import Period, local_today
from . import cache as figure_cache
from . import registry, reports
from .pages import headline

#: Figures that are a state at the period's end, not events in it (engine.STOCK_CODES, kept here as well
#: so the panel does not depend on how the engine names them).
STATES = frozenset({"LIB.HOLDINGS", "LIB.INTERNET_CONNECTED", "NET.STATIONS", "CUL.CLUBS",
                    "LIB.PERIODICAL_TITLES"})


@dataclass
class TargetLine:
    row: object                     # pages.TargetRow
    projected: float | None = None
    projected_status: str | None = None
    meeting: int | None = None      # "each" targets: institutions expected to meet it
    of: int | None = None


@dataclass
class NextReport:
    kind: str
    year: int
    due: dt.date
    plan: object
    days: int


@dataclass
class Glance:
    page: object
    targets: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    next_report: NextReport | None = None
    months: list = field(default_factory=list)        # the months checked, "YYYY-MM"
    missing: list = field(default_factory=list)       # (institution, ["YYYY-MM", ...]), most gaps first


def year_at_a_glance(user, *, today=None, limit=8):
    today = today or local_today()
    page, target_rows, rows = headline(user, today=today, limit=limit)
    glance = Glance(page=page, rows=rows)
    for t in target_rows:
        line = TargetLine(row=t)
        if t.target.scope == "sum" and t.projection is not None:
            line.projected = t.projection.projected
            line.projected_status = t.target.status(t.projection.projected)
        elif t.target.scope == "each" and t.projected_meeting is not None:
            line.meeting, line.of = t.projected_meeting, len(t.members)
        glance.targets.append(line)
    glance.next_report = next_report(today)
    glance.months = complete_months(today)
    glance.missing = months_without_records(page.members, today)
    return glance


def next_report(today):
    """The next report due under the plans in force (this year or next), or ``None``."""
    from .services import all_plans
    candidates = []
    for plan in all_plans():
        for year in (today.year, today.year + 1):
            if not plan.year_from <= year <= plan.year_to:
                continue
            for rep in plan.reports:
                due = reports.due_date(plan, rep.kind, year)
                if due >= today:
                    candidates.append((due, rep.kind, year, plan))
    if not candidates:
        return None
    due, kind, year, plan = min(candidates, key=lambda c: (c[0], c[1], c[3].code))
    return NextReport(kind=kind, year=year, due=due, plan=plan, days=(due - today).days)


def complete_months(today):
    return [f"{today.year:04d}-{m:02d}" for m in range(1, today.month)]


def _event_indicators():
    return [ind for ind in registry.all_indicators()
            if ind.series is not None and ind.unit == "count" and not ind.distinct and ind.code not in STATES]


def months_without_records(members, today):
    """``[(institution, [months with no record])]`` this year, for the members an indicator counts."""
    months = complete_months(today)
    indicators = _event_indicators()
    checked = [m for m in members if any(ind.applies_to(m) for ind in indicators)]
    if not checked or not months:
        return []
    period = Period(dt.date(today.year, 1, 1), today.replace(day=1) - dt.timedelta(days=1))
    cache = figure_cache.figure_cache()
    tokens = figure_cache.Tokens() if cache is not None else None
    seen, todo = {}, []
    for inst in checked:
        key = ("glance-months", period.start.isoformat(), period.end.isoformat(), inst.id)
        hit = cache.get(key, tokens.of(inst.id)) if cache is not None else None
        if hit is not None:
            seen[inst.id] = hit[1]
        else:
            todo.append(inst)
    if todo:
        found = {inst.id: set() for inst in todo}
        for indicator in indicators:
            ids = [inst.id for inst in todo if indicator.applies_to(inst)]
            if not ids:
                continue
            for (inst_id, month), value in indicator.series(period, ids).items():
                if value and inst_id in found:
                    found[inst_id].add(month)
        for inst in todo:
            seen[inst.id] = frozenset(found[inst.id])
            if cache is not None:
                cache.put(("glance-months", period.start.isoformat(), period.end.isoformat(), inst.id),
                          tokens.of(inst.id), seen[inst.id])
    out = []
    for inst in checked:
        gaps = [m for m in months if m not in seen[inst.id]]
        if gaps:
            out.append((inst, gaps))
    out.sort(key=lambda pair: (-len(pair[1]), pair[0].code))
    return out


def month_ranges(months):
    """``["2026-01", "2026-02", "2026-03", "2026-05"]`` as ``["01–03/2026", "05/2026"]`` (runs of months)."""
    runs = []
    for month in months:
        number = int(month[5:7])
        if runs and runs[-1][1] + 1 == number and runs[-1][2] == month[:4]:
            runs[-1][1] = number
        else:
            runs.append([number, number, month[:4]])
    return [f"{a:02d}/{year}" if a == b else f"{a:02d}–{b:02d}/{year}" for a, b, year in runs]
