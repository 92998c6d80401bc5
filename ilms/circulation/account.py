"""The reader's own account in the OPAC (``/opac/account/``): loans, renewals, holds, reading list, PIN.

Phone-first pages that work without JavaScript. A reader signs in with card
number and PIN (``patrons.signin``); the reader session lives under its own
key and grants nothing on staff pages, as a staff session grants nothing here.
Every page shows the signed-in reader's own records only: ids in URLs are
looked up among the reader's loans and holds, never globally.
"""
import functools

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..audit import acting_as
from ..audit.capture import Actor
from ..common.errors import DomainError, NotFound
from ..common.time import local_today
from ..common.web import EmptyForm, client_address, form_error, is_safe_next
from ..extensions import db
from ..patrons import READER_DATA
from ..patrons import services as patrons
from ..patrons import signin
from . import selfservice
from .forms import ReaderHoldForm, ReaderLoginForm, ReaderPinForm, ReaderSettingsForm

bp = Blueprint("opac_account", __name__, url_prefix="/opac/account")

SESSION_KEY = "reader_sid"
#: Who the audit trail names for a reader's own changes (not the card number: the trail keeps it for years).
READER_ACTOR = Actor(None, "reader (OPAC)")


@bp.before_request
def _load_reader():
    wanted = request.args.get("hl")
    if wanted in current_app.config["LANGUAGES"]:
        session["lang"] = wanted
    g.reader = signin.session_reader(session.get(SESSION_KEY))
    g.private_page = True
    if g.reader is not None:
        g.reader_audit = acting_as(READER_ACTOR)
        g.reader_audit.__enter__()


@bp.teardown_request
def _end_audit(_error=None):
    audit = g.pop("reader_audit", None)
    if audit is not None:
        audit.__exit__(None, None, None)


@bp.after_request
def _private(response):
    # a reader's loans must not stay in a shared computer's cache (a library PC, a family phone)
    response.headers["Cache-Control"] = "no-store"
    return response


def reader_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("reader") is None:
            session.pop(SESSION_KEY, None)
            return redirect(url_for("opac_account.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
        return view(*args, **kwargs)
    return wrapper


def _reader_action(call, success):
    """One reader action (a POST button): commit and say so, or say why not; back to the account page."""
    EmptyForm().validate_on_submit() or abort(400)
    try:
        result = call()
        db.session.commit()
        flash(success(result), "success")
    except NotFound:
        raise                       # another reader's id, or none: the same 404
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("opac_account.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = ReaderLoginForm()
    if request.method == "GET":
        if g.reader is not None:
            return redirect(url_for("opac_account.index"))
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            patron = signin.authenticate_reader(form.card.data, form.pin.data, address=client_address())
            record = signin.start_reader_session(patron)
            db.session.commit()
        except signin.BadReaderCredentials as error:
            db.session.commit()  # keep the failure: it counts toward throttling
            flash(str(error.message), "error")
            status = 401
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            status = error.status_code
        else:
            signin.end_reader_session(session.get(SESSION_KEY))
            db.session.commit()
            session[SESSION_KEY] = record.id
            target = form.next.data
            return redirect(target if is_safe_next(target) and target.startswith("/opac/")
                            else url_for("opac_account.index"))
    elif request.method == "POST":
        status = 400
    return render_template("circulation/account/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    EmptyForm().validate_on_submit() or abort(400)
    signin.end_reader_session(session.pop(SESSION_KEY, None))
    db.session.commit()
    flash(_("You have signed out of your reader account."), "info")
    return redirect(url_for("opac_account.login"))


@bp.route("/")
@reader_required
def index():
    reader = g.reader
    return render_template("circulation/account/index.html", reader=reader, loans=selfservice.my_loans(reader),
                           holds=selfservice.my_holds(reader), today=local_today(),
                           problems=selfservice.standing(reader), action_form=EmptyForm())


@bp.route("/loans/<int:loan_id>/renew", methods=["POST"])
@reader_required
def renew(loan_id):
    return _reader_action(lambda: selfservice.renew_my_loan(g.reader, loan_id),
                          lambda loan: _("Renewed: “%(title)s” is now due %(date)s.", title=loan.item.record.title,
                                         date=loan.due_date.strftime("%d/%m/%Y")))


@bp.route("/holds/<int:hold_id>/cancel", methods=["POST"])
@reader_required
def cancel_hold(hold_id):
    return _reader_action(lambda: selfservice.cancel_my_hold(g.reader, hold_id),
                          lambda _result: _("The hold is cancelled."))


@bp.route("/hold/<int:record_id>", methods=["GET", "POST"])
@reader_required
def place_hold(record_id):
    record = selfservice.holdable_record(record_id)
    form = ReaderHoldForm()
    places = selfservice.pickup_places()
    form.pickup.choices = [(str(p.id), p.name) for p in places]
    if request.method == "GET" and any(p.id == g.reader.institution_id for p in places):
        form.pickup.data = str(g.reader.institution_id)
    if form.validate_on_submit():
        try:
            pickup_id = int(form.pickup.data) if (form.pickup.data or "").isdigit() else None
            hold = selfservice.place_my_hold(g.reader, record.id, pickup_id)
            db.session.commit()
        except NotFound:
            raise
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Hold placed on “%(title)s”; we will tell you when it is ready at %(place)s.",
                    title=record.title, place=hold.pickup_institution.name), "success")
            return redirect(url_for("opac_account.index"))
    return render_template("circulation/account/hold.html", form=form, record=record)


@bp.route("/history")
@reader_required
def history():
    return render_template("circulation/account/history.html", reader=g.reader, entries=selfservice.my_history(g.reader),
                           action_form=EmptyForm())


@bp.route("/history/clear", methods=["POST"])
@reader_required
def clear_history():
    EmptyForm().validate_on_submit() or abort(400)
    count = selfservice.forget_history(g.reader)
    db.session.commit()
    flash(_("Your reading list is cleared (%(n)d title(s)).", n=count), "success")
    return redirect(url_for("opac_account.history"))


@bp.route("/settings", methods=["GET", "POST"])
@reader_required
def settings():
    reader = g.reader
    form = ReaderSettingsForm(obj=reader if request.method == "GET" else None)
    if request.method == "GET":
        form.notice_channel.data = reader.notice_channel.value
    if form.validate_on_submit():
        try:
            stopped = patrons.set_own_preferences(reader, channel=form.notice_channel.data, email=form.email.data,
                                                  phone=form.phone.data, keep_history=form.keep_history.data)
            if stopped:
                selfservice.forget_history(reader)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your choices are saved."), "success")
            return redirect(url_for("opac_account.index"))
    return render_template("circulation/account/settings.html", form=form, reader=reader)


@bp.route("/pin", methods=["GET", "POST"])
@reader_required
def change_pin():
    form = ReaderPinForm()
    if form.validate_on_submit():
        try:
            signin.change_own_pin(g.reader, current_pin=form.current_pin.data, new_pin=form.new_pin.data,
                                  keep_session_id=session.get(SESSION_KEY))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your PIN is changed."), "success")
            return redirect(url_for("opac_account.index"))
    return render_template("circulation/account/pin.html", form=form)


@bp.route("/data")
@reader_required
def data():
    """What ILMS holds about me: the same printable page the reader's library prints at the desk."""
    reader = g.reader
    sections = [(title, *rows(reader)) for title, rows in READER_DATA]
    return render_template("circulation/account/data.html", patron=reader, sections=sections, today=local_today())
