"""The indicator page: every registered indicator for a period and a scope, against the plans."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..common.errors import NotFound
from ..common.time import Period, local_today
from ..org.models import InstitutionKind, Level
from . import registry
from . import scope as scopes
from . import structure
from .charts import trend_svg
from .engine import Engine
from .services import (each_status, group_key, part_of_year, progress, scope_target_members, target_row,
                       targets_for)

STATUS_WORDS = {"below": _l("below target"), "within": _l("within target"), "above": _l("above target"),
                "in_progress": _l("in progress toward the annual target"), "no_value": _l("no value to judge")}
STATUS_SO_FAR = {"below": _l("below target so far"), "within": _l("within target so far"),
                 "above": _l("above target so far"), "in_progress": _l("in progress toward the annual target"),
                 "no_value": _l("no value to judge")}
STATUS_MARKS = {"below": "▼", "within": "●", "above": "▲", "in_progress": "◔", "no_value": "–"}


def fmt(value, decimals=0):
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""))


def fmt_for(code, value):
    """A figure of indicator ``code`` with that indicator's decimals (NET.HOURS keeps one)."""
    indicator = registry.get(code)
    return fmt(value, indicator.decimals if indicator is not None else 0)


def group_label(indicator, key):
    if indicator.group_by == "level":
        return Level(key).label
    return InstitutionKind(key).label


def target_group_label(target):
    if target.level:
        return _("%(level)s level", level=Level(target.level).label)
    return ", ".join(str(InstitutionKind(k).label) for k in target.kind_list)


def range_text(low, high, decimals=0):
    if low is not None and high is not None:
        return f"{fmt(low, decimals)}–{fmt(high, decimals)}"
    if low is not None:
        return _("at least %(n)s", n=fmt(low, decimals))
    return _("at most %(n)s", n=fmt(high, decimals))


def projection_basis(projection):
    """Which method and which years a projection used, or why there is none, in words."""
    if projection is None:
        return ""
    years = projection.years
    span = "" if not years else (str(years[0]) if len(years) == 1 else ", ".join(str(y) for y in years))
    if projection.method == "same_part_of_year":
        return _("the share the same part of the year held in %(years)s", years=span)
    if projection.method == "own_curve":
        return _("its own curve in %(years)s (distinct figures are not scaled like sums)", years=span)
    if projection.method == "mixed":
        return _("earlier full years (%(years)s) where an institution has them, the pace so far elsewhere",
                 years=span)
    if projection.method == "linear":
        return _("the pace so far (no earlier year recorded in full)")
    if projection.method == "not_projected":
        return _("not projected: a share or a stock is a state, not a count that adds up over the year")
    return _("not projected yet: fewer than 30 days of this year and no earlier year recorded in full")


def chance_sentence(projection, low, high, decimals=0):
    """The chance of meeting a target, said plainly (or why there is no projection)."""
    if not projection:
        return projection_basis(projection)
    end = projection.period.end.strftime("%d/%m/%Y")
    value = fmt(projection.projected, decimals)
    basis = projection_basis(projection)
    chance = projection.chance(low, high)
    if chance == "likely":
        return _("Likely to be met: about %(value)s by %(end)s, going by %(basis)s.",
                 value=value, end=end, basis=basis)
    if chance == "over":
        return _("Likely to go above the maximum: about %(value)s by %(end)s, going by %(basis)s.",
                 value=value, end=end, basis=basis)
    if chance == "unlikely":
        if low is not None and projection.projected < low:
            return _("Unlikely to be met: about %(value)s by %(end)s, going by %(basis)s; "
                     "%(needed)s more are needed to reach %(min)s.", value=value, end=end, basis=basis,
                     needed=fmt(max(0, low - projection.to_date), decimals), min=fmt(low, decimals))
        return _("Unlikely to be met: about %(value)s by %(end)s, going by %(basis)s.",
                 value=value, end=end, basis=basis)
    meeting, total = projection.meeting(low, high)
    return _("Uncertain: about %(value)s by %(end)s; %(k)d of %(n)d earlier years would have met it "
             "from here.", value=value, end=end, k=meeting, n=total)


def progress_text(progress, decimals=0):
    """A part of the year's progress toward the annual target, in words (a sentence, HTML-escaped)."""
    from markupsafe import Markup, escape
    if not progress:
        return ""
    if "institutions" in progress:
        text = _("%(k)d of %(n)d have reached the annual minimum so far.", k=progress["value"],
                 n=progress["institutions"])
    elif progress.get("of_target") is not None:
        text = _("%(value)s so far: %(share)s%% of the annual target.", value=fmt(progress["value"], decimals),
                 share=fmt(progress["of_target"], 1))
    else:
        text = _("%(value)s so far.", value=fmt(progress["value"], decimals))
    earlier = [_("%(year)d had %(share)s%% of its year by this date", year=e["year"], share=fmt(e["of_year"], 1))
               for e in progress.get("earlier_years", []) if e.get("of_year") is not None]
    if earlier:
        text += " " + _("Earlier full years: %(list)s.", list="; ".join(earlier))
    return Markup('<br><small class="progress" data-progress="%s">%s</small>') % (
        progress.get("of_target") if progress.get("of_target") is not None else "", escape(text))


@dataclass
class IndicatorRow:
    indicator: object
    ids: list
    value: float
    last_value: float
    change: float | None
    projection: object
    monthly: list
    monthly_last: list
    chart: object
    chart_large: object
    groups: list = field(default_factory=list)        # (key, label, ids, value)
    institutions: list = field(default_factory=list)  # (inst, value)
    breakdowns: list = field(default_factory=list)    # (name, [(key, value)])

    @property
    def code(self):
        return self.indicator.code


@dataclass
class TargetRow:
    target: object
    plan: object
    indicator: object
    members: list
    row: dict | None
    last_row: dict | None = None
    projection: object = None
    chance: str = ""
    each: list = field(default_factory=list)          # (inst, value, status, projection)
    projected_meeting: int | None = None
    progress: dict | None = None

    @property
    def status(self):
        return self.row["status"] if self.row else None


@dataclass
class IndicatorPage:
    period: Period
    scope: object
    scope_label: str
    members: list
    as_of: dt.date | None
    last_period: Period
    rows: list
    targets: list
    plan: object
    network: list
    changes: list = field(default_factory=list)   # dates the network changed within the period

    @property
    def is_current(self):
        return self.as_of is not None


def _scope_target_members(target, scope, network, members):
    return scope_target_members(target, scope, network, members)


def build_page(period: Period, scope, *, user, plan=None, today=None, engine=None, details=True):
    """The indicators page of ``period`` for ``scope``.

    The network of the period viewed (issue 25): when a change took effect since the period began,
    the members are those of any day of the period (with the names of that time), values and groups
    add each segment under its own structure (``stats.structure``), targets and the monthly charts
    follow the members at the period's end, and ``changes`` lists the dates the network changed
    within the period (the page says so).
    """
    network = scopes.network()
    segs = structure.segments(period) if not scope.is_institution else None
    parts = [(seg, scope.members(net)) for seg, net in segs] if segs is not None else None
    if parts is not None:
        members = structure.union_of(parts)
        network = segs[-1][1]
    else:
        members = scope.members(network)
    if not members:
        raise NotFound(_l("No active institution matches this choice (%(scope)s).", scope=scope.key))
    scopes.check_scope(user, scope, members)
    today = today or local_today()
    as_of = today if period.start <= today < period.end else None
    engine = engine or Engine()
    so_far = Period(period.start, as_of) if as_of else period
    last_period = so_far.shifted_years(-1)
    last_segs = structure.segments(last_period) if not scope.is_institution else None
    last_parts = [(seg, scope.members(net)) for seg, net in last_segs] if last_segs is not None else None
    rows = []
    for indicator in registry.all_indicators():
        applicable = [i for i in members if indicator.applies_to(i)]
        if not applicable:
            continue
        ids = [i.id for i in applicable]
        if parts is not None:
            value = structure.value_over(engine, indicator, period,
                                         [(seg, [i.id for i in ms if indicator.applies_to(i)]) for seg, ms in parts])
        else:
            value = engine.group(indicator, period, ids)
        if last_parts is None:
            last_value = engine.group(indicator, last_period, ids)
        else:
            last_value = structure.value_over(engine, indicator, last_period,
                                              [(seg, [i.id for i in ms if indicator.applies_to(i)])
                                               for seg, ms in last_parts])
        change = ((value - last_value) / last_value * 100) if last_value and value is not None else None
        projection = engine.project(indicator, period, ids, as_of) if as_of else None
        row = IndicatorRow(indicator=indicator, ids=ids, value=value, last_value=last_value, change=change,
                           projection=projection, monthly=[], monthly_last=[], chart=None, chart_large=None)
        if details:
            row.monthly = engine.monthly(indicator, period, ids, until=as_of)
            row.monthly_last = engine.monthly(indicator, period.shifted_years(-1), ids)
            labels = [m for m, _v in row.monthly]
            this_values = [v for _m, v in row.monthly]
            last_values = [v for _m, v in row.monthly_last][:len(labels)]
            title = _("%(name)s by month: bars this period, dashed line a year earlier",
                      name=indicator.name(_locale()))
            row.chart = trend_svg(labels, this_values, last_values, title=title)
            row.chart_large = trend_svg(labels, this_values, last_values, width=560, height=150, title=title,
                                        axis=True, legend=(str(period.start.year), _("a year earlier")))
            by_group = {}
            for inst in applicable:
                by_group.setdefault(group_key(indicator, inst), []).append(inst)
            if len(applicable) > 1:
                row.groups = [(key, group_label(indicator, key), [i.id for i in by_group[key]],
                               engine.group(indicator, period, [i.id for i in by_group[key]]) if parts is None
                               else structure.value_over(
                                   engine, indicator, period,
                                   [(seg, [i.id for i in ms if indicator.applies_to(i)
                                           and group_key(indicator, i) == key]) for seg, ms in parts]))
                              for key in sorted(by_group)]
            if applicable:
                # one institution too (the museum): every figure of the document is on the page
                per_inst = engine.rounded_values(indicator, period, ids)
                if parts is not None:
                    for inst in applicable:
                        if not all(any(m.id == inst.id for m in ms) for _s, ms in parts):
                            per_inst[inst.id] = structure.value_over(
                                engine, indicator, period,
                                [(seg, [inst.id] if any(m.id == inst.id for m in ms) else []) for seg, ms in parts])
                row.institutions = [(inst, per_inst.get(inst.id, 0)) for inst in applicable]
            for name in sorted(indicator.breakdowns):
                values = engine.breakdown(indicator, name, period, ids)
                row.breakdowns.append((name, sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))))
        rows.append(row)
    target_rows = []
    for target in targets_for(period, plan):
        indicator = registry.get(target.indicator)
        if indicator is None:
            if scope.kind == "province":
                target_rows.append(TargetRow(target=target, plan=target.plan, indicator=None, members=[], row=None))
            continue
        t_members = _scope_target_members(target, scope, network, members)
        if not t_members:
            continue
        result = TargetRow(target=target, plan=target.plan, indicator=indicator, members=t_members,
                           row=target_row(engine, target, period, t_members),
                           last_row=target_row(engine, target, last_period, t_members))
        if part_of_year(period):
            result.progress = progress(engine, target, indicator, period, t_members)
        ids = [i.id for i in t_members]
        if target.scope == "sum":
            if as_of:
                result.projection = engine.project(indicator, period, ids, as_of)
                result.chance = chance_sentence(result.projection, target.min, target.max, indicator.decimals)
        else:
            values = engine.rounded_values(indicator, period, ids)
            projections = engine.project_each(indicator, period, ids, as_of) if as_of else {}
            result.each = [(inst, values.get(inst.id, 0), target.status(values.get(inst.id, 0)),
                            projections.get(inst.id)) for inst in t_members]
            if projections and any(projections.values()):
                result.projected_meeting = sum(
                    1 for p in projections.values() if p and target.status(p.projected) == "within")
        target_rows.append(result)
    return IndicatorPage(period=period, scope=scope, scope_label=str(scope.label(network)), members=members,
                         as_of=as_of, last_period=last_period, rows=rows, targets=target_rows, plan=plan,
                         network=network, changes=structure.changes_in(period))


def _locale():
    from flask_babel import get_locale
    return str(get_locale() or "vi")


def headline(user, *, today=None, limit=8):
    """The dashboard panel: the current year's targets (or main figures) for the user's scope, with status."""
    today = today or local_today()
    network = scopes.network()
    scope = scopes.default_scope(user, network)
    page = build_page(Period.year(today.year), scope, user=user, today=today, details=False)
    return page, [t for t in page.targets if t.row is not None][:limit], page.rows[:limit]


__all__ = ["STATUS_MARKS", "STATUS_SO_FAR", "STATUS_WORDS", "build_page", "chance_sentence", "each_status",
           "fmt", "headline", "range_text", "target_group_label"]


BREAKDOWN_TITLES = {"source": _l("By source of the copies"), "ethnicity": _l("By ethnic group"),
                    "sex": _l("By sex"), "students": _l("Students among them"), "kind": _l("By kind"),
                    "level": _l("By level"), "category": _l("By reader category"),
                    "members": _l("Members, by setting"), "setting": _l("Clubs, by setting"),
                    "participants": _l("Participants, by kind of activity"), "audience": _l("By audience"),
                    "minority": _l("Ethnic-minority trainees among them"), "heritage": _l("By kind of heritage"),
                    "collection": _l("By collection"), "schools": _l("Students, by school"),
                    "host": _l("By host institution"), "reason": _l("By reason"), "status": _l("By status"),
                    "recommendations": _l("Recommendations of these visits"), "medium": _l("By medium"),
                    "socialised": _l("Socialised share"), "reach": _l("Schools and students reached"),
                    "place": _l("By place of the session"), "sections": _l("Planned sections and their completion"),
                    "direction": _l("Made or received"), "area": _l("In or out of the province")}


def breakdown_title(name):
    return BREAKDOWN_TITLES.get(name, name.replace("_", " ").capitalize())


def _vocabularies():
    """Every labelled vocabulary a breakdown key may come from, in the order a shared value is read."""
    from ..catalog.models import AcquisitionSource, WithdrawalReason
    from ..events import models as events
    from ..internet.models import AgeBand, UserKind
    from ..patrons.models import PatronCategory, Sex
    from ..rotation.models import MissingCause
    from ..department import models as department
    return {"source": [AcquisitionSource], "sex": [Sex], "category": [PatronCategory], "level": [Level],
            "setting": [events.ClubSetting], "members": [events.ClubSetting], "audience": [events.Audience],
            "heritage": [events.Heritage], "status": [events.ExhibitionStatus],
            "reason": [WithdrawalReason, MissingCause],
            "participants": [events.ActivityKind],
            "kind": [events.ExhibitionKind, events.ActivityKind, events.FestivalKind, InstitutionKind,
                     department.InspectionKind, department.DisplayKind],
            "medium": [department.Medium], "direction": [department.ExchangeDirection],
            "place": [department.SessionPlace],
            "*": [events.ExhibitionKind, events.ActivityKind, events.FestivalKind, events.ClubSetting,
                  events.Audience, events.Heritage, events.ExhibitionStatus, WithdrawalReason, MissingCause,
                  AgeBand, UserKind, InstitutionKind, Level]}


def breakdown_label(name, key):
    """A breakdown key in words: enum values by their label (acquisition sources, club settings, audiences,
    kinds of activity, festival or exhibition...), ethnic groups (GSO codes), collections by name."""
    from ..common import ethnicity
    if key is None or key == "":
        return _("not recorded")
    text = str(key)
    plain = {"students": _("students"), "others": _("others"), "other": _("others"),
             "minority": _("ethnic minorities"), "kinh": _("Kinh"), "unknown": _("not recorded"),
             "given": _("recommendations given"), "closed_on_time": _("carried out by the deadline"),
             "closed_late": _("carried out late"), "open": _("not yet carried out"), "share": _("socialised share (%)"),
             "schools": _("schools"), "planned": _("sections planned"), "completed": _("sections completed"),
             "completed_share": _("share completed (%)"), "in_province": _("in the province"),
             "out_of_province": _("out of the province")}
    if name == "source" and text in ("state_budget", "socialisation", "other"):   # DEP.FUNDING's sources
        from ..department.models import FundingSource
        return FundingSource(text).label
    if name in ("students", "minority") and text in plain:
        return plain[text]
    if name == "ethnicity":
        return ethnicity.name_of(text) or text
    if name == "collection":
        from ..events.models import Collection
        from ..extensions import db
        found = db.session.get(Collection, int(text)) if text.isdigit() else None
        return found.name if found is not None else text
    vocabularies = _vocabularies()
    for enum_cls in vocabularies.get(name, []) + vocabularies["*"]:
        try:
            return enum_cls(text).label
        except ValueError:
            continue
    return plain.get(text, text)
