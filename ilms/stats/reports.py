"""The plan's 6-month and annual reports: built from the figures, frozen when signed off, revised after.

A report is a plain JSON-able document (``build_report``), so the page, the
XLSX and the PDF render the same numbers, and a frozen report is that
document stored as it was signed off (``ReportSnapshot``). Later corrections
of the data show as ``revisions``: the figures computed again for the same
period and the same "as of" day, compared with the frozen ones.
"""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..common.errors import DomainError, NotFound
from ..common.permissions import require
from ..common.time import Period, local_today
from ..extensions import db
from . import letters, registry
from . import scope as scopes
from . import structure
from .drill import activity_rows
from .engine import Engine
from .models import Plan, ReportSnapshot
from .services import group_key, progress, scope_target_members, target_row, targets_for

KIND_LABELS = {"half_year": _l("6-month report"), "annual": _l("Annual report")}


class ReportError(DomainError):
    pass


def report_period(kind, year):
    return Period.half_year(year) if kind == "half_year" else Period.year(year)


#: The province's schedule (plan 1133, kept by programme 1520) for a year no plan covers.
DEFAULT_DUE = {"half_year": "06-20", "annual": "11-30"}


def plan_report(plan, kind):
    rep = next((r for r in plan.reports if r.kind == kind), None)
    if rep is None:
        raise NotFound(_l("Plan %(code)s asks for no report of this kind.", code=plan.code))
    return rep


def plans_in_force(year):
    """Every plan whose years cover ``year`` (oldest first), e.g. 1133/KH-UBND and 208/QĐ-TTg for 2018."""
    return db.session.scalars(sa.select(Plan).where(Plan.year_from <= year, Plan.year_to >= year)
                              .order_by(Plan.year_from, Plan.code)).all()


def due_date(plan, kind, year):
    """The day the report is due: the plan's date for its kind, else the first plan in force asking
    for it, else the province's schedule (``DEFAULT_DUE``)."""
    due = None
    for candidate in ([plan] if plan is not None else []) + list(plans_in_force(year)):
        rep = next((r for r in candidate.reports if r.kind == kind), None)
        if rep is not None:
            due = rep.due
            break
    due = due or DEFAULT_DUE[kind]
    month, day = int(due[:2]), int(due[3:])
    try:
        return dt.date(year, month, day)
    except ValueError:   # 29 February in a common year
        return dt.date(year, month, 28)


def report_scope(text):
    scope = scopes.parse_scope(text)
    if scope.kind not in ("province", "inst", "district", "commune"):
        raise ReportError(_l("A report is made for one institution, an area (a former district or a commune) "
                             "or consolidated for the province."))
    return scope


def build_report(plan, kind, year, scope, *, user, today=None, as_of=None, engine=None):
    """The report's document: period, due date, figures to date with estimates, targets, activities.

    A report exists for every year. Its targets are those of every plan in force that year
    (``plans``; ``plan`` is the plan the report is filed under, ``None`` when no plan covers the
    year: the figures alone, ``no_plan`` says so). A 6-month report (a part of the year) shows each
    target's ``progress`` toward the annual target and judges nothing (``in_progress``). While the
    period is open, rows carry a ``projection`` ({value, method, years}) beside the older
    ``total``/``estimate`` keys, which stay for the renderers. A year not begun yet gives the
    document with nothing counted (``not_started``), never an error.
    """
    if kind not in KIND_LABELS:
        raise NotFound(_l("There is no report of this kind."))
    if not 1990 <= year <= 2100:
        raise ReportError(_l("Choose a year between 1990 and 2100."))
    if plan is not None and not any(r.kind == kind for r in plan.reports):
        plan_report(plan, kind)
    period = report_period(kind, year)
    today = today or local_today()
    not_started = False
    if as_of is None:
        if today < period.start:
            not_started = True
            as_of = period.start
        else:
            as_of = min(today, period.end)
    in_force = plans_in_force(year)
    filed_under = plan if plan is not None else (in_force[0] if in_force else None)
    network = scopes.network()
    members = scope.members(network)
    # the structure in force on each day (issue 25): ``None`` when no change took effect since the
    # period began; else the scope's members in each segment of the period so far (stats.structure)
    segments = (structure.segments(Period(period.start, as_of)) if not scope.is_institution else None)
    seg_members = ([(seg, scope.members(net)) for seg, net in segments] if segments is not None else None)
    if seg_members is not None:
        union = {}
        for _seg, ms in seg_members:
            for inst in ms:
                union[inst.id] = inst
        members = sorted(union.values(), key=lambda i: i.code)
    if not members:
        raise NotFound(_l("No active institution matches this choice (%(scope)s).", scope=scope.key))
    scopes.check_scope(user, scope, members)
    engine = engine or Engine()
    estimating = as_of < period.end and not not_started
    so_far = Period(period.start, as_of)
    institution = members[0] if scope.is_institution else None
    doc = {
        "format": 1,
        "plan": ({"id": filed_under.id, "code": filed_under.code, "title": filed_under.title}
                 if filed_under is not None else None),
        "plans": [{"id": p.id, "code": p.code, "title": p.title, "years": [p.year_from, p.year_to]}
                  for p in in_force],
        "no_plan": not in_force, "not_started": not_started,
        "kind": kind, "year": year, "scope": scope.key, "scope_label": str(scope.label(network)),
        "institution": institution.code if institution else None,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "as_of": as_of.isoformat(), "due": due_date(plan, kind, year).isoformat(),
        "prepared_by": getattr(user, "display_name", ""),
        "prepared_for": institution.name if institution else (
            str(_l("Whole province")) if scope.kind == "province" else str(scope.label(network))),
        "prepared_on": today.isoformat(), "estimate": estimating,
        "indicators": [], "groups": [], "figures": [], "targets": [], "activities": [],
    }

    def projected(indicator, ids):
        projection = engine.project(indicator, period, ids, as_of) if estimating and ids else None
        total = projection.projected if projection else None
        return projection, total

    def over_segments(indicator, pick):
        return structure.value_over(engine, indicator, so_far,
                                    [(seg, [i.id for i in ms if indicator.applies_to(i) and pick(i)])
                                     for seg, ms in seg_members])

    for indicator in registry.all_indicators():
        applicable = [i for i in members if indicator.applies_to(i)]
        if not applicable:
            continue
        ids = [i.id for i in applicable]
        if seg_members is not None:
            value = over_segments(indicator, lambda i: True)
        else:
            value = engine.group(indicator, so_far, ids)
        projection, total = projected(indicator, ids)
        total = total if total is not None else value
        last = engine.group(indicator, so_far.shifted_years(-1), ids)
        row = {"indicator": indicator.code, "value": value, "total": total,
               "estimate": _estimate(total, value, estimating), "last_year": last}
        if projection is not None:
            row["projection"] = projection.as_json()
        doc["indicators"].append(row)
        if institution is None:
            by_group = {}
            if seg_members is None:
                for inst in applicable:
                    by_group.setdefault(group_key(indicator, inst), []).append(inst.id)
            else:
                # every group of any segment; a projection follows the members at the end
                for n, (_seg, ms) in enumerate(seg_members):
                    for inst in ms:
                        if indicator.applies_to(inst):
                            ids_of = by_group.setdefault(group_key(indicator, inst), [])
                            if n == len(seg_members) - 1:
                                ids_of.append(inst.id)
            key_name = "level" if indicator.group_by == "level" else "group"
            for key in sorted(by_group):
                if seg_members is not None:
                    g_value = over_segments(indicator, lambda i, key=key: group_key(indicator, i) == key)
                else:
                    g_value = engine.group(indicator, so_far, by_group[key])
                g_projection, g_total = projected(indicator, by_group[key])
                g_total = g_total if g_total is not None else g_value
                g_row = {"indicator": indicator.code, key_name: key, "value": g_value, "total": g_total,
                         "estimate": _estimate(g_total, g_value, estimating)}
                if g_projection is not None:
                    g_row["projection"] = g_projection.as_json()
                doc["groups"].append(g_row)
            values = engine.rounded_values(indicator, so_far, ids)
            each = engine.project_each(indicator, period, ids, as_of) if estimating else {}
            for inst in applicable:
                i_value = values.get(inst.id, 0)
                if seg_members is not None and not all(any(m.id == inst.id for m in ms) for _s, ms in seg_members):
                    i_value = over_segments(indicator, lambda i, inst=inst: i.id == inst.id)
                i_projection = each.get(inst.id)
                i_total = i_projection.projected if i_projection else i_value
                i_row = {"indicator": indicator.code, "institution": inst.code, "value": i_value,
                         "total": i_total, "estimate": _estimate(i_total, i_value, estimating)}
                if i_projection is not None:
                    i_row["projection"] = i_projection.as_json()
                doc["figures"].append(i_row)
    half = kind == "half_year"
    for target in targets_for(Period.year(year)):
        indicator = registry.get(target.indicator)
        if indicator is None:
            continue
        t_members = scope_target_members(target, scope, network, members)
        if not t_members:
            continue
        row = target_row(engine, target, so_far, t_members)
        row["plan"] = target.plan.code
        if half:
            # indicators.md, "Half-year": progress toward the annual target, no judgement
            row["status"] = row["total_status"] = "in_progress"
            row["progress"] = progress(engine, target, indicator, so_far, t_members)
            row["total"] = row["value"]
        elif estimating and target.scope == "sum":
            projection = engine.project(indicator, period, [i.id for i in t_members], as_of)
            row["projection"] = projection.as_json()
            row["total"] = projection.projected if projection else row["value"]
            row["total_status"] = target.status(row["total"])
        elif estimating:
            projections = engine.project_each(indicator, period, [i.id for i in t_members], as_of)
            ends = [p.projected if p else p.to_date for p in projections.values()]
            row["total"] = sum(1 for v in ends if target.status(v) == "within")
            row["total_status"] = "within" if row["total"] == len(t_members) else (
                "below" if any(target.status(v) == "below" for v in ends) else "above")
        else:
            row["total"], row["total_status"] = row["value"], row["status"]
        doc["targets"].append(row)
    kinds = {m.kind.value for m in members}
    for activity in registry.activity_lists():
        if not kinds & set(activity.kinds):
            continue
        ids = [m.id for m in members if m.kind.value in activity.kinds]
        columns, rows = activity_rows(activity, so_far, ids)
        doc["activities"].append({"key": activity.key, "title_vi": activity.title_vi,
                                  "title_en": activity.title_en, "columns": columns, "rows": rows})
    return doc


def _estimate(total, value, estimating):
    if not estimating or total is None or value is None:
        return None
    return total - value


# -- freezing ------------------------------------------------------------------

def _freeze_institution(scope):
    if scope.is_institution:
        from ..org.services import get_by_code
        return get_by_code(scope.value)
    return None


def _plan_is(plan):
    return ReportSnapshot.plan_id.is_(None) if plan is None else ReportSnapshot.plan_id == plan.id


def snapshots_of(plan, kind, year, scope):
    return db.session.scalars(sa.select(ReportSnapshot).where(
        _plan_is(plan), ReportSnapshot.kind == kind, ReportSnapshot.year == year,
        ReportSnapshot.scope == scope.key).order_by(ReportSnapshot.version.desc())).all()


def freeze_report(plan, kind, year, scope, *, actor, note="", today=None):
    """Sign off the report as it stands today: a new snapshot version with who and when."""
    require(actor, "reports.freeze", _freeze_institution(scope))
    earlier = snapshots_of(plan, kind, year, scope)
    note = (note or "").strip()
    if earlier and not note:
        raise ReportError(_l("This report was signed off already (version %(n)d); say why it is sent again.",
                             n=earlier[0].version), field="note")
    doc = build_report(plan, kind, year, scope, user=actor, today=today)
    doc["letter"] = letters.letter_for(kind, year, scope)     # the words are kept as sent
    snapshot = ReportSnapshot(plan_id=plan.id if plan is not None else None, kind=kind, year=year, scope=scope.key,
                              version=(earlier[0].version + 1) if earlier else 1,
                              period_start=dt.date.fromisoformat(doc["period"]["start"]),
                              period_end=dt.date.fromisoformat(doc["period"]["end"]),
                              as_of=dt.date.fromisoformat(doc["as_of"]),
                              due=dt.date.fromisoformat(doc["due"]), frozen_by_id=actor.id, note=note[:500],
                              document=json.dumps(doc, ensure_ascii=False, sort_keys=True))
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def get_snapshot(snapshot_id, *, user):
    snapshot = db.session.get(ReportSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound(_l("This signed-off report does not exist."))
    scope = scopes.parse_scope(snapshot.scope)
    members = scope.members(scopes.network())
    scopes.check_scope(user, scope, members)
    return snapshot


def snapshot_document(snapshot):
    return json.loads(snapshot.document)


def revisions(snapshot, *, user, engine=None):
    """Figures that differ now from the frozen ones (same period, same "as of" day).

    ``[{"what": ..., "indicator", "institution"/"group"/"level", "frozen", "current", "difference"}]``
    """
    frozen = snapshot_document(snapshot)
    plan = db.session.get(Plan, snapshot.plan_id) if snapshot.plan_id is not None else None
    current = build_report(plan, snapshot.kind, snapshot.year, scopes.parse_scope(snapshot.scope), user=user,
                           as_of=snapshot.as_of, today=snapshot.as_of, engine=engine)
    out = []

    def compare(section, key_fields):
        now = {tuple(_key(row, key_fields)): row for row in current[section]}
        then = {tuple(_key(row, key_fields)): row for row in frozen[section]}
        for key in sorted(set(now) | set(then), key=lambda k: [str(x) for x in k]):
            before = then.get(key, {}).get("value")
            after = now.get(key, {}).get("value")
            if before != after:
                entry = {"section": section, "indicator": key[0], "frozen": before, "current": after,
                         "difference": (after or 0) - (before or 0)}
                entry.update({f: v for f, v in zip(key_fields[1:], key[1:])})
                out.append(entry)

    compare("indicators", ("indicator",))
    compare("groups", ("indicator", "group", "level"))
    compare("figures", ("indicator", "institution"))
    compare("targets", ("indicator", "group", "level", "scope"))
    return out


def _key(row, fields):
    out = []
    for f in fields:
        value = row.get(f)
        out.append(tuple(value) if isinstance(value, list) else value)
    return out


def indicator_name(code):
    indicator = registry.get(code)
    return indicator.name(str(get_locale() or "vi")) if indicator else code


def report_years(today=None):
    """Every year a report can be asked for: from the first year with operational data (or the first
    plan's) to the current year, newest first."""
    from .golive import first_records
    today = today or local_today()
    first = today.year
    starts = [d.year for d in first_records([i.id for i in scopes.network()]).values() if d]
    starts += [p.year_from for p in db.session.scalars(sa.select(Plan)).all() if p.year_from <= today.year]
    if starts:
        first = min(first, min(starts))
    return list(range(today.year, first - 1, -1))


def report_list(plan, year, *, user):
    """The reports of a year filed under ``plan`` (or under none) that the user may see:
    ``[(kind, due, scope key, label, latest snapshot)]``."""
    network = scopes.network()
    allowed = scopes.visible_ids(user)
    scope_rows = []
    if allowed is None:
        scope_rows.append(("province", str(_l("Whole province (consolidated)"))))
        from ..org.models import Area, AreaLevel
        used = {i.district_code for i in network}
        for area in db.session.scalars(sa.select(Area).where(Area.level == AreaLevel.DISTRICT)
                                       .order_by(Area.code)).all():
            if area.code in used:
                scope_rows.append((f"district:{area.code}", str(_l("Area of %(name)s (%(code)s)",
                                                                     name=area.name, code=area.code))))
    applicable_kinds = {k for ind in registry.all_indicators() for k in ind.kinds}
    for inst in sorted(network, key=lambda i: i.name_sort):
        if allowed is not None and inst.id not in allowed:
            continue
        if inst.kind.value in applicable_kinds or not applicable_kinds:
            scope_rows.append((f"inst:{inst.code}", inst.name))
    latest = {}
    for snap in db.session.scalars(sa.select(ReportSnapshot).where(
            _plan_is(plan), ReportSnapshot.year == year)
            .order_by(ReportSnapshot.version)).all():
        latest[(snap.kind, snap.scope)] = snap
    out = []
    kinds = [r.kind for r in plan.reports] if plan is not None else list(KIND_LABELS)
    for kind in kinds:
        for key, label in scope_rows:
            out.append((kind, due_date(plan, kind, year), key, label, latest.get((kind, key))))
    return out
