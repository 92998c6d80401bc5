"""Rotation pages: the dashboard, crates (packing by scanning, dispatch, receipt, return checking), missing
copies, routes, points and their desk, the history of a copy and where every copy of a title is.

Every page works as plain forms. ``static/js/rotation.js`` sends the scan
boxes with ``fetch`` and ``Accept: application/json``; the same view answers
with the message and the re-drawn list, so both paths do the same thing.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..catalog import services as catalog
from ..catalog.models import Item, Record
from ..circulation import services as circulation
from ..circulation.forms import TallyForm
from ..circulation.models import Tally
from ..common.barcodes import normalise_barcode
from ..common.errors import DomainError, NotFound, PermissionDenied
from ..common.time import local_today
from ..common.web import EmptyForm, form_error, page_number, redirect_back, staff_required
from ..extensions import db
from ..org import services as org
from ..org.models import InstitutionKind
from . import services
from .forms import (BackForm, CrateForm, DispatchForm, FindForm, LendForm, NoteForm, ResolveForm, RouteForm,
                    ScanForm, VisitForm)
from .models import CrateState, Dispatch, DispatchItem, Outcome

bp = Blueprint("rotation", __name__, url_prefix="/rotation")
CAP = services.CAP


# -- helpers -------------------------------------------------------------------------------

def _wants_json():
    return request.accept_mimetypes.best == "application/json"


def _crate(crate_id, *, write=False):
    crate = services.get_crate(crate_id)
    if write:
        if not current_user.can(CAP, crate.institution):
            raise PermissionDenied(_("Crate %(crate)s belongs to %(name)s; only its staff change it.",
                                     crate=crate.code, name=crate.institution.name))
    elif not services.can_view_crate(current_user, crate):
        raise PermissionDenied()
    return crate


def _libraries():
    """Libraries whose crates the user runs (province-wide users: every active library)."""
    libraries = org.all_institutions(active_only=True, kinds=[InstitutionKind.PROVINCIAL_LIBRARY,
                                                              InstitutionKind.DISTRICT_LIBRARY])
    return [lib for lib in libraries if current_user.can(CAP, lib)]


def _library_arg():
    raw = request.args.get("institution")
    if not raw:
        return None
    try:
        inst = org.get(int(raw))
    except (TypeError, ValueError):
        abort(404)
    if not current_user.can(CAP, inst):
        abort(403)
    return inst


def _home_point():
    inst = current_user.institution
    return inst if inst is not None and inst.kind == InstitutionKind.POSTAL_CULTURAL_POINT else None


def _point(point_id):
    point = services.get_point(point_id)
    services.require_point_staff(current_user, point)
    return point


def _commit_or_show(form, call, success):
    """Run one service call; commit and flash ``success`` (a function of its result), or show the refusal."""
    try:
        result = call()
        db.session.commit()
    except DomainError as error:
        form_error(form, error)
        return None
    flash(success(result), "success")
    return result if result is not None else True


# -- dashboard -------------------------------------------------------------------------------

@bp.route("/")
@staff_required(CAP)
def index():
    point = _home_point()
    if point is not None and not request.args.get("institution"):
        return redirect(url_for("rotation.point", point_id=point.id))
    library = _library_arg()
    library_id = library.id if library else None
    today = local_today()
    trips = services.open_trips(current_user, institution_id=library_id)
    crates = db.session.scalars(services.crates_query(current_user, institution_id=library_id)).all()
    points = services.points_for(current_user, institution_id=library_id)
    missing = db.session.scalar(sa.select(sa.func.count()).select_from(
        services.missing_lines(current_user, institution_id=library_id).order_by(None).subquery()))
    return render_template(
        "rotation/index.html", library=library, libraries=_libraries(), today=today,
        counts=services.state_counts(current_user, library_id),
        overdue=[t for t in trips if t.due_back < today],
        due_soon=[t for t in trips if today <= t.due_back <= today + dt.timedelta(days=14)],
        moves=services.next_moves(crates)[:30], holdings=services.holdings(points), missing=missing,
        find_form=FindForm(request.args))


@bp.route("/find")
@staff_required(CAP)
def find():
    """One box: a crate code, a copy barcode, or words of a title."""
    form = FindForm(request.args)
    text = (form.q.data or "").strip()
    if not text:
        return redirect(url_for("rotation.index"))
    code = normalise_barcode(text)
    crate = services.crate_by_code(code, required=False) if code else None
    if crate is not None and services.can_view_crate(current_user, crate):
        return redirect(url_for("rotation.crate", crate_id=crate.id))
    item = catalog.item_by_barcode(code, required=False) if code else None
    if item is not None:
        return redirect(url_for("rotation.copy", item_id=item.id))
    records = services.find_titles(text, current_user)
    if len(records) == 1:
        return redirect(url_for("rotation.title", record_id=records[0].id))
    return render_template("rotation/find.html", form=form, records=records, text=text)


# -- crates ------------------------------------------------------------------------------------

@bp.route("/crates")
@staff_required(CAP)
def crates():
    library = _library_arg()
    state = request.args.get("state") or None
    if state not in {s.value for s in CrateState}:
        state = None
    q = (request.args.get("q") or "").strip() or None
    page = db.paginate(services.crates_query(current_user, state=state, institution_id=library.id if library else None,
                                             q=q), page=page_number(), per_page=50, error_out=False)
    return render_template("rotation/crates.html", page=page, library=library, libraries=_libraries(),
                           state=state, states=list(CrateState), q=q or "")


@bp.route("/crates/new", methods=["GET", "POST"])
@staff_required(CAP)
def new_crate():
    form = CrateForm()
    libraries = _libraries()
    if not libraries:
        flash(_("Crates belong to libraries; your institution is not one."), "error")
        return redirect(url_for("rotation.index"))
    form.institution.choices = [(str(lib.id), lib.name) for lib in libraries]
    if request.method == "GET":
        own = current_user.institution_id if any(lib.id == current_user.institution_id for lib in libraries) else None
        form.institution.data = str(own or libraries[0].id)
    if form.validate_on_submit():
        chosen = {str(lib.id): lib for lib in libraries}.get(form.institution.data)
        if chosen is None:
            abort(403)
        crate = _commit_or_show(form, lambda: services.create_crate(
            actor=current_user, institution=chosen, code=form.code.data, theme=form.theme.data,
            title=form.title.data, note=form.note.data),
            lambda made: _("Crate %(crate)s is ready: scan the copies into it.", crate=made.code))
        if crate:
            return redirect(url_for("rotation.crate", crate_id=crate.id))
    return render_template("rotation/crate_form.html", form=form, crate=None)


@bp.route("/crates/<int:crate_id>/edit", methods=["GET", "POST"])
@staff_required(CAP)
def edit_crate(crate_id):
    crate = _crate(crate_id, write=True)
    form = CrateForm(obj=crate)
    del form.institution, form.code
    if request.method == "GET":
        form.theme.data = crate.theme.value
    if form.validate_on_submit():
        done = _commit_or_show(form, lambda: services.update_crate(
            crate, actor=current_user, theme=form.theme.data, title=form.title.data, note=form.note.data),
            lambda _r: _("Saved."))
        if done:
            return redirect(url_for("rotation.crate", crate_id=crate.id))
    return render_template("rotation/crate_form.html", form=form, crate=crate)


def _crate_context(crate):
    trip = services.open_dispatch(crate)
    last = trip or services.last_dispatch(crate)
    trips = db.session.scalars(sa.select(Dispatch).where(Dispatch.crate_id == crate.id)
                               .options(joinedload(Dispatch.point))
                               .order_by(Dispatch.dispatched_at.desc(), Dispatch.id.desc())).all()
    tallies = {}
    for trip_id, outcome, count in db.session.execute(
            sa.select(DispatchItem.dispatch_id, DispatchItem.outcome, sa.func.count())
            .join(Dispatch, Dispatch.id == DispatchItem.dispatch_id).where(Dispatch.crate_id == crate.id)
            .group_by(DispatchItem.dispatch_id, DispatchItem.outcome)):
        tallies.setdefault(trip_id, {})[getattr(outcome, "value", outcome)] = count
    missing = []
    if last is not None and last.returned_at is not None:
        missing = [line for line in services.lines_of(last) if line.outcome == Outcome.MISSING]
    return {
        "crate": crate, "contents": services.contents_of(crate), "trip": trip, "last": last, "trips": trips,
        "trip_counts": tallies,
        "loans": services.trip_loans(trip) if trip is not None else {},
        "missing": missing, "next_stop": services.next_stop(crate),
        "can_edit": current_user.can(CAP, crate.institution),
        "scan_form": ScanForm(), "action_form": EmptyForm(), "resolve_form": ResolveForm(), "today": local_today(),
    }


@bp.route("/crates/<int:crate_id>")
@staff_required(CAP)
def crate(crate_id):
    crate = _crate(crate_id)
    return render_template("rotation/crate.html", **_crate_context(crate))


def _contents_context(crate):
    return {"crate": crate, "contents": services.contents_of(crate), "can_edit": True}


def _scan_answer(crate, level, message, *, template, context, endpoint):
    if _wants_json():
        return jsonify({"level": level, "message": message,
                        "html": render_template(template, **context),
                        "count": len(context.get("contents", ()))})
    flash(message, "success" if level == "ok" else ("warning" if level == "warn" else "error"))
    return redirect(url_for(endpoint, crate_id=crate.id), 303)


@bp.route("/crates/<int:crate_id>/pack", methods=["POST"])
@staff_required(CAP)
def pack(crate_id):
    crate = _crate(crate_id, write=True)
    form = ScanForm()
    if not form.validate_on_submit():
        abort(400)
    code = normalise_barcode(form.barcode.data)
    if not code:
        level, message = "error", _("The scan was empty; scan the barcode again.")
    else:
        try:
            item = services.pack(crate, code, actor=current_user)
            db.session.commit()
            level, message = "ok", _("Packed: “%(title)s” (%(barcode)s). %(n)d copies in the crate.",
                                     title=item.record.title, barcode=item.barcode, n=len(crate.contents))
        except DomainError as error:
            db.session.rollback()
            level, message = "error", str(error.message)
    return _scan_answer(crate, level, message, template="rotation/_contents.html",
                        context=_contents_context(crate), endpoint="rotation.crate")


@bp.route("/crates/<int:crate_id>/items/<int:item_id>/remove", methods=["POST"])
@staff_required(CAP)
def take_out(crate_id, item_id):
    crate = _crate(crate_id, write=True)
    EmptyForm().validate_on_submit() or abort(400)
    item = db.session.get(Item, item_id) or abort(404)
    services.take_out(crate, item, actor=current_user)
    db.session.commit()
    flash(_("“%(title)s” (%(barcode)s) is out of the crate.", title=item.record.title, barcode=item.barcode),
          "success")
    return redirect(url_for("rotation.crate", crate_id=crate.id))


@bp.route("/crates/<int:crate_id>/dispatch", methods=["GET", "POST"])
@staff_required(CAP)
def dispatch(crate_id):
    crate = _crate(crate_id, write=True)
    form = DispatchForm()
    points = services.dispatch_points(crate)
    form.point.choices = [("", "—")] + [(str(p.id), p.name) for p in points]
    stop = services.next_stop(crate)
    if request.method == "GET":
        if stop is not None:
            form.point.data = str(stop.point_id)
        form.due_back.data = services.add_months(local_today(), stop.months if stop else services.DEFAULT_MONTHS)
    if form.validate_on_submit():
        point = {str(p.id): p for p in points}.get(form.point.data)
        if point is None:
            form.point.errors = list(form.point.errors) + [_("Choose a postal cultural point.")]
        else:
            trip = _commit_or_show(form, lambda: services.dispatch(
                crate, point=point, due_back=form.due_back.data, note=form.note.data, actor=current_user),
                lambda made: _("Crate %(crate)s is on its way to %(point)s with %(n)d copies, due back on %(date)s.",
                               crate=crate.code, point=made.point.name, n=made.copies_sent,
                               date=made.due_back.strftime("%d/%m/%Y")))
            if trip:
                return redirect(url_for("rotation.crate", crate_id=crate.id))
    return render_template("rotation/dispatch.html", crate=crate, form=form, stop=stop)


def _state_action(crate_id, call, success, *, write=True):
    crate = _crate(crate_id, write=write)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        call(crate, form.note.data or "")
        db.session.commit()
        flash(success(crate), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect_back("rotation.crate", crate_id=crate.id)


@bp.route("/crates/<int:crate_id>/cancel", methods=["POST"])
@staff_required(CAP)
def cancel(crate_id):
    return _state_action(crate_id, lambda c, note: services.cancel_dispatch(c, actor=current_user, reason=note),
                         lambda c: _("The dispatch of crate %(crate)s is cancelled; it is being packed again.",
                                     crate=c.code))


@bp.route("/crates/<int:crate_id>/receive", methods=["POST"])
@staff_required(CAP)
def receive(crate_id):
    return _state_action(crate_id, lambda c, note: services.confirm_receipt(c, actor=current_user, note=note),
                         lambda c: _("Receipt of crate %(crate)s confirmed.", crate=c.code), write=False)


@bp.route("/crates/<int:crate_id>/repack", methods=["POST"])
@staff_required(CAP)
def repack(crate_id):
    return _state_action(crate_id, lambda c, note: services.repack(c, actor=current_user),
                         lambda c: _("Crate %(crate)s is being packed for its next point.", crate=c.code))


@bp.route("/crates/<int:crate_id>/unpack", methods=["POST"])
@staff_required(CAP)
def unpack(crate_id):
    return _state_action(crate_id, lambda c, note: services.unpack(c, actor=current_user),
                         lambda c: _("Crate %(crate)s is unpacked: put its copies back on the shelves.",
                                     crate=c.code))


@bp.route("/crates/<int:crate_id>/retire", methods=["POST"])
@staff_required(CAP)
def retire(crate_id):
    return _state_action(crate_id, lambda c, note: services.retire(c, actor=current_user),
                         lambda c: _("Crate %(crate)s is retired.", crate=c.code))


@bp.route("/crates/<int:crate_id>/reactivate", methods=["POST"])
@staff_required(CAP)
def reactivate(crate_id):
    return _state_action(crate_id, lambda c, note: services.reactivate(c, actor=current_user),
                         lambda c: _("Crate %(crate)s is back in use.", crate=c.code))


# -- return checking ------------------------------------------------------------------------

def _return_context(crate):
    trip = services.open_dispatch(crate)
    if trip is None:
        raise services._not_out(crate)
    lines = sorted(services.lines_of(trip), key=lambda line: line.checked_at is not None)
    return {"crate": crate, "trip": trip, "lines": lines, "loans": services.trip_loans(trip),
            "checked": sum(1 for line in lines if line.checked_at is not None),
            "scan_form": ScanForm(), "action_form": EmptyForm(), "finish_form": NoteForm()}


@bp.route("/crates/<int:crate_id>/return")
@staff_required(CAP)
def return_check(crate_id):
    crate = _crate(crate_id, write=True)
    if not crate.is_out:
        flash(str(services._not_out(crate).message), "error")
        return redirect(url_for("rotation.crate", crate_id=crate.id))
    return render_template("rotation/return.html", **_return_context(crate))


@bp.route("/crates/<int:crate_id>/return/scan", methods=["POST"])
@staff_required(CAP)
def check_back(crate_id):
    crate = _crate(crate_id, write=True)
    form = ScanForm()
    if not form.validate_on_submit():
        abort(400)
    code = normalise_barcode(form.barcode.data)
    if not code:
        level, message = "error", _("The scan was empty; scan the barcode again.")
    else:
        try:
            line, first = services.check_back(crate, code, actor=current_user)
            db.session.commit()
            title, barcode = line.item.record.title, line.item.barcode
            if first:
                level, message = "ok", _("Back: “%(title)s” (%(barcode)s).", title=title, barcode=barcode)
            else:
                level, message = "warn", _("“%(title)s” (%(barcode)s) was already scanned.", title=title,
                                           barcode=barcode)
        except DomainError as error:
            db.session.rollback()
            level, message = "error", str(error.message)
    return _scan_answer(crate, level, message, template="rotation/_checklist.html",
                        context=_return_context(crate), endpoint="rotation.return_check")


@bp.route("/crates/<int:crate_id>/return/lines/<int:line_id>/uncheck", methods=["POST"])
@staff_required(CAP)
def uncheck(crate_id, line_id):
    crate = _crate(crate_id, write=True)
    EmptyForm().validate_on_submit() or abort(400)
    line = services.get_line(line_id)
    services.uncheck(crate, line, actor=current_user)
    db.session.commit()
    return redirect(url_for("rotation.return_check", crate_id=crate.id))


@bp.route("/crates/<int:crate_id>/return/finish", methods=["POST"])
@staff_required(CAP)
def finish_return(crate_id):
    crate = _crate(crate_id, write=True)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        trip = services.return_crate(crate, actor=current_user, note=form.note.data or "")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("rotation.crate", crate_id=crate.id))
    missing = sum(1 for line in trip.lines if line.outcome == Outcome.MISSING)
    if missing:
        flash(_("Crate %(crate)s is back: %(back)d copies back, %(n)d reported missing. Settle them below when "
                "you know more.", crate=crate.code, back=len(trip.lines) - missing, n=missing), "warning")
    else:
        flash(_("Crate %(crate)s is back with every copy.", crate=crate.code), "success")
    return redirect(url_for("rotation.crate", crate_id=crate.id))


# -- printed papers ------------------------------------------------------------------------------

def _trip_arg(crate):
    raw = request.args.get("trip")
    if raw:
        try:
            trip = db.session.get(Dispatch, int(raw))
        except (TypeError, ValueError):
            trip = None
        if trip is None or trip.crate_id != crate.id:
            abort(404)
        return trip
    return services.open_dispatch(crate) or services.last_dispatch(crate)


@bp.route("/crates/<int:crate_id>/slip")
@staff_required(CAP)
def slip(crate_id):
    """The packing slip that travels with the crate (the contents now, when it has not left yet)."""
    crate = _crate(crate_id)
    trip = None if crate.state == CrateState.PACKING and not request.args.get("trip") else _trip_arg(crate)
    items = [line.item for line in services.lines_of(trip)] if trip is not None else \
        [row.item for row in services.contents_of(crate)]
    return render_template("rotation/slip.html", crate=crate, trip=trip, items=items, today=local_today())


@bp.route("/crates/<int:crate_id>/checklist")
@staff_required(CAP)
def checklist(crate_id):
    """The return checklist: every copy that left, to tick when the crate comes back."""
    crate = _crate(crate_id)
    trip = _trip_arg(crate)
    if trip is None:
        raise NotFound(_("Crate %(crate)s has not travelled yet: there is no checklist.", crate=crate.code))
    return render_template("rotation/checklist.html", crate=crate, trip=trip,
                           lines=services.lines_of(trip),
                           loans=services.trip_loans(trip) if trip.is_open else {})


# -- missing copies ------------------------------------------------------------------------------

@bp.route("/missing")
@staff_required(CAP)
def missing():
    library = _library_arg()
    show_all = request.args.get("all") == "1"
    page = db.paginate(services.missing_lines(current_user, institution_id=library.id if library else None,
                                              unresolved_only=not show_all),
                       page=page_number(), per_page=50, error_out=False)
    return render_template("rotation/missing.html", page=page, library=library, libraries=_libraries(),
                           show_all=show_all, resolve_form=ResolveForm())


@bp.route("/missing/<int:line_id>", methods=["POST"])
@staff_required(CAP)
def resolve(line_id):
    line = services.get_line(line_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or not form.resolution.errors:
            abort(400)
        flash(_("%(barcode)s: %(error)s", barcode=line.item.barcode, error=form.resolution.errors[0]), "error")
        return redirect_back("rotation.missing")
    try:
        services.resolve_missing(line, form.resolution.data, actor=current_user, into_crate=form.into_crate.data)
        db.session.commit()
        flash(_("“%(title)s” (%(barcode)s): %(what)s.", title=line.item.record.title, barcode=line.item.barcode,
                what=line.resolution.label), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect_back("rotation.missing")


# -- routes --------------------------------------------------------------------------------------

@bp.route("/crates/<int:crate_id>/route", methods=["GET", "POST"])
@staff_required(CAP)
def route(crate_id):
    crate = _crate(crate_id, write=True)
    form = RouteForm()
    points = services.dispatch_points(crate)
    choices = [("", "—")] + [(str(p.id), p.name) for p in points]
    if request.method == "GET":
        for stop, entry in zip(crate.route, form.stops):
            entry.form.point.data = str(stop.point_id)
            entry.form.months.data = stop.months
        form.repeats.data = crate.route_repeats
    for entry in form.stops:
        entry.form.point.choices = choices
    if form.validate_on_submit():
        by_id = {str(p.id): p for p in points}
        stops = [(by_id.get(entry.form.point.data), entry.form.months.data or 3)
                 for entry in form.stops if entry.form.point.data]
        if any(point is None for point, _m in stops):
            abort(400)
        done = _commit_or_show(form, lambda: services.set_route(crate, stops, actor=current_user,
                                                                repeats=form.repeats.data),
                               lambda _r: _("The route of crate %(crate)s is saved.", crate=crate.code))
        if done:
            return redirect(url_for("rotation.crate", crate_id=crate.id))
    return render_template("rotation/route.html", crate=crate, form=form)


# -- points ----------------------------------------------------------------------------------------

@bp.route("/points")
@staff_required(CAP)
def points():
    library = _library_arg()
    return render_template("rotation/points.html", library=library, libraries=_libraries(),
                           holdings=services.holdings(services.points_for(current_user,
                                                                          library.id if library else None)))


def _point_context(point, **forms):
    today = local_today()
    trips = services.crates_at(point)
    tallies = circulation.recent_tallies(point.id)
    totals = {}
    for tally in tallies:
        key = (tally.date, tally.kind.value)
        totals[key] = totals.get(key, 0) + tally.count
    context = {
        "point": point, "today": today, "trips": trips,
        "on_way": [t for t in trips if t.received_at is None],
        "here": [t for t in trips if t.received_at is not None],
        "loans": services.point_loans(point), "tallies": tallies, "totals": totals,
        "history": services.point_history(point, limit=20),
        "held": services.holdings([point])[0],
        "lend_form": LendForm(), "back_form": BackForm(), "visit_form": VisitForm(),
        "tally_form": TallyForm(date=today), "action_form": EmptyForm(), "note_form": NoteForm(),
    }
    context.update(forms)
    return context


@bp.route("/points/<int:point_id>")
@staff_required(CAP)
def point(point_id):
    point = _point(point_id)
    return render_template("rotation/point.html", **_point_context(point))


def _point_answer(point, form_name, form, call, success):
    try:
        result = call()
        db.session.commit()
    except DomainError as error:
        form_error(form, error)
        return render_template("rotation/point.html", **_point_context(point, **{form_name: form})), 200
    for level, message in success(result):
        flash(message, level)
    return redirect(url_for("rotation.point", point_id=point.id) + "#desk", 303)


@bp.route("/points/<int:point_id>/lend", methods=["POST"])
@staff_required(CAP)
def point_lend(point_id):
    point = _point(point_id)
    form = LendForm()
    if not form.validate_on_submit():
        return render_template("rotation/point.html", **_point_context(point, lend_form=form))

    def said(result):
        loan, warning = result
        out = [("success", _("Lent: “%(title)s” (%(barcode)s) to %(name)s, due %(date)s.",
                             title=loan.item.record.title, barcode=loan.item.barcode, name=loan.patron.name,
                             date=loan.due_date.strftime("%d/%m/%Y")))]
        if warning:
            out.append(("warning", str(warning)))
        return out

    return _point_answer(point, "lend_form", form, lambda: services.point_lend(
        point, form.card.data, form.barcode.data, actor=current_user), said)


@bp.route("/points/<int:point_id>/back", methods=["POST"])
@staff_required(CAP)
def point_back(point_id):
    point = _point(point_id)
    form = BackForm()
    if not form.validate_on_submit():
        return render_template("rotation/point.html", **_point_context(point, back_form=form))

    def said(result):
        level = "success" if result.action in (circulation.BACK_TO_CRATE, circulation.SHELVE) else "warning"
        return [(level, str(result.instruction))]

    return _point_answer(point, "back_form", form, lambda: services.point_return(
        point, form.barcode.data, actor=current_user), said)


@bp.route("/points/<int:point_id>/visit", methods=["POST"])
@staff_required(CAP)
def point_visit(point_id):
    point = _point(point_id)
    form = VisitForm()
    if not form.validate_on_submit():
        return render_template("rotation/point.html", **_point_context(point, visit_form=form))

    def said(result):
        visit, first = result
        name = visit.patron.name if visit.patron else ""
        if first:
            return [("success", _("Welcome, %(name)s.", name=name))]
        return [("info", _("%(name)s has already been counted today.", name=name))]

    return _point_answer(point, "visit_form", form, lambda: services.point_visit(
        point, form.card.data, actor=current_user), said)


@bp.route("/points/<int:point_id>/tally", methods=["POST"])
@staff_required(CAP)
def point_tally(point_id):
    point = _point(point_id)
    form = TallyForm()
    if not form.validate_on_submit():
        return render_template("rotation/point.html", **_point_context(point, tally_form=form))
    return _point_answer(point, "tally_form", form, lambda: services.point_tally(
        point, actor=current_user, date=form.date.data, kind=form.kind.data, count=form.count.data,
        note=form.note.data or ""),
        lambda tally: [("success", _("Added: %(count)d (%(what)s) on %(date)s.", count=tally.count,
                                     what=tally.kind.label, date=tally.date.strftime("%d/%m/%Y")))])


@bp.route("/points/<int:point_id>/tallies/<int:tally_id>/delete", methods=["POST"])
@staff_required(CAP)
def point_delete_tally(point_id, tally_id):
    point = _point(point_id)
    EmptyForm().validate_on_submit() or abort(400)
    tally = db.session.get(Tally, tally_id)
    if tally is None or tally.institution_id != point.id:
        abort(404)
    services.delete_point_tally(tally, actor=current_user)
    db.session.commit()
    flash(_("The entry is deleted."), "success")
    return redirect(url_for("rotation.point", point_id=point.id))


# -- copies and titles -----------------------------------------------------------------------------

@bp.route("/copies/<int:item_id>")
@staff_required(CAP)
def copy(item_id):
    item = db.session.get(Item, item_id) or abort(404)
    return render_template("rotation/copy.html", item=item, history=services.item_history(item),
                           crate=services.crate_of(item), loan=circulation.open_loan_of(item))


@bp.route("/titles/<int:record_id>")
@staff_required(CAP)
def title(record_id):
    record = db.session.get(Record, record_id) or abort(404)
    return render_template("rotation/title.html", record=record, places=services.copies_of(record))


# -- the start page ------------------------------------------------------------------------------

def panel_context(user):
    """The start page's rotation panel: crates out, overdue, missing; point staff see their point."""
    today = local_today()
    point = user.institution if user.institution is not None and \
        user.institution.kind == InstitutionKind.POSTAL_CULTURAL_POINT else None
    trips = services.open_trips(user, point_ids=[point.id] if point else None)
    missing = 0
    if point is None:
        missing = db.session.scalar(sa.select(sa.func.count()).select_from(
            services.missing_lines(user).order_by(None).subquery()))
    # A crate on the road is not yet at the point: it counts as waiting for receipt, not as out there.
    arrived = [t for t in trips if t.received_at is not None]
    return {"point": point, "out": len(arrived), "overdue": sum(1 for t in arrived if t.due_back < today),
            "to_receive": len(trips) - len(arrived), "missing": missing}

