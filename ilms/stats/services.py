"""Plans from YAML, and the indicator document of shared/spec/exchange.md."""
import datetime as dt
import re

import sqlalchemy as sa
import yaml
from flask_babel import lazy_gettext as _l

from ..common.db import valid_id
from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.time import Period, local_today, utcnow
from ..extensions import db
from ..org.models import Institution, InstitutionKind, Level
from . import registry
from .models import Plan, PlanReport, Target

KIND_VALUES = {k.value for k in InstitutionKind}
LEVEL_VALUES = {lv.value for lv in Level}


class PlanFileError(DomainError):
    pass


# -- plans -------------------------------------------------------------------

def _years(entry, where):
    years = entry.get("years")
    if (not isinstance(years, (list, tuple)) or len(years) != 2
            or not all(isinstance(y, int) for y in years) or years[0] > years[1]):
        raise PlanFileError(_l("%(where)s: “years” must be [first, last], e.g. [2016, 2020].", where=where))
    return years


def _number(entry, key, where):
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanFileError(_l("%(where)s: “%(key)s” must be a number.", where=where, key=key))
    return float(value)


#: Bounds of a plan file: a plan of the province is a few kilobytes with a few dozen targets.
MAX_PLAN_BYTES = 256 * 1024
MAX_TARGETS = 500


class _PlanLoader(yaml.SafeLoader):
    """YAML without anchors' aliases: ``*name`` repeats a node without copying it in the file, so a few
    hundred bytes of nested aliases unfold into millions of characters (a "billion laughs")."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise PlanFileError(_l("The plan file repeats a value with an alias (*%(name)s, line %(line)d); write "
                                   "the value out instead.", name=event.anchor, line=event.start_mark.line + 1))
        return super().compose_node(parent, index)


def parse_plan(text):
    """Check a plan YAML document and return it as plain data, or raise PlanFileError.

    Refused before parsing: a file over ``MAX_PLAN_BYTES``; while parsing:
    any alias (``_PlanLoader``); after: over ``MAX_TARGETS`` targets, and a
    code or title longer than their columns (``check_plan_data``).
    """
    if len(text.encode("utf-8") if isinstance(text, str) else text) > MAX_PLAN_BYTES:
        raise PlanFileError(_l("The plan file is larger than %(n)d KB; a plan is a few KB.",
                               n=MAX_PLAN_BYTES // 1024))
    try:
        data = yaml.load(text, Loader=_PlanLoader)  # noqa: S506 (a SafeLoader without aliases)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise PlanFileError(_l("The plan file is not valid YAML%(line)s.", line=line))
    return check_plan_data(data)


def check_plan_data(data):
    """Check a plan given as the YAML's structure (file or edit page) and return it normalised."""
    if not isinstance(data, dict) or not isinstance(data.get("plan"), dict):
        raise PlanFileError(_l("The plan file needs a “plan:” section with code, title and years."))
    head = data["plan"]
    for key, longest in (("code", 60), ("title", 500)):
        if not head.get(key):
            raise PlanFileError(_l("plan: “%(key)s” is missing.", key=key))
        if len(str(head[key]).strip()) > longest:
            raise PlanFileError(_l("plan: “%(key)s” is longer than %(n)d characters.", key=key, n=longest))
    for key in ("targets", "reports"):
        if not isinstance(data.get(key) or [], list):
            raise PlanFileError(_l("“%(key)s:” must be a list of entries, each starting with “- ”.", key=key))
    if len(data.get("targets") or []) > MAX_TARGETS:
        raise PlanFileError(_l("A plan has at most %(n)d targets.", n=MAX_TARGETS))
    years = _years(head, "plan")
    reports = []
    for i, rep in enumerate(data.get("reports") or [], start=1):
        if (not isinstance(rep, dict) or rep.get("kind") not in ("half_year", "annual")
                or not _valid_due(rep.get("due"))):
            raise PlanFileError(_l("reports #%(n)d: kind must be half_year or annual, due like \"06-20\".", n=i))
        reports.append({"kind": rep["kind"], "due": str(rep["due"])})
    kinds_seen = [r["kind"] for r in reports]
    if len(set(kinds_seen)) != len(kinds_seen):
        raise PlanFileError(_l("reports: each kind of report may be listed once."))
    targets = [check_target(entry, f"targets #{i}") for i, entry in enumerate(data.get("targets") or [], start=1)]
    issued = head.get("issued")
    if isinstance(issued, str):
        try:
            issued = dt.date.fromisoformat(issued)
        except ValueError:
            raise PlanFileError(_l("plan: “issued” must be a date like 2015-12-16."))
    elif issued is not None and not isinstance(issued, dt.date):
        raise PlanFileError(_l("plan: “issued” must be a date like 2015-12-16."))
    return {"code": str(head["code"]).strip(), "title": str(head["title"]).strip(), "issued": issued,
            "years": years, "reports": reports, "targets": targets}


def _valid_due(due):
    if not re.match(r"^\d\d-\d\d$", str(due or "")):
        return False
    try:
        dt.date(2000, int(str(due)[:2]), int(str(due)[3:]))  # 2000: a leap year, so 02-29 is allowed
    except ValueError:
        return False
    return True


def check_target(entry, where):
    """One target of a plan, checked (the same rules for files and the edit page)."""
    if not isinstance(entry, dict):
        raise PlanFileError(_l("%(where)s is not a mapping.", where=where))
    code = entry.get("indicator")
    if code not in registry.SPEC_CODES:
        raise PlanFileError(_l("%(where)s: unknown indicator %(code)s.", where=where, code=code))
    group, level = entry.get("group"), entry.get("level")
    if (group is None) == (level is None):
        raise PlanFileError(_l("%(where)s: give either “group” (institution kinds) or “level”.", where=where))
    kinds = [group] if isinstance(group, str) else list(group or [])
    if level is None and not kinds:
        raise PlanFileError(_l("%(where)s: give either “group” (institution kinds) or “level”.", where=where))
    if any(k not in KIND_VALUES for k in kinds):
        raise PlanFileError(_l("%(where)s: unknown institution kind in %(group)s.", where=where, group=group))
    if level is not None and level not in LEVEL_VALUES:
        raise PlanFileError(_l("%(where)s: unknown level %(level)s.", where=where, level=level))
    scope = entry.get("scope", "sum")
    if scope not in ("sum", "each"):
        raise PlanFileError(_l("%(where)s: scope must be sum or each.", where=where))
    low, high = _number(entry, "min", where), _number(entry, "max", where)
    if low is None and high is None:
        raise PlanFileError(_l("%(where)s: a target needs min, max or both.", where=where))
    if low is not None and high is not None and low > high:
        raise PlanFileError(_l("%(where)s: min is larger than max.", where=where))
    first, last = _years(entry, where)
    cycle = entry.get("cycle_years")
    if cycle is not None and (isinstance(cycle, bool) or not isinstance(cycle, int) or cycle < 1):
        raise PlanFileError(_l("%(where)s: “cycle_years” must be a whole number of years, 1 or more.",
                               where=where))
    return {"indicator": code, "kinds": kinds, "level": level, "scope": scope,
            "year_from": first, "year_to": last, "min": low, "max": high,
            "cycle_years": cycle, "group_spec": group}


def load_plan(text, *, actor=None):
    """Create or replace the plan of a YAML document (idempotent: loading twice changes nothing)."""
    if actor is not None:
        require(actor, "plans.edit")
    return apply_plan_data(parse_plan(text), actor=actor)


def apply_plan_data(data, *, actor=None, plan=None):
    """Store checked plan data (``check_plan_data``) as a new plan, or into ``plan``."""
    if plan is None:
        plan = db.session.scalar(sa.select(Plan).where(Plan.code == data["code"]))
    elif plan.id is not None:
        clash = db.session.scalar(sa.select(Plan.id).where(Plan.code == data["code"], Plan.id != plan.id))
        if clash:
            raise PlanFileError(_l("Another plan already has the code %(code)s.", code=data["code"]))
    if plan is None:
        plan = Plan(code=data["code"])
        db.session.add(plan)
    plan.code = data["code"]
    plan.title = data["title"]
    plan.issued = data["issued"]
    plan.year_from, plan.year_to = data["years"]
    plan.reports = [PlanReport(kind=r["kind"], due=r["due"]) for r in data["reports"]]
    plan.targets = [
        Target(position=i, indicator=t["indicator"], kinds=",".join(t["kinds"]) or None, level=t["level"],
               scope=t["scope"], year_from=t["year_from"], year_to=t["year_to"], min=t["min"],
               max=t["max"], cycle_years=t["cycle_years"])
        for i, t in enumerate(data["targets"])]
    if actor is not None:
        plan.updated_at = utcnow()
        plan.updated_by = getattr(actor, "display_name", None) or getattr(actor, "username", "")
    db.session.flush()
    return plan


def save_plan(data, *, actor, plan=None):
    """The edit page: store checked plan data into ``plan``, or as a new plan whose code must be free."""
    require(actor, "plans.edit")
    if plan is None and db.session.scalar(sa.select(Plan.id).where(Plan.code == data["code"])):
        raise PlanFileError(_l("Another plan already has the code %(code)s.", code=data["code"]), field="code")
    if plan is None:
        plan = Plan(code=data["code"])
        db.session.add(plan)
    return apply_plan_data(data, actor=actor, plan=plan)


def copy_plan(plan, *, actor, code, title, year_from, year_to):
    """A new plan for another period with ``plan``'s targets and report dates, to edit afterwards.

    Targets move by the number of years between the two first years (a target of 2016-2019 in a
    plan of 2016-2020 becomes 2026-2029 in a copy for 2026-2030), cut to the new period; a target
    falling wholly outside it is left out. The new plan is saved through the same checks as the edit
    page.
    """
    if year_from > year_to:
        raise PlanFileError(_l("The first year comes after the last year."), field="year_from")
    shift = year_from - plan.year_from
    data = plan_data(plan)
    targets = []
    for entry in data["targets"]:
        first, last = entry["years"][0] + shift, entry["years"][1] + shift
        first, last = max(first, year_from), min(last, year_to)
        if first > last:
            continue
        targets.append(dict(entry, years=[first, last]))
    checked = check_plan_data({"plan": {"code": code, "title": title, "years": [year_from, year_to]},
                               "reports": data["reports"], "targets": targets})
    return save_plan(checked, actor=actor)


def plan_data(plan):
    """A stored plan in the YAML's structure (what ``check_plan_data`` accepts)."""
    targets = []
    for t in plan.targets:
        entry = {"indicator": t.indicator}
        if t.level:
            entry["level"] = t.level
        else:
            kinds = t.kind_list
            entry["group"] = kinds[0] if len(kinds) == 1 else kinds
        entry["scope"] = t.scope
        entry["years"] = [t.year_from, t.year_to]
        if t.min is not None:
            entry["min"] = _plain(t.min)
        if t.max is not None:
            entry["max"] = _plain(t.max)
        if t.cycle_years:
            entry["cycle_years"] = t.cycle_years
        targets.append(entry)
    head = {"code": plan.code, "title": plan.title}
    if plan.issued:
        head["issued"] = plan.issued
    head["years"] = [plan.year_from, plan.year_to]
    return {"plan": head, "reports": [{"kind": r.kind, "due": r.due} for r in plan.reports],
            "targets": targets}


def plan_yaml(plan):
    """The plan as a YAML file in the shared/plan format (loading it back gives the same plan)."""
    data = plan_data(plan)
    lines = ["# " + plan.title, "plan:"]
    head = data["plan"]
    lines.append(f"  code: {_yaml_scalar(head['code'])}")
    lines.append(f"  title: {_yaml_scalar(head['title'])}")
    if head.get("issued"):
        lines.append(f"  issued: {head['issued'].isoformat()}")
    lines.append(f"  years: [{head['years'][0]}, {head['years'][1]}]")
    lines.append("reports:" if data["reports"] else "reports: []")
    for rep in data["reports"]:
        lines.append(f"  - {{kind: {rep['kind']}, due: \"{rep['due']}\"}}")
    lines.append("targets:" if data["targets"] else "targets: []")
    for entry in data["targets"]:
        parts = []
        for key, value in entry.items():
            if isinstance(value, list):
                value = "[" + ", ".join(str(v) for v in value) + "]"
            parts.append(f"{key}: {value}")
        lines.append("  - {" + ", ".join(parts) + "}")
    return "\n".join(lines) + "\n"


def _yaml_scalar(text):
    return yaml.safe_dump(str(text), allow_unicode=True, default_style='"').strip().removesuffix("...").strip()


def delete_plan(plan, *, actor):
    require(actor, "plans.edit")
    from .models import ReportSnapshot
    if db.session.scalar(sa.select(ReportSnapshot.id).where(ReportSnapshot.plan_id == plan.id).limit(1)):
        raise Conflict(_l("Reports of plan %(code)s have been signed off; the plan is kept with them.",
                          code=plan.code))
    db.session.delete(plan)
    db.session.flush()


def get_plan(plan_id):
    plan = db.session.get(Plan, plan_id) if valid_id(plan_id) else None
    if plan is None:
        raise NotFound(_l("This plan does not exist."))
    return plan


def all_plans():
    return db.session.scalars(sa.select(Plan).order_by(Plan.year_from.desc(), Plan.code)).all()


def targets_for(period, plan=None):
    """Targets of every plan (or of ``plan``) that cover the period's years."""
    query = (sa.select(Target).join(Plan)
             .where(Target.year_from <= period.start.year, Target.year_to >= period.end.year)
             .order_by(Plan.code, Target.position))
    if plan is not None:
        query = query.where(Target.plan_id == plan.id)
    return db.session.scalars(query).all()


# -- the indicator document ---------------------------------------------------

def group_key(indicator, inst):
    return inst.level.value if indicator.group_by == "level" else inst.kind.value


def indicator_document(period: Period, institution=None, *, engine=None, scope=None, today=None):
    """The document of exchange.md for ``period``: the whole province, one institution or a scope.

    Rows of ``figures`` cover every active institution of a kind the
    indicator applies to (zeros included). ``groups`` add up the institutions
    of each kind (or level, for indicators grouped by level) among those
    shown. ``targets`` hold every plan target covering the period; with one
    institution chosen, only targets that concern that institution alone;
    with an area (``district:``/``commune:``) or another group, the targets
    whose institutions all lie in it (``each`` targets: those of it).
    Figures come fresh from the indicators unless an ``engine`` is given.

    Added to the contract's keys, never changing them: while the period is
    open (``today`` inside it), each figure, group and ``sum`` target carries
    ``"projection": {"value", "method", "years"}`` (``value`` null when not
    projected); for a part of a year (a half year...) each target row carries
    ``"progress"`` toward the annual target and a status of ``in_progress``
    instead of a judgement (indicators.md, "Half-year").
    """
    from .engine import Engine
    from . import scope as scopes
    from . import structure
    engine = engine or Engine(cached=False)
    today = today or local_today()
    segments = structure.segments(period)
    if segments is not None:
        return _document_over_segments(period, segments, institution, engine=engine, scope=scope, today=today)
    network = scopes.network()
    if scope is not None and not scope.is_institution and scope.kind != "province":
        shown = scope.members(network)
    elif scope is not None and scope.is_institution:
        shown = scope.members(network)
        institution = shown[0] if shown else institution
    else:
        shown = [institution] if institution is not None else network
    as_of = today if period.start <= today < period.end else None
    figures, groups = [], []
    for indicator in registry.all_indicators():
        applicable = [i for i in shown if indicator.applies_to(i)]
        if not applicable:
            continue
        values = engine.values(indicator, period, [i.id for i in applicable])
        each = engine.project_each(indicator, period, [i.id for i in applicable], as_of) if as_of else {}
        for inst in applicable:
            row = {"indicator": indicator.code, "institution": inst.code,
                   "value": indicator.rounded(values.get(inst.id, 0))}
            if as_of:
                row["projection"] = each[inst.id].as_json()
            figures.append(row)
        by_group = {}
        for inst in applicable:
            by_group.setdefault(group_key(indicator, inst), []).append(inst)
        key_name = "level" if indicator.group_by == "level" else "group"
        for key in sorted(by_group):
            ids = [i.id for i in by_group[key]]
            row = {"indicator": indicator.code, key_name: key, "value": engine.group(indicator, period, ids)}
            if as_of:
                row["projection"] = engine.project(indicator, period, ids, as_of).as_json()
            groups.append(row)
    targets = []
    for target in targets_for(period):
        if scope is not None and not scope.is_institution and scope.kind != "province":
            members = scope_target_members(target, scope, network, shown)
        else:
            members = target_members(target, network, institution)
        if members:
            targets.append(target_row(engine, target, period, members, as_of=as_of))
    return {"period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
            "figures": figures, "groups": groups, "targets": targets}


def _shown_in(network, institution, scope):
    """The institutions a document shows out of ``network`` (as of one day)."""
    if scope is not None and scope.kind != "province":
        return scope.members(network)
    if institution is not None:
        return [i for i in network if i.id == institution.id]
    return list(network)


def _document_over_segments(period, segments, institution, *, engine, scope, today):
    """``indicator_document`` for a period that a change of the network splits (``stats.structure``).

    Same keys and order as the unsplit document. Each segment reads its own network: rows cover the
    institutions shown in any segment; groups and ``sum`` targets add the segments' values under
    each segment's members; ``each`` targets, projections and progress follow the network at the
    period's end.
    """
    from . import structure
    if scope is not None and scope.is_institution:
        wanted = scope.value
        institution = next((i for _p, net in segments for i in net if i.code == wanted), institution)
        scope = None
    shown_by = [(seg, _shown_in(net, institution, scope)) for seg, net in segments]
    end_network = segments[-1][1]
    end_shown = shown_by[-1][1]
    as_of = today if period.start <= today < period.end else None
    order, seen = [], set()
    for _seg, shown in shown_by:
        for inst in shown:
            if inst.id not in seen:
                seen.add(inst.id)
                order.append(inst)
    order.sort(key=lambda i: i.code)
    latest = {}
    for _seg, shown in shown_by:
        for inst in shown:
            latest[inst.id] = inst
    figures, groups = [], []
    for indicator in registry.all_indicators():
        parts_of = {}
        for inst in order:
            parts_of[inst.id] = [(seg, [inst.id] if any(i.id == inst.id and indicator.applies_to(i) for i in shown)
                                  else []) for seg, shown in shown_by]
        applicable = [inst for inst in order if any(ids for _s, ids in parts_of[inst.id])]
        if not applicable:
            continue
        whole = [i.id for i in applicable if all(ids for _s, ids in parts_of[i.id])]
        values = engine.values(indicator, period, whole) if whole else {}
        end_ids = [i.id for i in applicable if parts_of[i.id][-1][1]]
        each = engine.project_each(indicator, period, end_ids, as_of) if as_of and end_ids else {}
        for inst in applicable:
            if inst.id in values:
                value = indicator.rounded(values[inst.id])
            else:
                value = structure.value_over(engine, indicator, period, parts_of[inst.id])
            row = {"indicator": indicator.code, "institution": inst.code, "value": value}
            if as_of:
                row["projection"] = (each[inst.id].as_json() if inst.id in each
                                     else {"value": None, "method": "not_projected", "years": []})
            figures.append(row)
        keys = sorted({group_key(indicator, i) for _seg, shown in shown_by for i in shown
                       if indicator.applies_to(i)})
        key_name = "level" if indicator.group_by == "level" else "group"
        for key in keys:
            parts = [(seg, [i.id for i in shown if indicator.applies_to(i) and group_key(indicator, i) == key])
                     for seg, shown in shown_by]
            row = {"indicator": indicator.code, key_name: key,
                   "value": structure.value_over(engine, indicator, period, parts)}
            if as_of:
                ids = parts[-1][1]
                row["projection"] = (engine.project(indicator, period, ids, as_of).as_json() if ids
                                     else {"value": None, "method": "not_projected", "years": []})
            groups.append(row)
    targets = []
    for target in targets_for(period):
        def members_in(network, shown):
            if scope is not None and not scope.is_institution and scope.kind != "province":
                return scope_target_members(target, scope, network, shown)
            inst = next((i for i in network if institution is not None and i.id == institution.id), None)
            return target_members(target, network, inst if institution is not None else None) \
                if institution is None or inst is not None else []
        per_segment = [(seg, members_in(net, shown)) for (seg, net), (_s, shown) in zip(segments, shown_by)]
        members = per_segment[-1][1]
        if not any(m for _s, m in per_segment):
            continue
        row = target_row(engine, target, period, members or next(m for _s, m in reversed(per_segment) if m),
                         as_of=as_of)
        if target.scope == "sum" and not part_of_year(period):
            indicator = registry.get(target.indicator)
            value = structure.value_over(engine, indicator, period,
                                         [(seg, [m.id for m in ms]) for seg, ms in per_segment])
            row["value"], row["status"] = value, target.status(value)
        targets.append(row)
    return {"period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
            "figures": figures, "groups": groups, "targets": targets}


def scope_target_members(target, scope, network, members):
    """The institutions a target is judged over within a scope (a group, an area, one institution)."""
    group = target_group_members(target, network)
    if scope.kind == "province":
        return group
    member_ids = {m.id for m in members}
    if scope.is_institution:
        inst = members[0]
        if target.scope == "each":
            return [inst] if inst in group else []
        return group if group == [inst] else []
    if target.scope == "each":
        return [m for m in group if m.id in member_ids]
    if scope.kind in ("district", "commune"):
        # an area's own share of a group target: the group's institutions that lie in the area
        return [m for m in group if m.id in member_ids]
    return group if group and all(m.id in member_ids for m in group) else []


def part_of_year(period: Period) -> bool:
    """A period inside one calendar year that is not the whole year (a half year, a quarter...)."""
    return period.start.year == period.end.year and period != Period.year(period.start.year)


def target_group_members(target, network):
    """Active institutions the target names (its kinds or level) that its indicator applies to."""
    indicator = registry.get(target.indicator)
    if indicator is None:
        return []
    if target.level:
        named = [i for i in network if i.level.value == target.level]
    else:
        kinds = set(target.kind_list)
        named = [i for i in network if i.kind.value in kinds]
    return [i for i in named if indicator.applies_to(i)]


def target_members(target, network, institution=None):
    """The institutions a target is evaluated over; with one institution, only targets about it alone."""
    members = target_group_members(target, network)
    if institution is not None:
        if target.scope == "each" and institution in members:
            return [institution]
        if members != [institution]:
            return []
    return members


def target_row(engine, target, period, members, *, as_of=None):
    """A target's row of the document: range, value and status (and who meets an ``each`` target).

    ``as_of`` (an open period): a ``sum`` row adds the ``projection`` to the period's end. A part of
    a year adds ``progress`` toward the annual target and says ``in_progress`` instead of judging.
    """
    indicator = registry.get(target.indicator)
    row = {"indicator": target.indicator}
    if target.level:
        row["level"] = target.level
    else:
        kinds = target.kind_list
        row["group"] = kinds[0] if len(kinds) == 1 else kinds
    row.update({"scope": target.scope, "min": _plain(target.min), "max": _plain(target.max)})
    if target.scope == "sum":
        value = engine.group(indicator, period, [i.id for i in members])
        row.update({"value": value, "status": target.status(value)})
        if as_of is not None and period.start <= as_of < period.end:
            row["projection"] = engine.project(indicator, period, [i.id for i in members], as_of).as_json()
    else:
        values = engine.values(indicator, period, [i.id for i in members])
        statuses = {i.code: target.status(indicator.rounded(values.get(i.id, 0))) for i in members}
        row.update({"value": sum(1 for s in statuses.values() if s == "within"),
                    "status": each_status(statuses.values()), "institutions": len(members),
                    "not_meeting": sorted(code for code, s in statuses.items() if s != "within")})
    if part_of_year(period):
        row["status"] = "in_progress"
        row["progress"] = progress(engine, target, indicator, period, members)
    return row


def progress(engine, target, indicator, period, members):
    """How far a part of the year has come toward the annual target (indicators.md, "Half-year").

    ``{"value", "of_target"}``: the value so far and its share (%) of the target's minimum (its
    maximum when it has none); ``"earlier_years": [{"year", "value", "year_end", "of_year"}]``: where
    each earlier year recorded in full by every institution stood on the same date, and the share
    (%) of that year's final value it had reached by then. ``each`` targets count the institutions
    whose own value has reached the minimum.
    """
    ids = [i.id for i in members]
    goal = target.min if target.min is not None else target.max
    if target.scope == "each":
        values = engine.rounded_values(indicator, period, ids)
        reached = sum(1 for i in ids if target.min is None or (values.get(i) or 0) >= target.min)
        return {"value": reached, "institutions": len(ids),
                "of_target": round(100.0 * reached / len(ids), 1) if ids else None, "earlier_years": []}
    value = engine.group(indicator, period, ids)
    out = {"value": value, "of_target": round(100.0 * value / goal, 1) if goal and value is not None else None,
           "earlier_years": []}
    live = engine.go_live(ids)
    years = engine._common_full_years([d for d in live.values() if d is not None], period)
    for year in years:
        shift = year - period.start.year
        then = engine.group(indicator, period.shifted_years(shift), ids)
        whole = engine.group(indicator, Period.year(year), ids)
        out["earlier_years"].append({"year": year, "value": then, "year_end": whole,
                                     "of_year": round(100.0 * then / whole, 1) if whole and then is not None
                                     else None})
    return out


def each_status(statuses):
    """An ``each`` target is within when every institution is; below when any is below."""
    statuses = list(statuses)
    if all(s == "within" for s in statuses):
        return "within"
    if any(s == "below" for s in statuses):
        return "below"
    return "above"


def _plain(number):
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number
