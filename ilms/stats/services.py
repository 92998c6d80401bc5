"""Plans from YAML, and the indicator document of shared/spec/exchange.md."""
import datetime as dt
import re

import sqlalchemy as sa
import yaml
from flask_babel import lazy_gettext as _l

from ..common.errors import DomainError
from ..common.time import Period
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


def parse_plan(text):
    """Check a plan YAML document and return it as plain data, or raise PlanFileError."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise PlanFileError(_l("The plan file is not valid YAML%(line)s.", line=line))
    if not isinstance(data, dict) or not isinstance(data.get("plan"), dict):
        raise PlanFileError(_l("The plan file needs a “plan:” section with code, title and years."))
    head = data["plan"]
    for key in ("code", "title"):
        if not head.get(key):
            raise PlanFileError(_l("plan: “%(key)s” is missing.", key=key))
    years = _years(head, "plan")
    reports = []
    for i, rep in enumerate(data.get("reports") or [], start=1):
        if rep.get("kind") not in ("half_year", "annual") or not re.match(r"^\d\d-\d\d$", str(rep.get("due", ""))):
            raise PlanFileError(_l("reports #%(n)d: kind must be half_year or annual, due like \"06-20\".", n=i))
        reports.append({"kind": rep["kind"], "due": str(rep["due"])})
    targets = []
    for i, entry in enumerate(data.get("targets") or [], start=1):
        where = f"targets #{i}"
        if not isinstance(entry, dict):
            raise PlanFileError(_l("%(where)s is not a mapping.", where=where))
        code = entry.get("indicator")
        if code not in registry.SPEC_CODES:
            raise PlanFileError(_l("%(where)s: unknown indicator %(code)s.", where=where, code=code))
        group, level = entry.get("group"), entry.get("level")
        if (group is None) == (level is None):
            raise PlanFileError(_l("%(where)s: give either “group” (institution kinds) or “level”.", where=where))
        kinds = [group] if isinstance(group, str) else list(group or [])
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
        targets.append({"indicator": code, "kinds": kinds, "level": level, "scope": scope,
                        "year_from": first, "year_to": last, "min": low, "max": high,
                        "cycle_years": entry.get("cycle_years"), "group_spec": group})
    issued = head.get("issued")
    if isinstance(issued, str):
        issued = dt.date.fromisoformat(issued)
    return {"code": str(head["code"]), "title": str(head["title"]), "issued": issued,
            "years": years, "reports": reports, "targets": targets}


def load_plan(text):
    """Create or replace the plan of a YAML document (idempotent: loading twice changes nothing)."""
    data = parse_plan(text)
    plan = db.session.scalar(sa.select(Plan).where(Plan.code == data["code"]))
    if plan is None:
        plan = Plan(code=data["code"])
        db.session.add(plan)
    plan.title = data["title"]
    plan.issued = data["issued"]
    plan.year_from, plan.year_to = data["years"]
    plan.reports = [PlanReport(kind=r["kind"], due=r["due"]) for r in data["reports"]]
    plan.targets = [
        Target(position=i, indicator=t["indicator"], kinds=",".join(t["kinds"]) or None, level=t["level"],
               scope=t["scope"], year_from=t["year_from"], year_to=t["year_to"], min=t["min"],
               max=t["max"], cycle_years=t["cycle_years"])
        for i, t in enumerate(data["targets"])]
    db.session.flush()
    return plan


def targets_for(period):
    """Targets of every plan that cover the period's years (all of them)."""
    query = (sa.select(Target).join(Plan)
             .where(Target.year_from <= period.start.year, Target.year_to >= period.end.year)
             .order_by(Plan.code, Target.position))
    return db.session.scalars(query).all()


# -- the indicator document ---------------------------------------------------

def _group_key(indicator, inst):
    return inst.level.value if indicator.group_by == "level" else inst.kind.value


def _group_value(indicator, period, members, values):
    if indicator.group is not None:
        return indicator.rounded(indicator.group(period, [i.id for i in members]))
    return indicator.rounded(sum(values.get(i.id, 0) for i in members))


def indicator_document(period: Period, institution=None):
    """The document of exchange.md for ``period``, the whole province or one institution.

    Rows of ``figures`` cover every active institution of a kind the
    indicator applies to (zeros included). ``groups`` add up the institutions
    of each kind (or level, for indicators grouped by level) among those
    shown. ``targets`` hold every plan target covering the period; with one
    institution chosen, only targets that concern that institution alone.
    """
    network = db.session.scalars(sa.select(Institution).where(Institution.active.is_(True))
                                 .order_by(Institution.code)).all()
    shown = [institution] if institution is not None else network
    figures, groups, computed = [], [], {}
    for indicator in registry.all_indicators():
        applicable = [i for i in shown if indicator.applies_to(i)]
        if not applicable:
            continue
        values = indicator.compute(period, [i.id for i in applicable])
        computed[indicator.code] = values
        for inst in applicable:
            figures.append({"indicator": indicator.code, "institution": inst.code,
                            "value": indicator.rounded(values.get(inst.id, 0))})
        by_group = {}
        for inst in applicable:
            by_group.setdefault(_group_key(indicator, inst), []).append(inst)
        key_name = "level" if indicator.group_by == "level" else "group"
        for key in sorted(by_group):
            groups.append({"indicator": indicator.code, key_name: key,
                           "value": _group_value(indicator, period, by_group[key], values)})
    targets = [row for target in targets_for(period)
               if (row := _target_row(target, period, network, institution, computed)) is not None]
    return {"period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
            "figures": figures, "groups": groups, "targets": targets}


def _target_members(target, network):
    if target.level:
        return [i for i in network if i.level.value == target.level]
    kinds = set(target.kind_list)
    return [i for i in network if i.kind.value in kinds]


def _target_row(target, period, network, institution, computed):
    indicator = registry.get(target.indicator)
    if indicator is None:
        return None
    members = [i for i in _target_members(target, network) if indicator.applies_to(i)]
    if institution is not None:
        if target.scope == "each" and institution in members:
            members = [institution]
        elif members != [institution]:
            return None
    if not members:
        return None
    row = {"indicator": target.indicator}
    if target.level:
        row["level"] = target.level
    else:
        kinds = target.kind_list
        row["group"] = kinds[0] if len(kinds) == 1 else kinds
    row.update({"scope": target.scope, "min": _plain(target.min), "max": _plain(target.max)})
    if target.scope == "sum":
        values = indicator.compute(period, [i.id for i in members])
        value = _group_value(indicator, period, members, values)
        row.update({"value": value, "status": target.status(value)})
    else:
        values = computed.get(indicator.code) or indicator.compute(period, [i.id for i in members])
        statuses = {i.code: target.status(indicator.rounded(values.get(i.id, 0))) for i in members}
        meeting = [code for code, status in statuses.items() if status == "within"]
        if all(s == "within" for s in statuses.values()):
            status = "within"
        elif any(s == "below" for s in statuses.values()):
            status = "below"
        else:
            status = "above"
        row.update({"value": len(meeting), "status": status, "institutions": len(members),
                    "not_meeting": sorted(code for code, s in statuses.items() if s != "within")})
    return row


def _plain(number):
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number
