"""Staff screens of the internet points: the sessions screen, the log, computers, rules, trainings,
connectivity and utilisation."""
import hashlib

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..common import ethnicity
from ..common.errors import DomainError, PermissionDenied
from ..common.fields import parse_day
from ..common.time import LOCAL_TZ, as_utc, local_today, to_local, utcnow
from ..common.web import EmptyForm, form_error, page_number, staff_required
from ..extensions import db
from ..org import services as org
from ..org.models import InstitutionKind
from . import services
from .forms import (WEEKDAYS, AttendeeForm, CardStartForm, ConnectivityForm, GuestStartForm, ScanForm,
                    SettingsForm, StationForm, StopAtForm, TrainingForm, VoidForm)
from .models import AgeBand, InternetSession, SessionState, Training, TrainingAttendee

bp = Blueprint("internet", __name__, url_prefix="/internet")

CAP = services.CAPABILITY
#: How often the sessions screen asks for changes made at other desks (``INTERNET_POLL_SECONDS``).
POLL_SECONDS = 15


# -- helpers -------------------------------------------------------------------

def _managed_institutions():
    """Institutions the user runs internet work for, by name (administrators: every active one)."""
    ids = services.scope_of(current_user)
    institutions = org.all_institutions(active_only=True)
    if ids is not None:
        institutions = [i for i in institutions if i.id in ids]
    return [i for i in institutions if i.kind != InstitutionKind.MUSEUM]


def _institution_arg(default=None, *, source=None):
    """The institution chosen by ``?institution=`` (or a form field); it must be in the user's scope."""
    raw = (source if source is not None else request.args).get("institution")
    if raw:
        try:
            inst = org.get(int(raw))
        except (TypeError, ValueError):
            abort(404)
        if not current_user.can(CAP, inst):
            abort(403)
        return inst
    return default


def _default_institution():
    with_stations = services.institutions_with_stations(services.scope_of(current_user))
    own = current_user.institution
    if own is not None and (own in with_stations or not with_stations):
        return own
    if with_stations:
        return with_stations[0]
    managed = _managed_institutions()
    return managed[0] if managed else None


def _require_reports():
    if not (current_user.can(CAP) or current_user.can("stats.view")):
        abort(403)


def _who(session):
    if session.is_guest:
        return _("Guest")
    if session.patron is not None:
        return session.patron.name
    return _("Reader (anonymised)")


def _sex_label(code):
    return {"F": _("Female"), "M": _("Male")}.get(code or "", "")


def _elapsed_text(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _signature(tiles):
    text = "|".join(f"{t.station.id}:{t.state if t.state != 'over' else 'busy'}:{t.session.id if t.session else ''}"
                    for t in tiles)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


@bp.context_processor
def _template_helpers():
    return {"who": _who, "elapsed_text": _elapsed_text, "sex_label": _sex_label, "ethnic_name": ethnicity.name_of}


def _redirect_screen(institution_id):
    return redirect(url_for("internet.index", institution=institution_id))


# -- the sessions screen ---------------------------------------------------------

@bp.route("/")
@staff_required(CAP)
def index():
    institution = _institution_arg(_default_institution())
    choices = services.institutions_with_stations(services.scope_of(current_user))
    if institution is None:
        return render_template("internet/index.html", institution=None, tiles=[], choices=choices)
    now = utcnow()
    tiles = services.screen(institution, now=now)
    settings = services.settings_for(institution.id)
    return render_template(
        "internet/index.html", institution=institution, tiles=tiles, choices=choices, now=now,
        settings=settings, signature=_signature(tiles),
        poll_seconds=current_app.config.get("INTERNET_POLL_SECONDS", POLL_SECONDS),
        scan_form=ScanForm(institution=str(institution.id)),
        card_form=CardStartForm(), guest_form=GuestStartForm(), stop_form=EmptyForm(),
        open_elsewhere=[i for i in choices if i.id != institution.id and services.open_sessions(i.id)])


@bp.route("/status.json")
@staff_required(CAP)
def status():
    """What the sessions screen shows, for its script: states, elapsed seconds, and a signature of the layout."""
    institution = _institution_arg(_default_institution())
    if institution is None:
        abort(404)
    now = utcnow()
    tiles = services.screen(institution, now=now)
    return jsonify({
        "institution": institution.id, "now": now.isoformat(), "signature": _signature(tiles),
        "stations": [{
            "id": t.station.id, "code": t.station.code, "name": t.station.name, "state": t.state,
            "session": None if t.session is None else {
                "id": t.session.id, "started_at": t.session.started_at.isoformat(), "elapsed": t.elapsed,
                "limit_minutes": t.session.limit_minutes, "who": _who(t.session)},
        } for t in tiles]})


def _station_from_form(form):
    try:
        station = services.get_station(int(form.station.data))
    except (TypeError, ValueError):
        abort(404)
    return station


@bp.route("/start", methods=["POST"])
@staff_required(CAP)
def start():
    """Start a session on one tile: a card typed or scanned into it, or a guest (``guest=1``)."""
    guest = request.form.get("guest") == "1"
    form = GuestStartForm() if guest else CardStartForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        if guest and "station" not in form.errors:
            for errors in form.errors.values():
                flash(str(errors[0]), "error")
            return _redirect_screen(_station_from_form(form).institution_id)
        flash(_("Scan or type the reader's card, or start a guest session."), "error")
        return redirect(url_for("internet.index", institution=request.form.get("institution") or None))
    station = _station_from_form(form)
    try:
        if guest:
            session = services.start_session(station, actor=current_user, guest=form.answers())
        else:
            session = services.start_session(station, actor=current_user, card=form.card.data)
        db.session.commit()
    except PermissionDenied:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("%(who)s started on %(station)s.", who=_who(session), station=station.name), "success")
    return _redirect_screen(station.institution_id)


@bp.route("/scan", methods=["POST"])
@staff_required(CAP)
def scan():
    """The scan box: a card in a session stops it; any other card starts on the first free computer."""
    form = ScanForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Scan or type the reader's card."), "error")
        return redirect(url_for("internet.index"))
    institution = _institution_arg(source=request.form)
    try:
        result = services.scan_card(form.card.data, actor=current_user, institution=institution)
        db.session.commit()
    except PermissionDenied:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        session = result.session
        if result.action == "stopped":
            flash(_("%(who)s stopped on %(station)s after %(minutes)d min.", who=_who(session),
                    station=session.station.name, minutes=session.duration_seconds // 60), "success")
        else:
            flash(_("%(who)s started on %(station)s.", who=_who(session), station=session.station.name), "success")
    return _redirect_screen(institution.id)


@bp.route("/sessions/<int:session_id>/stop", methods=["POST"])
@staff_required(CAP)
def stop(session_id):
    EmptyForm().validate_on_submit() or abort(400)
    session = services.get_session(session_id)
    try:
        services.stop_session(session, actor=current_user)
        db.session.commit()
    except PermissionDenied:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("%(station)s is free: %(who)s used it for %(minutes)d min.", station=session.station.name,
                who=_who(session), minutes=session.duration_seconds // 60), "success")
    if request.form.get("next") == "session":
        return redirect(url_for("internet.session_view", session_id=session.id))
    return _redirect_screen(session.institution_id)


# -- one session, the log ----------------------------------------------------------

def _session_page(session, *, void_form=None, stop_form=None, status=200):
    if not current_user.can(CAP, session.institution):
        abort(403)
    if stop_form is None:
        stop_form = StopAtForm()
        stop_form.ended_at.data = to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    return render_template("internet/session.html", session=session,
                           void_form=void_form or VoidForm(), stop_at_form=stop_form, stop_form=EmptyForm(),
                           age_bands=AgeBand), status


@bp.route("/sessions/<int:session_id>")
@staff_required(CAP)
def session_view(session_id):
    return _session_page(services.get_session(session_id))


@bp.route("/sessions/<int:session_id>/void", methods=["POST"])
@staff_required(CAP)
def void(session_id):
    session = services.get_session(session_id)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            services.void_session(session, actor=current_user, reason=form.reason.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The session has been voided; it counts nowhere."), "success")
            return redirect(url_for("internet.session_view", session_id=session.id))
    elif "csrf_token" in form.errors:
        abort(400)
    return _session_page(session, void_form=form, status=400)


@bp.route("/sessions/<int:session_id>/stop-at", methods=["POST"])
@staff_required(CAP)
def stop_at(session_id):
    session = services.get_session(session_id)
    form = StopAtForm()
    if form.validate_on_submit():
        at = as_utc(form.ended_at.data.replace(tzinfo=LOCAL_TZ))
        try:
            services.stop_session(session, actor=current_user, at=at)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The session has been stopped at %(time)s.", time=to_local(at).strftime("%d/%m/%Y %H:%M")),
                  "success")
            return redirect(url_for("internet.session_view", session_id=session.id))
    elif "csrf_token" in form.errors:
        abort(400)
    return _session_page(session, stop_form=form, status=400)


def _date_arg(name):
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_day(raw)
    except ValueError as error:
        flash(str(error), "error")
        return None


@bp.route("/sessions")
@staff_required(CAP)
def sessions():
    choices = _managed_institutions()
    institution = _institution_arg()
    ids = [institution.id] if institution else [i.id for i in choices]
    day_from, day_to = _date_arg("from"), _date_arg("to")
    query = services.session_log(ids, day_from=day_from, day_to=day_to)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("internet/sessions.html", page=page, choices=choices, institution=institution,
                           day_from=day_from, day_to=day_to)


# -- computers and rules -------------------------------------------------------------

@bp.route("/stations")
@staff_required(CAP)
def stations():
    choices = _managed_institutions()
    institution = _institution_arg()
    ids = [institution.id] if institution else [i.id for i in choices]
    rows = [(inst, services.stations_of(inst.id)) for inst in choices if inst.id in ids]
    rows = [(inst, items) for inst, items in rows if items or institution is not None]
    return render_template("internet/stations.html", rows=rows, institution=institution, choices=choices,
                           today=local_today(), toggle_form=EmptyForm())


def _station_fields(form):
    return dict(code=form.code.data, label=form.label.data or "", in_service_from=form.in_service_from.data,
                in_service_to=form.in_service_to.data, training_only=form.training_only.data,
                out_of_order=form.out_of_order.data, notes=form.notes.data or "")


def _form_institution(form):
    """The institution chosen on ``form``; ``None``, with the message on the field, when there is none."""
    try:
        return org.get(int(form.institution.data))
    except (TypeError, ValueError, DomainError):
        form.institution.errors = list(form.institution.errors or []) + [_("Choose the institution.")]
        return None


def _preselect_institution(form):
    chosen = _institution_arg(current_user.institution)
    form.institution.data = str(chosen.id) if chosen else ""


@bp.route("/stations/new", methods=["GET", "POST"])
@staff_required(CAP)
def station_new():
    form = StationForm()
    form.institution.choices = [(str(i.id), i.name) for i in _managed_institutions()]
    if request.method == "GET":
        _preselect_institution(form)
        form.in_service_from.data = local_today()
    if form.validate_on_submit():
        institution = _form_institution(form)
        if institution is not None:
            try:
                station = services.create_station(actor=current_user, institution=institution, **_station_fields(form))
                db.session.commit()
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("Computer %(code)s added.", code=station.code), "success")
                return redirect(url_for("internet.stations", institution=institution.id))
    return render_template("internet/station_form.html", form=form, station=None), (
        400 if request.method == "POST" else 200)


@bp.route("/stations/<int:station_id>", methods=["GET", "POST"])
@staff_required(CAP)
def station_edit(station_id):
    station = services.get_station(station_id)
    if not current_user.can(CAP, station.institution):
        abort(403)
    form = StationForm(obj=station if request.method == "GET" else None)
    form.institution.choices = [(str(i.id), i.name) for i in _managed_institutions()]
    if request.method == "GET":
        form.institution.data = str(station.institution_id)
    institution = _form_institution(form) if form.validate_on_submit() else None
    if institution is not None:
        try:
            services.update_station(station, actor=current_user, institution=institution, **_station_fields(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Computer %(code)s saved.", code=station.code), "success")
            return redirect(url_for("internet.stations", institution=station.institution_id))
    return render_template("internet/station_form.html", form=form, station=station), (
        400 if request.method == "POST" else 200)


@bp.route("/stations/<int:station_id>/out-of-order", methods=["POST"])
@staff_required(CAP)
def station_toggle(station_id):
    EmptyForm().validate_on_submit() or abort(400)
    station = services.get_station(station_id)
    broken = request.form.get("out_of_order") == "1"
    try:
        services.update_station(station, actor=current_user, out_of_order=broken)
        db.session.commit()
    except PermissionDenied:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("%(station)s is marked out of order.", station=station.name) if broken else
              _("%(station)s is back in use.", station=station.name), "success")
    if request.form.get("next") == "screen":
        return _redirect_screen(station.institution_id)
    return redirect(url_for("internet.stations", institution=station.institution_id))


@bp.route("/settings", methods=["GET", "POST"])
@staff_required(CAP)
def settings():
    institution = _institution_arg(current_user.institution, source=request.values)
    if institution is None:
        managed = _managed_institutions()
        if not managed:
            abort(404)
        institution = managed[0]
    current = services.settings_for(institution.id)
    schedule = services.schedules_for([institution.id])[institution.id]
    own = services.has_own_schedule(institution.id)
    form = SettingsForm()
    if request.method == "GET":
        form.session_limit_minutes.data = current.session_limit_minutes
        form.daily_limit_minutes.data = current.daily_limit_minutes
        form.use_default_hours.data = not own
        for day in range(7):
            getattr(form, f"day{day}").data = services.format_intervals(schedule.get(day, []))
    if form.validate_on_submit():
        try:
            services.update_settings(institution, actor=current_user,
                                     session_limit_minutes=form.session_limit_minutes.data,
                                     daily_limit_minutes=form.daily_limit_minutes.data)
            if form.use_default_hours.data:
                services.set_schedule(institution, None, actor=current_user)
            else:
                week = {}
                for day in range(7):
                    try:
                        week[day] = services.parse_intervals(getattr(form, f"day{day}").data)
                    except DomainError as error:
                        raise DomainError(error.message, field=f"day{day}")
                services.set_schedule(institution, week, actor=current_user)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Rules of %(name)s saved.", name=institution.name), "success")
            return redirect(url_for("internet.settings", institution=institution.id))
    return render_template("internet/settings.html", form=form, institution=institution, own=own,
                           choices=_managed_institutions(), weekdays=WEEKDAYS,
                           default=services.DEFAULT_SCHEDULE, format_intervals=services.format_intervals), (
        400 if request.method == "POST" else 200)


# -- trainings -------------------------------------------------------------------------

@bp.route("/trainings")
@staff_required(CAP)
def trainings():
    choices = _managed_institutions()
    institution = _institution_arg()
    ids = [institution.id] if institution else [i.id for i in choices]
    page = db.paginate(services.trainings_of(ids), page=page_number(), per_page=50, error_out=False)
    return render_template("internet/trainings.html", page=page, choices=choices, institution=institution)


def _counts_from(form):
    return [(row.form.ethnicity.data or None, row.form.sex.data or None, row.form.count.data)
            for row in form.counts]


def _training_fields(form):
    return dict(date=form.date.data, topic=form.topic.data, place=form.place.data or "",
                trainer=form.trainer.data or "", duration_minutes=form.duration_minutes.data,
                note=form.note.data or "")


def _prepare_training_form(form):
    form.institution.choices = [(str(i.id), i.name) for i in _managed_institutions()]
    while len(form.counts) < 6:
        form.counts.append_entry()


@bp.route("/trainings/new", methods=["GET", "POST"])
@staff_required(CAP)
def training_new():
    form = TrainingForm()
    _prepare_training_form(form)
    if request.method == "GET":
        _preselect_institution(form)
        form.date.data = local_today()
    if form.validate_on_submit():
        institution = _form_institution(form)
        if institution is not None:
            cards = [line.strip() for line in (form.cards.data or "").splitlines() if line.strip()]
            try:
                training = services.create_training(actor=current_user, institution=institution,
                                                    counts=_counts_from(form), attendee_cards=cards,
                                                    **_training_fields(form))
                db.session.commit()
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("Training saved: %(n)d attendees.", n=training.attendance), "success")
                return redirect(url_for("internet.training_view", training_id=training.id))
    return render_template("internet/training_form.html", form=form, training=None), (
        400 if request.method == "POST" else 200)


def _training_in_scope(training_id):
    training = services.get_training(training_id)
    if not current_user.can(CAP, training.institution):
        abort(403)
    return training


@bp.route("/trainings/<int:training_id>")
@staff_required(CAP)
def training_view(training_id):
    training = _training_in_scope(training_id)
    return render_template("internet/training.html", training=training, rows=services.attendance_table(training),
                           attendee_form=AttendeeForm(), action_form=EmptyForm())


@bp.route("/trainings/<int:training_id>/edit", methods=["GET", "POST"])
@staff_required(CAP)
def training_edit(training_id):
    training = _training_in_scope(training_id)
    form = TrainingForm(obj=training if request.method == "GET" else None)
    if request.method == "GET":
        while len(form.counts):
            form.counts.pop_entry()
        for count in training.counts:
            form.counts.append_entry({"ethnicity": count.ethnicity or "", "sex": count.sex or "",
                                      "count": count.count})
    _prepare_training_form(form)
    form.institution.data = str(training.institution_id)
    if form.validate_on_submit():
        try:
            services.update_training(training, actor=current_user, counts=_counts_from(form),
                                     **_training_fields(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Training saved: %(n)d attendees.", n=training.attendance), "success")
            return redirect(url_for("internet.training_view", training_id=training.id))
    return render_template("internet/training_form.html", form=form, training=training), (
        400 if request.method == "POST" else 200)


@bp.route("/trainings/<int:training_id>/sheet")
@staff_required(CAP)
def training_sheet(training_id):
    """The attendance sheet to print: the class, the counts, named attendees and blank lines to sign."""
    training = _training_in_scope(training_id)
    blank = max(10, 25 - len(training.attendees))
    return render_template("internet/training_sheet.html", training=training,
                           rows=services.attendance_table(training), blank=blank)


@bp.route("/trainings/<int:training_id>/delete", methods=["POST"])
@staff_required(CAP)
def training_delete(training_id):
    EmptyForm().validate_on_submit() or abort(400)
    training = _training_in_scope(training_id)
    institution_id = training.institution_id
    services.delete_training(training, actor=current_user)
    db.session.commit()
    flash(_("The training has been deleted."), "success")
    return redirect(url_for("internet.trainings", institution=institution_id))


@bp.route("/trainings/<int:training_id>/attendees", methods=["POST"])
@staff_required(CAP)
def attendee_add(training_id):
    training = _training_in_scope(training_id)
    form = AttendeeForm()
    if form.validate_on_submit():
        try:
            attendee = services.add_attendee(training, form.card.data, actor=current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            flash(_("%(name)s added to the class.", name=attendee.patron.name), "success")
    elif "csrf_token" in form.errors:
        abort(400)
    else:
        flash(_("Scan or type the reader's card."), "error")
    return redirect(url_for("internet.training_view", training_id=training.id))


@bp.route("/trainings/<int:training_id>/attendees/<int:attendee_id>/remove", methods=["POST"])
@staff_required(CAP)
def attendee_remove(training_id, attendee_id):
    EmptyForm().validate_on_submit() or abort(400)
    training = _training_in_scope(training_id)
    services.remove_attendee(training, attendee_id, actor=current_user)
    db.session.commit()
    flash(_("The attendee has been taken off the list."), "success")
    return redirect(url_for("internet.training_view", training_id=training.id))


# -- connectivity -----------------------------------------------------------------------

CONNECTIVITY_KINDS = (InstitutionKind.PROVINCIAL_LIBRARY, InstitutionKind.DISTRICT_LIBRARY,
                      InstitutionKind.POSTAL_CULTURAL_POINT, InstitutionKind.INTERNET_POINT)


@bp.route("/connectivity")
@staff_required()
def connectivity():
    """The province: which libraries and points are connected now (their latest record up to today)."""
    _require_reports()
    today = local_today()
    latest = services.latest_connectivity(today)
    institutions = org.all_institutions(active_only=True, kinds=CONNECTIVITY_KINDS)
    libraries = [i for i in institutions if i.is_library]
    points = [i for i in institutions if not i.is_library]
    district = [i for i in libraries if i.kind == InstitutionKind.DISTRICT_LIBRARY]
    connected_districts = sum(1 for i in district if latest.get(i.id) is not None and latest[i.id].connected)
    return render_template("internet/connectivity.html", libraries=libraries, points=points, latest=latest,
                           today=today, district_total=len(district), district_connected=connected_districts,
                           can_edit=lambda inst: current_user.can(CAP, inst))


@bp.route("/connectivity/<int:institution_id>", methods=["GET", "POST"])
@staff_required(write=CAP)
def connectivity_log(institution_id):
    _require_reports()
    institution = org.get(institution_id)
    can_edit = current_user.can(CAP, institution)
    form = ConnectivityForm()
    if request.method == "GET":
        form.date.data = local_today()
    if request.method == "POST":
        if not can_edit:
            abort(403)
        if form.validate_on_submit():
            speed = None
            try:
                if form.speed_mbps.data:
                    speed = float(form.speed_mbps.data.replace(",", "."))
            except ValueError:
                form.speed_mbps.errors = [_("Write the speed as a number, e.g. 20 or 2,5.")]
            if not form.speed_mbps.errors:
                try:
                    services.record_connectivity(actor=current_user, institution=institution, date=form.date.data,
                                                 connected=form.connected.data == "1",
                                                 link_type=form.link_type.data or None, speed_mbps=speed,
                                                 note=form.note.data or "")
                    db.session.commit()
                except DomainError as error:
                    form_error(form, error)
                else:
                    flash(_("Connectivity of %(name)s recorded.", name=institution.name), "success")
                    return redirect(url_for("internet.connectivity_log", institution_id=institution.id))
        elif "csrf_token" in form.errors:
            abort(400)
    return render_template("internet/connectivity_log.html", institution=institution,
                           records=services.connectivity_log(institution.id), form=form, can_edit=can_edit,
                           delete_form=EmptyForm()), (400 if request.method == "POST" else 200)


@bp.route("/connectivity/records/<int:record_id>/delete", methods=["POST"])
@staff_required(CAP)
def connectivity_delete(record_id):
    EmptyForm().validate_on_submit() or abort(400)
    record = services.get_connectivity(record_id)
    institution_id = record.institution_id
    services.delete_connectivity(record, actor=current_user)
    db.session.commit()
    flash(_("The record has been deleted."), "success")
    return redirect(url_for("internet.connectivity_log", institution_id=institution_id))


# -- utilisation -------------------------------------------------------------------------

@bp.route("/utilisation")
@staff_required()
def utilisation():
    """Hours used ÷ (public computers × opening hours), per institution and month."""
    _require_reports()
    try:
        year = int(request.args.get("year") or local_today().year)
    except ValueError:
        year = local_today().year
    year = min(max(year, 2000), local_today().year + 1)
    scope = services.scope_of(current_user) if current_user.can(CAP) and not current_user.can("stats.view") \
        else None
    institutions = services.institutions_with_stations(scope)
    table = services.utilisation([i.id for i in institutions], year)
    return render_template("internet/utilisation.html", year=year, institutions=institutions, table=table,
                           months=range(1, 13))


def register_panels():
    """The dashboard panel of internet staff: computers in use now at their institutions."""
    from ..common.registry import DashboardPanel, register_panel

    def context(user):
        scope = services.scope_of(user)
        institutions = services.institutions_with_stations(scope)
        return {"internet_rows": [(inst, len(services.stations_of(inst.id, on=local_today(), public_only=True)),
                                   len(services.open_sessions(inst.id))) for inst in institutions[:12]]}

    register_panel(DashboardPanel("internet", "internet/_panel.html", CAP, context=context, order=60))

    def reports_context(user):
        if user.can(CAP):
            return {"show": False}
        district = org.all_institutions(active_only=True, kinds=[InstitutionKind.DISTRICT_LIBRARY])
        latest = services.latest_connectivity(local_today())
        connected = sum(1 for i in district if latest.get(i.id) is not None and latest[i.id].connected)
        return {"show": True, "connected": connected, "total": len(district)}

    register_panel(DashboardPanel("internet_reports", "internet/_reports_panel.html", "stats.view",
                                  context=reports_context, order=61))



# -- the reader's own data export ---------------------------------------------------------------

def reader_sessions_data(patron):
    """Internet sessions and trainings still linked to the reader, for the reader's own data export."""
    rows = db.session.scalars(sa.select(InternetSession).where(InternetSession.patron_id == patron.id,
                                                               InternetSession.state != SessionState.VOIDED)
                              .order_by(InternetSession.started_at)).all()
    return ([_("Started"), _("Ended"), _("Computer"), _("Institution")],
            [(to_local(s.started_at).strftime("%d/%m/%Y %H:%M"),
              to_local(s.ended_at).strftime("%H:%M") if s.ended_at else _("still open"),
              s.station.label or s.station.code, s.station.institution.code) for s in rows])


def reader_trainings_data(patron):
    rows = db.session.execute(sa.select(Training).join(TrainingAttendee, TrainingAttendee.training_id == Training.id)
                              .where(TrainingAttendee.patron_id == patron.id).order_by(Training.date)).scalars().all()
    return ([_("Date"), _("Class topic"), _("Institution")],
            [(t.date.strftime("%d/%m/%Y"), t.topic, t.institution.code) for t in rows])
