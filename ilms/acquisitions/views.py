"""Staff screens of acquisitions and periodicals."""
import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..catalog import services as catalog
from ..catalog.models import AcquisitionSource
from ..common.errors import DomainError
from ..common.time import local_today
from ..common.web import EmptyForm, form_error, page_number, run_form_service, staff_required
from ..extensions import db
from ..org import services as org
from ..org.models import InstitutionKind
from . import services
from .forms import (CheckInForm, DonationForm, FundForm, LineForm, OrderForm, ReceiveForm, SerialForm,
                    SubscriptionForm, SupplierForm, TransferForm)
from .models import Donation, Fund, Order, OrderLine, OrderStatus, Serial, Supplier, Transfer

bp = Blueprint("acquisitions", __name__, url_prefix="/acquisitions")
CAP = services.CAP
LIBRARY_KINDS = (InstitutionKind.PROVINCIAL_LIBRARY, InstitutionKind.DISTRICT_LIBRARY)


# -- helpers ---------------------------------------------------------------------------------------

def _libraries():
    """Libraries whose acquisitions the user runs (administrators: every library)."""
    return [i for i in org.all_institutions(active_only=True)
            if i.kind in LIBRARY_KINDS and current_user.can(CAP, i)]


def _institution():
    """The library chosen by ``?institution=`` (in the user's scope), else the user's own."""
    raw = request.values.get("institution")
    if raw:
        try:
            inst = org.get(int(raw))
        except (TypeError, ValueError, DomainError):
            abort(404)
        if not current_user.can(CAP, inst):
            abort(403)
        return inst
    own = current_user.institution
    if own is not None and current_user.can(CAP, own):
        return own
    libraries = _libraries()
    if not libraries:
        abort(403)
    return libraries[0]


def _own(obj_institution_id):
    """403 unless the user works for that institution (orders, funds, donations of other libraries)."""
    inst = org.get(obj_institution_id)
    if not current_user.can(CAP, inst):
        abort(403)
    return inst


def _optional(model, ident):
    """The object an edit page is for (404 when the id names none), or ``None`` on a "new" page."""
    if ident is None:
        return None
    found = db.session.get(model, ident)
    if found is None:
        abort(404)
    return found


def _fund_choices(institution, year=None):
    return [(str(f.id), f"{f.code} · {f.name} ({f.year})") for f in services.funds_of([institution.id], year)]


def _year_arg():
    try:
        return int(request.args.get("year") or local_today().year)
    except ValueError:
        return local_today().year


@bp.app_template_filter("vnd")
def vnd(value):
    """An amount in đồng with dots between thousands (Vietnamese usage)."""
    if value is None:
        return "—"
    return f"{int(value):,}".replace(",", ".") + " đ"


# -- home: orders ------------------------------------------------------------------------------------

@bp.route("/")
@staff_required(CAP)
def index():
    institution = _institution()
    status = request.args.get("status") or None
    if status and status not in {s.value for s in OrderStatus}:
        status = None
    page = db.paginate(services.orders_of([institution.id], status=status), page=page_number(), per_page=30,
                       error_out=False)
    return render_template("acquisitions/index.html", institution=institution, choices=_libraries(), page=page,
                           status=status, statuses=list(OrderStatus))


# -- vendors and donors --------------------------------------------------------------------------------

@bp.route("/suppliers")
@staff_required(CAP)
def suppliers():
    return render_template("acquisitions/suppliers.html", suppliers=services.suppliers(),
                           institution=_institution())


@bp.route("/suppliers/new", methods=["GET", "POST"])
@bp.route("/suppliers/<int:supplier_id>", methods=["GET", "POST"])
@staff_required(CAP)
def supplier_form(supplier_id=None):
    supplier = _optional(Supplier, supplier_id)
    form = SupplierForm(obj=supplier)
    if supplier is None and request.method == "GET":
        form.is_vendor.data = request.args.get("role") != "donor"
        form.is_donor.data = request.args.get("role") == "donor"
    if form.validate_on_submit():
        saved = run_form_service(form, lambda: services.save_supplier(
            actor=current_user, supplier=supplier, name=form.name.data, kind=form.kind.data,
            is_vendor=form.is_vendor.data, is_donor=form.is_donor.data, contact=form.contact.data,
            address=form.address.data, note=form.note.data, active=form.active.data))
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for(".suppliers"))
    return render_template("acquisitions/supplier_form.html", form=form, supplier=supplier)


# -- funds -----------------------------------------------------------------------------------------

@bp.route("/funds")
@staff_required(CAP)
def funds():
    institution, year = _institution(), _year_arg()
    funds = services.funds_of([institution.id], year)
    return render_template("acquisitions/funds.html", institution=institution, choices=_libraries(), year=year,
                           funds=funds, balances=services.fund_balances(funds),
                           by_fund=services.acquired_by_fund([institution.id], year))


@bp.route("/funds/new", methods=["GET", "POST"])
@bp.route("/funds/<int:fund_id>", methods=["GET", "POST"])
@staff_required(CAP)
def fund_form(fund_id=None):
    fund = _optional(Fund, fund_id)
    institution = _own(fund.institution_id) if fund else _institution()
    form = FundForm(obj=fund)
    if fund is None and request.method == "GET":
        form.year.data = local_today().year
    if form.validate_on_submit():
        saved = run_form_service(form, lambda: services.save_fund(
            actor=current_user, institution=institution, fund=fund, year=form.year.data, code=form.code.data,
            name=form.name.data, kind=form.kind.data, allocated=form.allocated.data, note=form.note.data))
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for(".funds", institution=institution.id, year=saved.year))
    return render_template("acquisitions/fund_form.html", form=form, fund=fund, institution=institution)


# -- orders ----------------------------------------------------------------------------------------

def _vendor_choices():
    return [(str(s.id), s.name) for s in services.suppliers(vendors=True, active_only=True)]


@bp.route("/orders/new", methods=["GET", "POST"])
@staff_required(CAP)
def order_new():
    institution = _institution()
    form = OrderForm()
    form.vendor.choices = _vendor_choices()
    if request.method == "GET":
        form.ordered_on.data = local_today()
    if form.validate_on_submit():
        vendor = db.session.get(Supplier, int(form.vendor.data)) if form.vendor.data.isdigit() else None
        order = run_form_service(form, lambda: services.create_order(
            actor=current_user, institution=institution, vendor=vendor, ordered_on=form.ordered_on.data,
            note=form.note.data))
        if order:
            flash(_("Order %(number)s is started: add its titles.", number=order.number), "success")
            return redirect(url_for(".order_view", order_id=order.id))
    return render_template("acquisitions/order_new.html", form=form, institution=institution,
                           choices=_libraries())


def _owned(model, ident):
    """An order, donation... of the user's institution: 404 when there is none, 403 when it is another's."""
    found = db.session.get(model, ident)
    if found is None:
        abort(404)
    _own(found.institution_id)
    return found


def _order(order_id):
    return _owned(Order, order_id)


def _order_page(order, line_form=None, status=200):
    line_form = line_form or LineForm()
    line_form.fund.choices = _fund_choices(order.institution)
    if request.method == "GET" and request.args.get("record"):
        line_form.record.data = request.args["record"]
    found = []
    query = (request.args.get("find") or "").strip()
    if query and order.status == OrderStatus.DRAFT:
        _result, found, _ok = catalog.search(catalog.query_from_args({"q": query}, per_page=10))
    receive_forms = {}
    for line in order.lines:
        form = ReceiveForm(prefix=f"line{line.id}")
        form.count.data, form.on.data = line.outstanding or None, local_today()
        receive_forms[line.id] = form
    received = services.copies_of_order(order)
    return render_template("acquisitions/order.html", order=order, line_form=line_form, found=found, find=query,
                           receive_forms=receive_forms, received=received, button=EmptyForm(),
                           balances=services.fund_balances({l.fund for l in order.lines})), status


@bp.route("/orders/<int:order_id>")
@staff_required(CAP)
def order_view(order_id):
    return _order_page(_order(order_id))


@bp.route("/orders/<int:order_id>/lines", methods=["POST"])
@staff_required(CAP)
def line_add(order_id):
    order = _order(order_id)
    form = LineForm()
    form.fund.choices = _fund_choices(order.institution)
    if form.validate_on_submit():
        fund = db.session.get(Fund, int(form.fund.data)) if form.fund.data.isdigit() else None

        def add():
            record = services.record_for(actor=current_user, reference=form.record.data, title=form.title.data,
                                         author=form.author.data, isbn=form.isbn.data)
            return services.add_line(order, actor=current_user, record=record, quantity=form.quantity.data,
                                     unit_price=form.unit_price.data, fund=fund)
        line = run_form_service(form, add)
        if line:
            flash(_("Added: %(title)s × %(count)d.", title=line.record.title, count=line.quantity), "success")
            return redirect(url_for(".order_view", order_id=order.id))
    return _order_page(order, form, status=422)


@bp.route("/orders/<int:order_id>/lines/<int:line_id>/delete", methods=["POST"])
@staff_required(CAP)
def line_delete(order_id, line_id):
    order = _order(order_id)
    line = db.session.get(OrderLine, line_id)
    form = EmptyForm()
    if line is None or line.order_id != order.id:
        abort(404)
    if form.validate_on_submit() and run_form_service(form, lambda: services.remove_line(line, actor=current_user)):
        flash(_("The line has been removed."), "success")
    return redirect(url_for(".order_view", order_id=order.id))


def _order_step(order_id, call):
    order = _order(order_id)
    form = EmptyForm()
    if form.validate_on_submit() and run_form_service(form, lambda: call(order, actor=current_user)):
        flash(_("Order %(number)s: %(status)s.", number=order.number, status=order.status.label), "success")
    return redirect(url_for(".order_view", order_id=order.id))


@bp.route("/orders/<int:order_id>/send", methods=["POST"])
@staff_required(CAP)
def order_send(order_id):
    return _order_step(order_id, services.send_order)


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@staff_required(CAP)
def order_cancel(order_id):
    return _order_step(order_id, services.cancel_order)


@bp.route("/orders/<int:order_id>/lines/<int:line_id>/receive", methods=["POST"])
@staff_required(CAP)
def line_receive(order_id, line_id):
    order = _order(order_id)
    line = db.session.get(OrderLine, line_id)
    if line is None or line.order_id != order.id:
        abort(404)
    form = ReceiveForm(prefix=f"line{line.id}")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for(".order_view", order_id=order.id))
    items = run_form_service(form, lambda: services.receive(line, actor=current_user, count=form.count.data,
                                                            on=form.on.data))
    if items:
        flash(_("%(count)d copies of “%(title)s” received: %(first)s – %(last)s.", count=len(items),
                title=line.record.title, first=items[0].barcode, last=items[-1].barcode), "success")
        return redirect(url_for(".order_view", order_id=order.id, printed=",".join(str(i.id) for i in items)))
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return redirect(url_for(".order_view", order_id=order.id))


@bp.route("/orders/<int:order_id>/print")
@staff_required(CAP)
def order_print(order_id):
    order = _order(order_id)
    return render_template("acquisitions/order_print.html", order=order, today=local_today())


# -- donations -------------------------------------------------------------------------------------

@bp.route("/donations")
@staff_required(CAP)
def donations():
    institution = _institution()
    page = db.paginate(sa.select(Donation).where(Donation.institution_id == institution.id)
                       .order_by(Donation.received_on.desc(), Donation.id.desc()),
                       page=page_number(), per_page=30, error_out=False)
    return render_template("acquisitions/donations.html", institution=institution, choices=_libraries(),
                           page=page)


@bp.route("/donations/new", methods=["GET", "POST"])
@staff_required(CAP)
def donation_new():
    institution = _institution()
    form = DonationForm()
    form.donor.choices = [("", "—")] + [(str(s.id), s.name) for s in services.suppliers(donors=True,
                                                                                         active_only=True)]
    if request.method == "GET":
        form.on.data = local_today()
    if form.validate_on_submit():
        def intake():
            if form.new_donor.data and form.new_donor.data.strip():
                donor = services.supplier_by_name(form.new_donor.data, donor=True, create_as=current_user)
            else:
                donor = db.session.get(Supplier, int(form.donor.data)) if form.donor.data.isdigit() else None
            entries = services.parse_gift_lines(form.entries.data, actor=current_user)
            return services.record_donation(actor=current_user, institution=institution, donor=donor,
                                            entries=entries, source=form.source.data, on=form.on.data,
                                            note=form.note.data)
        donation = run_form_service(form, intake)
        if donation:
            flash(_("%(count)d copies entered in the register.", count=len(donation.copies)), "success")
            return redirect(url_for(".donation_view", donation_id=donation.id))
    return render_template("acquisitions/donation_new.html", form=form, institution=institution,
                           choices=_libraries())


def _donation(donation_id):
    return _owned(Donation, donation_id)


@bp.route("/donations/<int:donation_id>")
@staff_required(CAP)
def donation_view(donation_id):
    donation = _donation(donation_id)
    return render_template("acquisitions/donation.html", donation=donation,
                           titles=services.donation_titles(donation))


@bp.route("/donations/<int:donation_id>/letter")
@staff_required(CAP)
def donation_letter(donation_id):
    donation = _donation(donation_id)
    return render_template("acquisitions/donation_letter.html", donation=donation,
                           titles=services.donation_titles(donation), today=local_today())


# -- transfers -------------------------------------------------------------------------------------

@bp.route("/transfers/new", methods=["GET", "POST"])
@staff_required(CAP)
def transfer_new():
    institution = _institution()
    form = TransferForm()
    form.to.choices = [(str(i.id), f"{i.code} · {i.name}") for i in org.all_institutions(active_only=True)
                       if i.kind in LIBRARY_KINDS and i.id != institution.id]
    if request.method == "GET":
        form.on.data = local_today()
    if form.validate_on_submit():
        to = org.get(int(form.to.data)) if form.to.data.isdigit() else None
        transfer = run_form_service(form, lambda: services.transfer_copies(
            actor=current_user, from_institution=institution, to_institution=to,
            barcodes=form.barcodes.data.split(), on=form.on.data, note=form.note.data))
        if transfer:
            flash(_("%(count)d copies now belong to %(to)s.", count=len(transfer.copies),
                    to=transfer.to_institution.name), "success")
            return redirect(url_for(".transfer_view", transfer_id=transfer.id))
    return render_template("acquisitions/transfer_new.html", form=form, institution=institution,
                           choices=_libraries())


@bp.route("/transfers/<int:transfer_id>")
@staff_required(CAP)
def transfer_view(transfer_id):
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        abort(404)
    if not (current_user.can(CAP, transfer.from_institution) or current_user.can(CAP, transfer.to_institution)):
        abort(403)
    return render_template("acquisitions/transfer.html", transfer=transfer)


# -- the accession register ------------------------------------------------------------------------

@bp.route("/register")
@staff_required(CAP)
def register():
    institution, year = _institution(), _year_arg()
    return render_template("acquisitions/register.html", institution=institution, choices=_libraries(),
                           year=year, register=services.accession_register(institution, year),
                           sources=list(AcquisitionSource))


# -- periodicals -----------------------------------------------------------------------------------

@bp.route("/periodicals")
@staff_required(CAP)
def periodicals():
    institution, today = _institution(), local_today()
    show_all = request.args.get("all") == "1"
    subs = services.subscriptions_of([institution.id], on=None if show_all else today)
    missing = {s.id: services.missing_issues(s, until=today) for s in subs}
    return render_template("acquisitions/periodicals.html", institution=institution, choices=_libraries(),
                           subscriptions=subs, missing=missing, show_all=show_all, today=today)


@bp.route("/periodicals/titles", methods=["GET", "POST"])
@bp.route("/periodicals/titles/<int:serial_id>", methods=["GET", "POST"])
@staff_required(CAP)
def serial_form(serial_id=None):
    serial = _optional(Serial, serial_id)
    form = SerialForm(obj=serial)
    if form.validate_on_submit():
        saved = run_form_service(form, lambda: services.save_serial(
            actor=current_user, serial=serial, title=form.title.data, issn=form.issn.data, kind=form.kind.data,
            frequency=form.frequency.data, publisher=form.publisher.data))
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for(".serial_form"))
    return render_template("acquisitions/serials.html", form=form, serial=serial, serials=services.serials())


@bp.route("/periodicals/subscribe", methods=["GET", "POST"])
@staff_required(CAP)
def subscribe():
    institution = _institution()
    form = SubscriptionForm()
    form.serial.choices = [(str(s.id), s.title) for s in services.serials()]
    form.fund.choices = [("", "—")] + _fund_choices(institution)
    if request.method == "GET":
        year = local_today().year
        form.start.data, form.end.data = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if form.validate_on_submit():
        serial = db.session.get(Serial, int(form.serial.data)) if form.serial.data.isdigit() else None
        fund = db.session.get(Fund, int(form.fund.data)) if (form.fund.data or "").isdigit() else None
        if serial is None:
            form.serial.errors = [_("Choose a title (add it to the list of titles first).")]
        else:
            saved = run_form_service(form, lambda: services.subscribe(
                actor=current_user, institution=institution, serial=serial, start=form.start.data,
                end=form.end.data, copies=form.copies.data, fund=fund, price=form.price.data, note=form.note.data))
            if saved:
                flash(_("%(institution)s subscribes to “%(title)s”.", institution=institution.code,
                        title=serial.title), "success")
                return redirect(url_for(".periodicals", institution=institution.id))
    return render_template("acquisitions/subscribe.html", form=form, institution=institution, choices=_libraries())


@bp.route("/periodicals/subscriptions/<int:subscription_id>")
@staff_required(CAP)
def subscription_view(subscription_id):
    subscription = services.get_subscription(subscription_id) if subscription_id else abort(404)
    _own(subscription.institution_id)
    today = local_today()
    return render_template("acquisitions/subscription.html", subscription=subscription,
                           missing=services.missing_issues(subscription, until=today), today=today)


@bp.route("/periodicals/check-in", methods=["GET", "POST"])
@staff_required(CAP)
def check_in():
    institution, today = _institution(), local_today()
    form = CheckInForm()
    current = services.subscriptions_of([institution.id], on=today)
    subscribed = {s.serial_id for s in current}
    form.serial.choices = ([(str(s.serial.id), s.serial.title) for s in current] +
                           [(str(s.id), s.title + " *") for s in services.serials() if s.id not in subscribed])
    if request.method == "GET":
        form.issue_date.data = today
        if request.args.get("serial"):
            form.serial.data = request.args["serial"]
    if form.validate_on_submit():
        serial = db.session.get(Serial, int(form.serial.data)) if form.serial.data.isdigit() else None
        if serial is None:
            abort(404)
        receipt = run_form_service(form, lambda: services.check_in(
            actor=current_user, institution=institution, serial=serial, issue_date=form.issue_date.data,
            number=form.number.data))
        if receipt:
            flash(_("Checked in: %(title)s, %(date)s.", title=serial.title,
                    date=receipt.issue_date.strftime("%d/%m/%Y")), "success")
            return redirect(url_for(".check_in", institution=institution.id, serial=serial.id))
    missing = [(s, services.missing_issues(s, until=today)) for s in current]
    return render_template("acquisitions/check_in.html", form=form, institution=institution, choices=_libraries(),
                           recent=services.recent_issues([institution.id]),
                           missing=[(s, m) for s, m in missing if m])
