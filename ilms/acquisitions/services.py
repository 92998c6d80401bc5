"""Acquisitions: vendors and donors, funds, orders and receiving, donations, transfers, periodicals.

Every copy is made by ``catalog.services.add_copies`` and every change of owner
by ``catalog.services.transfer_item``, so the accession register, the copies'
statuses and LIB.COPIES_ADDED follow from one place. Services ``flush()``,
never commit; refusals are ``DomainError``s a librarian can act on.
"""
from __future__ import annotations

import datetime as dt
from calendar import monthrange

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..catalog import services as catalog
from ..catalog.marc import normalise_isbn
from ..catalog.models import ACQUIRING_SOURCES, Accession, AcquisitionSource, Item, Record
from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.text import clean, fold, sort_key
from ..common.time import local_today
from ..extensions import db
from ..signals import data_changed
from .models import (COMMITTING, ORDER_TRANSITIONS, AcquiredCopy, Donation, Frequency, Fund, FundKind,
                     IssueReceipt, Order, OrderLine, OrderStatus, PartyKind, Serial, SerialKind, Subscription,
                     Supplier, Transfer)

CAP = "acquisitions.edit"
MAX_COPIES_PER_LINE = 1000


def _date(value, field, message):
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(message, field=field)
    return value


def _amount(value, field):
    if value is None or value == "":
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise DomainError(_l("Write the amount in đồng, digits only."), field=field) from None
    if value < 0:
        raise DomainError(_l("An amount cannot be negative."), field=field)
    return value


def _get(model, ident, message):
    obj = db.session.get(model, ident) if ident is not None else None
    if obj is None:
        raise NotFound(message)
    return obj


# -- vendors and donors ----------------------------------------------------------------------------

def save_supplier(*, actor, supplier=None, name, kind=PartyKind.ORGANISATION, is_vendor=False, is_donor=False,
                  contact="", address="", note="", active=True):
    """Create or change a vendor/donor. They are shared by the whole network (one publisher, one entry)."""
    require(actor, CAP)
    name = clean(name)
    if not name:
        raise DomainError(_l("Give the vendor's or donor's name."), field="name")
    if not (is_vendor or is_donor):
        raise DomainError(_l("Tick vendor, donor or both."), field="is_vendor")
    supplier = supplier or Supplier()
    supplier.name, supplier.kind = name, PartyKind(kind)
    supplier.is_vendor, supplier.is_donor, supplier.active = bool(is_vendor), bool(is_donor), bool(active)
    supplier.contact, supplier.address, supplier.note = clean(contact) or "", clean(address) or "", clean(note) or ""
    db.session.add(supplier)
    db.session.flush()
    return supplier


def suppliers(*, vendors=None, donors=None, active_only=False):
    query = sa.select(Supplier)
    if vendors:
        query = query.where(Supplier.is_vendor.is_(True))
    if donors:
        query = query.where(Supplier.is_donor.is_(True))
    if active_only:
        query = query.where(Supplier.active.is_(True))
    return sorted(db.session.scalars(query), key=lambda s: fold(s.name))


def supplier_by_name(name, *, donor=True, create_as=None):
    """The supplier with this (folded) name; with ``create_as=actor`` a missing one is made (a donor)."""
    key = fold(clean(name) or "")
    for supplier in db.session.scalars(sa.select(Supplier)):
        if fold(supplier.name) == key:
            return supplier
    if create_as is None:
        raise NotFound(_l("No vendor or donor is called “%(name)s”.", name=name))
    return save_supplier(actor=create_as, name=name, is_donor=donor, is_vendor=not donor,
                         kind=PartyKind.PERSON if donor else PartyKind.ORGANISATION)


# -- funds -----------------------------------------------------------------------------------------

def save_fund(*, actor, institution, fund=None, year, code, name, kind=FundKind.STATE_BUDGET, allocated=0, note=""):
    require(actor, CAP, institution)
    code = (clean(code) or "").upper()
    if not code:
        raise DomainError(_l("Give the fund a short code, e.g. NS2024."), field="code")
    if not name or not clean(name):
        raise DomainError(_l("Give the fund a name."), field="name")
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DomainError(_l("The year must be a number such as 2024."), field="year") from None
    if not 2000 <= year <= 2100:
        raise DomainError(_l("The year must be a number such as 2024."), field="year")
    allocated = _amount(allocated, "allocated") or 0
    clash = db.session.scalar(sa.select(Fund.id).where(Fund.institution_id == institution.id, Fund.year == year,
                                                       Fund.code == code, Fund.id != (fund.id if fund else None)))
    if clash is not None:
        raise Conflict(_l("%(institution)s already has a fund %(code)s in %(year)s.",
                          institution=institution.code, code=code, year=year), field="code")
    if fund is not None:
        balance = fund_balances([fund])[fund.id]
        if allocated < balance["committed"] + balance["spent"]:
            raise DomainError(_l("The allocation cannot be below what is already committed and spent "
                                 "(%(amount)s đồng).", amount=f"{balance['committed'] + balance['spent']:,}"),
                              field="allocated")
    fund = fund or Fund(institution_id=institution.id)
    fund.year, fund.code, fund.name, fund.kind = year, code, clean(name), FundKind(kind)
    fund.allocated, fund.note = allocated, clean(note) or ""
    db.session.add(fund)
    db.session.flush()
    return fund


def funds_of(institution_ids, year=None):
    query = sa.select(Fund).where(Fund.institution_id.in_(list(institution_ids)))
    if year is not None:
        query = query.where(Fund.year == year)
    return list(db.session.scalars(query.order_by(Fund.year.desc(), Fund.code)))


def fund_balances(funds):
    """``{fund_id: {allocated, committed, spent, available}}`` in two aggregate queries.

    Spent: copies received on order lines (at the line's unit price) and the
    price of subscriptions charged to the fund. Committed: copies ordered and
    not yet received on orders sent or partly received; a draft commits
    nothing and a cancelled order releases what it had not received.
    """
    ids = [f.id for f in funds]
    out = {f.id: {"allocated": int(f.allocated or 0), "committed": 0, "spent": 0} for f in funds}
    if ids:
        rows = db.session.execute(
            sa.select(OrderLine.fund_id,
                      sa.func.sum(OrderLine.received * OrderLine.unit_price),
                      sa.func.sum(sa.case((Order.status.in_([s.value for s in COMMITTING]),
                                           (OrderLine.quantity - OrderLine.received) * OrderLine.unit_price),
                                          else_=0)))
            .join(Order, Order.id == OrderLine.order_id).where(OrderLine.fund_id.in_(ids))
            .group_by(OrderLine.fund_id))
        for fund_id, spent, committed in rows:
            out[fund_id]["spent"] += int(spent or 0)
            out[fund_id]["committed"] += int(committed or 0)
        rows = db.session.execute(sa.select(Subscription.fund_id, sa.func.sum(Subscription.price))
                                  .where(Subscription.fund_id.in_(ids)).group_by(Subscription.fund_id))
        for fund_id, spent in rows:
            out[fund_id]["spent"] += int(spent or 0)
    for values in out.values():
        values["available"] = values["allocated"] - values["committed"] - values["spent"]
    return out


def _usable_fund(fund, institution):
    if fund is None:
        raise DomainError(_l("Choose the fund that pays for this line."), field="fund")
    if fund.institution_id != institution.id:
        raise DomainError(_l("The fund %(code)s belongs to another institution.", code=fund.code), field="fund")
    return fund


# -- orders ----------------------------------------------------------------------------------------

def _next_order_number(institution, day):
    prefix = f"{institution.code}-DH{day.year}-"
    numbers = db.session.scalars(sa.select(Order.number).where(Order.number.like(prefix + "%"))).all()
    last = max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def create_order(*, actor, institution, vendor, ordered_on=None, note=""):
    require(actor, CAP, institution)
    if vendor is None or not vendor.is_vendor:
        raise DomainError(_l("Choose a vendor for the order."), field="vendor")
    ordered_on = _date(ordered_on or local_today(), "ordered_on", _l("The order date is missing."))
    order = Order(institution_id=institution.id, vendor_id=vendor.id, ordered_on=ordered_on,
                  number=_next_order_number(institution, ordered_on), note=clean(note) or "",
                  created_by_id=getattr(actor, "id", None))
    db.session.add(order)
    db.session.flush()
    return order


def get_order(order_id):
    return _get(Order, order_id, _l("This order does not exist."))


def orders_of(institution_ids, *, status=None):
    query = sa.select(Order).where(Order.institution_id.in_(list(institution_ids)))
    if status:
        query = query.where(Order.status == OrderStatus(status))
    return query.order_by(Order.ordered_on.desc(), Order.id.desc())


def _require_draft(order):
    if order.status != OrderStatus.DRAFT:
        raise Conflict(_l("Order %(number)s has been sent; its lines can no longer change.", number=order.number))


def add_line(order, *, actor, record, quantity, unit_price, fund):
    """A line of ``quantity`` copies of ``record`` at ``unit_price`` đồng each, paid by ``fund``."""
    require(actor, CAP, order.institution)
    _require_draft(order)
    if record is None:
        raise DomainError(_l("Choose the title to order."), field="record")
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise DomainError(_l("The quantity must be a whole number."), field="quantity") from None
    if not 1 <= quantity <= MAX_COPIES_PER_LINE:
        raise DomainError(_l("Order between 1 and %(max)d copies on one line.", max=MAX_COPIES_PER_LINE),
                          field="quantity")
    unit_price = _amount(unit_price, "unit_price")
    if unit_price is None:
        raise DomainError(_l("Give the unit price in đồng."), field="unit_price")
    _usable_fund(fund, order.institution)
    line = OrderLine(order=order, record_id=record.id, fund_id=fund.id, quantity=quantity, unit_price=unit_price)
    db.session.add(line)
    db.session.flush()
    return line


def remove_line(line, *, actor):
    require(actor, CAP, line.order.institution)
    _require_draft(line.order)
    db.session.delete(line)
    db.session.flush()


def send_order(order, *, actor, on=None):
    require(actor, CAP, order.institution)
    if not order.lines:
        raise DomainError(_l("Order %(number)s has no lines; add the titles before sending it.",
                             number=order.number))
    ORDER_TRANSITIONS.check(order.status, OrderStatus.SENT)
    order.status, order.sent_on = OrderStatus.SENT, on or local_today()
    db.session.flush()
    return order


def cancel_order(order, *, actor, on=None):
    """Cancel what has not come: received copies stay, the rest is no longer committed."""
    require(actor, CAP, order.institution)
    ORDER_TRANSITIONS.check(order.status, OrderStatus.CANCELLED)
    order.status, order.closed_on = OrderStatus.CANCELLED, on or local_today()
    db.session.flush()
    return order


def receive(line, *, actor, count, on=None, shelf=""):
    """Receive ``count`` copies of an order line: each becomes a copy with the next barcode of the library.

    Returns the new items. More copies than are still expected are refused
    and nothing is received.
    """
    order = line.order
    require(actor, CAP, order.institution)
    if order.status not in COMMITTING:
        raise Conflict(_l("Order %(number)s is “%(status)s”: only a sent order can be received.",
                          number=order.number, status=order.status.label))
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise DomainError(_l("The number of copies received must be a whole number."), field="count") from None
    if count < 1:
        raise DomainError(_l("Receive at least one copy."), field="count")
    if count > line.outstanding:
        raise DomainError(_l("“%(title)s”: %(count)d copies received but only %(left)d of %(ordered)d are still "
                             "expected on order %(number)s. Check the delivery note; extra copies can be "
                             "entered as a donation.", title=line.record.title, count=count, left=line.outstanding,
                             ordered=line.quantity, number=order.number), field="count")
    on = _date(on or local_today(), "on", _l("The date of receipt is missing."))
    if on < order.ordered_on:
        raise DomainError(_l("Copies cannot be received before the order date (%(date)s).",
                             date=order.ordered_on.strftime("%d/%m/%Y")), field="on")
    batch = 1 + (db.session.scalar(sa.select(sa.func.max(AcquiredCopy.batch))
                                   .where(AcquiredCopy.order_line_id == line.id)) or 0)
    items = catalog.add_copies(line.record, institution=order.institution, actor=actor,
                               source=AcquisitionSource.PURCHASE, accessioned=on, count=count,
                               price=int(line.unit_price), shelf=shelf)
    for item in items:
        db.session.add(AcquiredCopy(item_id=item.id, order_line_id=line.id, received_on=on, batch=batch))
    line.received += count
    done = all(l.outstanding == 0 for l in order.lines)
    target = OrderStatus.RECEIVED if done else OrderStatus.PARTLY_RECEIVED
    if order.status != target:
        ORDER_TRANSITIONS.check(order.status, target)
        order.status = target
    if done:
        order.closed_on = on
    db.session.flush()
    return items


def copies_of_order(order):
    return list(db.session.scalars(
        sa.select(Item).join(AcquiredCopy, AcquiredCopy.item_id == Item.id)
        .join(OrderLine, OrderLine.id == AcquiredCopy.order_line_id)
        .where(OrderLine.order_id == order.id).order_by(AcquiredCopy.id)))


# -- donations and legal deposit ----------------------------------------------------------------------

DONATION_SOURCES = (AcquisitionSource.DONATION, AcquisitionSource.LEGAL_DEPOSIT)


def record_donation(*, actor, institution, donor, entries, source=AcquisitionSource.DONATION, on=None, note="",
                    price=None):
    """Copies given to ``institution``: ``entries`` is ``[(record, copies), ...]``. Returns the donation."""
    require(actor, CAP, institution)
    source = AcquisitionSource(source)
    if source not in DONATION_SOURCES:
        raise DomainError(_l("A gift is a donation or a legal deposit."), field="source")
    if donor is None:
        raise DomainError(_l("Name the donor (a person or an organisation)."), field="donor")
    entries = [(record, int(count)) for record, count in entries if record is not None]
    if not entries:
        raise DomainError(_l("Add at least one title with its number of copies."), field="entries")
    for record, count in entries:
        if not 1 <= count <= MAX_COPIES_PER_LINE:
            raise DomainError(_l("“%(title)s”: give between 1 and %(max)d copies.", title=record.title,
                                 max=MAX_COPIES_PER_LINE), field="entries")
    on = _date(on or local_today(), "on", _l("The date of receipt is missing."))
    if on > local_today():
        raise DomainError(_l("The date of receipt cannot be in the future."), field="on")
    donation = Donation(institution_id=institution.id, donor_id=donor.id, source=source.value, received_on=on,
                        note=clean(note) or "", created_by_id=getattr(actor, "id", None))
    db.session.add(donation)
    db.session.flush()
    for record, count in entries:
        for item in catalog.add_copies(record, institution=institution, actor=actor, source=source,
                                       accessioned=on, count=count, price=_amount(price, "price")):
            db.session.add(AcquiredCopy(item_id=item.id, donation_id=donation.id, received_on=on))
    db.session.flush()
    return donation


def get_donation(donation_id):
    return _get(Donation, donation_id, _l("This donation does not exist."))


def donation_titles(donation):
    """``[(record, copies)]`` of a donation, for its page and its thank-you letter."""
    rows = db.session.execute(
        sa.select(Record, sa.func.count(Item.id)).join(Item, Item.record_id == Record.id)
        .join(AcquiredCopy, AcquiredCopy.item_id == Item.id).where(AcquiredCopy.donation_id == donation.id)
        .group_by(Record.id).order_by(sa.func.min(AcquiredCopy.id))).all()
    return [(record, count) for record, count in rows]


# -- transfers -------------------------------------------------------------------------------------

def transfer_copies(*, actor, from_institution, to_institution, barcodes, on=None, note=""):
    """Give copies to another institution of the network; all or nothing, never an acquisition."""
    require(actor, CAP, from_institution)
    if to_institution is None or to_institution.id == from_institution.id:
        raise DomainError(_l("Choose another institution of the network to receive the copies."), field="to")
    codes = []
    for raw in barcodes:
        code = (raw or "").strip().upper()
        if code and code not in codes:
            codes.append(code)
    if not codes:
        raise DomainError(_l("Scan or type the barcodes of the copies to transfer, one per line."),
                          field="barcodes")
    items = {i.barcode: i for i in db.session.scalars(sa.select(Item).where(Item.barcode.in_(codes)))}
    for number, code in enumerate(codes, start=1):
        item = items.get(code)
        if item is None:
            raise DomainError(_l("Line %(line)d: no copy has the barcode %(barcode)s. Check the label; nothing "
                                 "was transferred.", line=number, barcode=code), field="barcodes")
        if item.institution_id != from_institution.id:
            raise DomainError(_l("Line %(line)d: the copy %(barcode)s belongs to %(owner)s, not to %(from)s; "
                                 "nothing was transferred.", line=number, barcode=code,
                                 owner=item.institution.code, **{"from": from_institution.code}),
                              field="barcodes")
    on = _date(on or local_today(), "on", _l("The transfer date is missing."))
    transfer = Transfer(from_institution_id=from_institution.id, to_institution_id=to_institution.id,
                        transferred_on=on, note=clean(note) or "", created_by_id=getattr(actor, "id", None))
    db.session.add(transfer)
    db.session.flush()
    for number, code in enumerate(codes, start=1):
        try:
            catalog.transfer_item(items[code], to=to_institution, actor=actor, date=on)
        except DomainError as error:
            raise Conflict(_l("Line %(line)d (%(barcode)s): %(reason)s Nothing was transferred.",
                                 line=number, barcode=code, reason=error.message), field="barcodes") from None
        db.session.add(AcquiredCopy(item_id=items[code].id, transfer_id=transfer.id, received_on=on))
    db.session.flush()
    return transfer


def get_transfer(transfer_id):
    return _get(Transfer, transfer_id, _l("This transfer does not exist."))


# -- the accession register ------------------------------------------------------------------------

def accession_register(institution, year):
    """The register of ``institution`` for ``year``: every entry in accession order, and totals by source.

    ``acquired`` (purchase, donation, legal deposit, exchange) is, by
    construction, LIB.COPIES_ADDED for the same institution and year: both
    count the same accession entries; transfers in are listed apart.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = db.session.execute(
        sa.select(Accession, Item.barcode, Record.title, Record.id)
        .join(Item, Item.id == Accession.item_id).join(Record, Record.id == Item.record_id)
        .where(Accession.institution_id == institution.id, Accession.date >= start, Accession.date <= end)
        .order_by(Accession.date, Accession.id)).all()
    entries, totals = [], {}
    for number, (entry, barcode, title, record_id) in enumerate(rows, start=1):
        entries.append({"number": number, "date": entry.date, "barcode": barcode, "title": title,
                        "record_id": record_id, "source": entry.source, "price": entry.price})
        count, value = totals.get(entry.source, (0, 0))
        totals[entry.source] = (count + 1, value + (entry.price or 0))
    acquired = sum(totals.get(s, (0, 0))[0] for s in ACQUIRING_SOURCES)
    value = sum(totals.get(s, (0, 0))[1] for s in ACQUIRING_SOURCES)
    return {"entries": entries, "totals": totals, "acquired": acquired, "acquired_value": value,
            "transferred_in": totals.get(AcquisitionSource.TRANSFER, (0, 0))[0]}


def acquired_by_fund(institution_ids, year):
    """Copies received on orders in ``year``, by fund: ``[(fund, copies, value)]``."""
    rows = db.session.execute(
        sa.select(Fund, sa.func.count(AcquiredCopy.id), sa.func.sum(OrderLine.unit_price))
        .join(OrderLine, OrderLine.fund_id == Fund.id).join(AcquiredCopy, AcquiredCopy.order_line_id == OrderLine.id)
        .where(Fund.institution_id.in_(list(institution_ids)),
               AcquiredCopy.received_on >= dt.date(year, 1, 1), AcquiredCopy.received_on <= dt.date(year, 12, 31))
        .group_by(Fund.id).order_by(Fund.code)).all()
    return [(fund, int(n), int(v or 0)) for fund, n, v in rows]


# -- periodicals -------------------------------------------------------------------------------------

def _issn(value):
    value = (value or "").strip().upper().replace(" ", "")
    if not value:
        return ""
    if len(value) == 8 and "-" not in value:
        value = value[:4] + "-" + value[4:]
    if len(value) != 9 or value[4] != "-" or not (value[:4] + value[5:8]).isdigit() or \
            not (value[8].isdigit() or value[8] == "X"):
        raise DomainError(_l("“%(issn)s” is not an ISSN (four digits, a hyphen, three digits and a digit or X).",
                             issn=value), field="issn")
    return value


def save_serial(*, actor, serial=None, title, issn="", kind=SerialKind.NEWSPAPER, frequency=Frequency.DAILY,
                publisher=""):
    require(actor, CAP)
    title = clean(title)
    if not title:
        raise DomainError(_l("Give the newspaper's or magazine's title."), field="title")
    key = fold(title)
    clash = db.session.scalar(sa.select(Serial).where(Serial.title_key == key,
                                                      Serial.id != (serial.id if serial else None)))
    if clash is not None:
        raise Conflict(_l("The title “%(title)s” is already in the list.", title=clash.title), field="title")
    serial = serial or Serial()
    serial.title, serial.title_key, serial.issn = title, key, _issn(issn)
    serial.kind, serial.frequency, serial.publisher = SerialKind(kind), Frequency(frequency), clean(publisher) or ""
    db.session.add(serial)
    db.session.flush()
    return serial


def serial_by_title(title, *, issn="", create_as=None):
    """The serial with this title (ignoring case and diacritics) or ISSN; made when ``create_as`` is given."""
    issn = _issn(issn)
    found = db.session.scalar(sa.select(Serial).where(Serial.title_key == fold(clean(title) or "")))
    if found is None and issn:
        found = db.session.scalar(sa.select(Serial).where(Serial.issn == issn))
    if found is None:
        if create_as is None:
            raise NotFound(_l("No periodical is called “%(title)s”.", title=title))
        found = save_serial(actor=create_as, title=title, issn=issn)
    return found


def serials():
    return sorted(db.session.scalars(sa.select(Serial)), key=lambda s: s.title_key)


def _periodicals_changed(institution_id):
    data_changed.send("acquisitions", institution_ids=[institution_id])


def subscribe(*, actor, institution, serial, start, end, copies=1, fund=None, price=None, note="",
              subscription=None):
    require(actor, CAP, institution)
    start = _date(start, "start", _l("The subscription's first day is missing."))
    end = _date(end, "end", _l("The subscription's last day is missing."))
    if end < start:
        raise DomainError(_l("The subscription ends (%(end)s) before it starts (%(start)s).",
                             end=end.strftime("%d/%m/%Y"), start=start.strftime("%d/%m/%Y")), field="end")
    if (end - start).days > 3 * 366:
        raise DomainError(_l("A subscription covers at most three years; enter a new one after that."),
                          field="end")
    if fund is not None:
        _usable_fund(fund, institution)
    try:
        copies = int(copies)
    except (TypeError, ValueError):
        copies = 0
    if not 1 <= copies <= 100:
        raise DomainError(_l("Subscribe between 1 and 100 copies."), field="copies")
    overlap = db.session.scalar(sa.select(Subscription.id).where(
        Subscription.serial_id == serial.id, Subscription.institution_id == institution.id,
        Subscription.start <= end, Subscription.end >= start,
        Subscription.id != (subscription.id if subscription else None)))
    if overlap is not None:
        raise Conflict(_l("%(institution)s already subscribes to “%(title)s” for part of these dates; change that "
                          "subscription instead.", institution=institution.code, title=serial.title), field="start")
    subscription = subscription or Subscription(institution_id=institution.id, serial_id=serial.id)
    subscription.start, subscription.end, subscription.copies = start, end, copies
    subscription.fund_id = fund.id if fund is not None else None
    subscription.price, subscription.note = _amount(price, "price"), clean(note) or ""
    db.session.add(subscription)
    db.session.flush()
    _periodicals_changed(institution.id)
    return subscription


def subscriptions_of(institution_ids, *, on=None):
    query = sa.select(Subscription).join(Serial).where(Subscription.institution_id.in_(list(institution_ids)))
    if on is not None:
        query = query.where(Subscription.start <= on, Subscription.end >= on)
    return list(db.session.scalars(query.order_by(Serial.title_key, Subscription.start)))


def get_subscription(subscription_id):
    return _get(Subscription, subscription_id, _l("This subscription does not exist."))


def check_in(*, actor, institution, serial, issue_date, number="", received_on=None):
    """Check in one issue. The same issue twice is refused (the pile is often scanned again)."""
    require(actor, CAP, institution)
    issue_date = _date(issue_date, "issue_date", _l("The issue's date is missing."))
    received_on = _date(received_on or local_today(), "received_on", _l("The date of receipt is missing."))
    if received_on > local_today():
        raise DomainError(_l("The date of receipt cannot be in the future."), field="received_on")
    number = (clean(number) or "")[:40]
    exists = db.session.scalar(sa.select(IssueReceipt.id).where(
        IssueReceipt.serial_id == serial.id, IssueReceipt.institution_id == institution.id,
        IssueReceipt.issue_date == issue_date, IssueReceipt.number == number))
    if exists is not None:
        raise Conflict(_l("“%(title)s” of %(date)s%(number)s is already checked in.", title=serial.title,
                          date=issue_date.strftime("%d/%m/%Y"), number=f" (#{number})" if number else ""),
                       field="issue_date")
    receipt = IssueReceipt(serial_id=serial.id, institution_id=institution.id, issue_date=issue_date,
                           number=number, received_on=received_on)
    db.session.add(receipt)
    db.session.flush()
    _periodicals_changed(institution.id)
    return receipt


def recent_issues(institution_ids, limit=30):
    return list(db.session.scalars(sa.select(IssueReceipt).where(IssueReceipt.institution_id.in_(list(institution_ids)))
                                   .order_by(IssueReceipt.id.desc()).limit(limit)))


def _add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


def expected_slots(frequency, start, end):
    """The expected issues between ``start`` and ``end`` as ``[(first_day, last_day)]`` windows.

    A daily title is expected every day; weekly every 7 days and biweekly every
    14 from the subscription's first day; monthly and quarterly on the same
    day of the month. Any issue dated inside a window fills it. An irregular
    title has no expectation.
    """
    frequency = Frequency(frequency)
    if frequency == Frequency.IRREGULAR or end < start:
        return []
    slots, index = [], 0
    while True:
        if frequency in (Frequency.DAILY, Frequency.WEEKLY, Frequency.BIWEEKLY):
            step = {Frequency.DAILY: 1, Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14}[frequency]
            first, after = start + dt.timedelta(days=step * index), start + dt.timedelta(days=step * (index + 1))
        else:
            months = 1 if frequency == Frequency.MONTHLY else 3
            first, after = _add_months(start, months * index), _add_months(start, months * (index + 1))
        if first > end:
            return slots
        slots.append((first, after - dt.timedelta(days=1)))
        index += 1


def missing_issues(subscription, *, until=None):
    """Expected issues of a subscription up to ``until`` (default today) that have not been checked in."""
    until = min(until or local_today(), subscription.end)
    slots = expected_slots(subscription.serial.frequency, subscription.start, until)
    if not slots:
        return []
    received = sorted(db.session.scalars(sa.select(IssueReceipt.issue_date).where(
        IssueReceipt.serial_id == subscription.serial_id, IssueReceipt.institution_id == subscription.institution_id,
        IssueReceipt.issue_date >= subscription.start, IssueReceipt.issue_date <= slots[-1][1])))
    missing, position = [], 0
    for first, last in slots:
        while position < len(received) and received[position] < first:
            position += 1
        if not (position < len(received) and received[position] <= last):
            missing.append(first)
    return missing


# -- finding the title of a line ----------------------------------------------------------------------

def find_record(text):
    """The record named by a record number, a control number (001) or an ISBN; ``None`` when none is."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit() and len(text) < 10:
        found = db.session.get(Record, int(text))
        if found is not None:
            return found
    isbn = normalise_isbn(text)
    if isbn:
        found = db.session.scalar(sa.select(Record).where(Record.isbn == isbn).order_by(Record.id).limit(1))
        if found is not None:
            return found
    return db.session.scalar(sa.select(Record).where(Record.control_number == text))


def record_for(*, actor, reference="", title="", author="", isbn=""):
    """An existing record (by ``reference`` or by ``isbn``/exact title), or a new minimal one from ``title``."""
    require(actor, CAP)
    if reference and reference.strip():
        found = find_record(reference)
        if found is None:
            raise DomainError(_l("No record has the number or ISBN “%(ref)s”. Search the catalogue, or type the "
                                 "title to create a new record.", ref=reference.strip()), field="record")
        return found
    if isbn and isbn.strip():
        found = find_record(isbn)
        if found is not None:
            return found
    title = clean(title)
    if not title:
        raise DomainError(_l("Give a record number or ISBN, or the title of a new record."), field="record")
    key = fold(title)
    for record in db.session.scalars(sa.select(Record).where(Record.title_sort == sort_key(title)[:600])
                                     .order_by(Record.id).limit(20)):
        if fold(record.title) == key:
            return record
    return catalog.create_minimal_record(title=title, isbn=(isbn or "").strip() or None,
                                         authors=[clean(author)] if clean(author) else ())


def parse_gift_lines(text, *, actor):
    """``ISBN or title ; copies`` per line → ``[(record, copies)]``; a bad line is named by its number."""
    entries = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        reference, _sep, count = line.rpartition(";")
        if not _sep:
            reference, count = line, "1"
        reference, count = reference.strip(), count.strip()
        if not count.isdigit() or not 1 <= int(count) <= MAX_COPIES_PER_LINE:
            raise DomainError(_l("Line %(line)d: “%(count)s” is not a number of copies (1 to %(max)d). Write "
                                 "the title or ISBN, a semicolon, then the number.", line=number, count=count,
                                 max=MAX_COPIES_PER_LINE), field="entries")
        if not reference:
            raise DomainError(_l("Line %(line)d: the title or ISBN is missing.", line=number), field="entries")
        if normalise_isbn(reference):
            record = find_record(reference)
            if record is None:
                raise DomainError(_l("Line %(line)d: no record has the ISBN %(isbn)s; type the title instead.",
                                     line=number, isbn=reference), field="entries")
        else:
            record = record_for(actor=actor, title=reference)
        entries.append((record, int(count)))
    if not entries:
        raise DomainError(_l("Add at least one title with its number of copies."), field="entries")
    return entries
