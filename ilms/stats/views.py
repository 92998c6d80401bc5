"""Indicator pages, drill-down, plans and reports."""

import datetime as dt

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..common.errors import DomainError
from ..common.fields import parse_day
from ..common.time import Period, local_today
from ..common.web import EmptyForm, form_error, page_number, staff_required
from ..extensions import db
from ..org.models import InstitutionKind, Level
from . import definitions, drill, exports, letters, pages, registry, reports, services
from . import scope as scopes
from .forms import FreezeForm, LetterForm, PlanCopyForm, PlanHeaderForm, PlanUploadForm

bp = Blueprint("stats", __name__, url_prefix="/stats")


class BadRequest(DomainError):
    pass


def period_from_args(args, default_year=None):
    """The period of ``year=`` or ``from=``/``to=`` (dates YYYY-MM-DD); the current year by default."""
    try:
        start = parse_day(args.get("from"))
        end = parse_day(args.get("to"))
        year = int(args["year"]) if args.get("year") else None
    except ValueError:
        raise BadRequest(_l("Write dates as day/month/year (12/08/2026) and the year as four digits, e.g. 2024."))
    if start or end:
        if not (start and end):
            raise BadRequest(_l("Give both the first and the last day of the period."))
        if end < start:
            raise BadRequest(_l("The period ends before it starts."))
        if (end - start).days > 366 * 5:
            raise BadRequest(_l("Choose a period of at most five years."))
        return Period(start, end)
    year = year or default_year or local_today().year
    if not 1990 <= year <= 2100:
        raise BadRequest(_l("Choose a year between 1990 and 2100."))
    return Period.year(year)


def _scope_from_args(network):
    if request.args.get("scope"):
        return scopes.parse_scope(request.args["scope"])
    return scopes.default_scope(current_user, network)


def _plan_from_args():
    plan_id = request.args.get("plan", type=int)
    return services.get_plan(plan_id) if plan_id else None


def _period_args(period):
    if period.start.month == 1 and period.start.day == 1 and period == Period.year(period.start.year):
        return {"year": period.start.year}
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


@bp.app_context_processor
def _helpers():
    return {"stats_fmt": pages.fmt, "stats_fmt_for": pages.fmt_for, "status_words": pages.STATUS_WORDS, "status_so_far": pages.STATUS_SO_FAR,
            "status_marks": pages.STATUS_MARKS, "range_text": pages.range_text,
            "target_group_label": pages.target_group_label, "period_args": _period_args,
            "indicator_name": reports.indicator_name, "report_kinds": reports.KIND_LABELS,
            "target_scope": scopes.target_scope, "breakdown_title": pages.breakdown_title,
            "breakdown_label": pages.breakdown_label, "group_text": exports._group_text,
            "revision_where": exports.revision_where, "column_label": drill.column_label,
            "projection_basis": pages.projection_basis, "progress_text": pages.progress_text,
            "indicator_definition": definitions.definition,
            "report_title": exports.title_of, "letters": letters}


@bp.app_template_filter("month_ranges")
def _month_ranges(months):
    from .glance import month_ranges
    return ", ".join(month_ranges(months))


@bp.app_template_filter("report_day")
def _report_day(iso):
    return exports._day(iso)


@bp.route("/")
@staff_required("stats.view")
def index():
    network = scopes.network()
    period = period_from_args(request.args)
    scope = _scope_from_args(network)
    plan = _plan_from_args()
    page = pages.build_page(period, scope, user=current_user, plan=plan)
    this_year = local_today().year
    return render_template("stats/index.html", page=page, period=period, scope=scope,
                           choices=scopes.scope_choices(current_user, network), plans=services.all_plans(),
                           plan=plan, years=list(range(this_year + 1, 2014, -1)),
                           custom=bool(request.args.get("from")), period_query=_period_args(period))


@bp.route("/records/<code>")
@staff_required("stats.view")
def records(code):
    period = period_from_args(request.args)
    scope = scopes.parse_scope(request.args.get("scope") or
                               scopes.default_scope(current_user, scopes.network()).key)
    if request.args.get("format") == "csv":
        indicator, chunks = drill.drill_csv(code, period, scope, user=current_user)
        name = f"{indicator.code}_{period.start.isoformat()}_{period.end.isoformat()}_{scope.key}.csv"
        name = name.replace(":", "-").replace(",", "+")
        return Response(stream_with_context(chunks), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    result = drill.drill_page(code, period, scope, user=current_user, page=page_number(),
                              per_page=current_app.config.get("PAGE_SIZE", 50))
    return render_template("stats/records.html", result=result, period=period, scope=scope,
                           period_query=_period_args(period))


# -- plans ---------------------------------------------------------------------

@bp.route("/plans")
@staff_required("stats.view")
def plans():
    return render_template("stats/plans.html", plans=services.all_plans(), form=PlanUploadForm(),
                           can_edit=current_user.can("plans.edit"))


@bp.route("/plans/upload", methods=["POST"])
@staff_required("plans.edit")
def plan_upload():
    form = PlanUploadForm()
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text; save it as UTF-8 and upload it again."), "error")
        else:
            try:
                plan = services.load_plan(text, actor=current_user)
                db.session.commit()
            except DomainError as error:
                form_error(form, error)
                flash(_("%(file)s was not loaded: %(reason)s", file=form.file.data.filename or "",
                        reason=error.message), "error")
            else:
                flash(_("Plan %(code)s loaded: %(n)d targets.", code=plan.code, n=len(plan.targets)), "success")
                return redirect(url_for("stats.plan_view", plan_id=plan.id))
    for error in form.file.errors:
        flash(str(error), "error")
    return redirect(url_for("stats.plans"))


@bp.route("/plans/<int:plan_id>")
@staff_required("stats.view")
def plan_view(plan_id):
    plan = services.get_plan(plan_id)
    network = scopes.network()
    coverage = []
    for target in plan.targets:
        indicator = registry.get(target.indicator)
        members = services.target_group_members(target, network) if indicator else []
        coverage.append((target, indicator, members))
    return render_template("stats/plan.html", plan=plan, coverage=coverage,
                           can_edit=current_user.can("plans.edit"))


@bp.route("/plans/<int:plan_id>/plan.yaml")
@staff_required("stats.view")
def plan_yaml(plan_id):
    plan = services.get_plan(plan_id)
    name = "".join(ch if ch.isalnum() else "-" for ch in plan.code.encode("ascii", "ignore").decode()) or "plan"
    return Response(services.plan_yaml(plan), mimetype="application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'})


def _who_choices(plan=None):
    choices = [(f"kind:{k.value}", str(k.label)) for k in InstitutionKind]
    choices.append(("kind:district_library,provincial_library", _("Provincial and district libraries")))
    choices += [(f"level:{lv.value}", _("%(level)s level", level=lv.label)) for lv in Level]
    known = {key for key, _label in choices}
    for target in (plan.targets if plan else []):
        key = scopes.target_scope(target)
        if key not in known:
            choices.append((key, pages.target_group_label(target)))
            known.add(key)
    return choices


def _rows_from_form(form_data):
    """Target rows of the edit page in the YAML's structure: ``([(where, entry)], first error or None)``.

    Rows are kept as typed even when one is wrong, so the page shows them again with the message.
    """
    rows, error = [], None
    numbers = sorted({int(k.split("-")[1]) for k in form_data
                      if k.startswith("t-") and k.count("-") >= 2 and k.split("-")[1].isdigit()})
    for number in numbers:
        def get(name, number=number):
            return (form_data.get(f"t-{number}-{name}") or "").strip()

        if get("delete") or not get("indicator"):
            continue
        where = _("row %(n)d", n=len(rows) + 1)
        entry = {"indicator": get("indicator"), "scope": get("scope") or "sum"}
        kind, _sep, value = get("who").partition(":")
        if kind == "level":
            entry["level"] = value
        elif kind == "kind" and value:
            kinds = value.split(",")
            entry["group"] = kinds[0] if len(kinds) == 1 else kinds
        try:
            entry["years"] = [int(get("from")), int(get("to"))]
        except ValueError:
            entry["years"] = [get("from"), get("to")]
            error = error or _("%(where)s: give the first and last year.", where=where)
        for key in ("min", "max"):
            if get(key):
                try:
                    number_value = float(get(key).replace(",", "."))
                    entry[key] = int(number_value) if number_value.is_integer() else number_value
                except ValueError:
                    entry[key] = get(key)
                    error = error or _("%(where)s: “%(key)s” must be a number.", where=where, key=key)
        if get("cycle"):
            try:
                entry["cycle_years"] = int(get("cycle"))
            except ValueError:
                entry["cycle_years"] = get("cycle")
                error = error or _("%(where)s: the cycle is a whole number of years.", where=where)
        rows.append((where, entry))
    return rows, error


@bp.route("/plans/new", methods=["GET", "POST"])
@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@staff_required("plans.edit")
def plan_edit(plan_id=None):
    plan = services.get_plan(plan_id) if plan_id else None
    form = PlanHeaderForm(obj=plan if request.method == "GET" else None)
    if request.method == "GET" and plan is not None:
        dues = {r.kind: r.due for r in plan.reports}
        form.half_year_due.data = dues.get("half_year", "")
        form.annual_due.data = dues.get("annual", "")
    if request.method == "GET" and plan is None:
        form.half_year_due.data, form.annual_due.data = "06-20", "11-30"
    rows = [(None, entry) for entry in services.plan_data(plan)["targets"]] if plan else []
    if request.method == "POST":
        rows, row_error = _rows_from_form(request.form)
        if form.validate_on_submit():
            try:
                if row_error:
                    raise services.PlanFileError(row_error)
                if form.year_from.data > form.year_to.data:
                    raise services.PlanFileError(_l("The first year comes after the last year."))
                for where, entry in rows:
                    services.check_target(entry, where)
                data = services.check_plan_data({
                    "plan": {"code": form.code.data, "title": form.title.data, "issued": form.issued.data,
                             "years": [form.year_from.data, form.year_to.data]},
                    "reports": [{"kind": kind, "due": due} for kind, due in
                                (("half_year", form.half_year_due.data), ("annual", form.annual_due.data)) if due],
                    "targets": [entry for _where, entry in rows]})
                saved = services.save_plan(data, actor=current_user, plan=plan)
                db.session.commit()
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("Plan %(code)s saved: %(n)d targets.", code=saved.code, n=len(saved.targets)), "success")
                return redirect(url_for("stats.plan_view", plan_id=saved.id))
    return render_template("stats/plan_edit.html", form=form, plan=plan, rows=rows, blank_rows=3,
                           indicator_codes=sorted(registry.SPEC_CODES), who_choices=_who_choices(plan))


@bp.route("/plans/<int:plan_id>/copy", methods=["GET", "POST"])
@staff_required("plans.edit")
def plan_copy(plan_id):
    """Copy a plan to a new period (its targets moved by as many years), then edit its targets."""
    plan = services.get_plan(plan_id)
    form = PlanCopyForm()
    if request.method == "GET":
        length = plan.year_to - plan.year_from
        form.year_from.data = max(plan.year_to + 1, local_today().year)
        form.year_to.data = form.year_from.data + length
        form.title.data = plan.title
        form.code.data = f"{plan.code} ({form.year_from.data}-{form.year_to.data})"[:60]
    if form.validate_on_submit():
        try:
            copy = services.copy_plan(plan, actor=current_user, code=form.code.data.strip(),
                                      title=form.title.data.strip(), year_from=form.year_from.data,
                                      year_to=form.year_to.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            flash(_("Plan %(code)s copied to %(new)s: %(n)d targets; check them now.", code=plan.code,
                    new=copy.code, n=len(copy.targets)), "success")
            return redirect(url_for("stats.plan_edit", plan_id=copy.id))
    return render_template("stats/plan_copy.html", form=form, plan=plan)


@bp.route("/plans/<int:plan_id>/delete", methods=["POST"])
@staff_required("plans.edit")
def plan_delete(plan_id):
    plan = services.get_plan(plan_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    code = plan.code
    services.delete_plan(plan, actor=current_user)
    db.session.commit()
    flash(_("Plan %(code)s deleted.", code=code), "success")
    return redirect(url_for("stats.plans"))


# -- reports -------------------------------------------------------------------

@bp.route("/reports")
@staff_required("stats.view")
def report_index():
    """Every year with data offers its 6-month and annual reports, filed under the first plan in force
    (or the plan chosen among those in force); a year no plan covers has its reports with the figures
    alone (plan id 0 in the addresses)."""
    today = local_today()
    years = reports.report_years(today)
    year = request.args.get("year", type=int) or today.year
    if not 1990 <= year <= 2100:
        year = today.year
    if year not in years:
        years = sorted(set(years) | {year}, reverse=True)
    in_force = reports.plans_in_force(year)
    plan = _plan_from_args()
    if plan is None or plan not in in_force:
        plan = in_force[0] if in_force else None
    rows = reports.report_list(plan, year, user=current_user)
    return render_template("stats/reports.html", plans=in_force, plan=plan, year=year, years=years, rows=rows)


def _report_args(plan_id, kind):
    if kind not in reports.KIND_LABELS:
        abort(404)
    plan = services.get_plan(plan_id) if plan_id else None   # 0: a year under no plan
    scope = reports.report_scope(request.args.get("scope") or
                                 scopes.default_scope(current_user, scopes.network()).key)
    return plan, scope


@bp.route("/reports/<int:plan_id>/<kind>/<int:year>")
@staff_required("stats.view")
def report(plan_id, kind, year):
    plan, scope = _report_args(plan_id, kind)
    doc = letters.attach(reports.build_report(plan, kind, year, scope, user=current_user), scope)
    history = reports.snapshots_of(plan, kind, year, scope)
    can_freeze = current_user.can("reports.freeze", reports._freeze_institution(scope))
    letter_form = LetterForm(data=doc["letter"]) if can_freeze else None
    return render_template("stats/report.html", doc=doc, plan=plan, scope=scope, snapshot=None, revisions=None,
                           history=history, form=FreezeForm(), can_freeze=can_freeze, letter_form=letter_form,
                           department_sections=_department_sections(doc, scope))


@bp.route("/reports/<int:plan_id>/<kind>/<int:year>/letter", methods=["POST"])
@staff_required("reports.freeze")
def report_letter(plan_id, kind, year):
    """Save the issuing details and the narrative written on the report page (kept for the sign-off)."""
    plan, scope = _report_args(plan_id, kind)
    form = LetterForm()
    back = url_for("stats.report", plan_id=plan.id, kind=kind, year=year, scope=scope.key) + "#letter"
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            for error in errors:
                label = getattr(getattr(form, name, None), "label", None)
                flash(f"{label.text if label else name}: {error}", "error")
        return redirect(back)
    try:
        letters.save_letter(kind, year, scope, {name: getattr(form, name).data for name in letters.LIMITS},
                            actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    flash(_("The report's text is saved; it goes with the files and is kept when the report is signed off."),
          "success")
    return redirect(back)


def _department_sections(doc, scope):
    """The drafted paragraphs of the Department's follow-up (to be wired into the report document at merge)."""
    from ..department.report import department_sections
    members = scope.members(scopes.network())
    period = Period(dt.date.fromisoformat(doc["period"]["start"]), dt.date.fromisoformat(doc["as_of"]))
    return department_sections(period, [i.id for i in members])


@bp.route("/reports/<int:plan_id>/<kind>/<int:year>.<fmt>")
@staff_required("stats.view")
def report_file(plan_id, kind, year, fmt):
    if fmt not in exports.FILE_FORMATS:
        abort(404)
    plan, scope = _report_args(plan_id, kind)
    doc = letters.attach(reports.build_report(plan, kind, year, scope, user=current_user), scope)
    return _file_response(doc, fmt, None, None)


def _file_response(doc, fmt, snapshot, revisions):
    stem = f"{doc['kind']}_{doc['year']}_{doc['scope']}".replace(":", "-")
    if snapshot is not None:
        stem += f"_v{snapshot.version}"
    data, mimetype = exports.report_bytes(doc, fmt, snapshot=snapshot, revisions=revisions)
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})


@bp.route("/reports/<int:plan_id>/<kind>/<int:year>/freeze", methods=["POST"])
@staff_required("reports.freeze")
def report_freeze(plan_id, kind, year):
    plan, scope = _report_args(plan_id, kind)
    form = FreezeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        snapshot = reports.freeze_report(plan, kind, year, scope, actor=current_user, note=form.note.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("stats.report", plan_id=plan.id, kind=kind, year=year, scope=scope.key))
    flash(_("The report is signed off (version %(n)d).", n=snapshot.version), "success")
    return redirect(url_for("stats.snapshot", snapshot_id=snapshot.id))


@bp.route("/reports/signed/<int:snapshot_id>")
@staff_required("stats.view")
def snapshot(snapshot_id):
    snap = reports.get_snapshot(snapshot_id, user=current_user)
    scope = scopes.parse_scope(snap.scope)
    doc = letters.attach(reports.snapshot_document(snap), scope)
    history = reports.snapshots_of(snap.plan, snap.kind, snap.year, scope)
    return render_template("stats/report.html", doc=doc, plan=snap.plan, scope=scope, snapshot=snap,
                           revisions=reports.revisions(snap, user=current_user), history=history,
                           form=FreezeForm(), can_freeze=current_user.can(
                               "reports.freeze", reports._freeze_institution(scope)))


@bp.route("/reports/signed/<int:snapshot_id>.<fmt>")
@staff_required("stats.view")
def snapshot_file(snapshot_id, fmt):
    if fmt not in exports.FILE_FORMATS:
        abort(404)
    snap = reports.get_snapshot(snapshot_id, user=current_user)
    return _file_response(reports.snapshot_document(snap), fmt, snap,
                          reports.revisions(snap, user=current_user))
