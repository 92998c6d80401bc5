"""The desk (one scan box, four modes), holds, transits, visits and tallies, overdues and letters, loan rules.

Every page works as plain forms. ``static/js/circulation.js`` sends the scan
box and the desk's buttons with ``fetch`` and ``Accept: application/json``;
the same view answers with the result and the re-rendered panel, so nothing
differs between the two paths but the page reload.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..accounts.models import StaffSession
from ..catalog import services as catalog
from ..catalog.models import Item, MaterialType, Record
from ..common.barcodes import normalise_barcode
from ..common.errors import DomainError, NotFound
from ..common.time import local_date, local_today, to_local, utcnow
from ..common.web import EmptyForm, form_error, page_number, staff_required
from ..extensions import db
from ..org import services as org
from ..org.models import Institution, InstitutionKind
from ..patrons import services as patrons
from ..patrons.models import Patron, PatronCategory
from . import policy, services
from .forms import (MODES, ClosedDayForm, DeskForm, HoldForm, HolidaysForm, RuleForm, ScanForm, SettingsForm,
                    TallyForm)
from .models import ClosedDay, Fine, Hold, HoldStatus, Loan, LoanRule, Renewal, Visit

bp = Blueprint("circulation", __name__, url_prefix="/circulation")

DESK_KINDS = (InstitutionKind.PROVINCIAL_LIBRARY, InstitutionKind.DISTRICT_LIBRARY,
              InstitutionKind.POSTAL_CULTURAL_POINT)


# -- which desk ----------------------------------------------------------------------

def desk_choices(user=None):
    """Libraries and postal cultural points where ``user`` may work the desk."""
    user = user or current_user
    return [inst for inst in org.all_institutions(active_only=True, kinds=DESK_KINDS)
            if user.can("circulation.desk", inst)]


def _usable_desk(institution_id):
    inst = db.session.get(Institution, institution_id) if institution_id else None
    if inst is not None and inst.active and inst.kind in DESK_KINDS and current_user.can("circulation.desk", inst):
        return inst
    return None


def desk_institution():
    """The institution whose desk the user works now (chosen once, remembered in the session)."""
    inst = _usable_desk(session.get("desk_institution_id")) or _usable_desk(current_user.institution_id)
    if inst is not None:
        return inst
    choices = desk_choices()
    by_id = {inst.id: inst for inst in choices}
    chosen = session.get("desk_institution_id")
    if chosen in by_id:
        return by_id[chosen]
    if current_user.institution_id in by_id:
        return by_id[current_user.institution_id]
    return choices[0] if choices else None


def _require_desk():
    institution = desk_institution()
    if institution is None:
        abort(403)
    return institution


@bp.route("/desk/institution", methods=["POST"])
@staff_required("circulation.desk")
def choose_desk():
    form = DeskForm()
    if not form.validate_on_submit():
        abort(400)
    ids = {inst.id for inst in desk_choices()}
    try:
        chosen = int(form.institution.data)
    except (TypeError, ValueError):
        abort(400)
    if chosen not in ids:
        abort(403)
    session["desk_institution_id"] = chosen
    return redirect(url_for("circulation.desk"))


# -- the desk ----------------------------------------------------------------------

@dataclass
class Outcome:
    level: str                      # ok | warn | error
    message: str
    details: list = field(default_factory=list)
    instruction: str = ""
    action: str = ""
    code: str = ""
    reader_id: int | None = None
    mode: str = "checkout"
    redirect: str | None = None

    def as_session(self):
        return {"level": self.level, "message": self.message[:300], "details": [d[:300] for d in self.details][:5],
                "instruction": self.instruction[:300], "action": self.action, "code": self.code}


def _mode(value):
    return value if value in MODES else "checkout"


def _reader(value):
    try:
        return db.session.get(Patron, int(value)) if value else None
    except (TypeError, ValueError):
        return None


def _wants_json():
    return request.accept_mimetypes.best == "application/json"


def _panel_context(mode, institution, reader):
    today = local_today()
    context = {"mode": mode, "institution": institution, "reader": reader, "today": today,
               "action_form": EmptyForm()}
    if mode == "checkout" and reader is not None:
        context["summary"] = services.desk_summary(reader, institution=institution, actor=current_user, today=today)
        context["fines_on"] = policy.settings_for(institution.id).fines_enabled
    elif mode == "return":
        start, end = services.day_bounds(today)
        context["returned"] = db.session.scalars(sa.select(Loan).where(
            Loan.return_institution_id == institution.id, Loan.returned_at >= start, Loan.returned_at < end)
            .options(joinedload(Loan.item).joinedload(Item.record),
                     joinedload(Loan.item).joinedload(Item.location_institution))
            .order_by(Loan.returned_at.desc()).limit(20)).all()
        context["incoming"] = len(services.transits(institution.id))
    elif mode == "renew":
        start, end = services.day_bounds(today)
        context["renewed"] = db.session.scalars(sa.select(Renewal).join(Loan, Loan.id == Renewal.loan_id).where(
            Renewal.at >= start, Renewal.at < end, Renewal.by_id == current_user.id,
            Loan.voided_at.is_(None)).options(joinedload(Renewal.loan).joinedload(Loan.item).joinedload(Item.record))
            .order_by(Renewal.at.desc()).limit(20)).all()
    elif mode == "visit":
        context["visits"] = services.visits_today(institution.id, today)
    return context


def _keep_result(result):
    """Keep the desk's answer for the page after the redirect, on the server (``StaffSession.desk_result``):
    the cookie gets a one-time key only, so the reader's name and card never travel in it."""
    key = secrets.token_urlsafe(12)
    record = db.session.get(StaffSession, session.get("sid") or "")
    if record is not None:
        record.desk_result = json.dumps({"key": key, "result": result}, ensure_ascii=False)
        db.session.commit()
    session["desk_result"] = key


def _kept_result():
    """The answer kept by ``_keep_result`` for the key the browser brings, once (the key leaves the cookie)."""
    key = session.pop("desk_result", None)
    record = db.session.get(StaffSession, session.get("sid") or "") if isinstance(key, str) else None
    if record is None or not record.desk_result:
        return None
    kept = json.loads(record.desk_result)
    return kept.get("result") if kept.get("key") == key else None


def _respond(outcome: Outcome, institution):
    reader = _reader(outcome.reader_id)
    if outcome.redirect is None and not _wants_json():
        _keep_result(outcome.as_session())
        return redirect(url_for("circulation.desk", mode=outcome.mode, reader=outcome.reader_id or None), 303)
    if outcome.redirect is not None:
        if _wants_json():
            return jsonify({"redirect": outcome.redirect, "level": outcome.level, "message": outcome.message})
        _keep_result(outcome.as_session())
        return redirect(outcome.redirect, 303)
    context = _panel_context(outcome.mode, institution, reader)
    return jsonify({
        "level": outcome.level, "message": outcome.message, "details": outcome.details,
        "instruction": outcome.instruction, "action": outcome.action, "code": outcome.code,
        "reader_id": outcome.reader_id, "mode": outcome.mode,
        "result_html": render_template("circulation/_desk_result.html", result=outcome.as_session()),
        "panel_html": render_template("circulation/_desk_panel.html", **context),
    })


@bp.route("/desk")
@staff_required("circulation.desk")
def desk():
    institution = _require_desk()
    mode = _mode(request.args.get("mode"))
    reader = _reader(request.args.get("reader"))
    form = ScanForm(mode=mode, reader=str(reader.id) if reader else "")
    result = _kept_result()
    choices = desk_choices()
    desk_form = DeskForm(institution=str(institution.id))
    desk_form.institution.choices = [(str(i.id), i.name) for i in choices]
    return render_template("circulation/desk.html", form=form, result=result, desk_form=desk_form,
                           several_desks=len(choices) > 1, **_panel_context(mode, institution, reader))


def _scan_checkout(code, reader, institution):
    # With a reader at the desk most scans are copies: look for a copy first, then for a card.
    item = catalog.item_by_barcode(code, required=False) if reader is not None else None
    patron = patrons.patron_by_barcode(code, required=False) if item is None else None
    if patron is not None:
        problems = services.reader_problems(patron, utcnow(), institution_id=institution.id)
        details = [str(message) for _c, message in problems]
        if patron.card_expires and not problems and patrons.card_expires_soon(patron):
            details.append(_("The card expires on %(date)s.", date=patron.card_expires.strftime("%d/%m/%Y")))
        return Outcome("warn" if problems else "ok", _("Reader: %(name)s (%(card)s)", name=patron.name,
                                                        card=patron.barcode),
                       details=details, reader_id=patron.id, code="reader")
    item = item or catalog.item_by_barcode(code, required=False)
    if item is None:
        try:
            patrons.patron_by_barcode(code)      # a replaced (lost) card is explained
        except NotFound:
            raise NotFound(_("No reader card or copy has the barcode %(code)s. Check the label and scan again.",
                             code=code), code="unknown")
    if reader is None:
        raise DomainError(_("Scan the reader's card first, then the copies."), code="no_reader")
    loan = services.checkout(reader, item, institution=institution, actor=current_user)
    return Outcome("ok", _("Lent: “%(title)s” (%(barcode)s), due %(date)s.", title=item.record.title,
                           barcode=item.barcode, date=loan.due_date.strftime("%d/%m/%Y")),
                   reader_id=reader.id, code="checkout")


def _return_outcome(result, *, mode):
    item = result.item
    details = [str(note) for note in result.notes]
    if result.overdue_days:
        details.append(_("It came back %(n)d day(s) late.", n=result.overdue_days))
    if result.fine is not None:
        details.append(_("Fine: %(amount)s đồng (%(n)d days).", amount=f"{result.fine.amount:,}".replace(",", "."),
                         n=result.fine.days))
    if result.received is not None:
        details.insert(0, _("Received from %(place)s.", place=result.received.from_institution.name))
    if result.loan is not None:
        message = _("Returned: “%(title)s” (%(barcode)s).", title=item.record.title, barcode=item.barcode)
    else:
        message = _("Checked in: “%(title)s” (%(barcode)s).", title=item.record.title, barcode=item.barcode)
    level = "ok" if result.action in (services.SHELVE, services.BACK_TO_CRATE, services.STAYS) else "warn"
    return Outcome(level, message, details=details, instruction=str(result.instruction), action=result.action,
                   mode=mode, code="return")


def _scan_return(code, institution):
    item = catalog.item_by_barcode(code, required=False)
    if item is None:
        patron = patrons.patron_by_barcode(code, required=False)
        if patron is not None:
            return Outcome("ok", _("Reader: %(name)s", name=patron.name), reader_id=patron.id,
                           redirect=url_for("circulation.desk", mode="checkout", reader=patron.id))
        raise NotFound(_("No copy has the barcode %(code)s. Check the label and scan again.", code=code),
                       code="unknown")
    result = services.check_in(item, institution=institution, actor=current_user)
    return _return_outcome(result, mode="return")


def _renew_outcome(loan, *, mode, reader_id=None):
    return Outcome("ok", _("Renewed: “%(title)s” (%(barcode)s), now due %(date)s.", title=loan.item.record.title,
                           barcode=loan.item.barcode, date=loan.due_date.strftime("%d/%m/%Y")),
                   mode=mode, reader_id=reader_id, code="renew")


def _scan_renew(code, institution):
    item = catalog.item_by_barcode(code)
    loan = services.open_loan_of(item)
    if loan is None:
        raise DomainError(_("“%(title)s” (%(barcode)s) is not on loan, so there is nothing to renew.",
                            title=item.record.title, barcode=item.barcode), code="not_on_loan")
    services.renew(loan, actor=current_user, institution=institution)
    return _renew_outcome(loan, mode="renew")


def _scan_visit(code, institution):
    patron = patrons.patron_by_barcode(code)
    _visit, first = services.check_in_visit(patron, institution=institution, actor=current_user)
    problems = [str(m) for c, m in services.reader_problems(patron, utcnow()) if c == "card"]
    if first:
        return Outcome("warn" if problems else "ok", _("Welcome, %(name)s.", name=patron.name), details=problems,
                       mode="visit", code="visit")
    return Outcome("ok", _("%(name)s has already been counted today.", name=patron.name), details=problems,
                   mode="visit", code="visit_again")


@bp.route("/desk/scan", methods=["POST"])
@staff_required("circulation.desk")
def scan():
    institution = _require_desk()
    form = ScanForm()
    if not form.validate_on_submit():
        abort(400)
    mode = _mode(form.mode.data)
    reader = _reader(form.reader.data)
    code = normalise_barcode(form.code.data)
    if not code:
        return _respond(Outcome("error", _("The scan was empty; scan the barcode again."), mode=mode,
                                reader_id=reader.id if reader else None, code="empty"), institution)
    try:
        if mode == "checkout":
            outcome = _scan_checkout(code, reader, institution)
        elif mode == "return":
            outcome = _scan_return(code, institution)
        elif mode == "renew":
            outcome = _scan_renew(code, institution)
        else:
            outcome = _scan_visit(code, institution)
        outcome.mode = outcome.mode if outcome.redirect else mode
        if outcome.reader_id is None and reader is not None:
            outcome.reader_id = reader.id      # the reader stays chosen while the desk switches modes
        # The answer is drawn inside the same transaction: one write lock per scan, released at commit.
        response = _respond(outcome, institution)
        db.session.commit()
        return response
    except DomainError as error:
        db.session.rollback()
        outcome = Outcome("error", str(error.message), mode=mode, reader_id=reader.id if reader else None,
                          code=error.code)
    return _respond(outcome, institution)


def _desk_return(loan_reader_id=None):
    return request.form.get("mode", "checkout"), request.form.get("reader") or loan_reader_id


@bp.route("/loans/<int:loan_id>/renew", methods=["POST"])
@staff_required("circulation.desk")
def renew_loan(loan_id):
    institution = _require_desk()
    EmptyForm().validate_on_submit() or abort(400)
    mode, reader_id = _desk_return()
    loan = services.get_loan(loan_id, lock=True)
    seen = request.form.get("seen", "")
    try:
        services.renew(loan, actor=current_user, institution=institution,
                       seen_renewals=int(seen) if seen.isdigit() and len(seen) < 4 else None)
        outcome = _renew_outcome(loan, mode=_mode(mode), reader_id=_int(reader_id))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        outcome = Outcome("error", str(error.message), mode=_mode(mode), reader_id=_int(reader_id), code=error.code)
    return _respond(outcome, institution)


@bp.route("/loans/<int:loan_id>/undo", methods=["POST"])
@staff_required("circulation.desk")
def undo_loan(loan_id):
    institution = _require_desk()
    EmptyForm().validate_on_submit() or abort(400)
    _mode_value, reader_id = _desk_return()
    loan = services.get_loan(loan_id)
    try:
        services.void_loan(loan, actor=current_user)
        outcome = Outcome("ok", _("Undone: “%(title)s” (%(barcode)s) was not lent.", title=loan.item.record.title,
                                  barcode=loan.item.barcode), reader_id=_int(reader_id), code="undo")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        outcome = Outcome("error", str(error.message), reader_id=_int(reader_id), code=error.code)
    return _respond(outcome, institution)


@bp.route("/fines/<int:fine_id>/settle", methods=["POST"])
@staff_required("circulation.desk")
def settle_fine(fine_id):
    institution = _require_desk()
    EmptyForm().validate_on_submit() or abort(400)
    fine = db.session.get(Fine, fine_id) or abort(404)
    how = request.form.get("how")
    try:
        services.settle_fine(fine, actor=current_user, how=how)
        outcome = Outcome("ok", _("The fine is settled."), reader_id=_int(request.form.get("reader")), code="fine")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        outcome = Outcome("error", str(error.message), reader_id=_int(request.form.get("reader")), code=error.code)
    return _respond(outcome, institution)


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# -- holds ----------------------------------------------------------------------------

def _find_record(text):
    """A record from a copy barcode, an ISBN or a title; a list when the title matches several."""
    text = (text or "").strip()
    item = catalog.item_by_barcode(text, required=False) if normalise_barcode(text) else None
    if item is not None:
        return item.record, []
    digits = text.replace("-", "").replace(" ", "").upper()
    if digits and digits[:-1].isdigit() and len(digits) in (10, 13):
        record = db.session.scalar(sa.select(Record).where(Record.isbn == digits).limit(1))
        if record is not None:
            return record, []
    candidates = db.session.scalars(sa.select(Record).where(Record.title.ilike(f"%{text}%"))
                                    .order_by(Record.title_sort).limit(20)).all()
    if len(candidates) == 1:
        return candidates[0], []
    return None, candidates


def _pickup_choices():
    return [(str(i.id), i.name) for i in org.all_institutions(active_only=True, kinds=DESK_KINDS)]


@bp.route("/holds")
@staff_required("circulation.desk")
def holds():
    institution = _require_desk()
    return render_template("circulation/holds.html", institution=institution, today=local_today(),
                           shelf=services.holds_shelf(institution.id), to_pull=services.holds_to_pull(institution.id),
                           incoming=services.incoming_holds(institution.id), action_form=EmptyForm(),
                           queue_position=services.queue_position)


@bp.route("/holds/new", methods=["GET", "POST"])
@staff_required("circulation.desk")
def place_hold():
    institution = _require_desk()
    form = HoldForm()
    form.pickup.choices = _pickup_choices()
    if request.method == "GET":
        form.pickup.data = str(institution.id)
        reader = _reader(request.args.get("reader"))
        if reader is not None:
            form.reader.data = reader.barcode
        if request.args.get("record"):
            record = db.session.get(Record, _int(request.args["record"]) or 0)
            if record is not None:
                form.record.data = str(record.id)
                form.title.data = record.title
    candidates = []
    if form.validate_on_submit():
        try:
            patron = patrons.patron_by_barcode(form.reader.data)
            record = db.session.get(Record, _int(form.record.data) or 0) if form.record.data else None
            if record is None:
                record, candidates = _find_record(form.title.data)
            if record is not None:
                pickup = org.get(int(form.pickup.data))
                hold = services.place_hold(patron, record, pickup=pickup, institution=institution,
                                           actor=current_user, note=form.note.data or "")
                db.session.commit()
                flash(_("Hold placed for %(name)s on “%(title)s” (number %(n)d in the queue), to collect at "
                        "%(place)s.", name=patron.name, title=record.title, n=services.queue_position(hold),
                        place=pickup.name), "success")
                return redirect(url_for("circulation.desk", reader=patron.id))
            if not candidates:
                form.title.errors = [_("No title matches “%(text)s”. Scan a copy of it, or type the ISBN.",
                                       text=form.title.data)]
        except DomainError as error:
            form_error(form, error)
    return render_template("circulation/hold_form.html", form=form, candidates=candidates)


@bp.route("/holds/<int:hold_id>/cancel", methods=["POST"])
@staff_required("circulation.desk")
def cancel_hold(hold_id):
    EmptyForm().validate_on_submit() or abort(400)
    hold = services.get_hold(hold_id)
    try:
        _hold, result = services.cancel_hold(hold, actor=current_user)
        db.session.commit()
        flash(_("The hold is cancelled."), "success")
        if result is not None:
            flash(str(result.instruction), "warning")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/circulation/")
                    else url_for("circulation.holds"))


@bp.route("/holds/expire", methods=["POST"])
@staff_required("circulation.desk")
def expire_holds():
    institution = _require_desk()
    EmptyForm().validate_on_submit() or abort(400)
    results = services.expire_holds(actor=current_user, institution=institution)
    db.session.commit()
    flash(_("%(n)d uncollected hold(s) ended.", n=len(results)), "success")
    for _hold, result in results:
        if result is not None:
            flash(str(result.instruction), "warning")
    return redirect(url_for("circulation.holds"))


# -- transits -------------------------------------------------------------------------

@bp.route("/transits")
@staff_required("circulation.desk")
def transits():
    institution = _require_desk()
    return render_template("circulation/transits.html", institution=institution,
                           incoming=services.transits(institution.id),
                           outgoing=services.transits(institution.id, incoming=False), action_form=EmptyForm())


@bp.route("/transits/<int:transit_id>/receive", methods=["POST"])
@staff_required("circulation.desk")
def receive_transit(transit_id):
    institution = _require_desk()
    EmptyForm().validate_on_submit() or abort(400)
    transit = services.get_transit(transit_id)
    try:
        result = services.receive_transit(transit, institution=institution, actor=current_user)
        db.session.commit()
        flash(str(result.instruction), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("circulation.transits"))


# -- visits and tallies -----------------------------------------------------------------

@bp.route("/visits", methods=["GET", "POST"])
@staff_required("circulation.desk")
def visits():
    institution = _require_desk()
    form = TallyForm()
    if request.method == "GET":
        form.date.data = local_today()
    if form.validate_on_submit():
        try:
            services.add_tally(institution=institution, date=form.date.data, kind=form.kind.data,
                               count=form.count.data, note=form.note.data or "", actor=current_user)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(n)d added to %(date)s.", n=form.count.data, date=form.date.data.strftime("%d/%m/%Y")),
                  "success")
            return redirect(url_for("circulation.visits"))
    tallies = services.recent_tallies(institution.id)
    totals = {}
    for tally in tallies:
        key = (tally.date, tally.kind.value)
        totals[key] = totals.get(key, 0) + tally.count
    return render_template("circulation/visits.html", institution=institution, form=form, tallies=tallies,
                           totals=totals, visits=services.visits_today(institution.id), action_form=EmptyForm())


@bp.route("/tallies/<int:tally_id>/delete", methods=["POST"])
@staff_required("circulation.desk")
def delete_tally(tally_id):
    EmptyForm().validate_on_submit() or abort(400)
    tally = services.get_tally(tally_id)
    try:
        services.delete_tally(tally, actor=current_user)
        db.session.commit()
        flash(_("The entry is deleted."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("circulation.visits"))


# -- overdues and reminder letters ----------------------------------------------------------

def _overdue_groups(institution, ids=None):
    today = local_today()
    grouped = services.overdue_by_reader(institution.id, today, patron_ids=ids)
    readers = {p.id: p for p in db.session.scalars(sa.select(Patron).where(Patron.id.in_(list(grouped))))}
    settings = policy.settings_for(institution.id)
    rows = []
    for patron_id, loans in grouped.items():
        patron = readers.get(patron_id)
        if patron is None:
            continue
        rows.append({"patron": patron, "loans": loans, "personal": patrons.can_see_personal(current_user, patron),
                     "fine": sum(services.accrued_fine(loan, today, settings) for loan in loans)})
    rows.sort(key=lambda r: (r["patron"].name_sort, r["patron"].id))
    return rows, today, settings


@bp.route("/overdues")
@staff_required("circulation.desk")
def overdues():
    institution = _require_desk()
    rows, today, settings = _overdue_groups(institution)
    return render_template("circulation/overdues.html", institution=institution, rows=rows, today=today,
                           settings=settings, action_form=EmptyForm())


@bp.route("/overdues/letters")
@staff_required("circulation.desk")
def letters():
    institution = _require_desk()
    ids = [_int(v) for v in request.args.getlist("reader") if _int(v)]
    rows, today, settings = _overdue_groups(institution, ids or None)
    return render_template("circulation/letters.html", institution=institution, rows=rows, today=today,
                           settings=settings, action_form=EmptyForm())


@bp.route("/overdues/reminded", methods=["POST"])
@staff_required("circulation.desk")
def reminded():
    institution = _require_desk()
    EmptyForm().validate_on_submit() or abort(400)
    ids = [_int(v) for v in request.form.getlist("loan") if _int(v)]
    loans = db.session.scalars(sa.select(Loan).where(Loan.id.in_(ids))).all() if ids else []
    try:
        count = services.record_reminders(loans, actor=current_user, institution=institution)
        db.session.commit()
        flash(_("%(n)d reminder(s) recorded as sent.", n=count), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("circulation.overdues"))


# -- loan rules, settings and closed days -------------------------------------------------------

def _rule_institutions():
    """Institutions whose rules the user may change (administrators: also the network default, id "")."""
    out = []
    if current_user.can("org.edit"):
        out.append(("", _("Whole network (default)")))
    out += [(str(i.id), i.name) for i in org.all_institutions(active_only=True, kinds=DESK_KINDS)
            if current_user.can("circulation.rules", i)]
    return out


def _can_change_rule(rule):
    if rule.institution_id is None:
        return current_user.can("org.edit")
    return current_user.can("circulation.rules", rule.institution_id)


def _chosen(value):
    return org.get(int(value)) if value else None


@bp.route("/rules")
@staff_required("circulation.desk")
def rules():
    institution = _require_desk()
    visible = [None, institution.id] if not current_user.province_wide else None
    query = sa.select(LoanRule).outerjoin(Institution, Institution.id == LoanRule.institution_id) \
        .order_by(LoanRule.institution_id.is_not(None), Institution.name_sort, LoanRule.category,
                  LoanRule.material_type)
    rows = db.session.scalars(query).all()
    if visible is not None:
        rows = [r for r in rows if r.institution_id in visible]
    settings_rows = db.session.scalars(sa.select(policy.CirculationSettings)).all()
    closed = db.session.scalars(sa.select(ClosedDay).where(ClosedDay.date >= local_today() - dt.timedelta(days=31))
                                .order_by(ClosedDay.date)).all()
    if visible is not None:
        closed = [c for c in closed if c.institution_id in visible]
    choices = _rule_institutions()
    rule_form, settings_form, closed_form = RuleForm(), SettingsForm(), ClosedDayForm()
    for form in (rule_form, settings_form, closed_form):
        form.institution.choices = choices
        form.institution.data = str(institution.id) if any(c[0] == str(institution.id) for c in choices) else ""
    editing = None
    if request.args.get("edit"):
        editing = db.session.get(LoanRule, _int(request.args["edit"]) or 0)
        if editing is not None and (editing.institution_id is None and not current_user.can("org.edit")
                                    or editing.institution_id is not None
                                    and not current_user.can("circulation.rules", editing.institution_id)):
            editing = None
    if editing is not None:
        rule_form.institution.data = str(editing.institution_id or "")
        rule_form.category.data = editing.category or ""
        rule_form.material_type.data = editing.material_type or ""
        rule_form.loan_days.data = editing.loan_days
        rule_form.max_loans.data = editing.max_loans
        rule_form.max_renewals.data = editing.max_renewals
        rule_form.holds_allowed.data = editing.holds_allowed
    current = policy.settings_for(institution.id)
    settings_form.closed_weekdays.data = current.closed_weekdays
    settings_form.hold_pickup_days.data = current.hold_pickup_days
    settings_form.overdue_block_days.data = current.overdue_block_days
    settings_form.fines_enabled.data = current.fines_enabled
    settings_form.fine_per_day.data = current.fine_per_day
    settings_form.fine_max.data = current.fine_max
    return render_template("circulation/rules.html", institution=institution, rules=rows, settings=current,
                           settings_rows=settings_rows, closed=closed, rule_form=rule_form,
                           settings_form=settings_form, closed_form=closed_form,
                           holidays_form=HolidaysForm(year=local_today().year), can_edit=bool(choices),
                           editing=editing, can_change=_can_change_rule,
                           categories=dict(PatronCategory.choices()), materials=dict(MaterialType.choices()),
                           can_network=current_user.can("org.edit"), action_form=EmptyForm(),
                           default_rule=policy.DEFAULT_RULE, default_by_category=policy.DEFAULT_BY_CATEGORY)


def _rules_post(form, call, success):
    form.institution.choices = _rule_institutions()
    if form.validate_on_submit():
        try:
            call(form)
            db.session.commit()
            flash(success, "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    else:
        for name, errors in form.errors.items():
            label = getattr(form, name).label.text if hasattr(form, name) else name
            flash(f"{label}: {'; '.join(errors)}", "error")
    return redirect(url_for("circulation.rules"))


@bp.route("/rules", methods=["POST"])
@staff_required("circulation.rules")
def save_rule():
    def call(form):
        rule = policy.get_rule(_int(request.form.get("rule"))) if request.form.get("rule") else None
        policy.save_rule(actor=current_user, institution=_chosen(form.institution.data),
                         category=form.category.data or None, material_type=form.material_type.data or None,
                         loan_days=form.loan_days.data, max_loans=form.max_loans.data,
                         max_renewals=form.max_renewals.data, holds_allowed=form.holds_allowed.data, rule=rule)
    return _rules_post(RuleForm(), call, _("The loan rule is saved."))


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
@staff_required("circulation.rules")
def delete_rule(rule_id):
    EmptyForm().validate_on_submit() or abort(400)
    try:
        policy.delete_rule(policy.get_rule(rule_id), actor=current_user)
        db.session.commit()
        flash(_("The loan rule is deleted."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("circulation.rules"))


@bp.route("/rules/settings", methods=["POST"])
@staff_required("circulation.rules")
def save_settings():
    def call(form):
        policy.save_settings(actor=current_user, institution=_chosen(form.institution.data),
                             closed_weekdays=form.closed_weekdays.data or "",
                             hold_pickup_days=form.hold_pickup_days.data,
                             overdue_block_days=form.overdue_block_days.data, fines_enabled=form.fines_enabled.data,
                             fine_per_day=form.fine_per_day.data or 0, fine_max=form.fine_max.data)
    return _rules_post(SettingsForm(), call, _("The desk settings are saved."))


@bp.route("/closed-days", methods=["POST"])
@staff_required("circulation.rules")
def add_closed_day():
    def call(form):
        policy.add_closed_day(actor=current_user, institution=_chosen(form.institution.data), date=form.date.data,
                              name=form.name.data or "")
    return _rules_post(ClosedDayForm(), call, _("The closed day is added; due dates will skip it."))


@bp.route("/closed-days/<int:day_id>/delete", methods=["POST"])
@staff_required("circulation.rules")
def delete_closed_day(day_id):
    EmptyForm().validate_on_submit() or abort(400)
    day = db.session.get(ClosedDay, day_id) or abort(404)
    try:
        policy.delete_closed_day(day, actor=current_user)
        db.session.commit()
        flash(_("The closed day is removed."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("circulation.rules"))


@bp.route("/closed-days/holidays", methods=["POST"])
@staff_required("circulation.rules")
def load_holidays():
    form = HolidaysForm()
    if form.validate_on_submit():
        try:
            added = policy.load_national_holidays(actor=current_user, year=form.year.data)
            db.session.commit()
            flash(_("%(n)d public holiday(s) of %(year)d added.", n=added, year=form.year.data), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    else:
        flash(_("Give a year like 2025."), "error")
    return redirect(url_for("circulation.rules"))


# -- a reader's history (for the reader's own library) -------------------------------------------

def reader_history_panel(patron, user):
    """Loans and holds of a reader, for the reader page (shown to the home library's staff only)."""
    page = db.paginate(sa.select(Loan).where(Loan.patron_id == patron.id).order_by(Loan.checked_out_at.desc()),
                       page=page_number(), per_page=25, error_out=False)
    holds = db.session.scalars(sa.select(Hold).where(Hold.patron_id == patron.id)
                               .order_by(Hold.placed_at.desc()).limit(20)).all()
    fines = db.session.scalars(sa.select(Fine).where(Fine.patron_id == patron.id).order_by(Fine.id.desc())
                               .limit(20)).all()
    return {"loans_page": page, "holds": holds, "fines": fines, "today": local_today(),
            "active_states": (HoldStatus.WAITING, HoldStatus.IN_TRANSIT, HoldStatus.READY)}


@bp.app_template_global("loan_local_date")
def loan_local_date(value):
    return local_date(value) if value else None




def _when(value):
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value else None


def reader_loans_data(patron):
    """Every loan still linked to the reader, for the reader's own data export."""
    loans = db.session.scalars(sa.select(Loan).where(Loan.patron_id == patron.id)
                               .order_by(Loan.checked_out_at)).all()
    return ([_("Borrowed"), _("Title"), _("Barcode"), _("Library"), _("Due"), _("Returned")],
            [(_when(l.checked_out_at), l.item.record.title, l.item.barcode, l.institution.code,
              l.due_date.strftime("%d/%m/%Y"),
              _("voided") if l.voided_at else _when(l.returned_at)) for l in loans])


def reader_visits_data(patron):
    visits = db.session.scalars(sa.select(Visit).where(Visit.patron_id == patron.id, Visit.voided_at.is_(None))
                                .order_by(Visit.at)).all()
    return [_("Came in"), _("Library")], [(_when(v.at), v.institution.code) for v in visits]


def reader_holds_data(patron):
    holds = db.session.scalars(sa.select(Hold).where(Hold.patron_id == patron.id).order_by(Hold.placed_at)).all()
    return ([_("Placed"), _("Title"), _("Pick up at"), _("Status")],
            [(_when(h.placed_at), h.record.title, h.pickup_institution.code, str(h.status.label)) for h in holds])
