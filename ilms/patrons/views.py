"""Reader screens: find, register, edit, renew and replace cards, blocks, the printable card.

A reader's personal data is shown to staff of the reader's home library only;
staff of another library (who may lend to the reader at their desk) see the
name, the card and its validity, and the blocks.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..accounts import services as accounts
from ..common.db import valid_id
from ..common.errors import DomainError, PermissionDenied
from ..common.time import local_today
from ..common.web import EmptyForm, form_error, id_arg, page_number, staff_required
from ..extensions import db
from ..org import services as org
from . import READER_DATA, READER_PANELS, services
from . import signin
from .forms import BlockForm, PatronForm, PinForm, RenewCardForm, ReplaceCardForm
from .models import Patron

bp = Blueprint("patrons", __name__, url_prefix="/readers")

LENDING_KINDS = ("provincial_library", "district_library", "postal_cultural_point")


def _home_choices():
    """Libraries where the user may register readers."""
    return [(str(inst.id), inst.name) for inst in org.all_institutions(active_only=True)
            if inst.kind.value in LENDING_KINDS and current_user.can("patrons.edit", inst)]


def _may_open(patron):
    return services.can_see_personal(current_user, patron) or current_user.can("circulation.desk")


@bp.route("/")
@staff_required("patrons.view")
def index():
    q = (request.args.get("q") or "").strip()
    institution_id = id_arg("institution")
    query = services.search_query(q, actor=current_user, institution_ids=[institution_id] if institution_id else None)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    if q and page.total == 1 and page.page == 1:
        return redirect(url_for("patrons.view", patron_id=page.items[0].id))
    return render_template("patrons/index.html", page=page, q=q, today=local_today(),
                           can_register=bool(_home_choices()))


def _fields(form):
    return dict(name=form.name.data, category=form.category.data, ethnicity=form.ethnicity.data or None,
                sex=form.sex.data or None, birth_year=form.birth_year.data, address=form.address.data or "",
                phone=form.phone.data or "", note=form.note.data or "", email=form.email.data or "",
                notice_channel=form.notice_channel.data or "auto")


@bp.route("/new", methods=["GET", "POST"])
@staff_required("patrons.edit")
def create():
    form = PatronForm()
    form.institution.choices = _home_choices()
    if not form.institution.choices:
        abort(403)
    if request.method == "GET":
        form.submission.data = accounts.new_submission_key()
        if current_user.institution_id and any(c[0] == str(current_user.institution_id)
                                               for c in form.institution.choices):
            form.institution.data = str(current_user.institution_id)
    if form.validate_on_submit():
        try:
            earlier = accounts.claim_submission(form.submission.data, user=current_user)
        except IntegrityError:   # the same page sent twice at once (PostgreSQL): the other one registered
            db.session.rollback()
            earlier = accounts.claim_submission(form.submission.data, user=current_user)
        if earlier is not None:
            db.session.rollback()
            flash(_("This form was already sent: the reader is registered once."), "info")
            return redirect(earlier.result_url or url_for("patrons.index"))
        try:
            patron = services.register_patron(
                actor=current_user, institution=org.get(int(form.institution.data)), barcode=form.barcode.data or None,
                card_issued=form.card_issued.data, card_expires=form.card_expires.data, **_fields(form))
            accounts.finish_submission(form.submission.data, url_for("patrons.view", patron_id=patron.id))
            db.session.commit()
        except (DomainError, ValueError) as error:
            form_error(form, error if isinstance(error, DomainError) else DomainError(str(error)))
        else:
            flash(_("%(name)s is registered with card %(card)s.", name=patron.name, card=patron.barcode), "success")
            return redirect(url_for("patrons.view", patron_id=patron.id))
    return render_template("patrons/form.html", form=form, patron=None)


@bp.route("/<int:patron_id>")
@staff_required()
def view(patron_id):
    patron = services.get_patron(patron_id)
    if not _may_open(patron):
        abort(403)
    personal = services.can_see_personal(current_user, patron)
    panels = [(template, context(patron, current_user)) for template, context in READER_PANELS] if personal else []
    return render_template("patrons/view.html", patron=patron, personal=personal, panels=panels,
                           today=local_today(), can_edit=current_user.can("patrons.edit", patron.institution_id),
                           renew_form=RenewCardForm(), replace_form=ReplaceCardForm(), block_form=BlockForm(),
                           action_form=EmptyForm(), pin_form=PinForm(), expires_soon=services.card_expires_soon(patron))


@bp.route("/<int:patron_id>/data")
@staff_required("patrons.view")
def data_export(patron_id):
    """Everything ILMS holds about a reader, to print and hand to them (their right to see their data).

    Only staff of the reader's home institution (or province-wide roles) may
    print it; history already anonymised is no longer linked and not shown.
    """
    patron = services.get_patron(patron_id)
    if not services.can_see_personal(current_user, patron):
        abort(403)
    sections = [(title, *rows(patron)) for title, rows in READER_DATA]
    return render_template("patrons/data.html", patron=patron, sections=sections, today=local_today())


@bp.route("/<int:patron_id>/edit", methods=["GET", "POST"])
@staff_required("patrons.edit")
def edit(patron_id):
    patron = services.get_patron(patron_id)
    services.require_personal(current_user, patron)
    form = PatronForm(obj=patron if request.method == "GET" else None)
    form.institution.choices = _home_choices()
    if request.method == "GET":
        form.category.data = patron.category.value
        form.sex.data = patron.sex.value if patron.sex else ""
        form.ethnicity.data = patron.ethnicity or ""
        form.notice_channel.data = patron.notice_channel.value
        form.institution.data = str(patron.institution_id)
    if form.validate_on_submit():
        try:
            services.update_patron(patron, actor=current_user, institution=org.get(int(form.institution.data)),
                                   barcode=form.barcode.data or None, card_issued=form.card_issued.data,
                                   card_expires=form.card_expires.data, **_fields(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Changes to %(name)s saved.", name=patron.name), "success")
            return redirect(url_for("patrons.view", patron_id=patron.id))
    return render_template("patrons/form.html", form=form, patron=patron)


def _act(patron_id, call, success):
    patron = services.get_patron(patron_id)
    try:
        call(patron)
        db.session.commit()
        flash(success(patron), "success")
    except PermissionDenied:
        raise                                   # the app-wide handler answers 403
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("patrons.view", patron_id=patron_id))


@bp.route("/<int:patron_id>/renew-card", methods=["POST"])
@staff_required("patrons.edit")
def renew_card(patron_id):
    form = RenewCardForm()
    form.validate_on_submit() or abort(400)
    return _act(patron_id, lambda p: services.renew_card(p, actor=current_user, until=form.until.data),
                lambda p: _("The card is valid until %(date)s.", date=p.card_expires.strftime("%d/%m/%Y")))


@bp.route("/<int:patron_id>/lost-card", methods=["POST"])
@staff_required("patrons.edit")
def lost_card(patron_id):
    EmptyForm().validate_on_submit() or abort(400)
    return _act(patron_id, lambda p: services.report_card_lost(p, actor=current_user),
                lambda p: _("The card is blocked. Give the reader a new card to lift the block."))


@bp.route("/<int:patron_id>/new-card", methods=["POST"])
@staff_required("patrons.edit")
def replace_card(patron_id):
    form = ReplaceCardForm()
    form.validate_on_submit() or abort(400)
    return _act(patron_id,
                lambda p: services.replace_card(p, actor=current_user, new_barcode=form.barcode.data or None),
                lambda p: _("New card %(card)s issued; the old one no longer works.", card=p.barcode))


@bp.route("/<int:patron_id>/blocks", methods=["POST"])
@staff_required("patrons.edit")
def add_block(patron_id):
    form = BlockForm()
    form.validate_on_submit() or abort(400)
    return _act(patron_id, lambda p: services.add_block(p, actor=current_user, kind=form.kind.data,
                                                        reason=form.reason.data or ""),
                lambda p: _("The reader is blocked from borrowing."))


@bp.route("/<int:patron_id>/blocks/<int:block_id>/lift", methods=["POST"])
@staff_required("patrons.edit")
def lift_block(patron_id, block_id):
    EmptyForm().validate_on_submit() or abort(400)
    return _act(patron_id, lambda p: services.lift_block(services.get_block(p, block_id), actor=current_user),
                lambda p: _("The block is lifted."))


@bp.route("/<int:patron_id>/pin", methods=["POST"])
@staff_required("patrons.edit")
def set_pin(patron_id):
    """Set the reader's OPAC PIN (typed by the reader, or random) and show the slip to print, once.

    The PIN is never stored in clear nor put in a URL: the slip is this POST's answer, and reloading
    it does not show the PIN again.
    """
    form = PinForm()
    form.validate_on_submit() or abort(400)
    patron = services.get_patron(patron_id)
    services.require_personal(current_user, patron)
    try:
        pin = signin.set_pin(patron, actor=current_user, pin=(form.pin.data or "").strip() or None)
        db.session.commit()
    except PermissionDenied:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("patrons.view", patron_id=patron_id))
    return render_template("patrons/pin_slip.html", patron=patron, pin=pin)


@bp.route("/<int:patron_id>/card")
@staff_required("patrons.view")
def card(patron_id):
    patron = services.get_patron(patron_id)
    services.require_personal(current_user, patron)
    return render_template("patrons/card.html", patrons=[patron])


@bp.route("/cards")
@staff_required("patrons.view")
def cards():
    """Cards of several readers on one sheet (``?reader=1&reader=2``), e.g. everyone registered today."""
    ids = [i for i in map(valid_id, request.args.getlist("reader")) if i]
    readers = db.session.scalars(sa.select(Patron).where(Patron.id.in_(ids)).order_by(Patron.name_sort)).all() \
        if ids else []
    readers = [p for p in readers if services.can_see_personal(current_user, p)]
    if not readers:
        abort(404)
    return render_template("patrons/card.html", patrons=readers)
