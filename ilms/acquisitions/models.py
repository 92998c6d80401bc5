"""Vendors and donors, funds, orders and their receipts, donations, transfers, periodicals.

Copies enter the collection only through the catalogue's ``add_copies`` (each
with its accession entry), so the accession register and LIB.COPIES_ADDED are
the same rows whichever screen added them. Orders, donations and transfers
keep which copies they produced, for labels, letters and the order's
progress. Periodical issues are never copies: they are check-ins of a serial.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCText, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.time import utcnow
from ..extensions import db


# -- vendors, donors and funds -------------------------------------------------------------------

class PartyKind(LabelledEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


PartyKind.__labels__ = {"organisation": _l("Organisation"), "person": _l("Person")}


class Supplier(db.Model):
    """Someone copies come from: a vendor we buy from, a donor (xã hội hóa), or both."""

    __tablename__ = "acq_suppliers"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NFCText(200), nullable=False)
    kind = sa.Column(enum_column_type(PartyKind), nullable=False, default=PartyKind.ORGANISATION)
    is_vendor = sa.Column(sa.Boolean, nullable=False, default=False)
    is_donor = sa.Column(sa.Boolean, nullable=False, default=False)
    contact = sa.Column(NFCText(200), nullable=False, default="")
    address = sa.Column(NFCText(300), nullable=False, default="")
    note = sa.Column(NFCText(500), nullable=False, default="")
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return f"<Supplier {self.name}>"


class FundKind(LabelledEnum):
    STATE_BUDGET = "state_budget"
    DONATION = "donation"
    PROJECT = "project"
    OTHER = "other"


FundKind.__labels__ = {"state_budget": _l("State budget"), "donation": _l("Donations"),
                       "project": _l("Project"), "other": _l("Other")}


class Fund(db.Model):
    """Money an institution may spend on its collection in one year.

    Only the allocation is stored: what is committed and spent is computed from
    the orders and subscriptions charged to the fund (``services.fund_balances``).
    """

    __tablename__ = "acq_funds"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    year = sa.Column(sa.Integer, nullable=False)
    code = sa.Column(sa.String(30), nullable=False)
    name = sa.Column(NFCText(200), nullable=False)
    kind = sa.Column(enum_column_type(FundKind), nullable=False, default=FundKind.STATE_BUDGET)
    allocated = sa.Column(sa.BigInteger, nullable=False, default=0)        # VND
    note = sa.Column(NFCText(500), nullable=False, default="")

    institution = relationship("Institution")

    __table_args__ = (sa.UniqueConstraint("institution_id", "year", "code", name="uq_acq_funds_code"),)


# -- orders ----------------------------------------------------------------------------------------

class OrderStatus(LabelledEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


OrderStatus.__labels__ = {"draft": _l("Draft"), "sent": _l("Sent to the vendor"),
                          "partly_received": _l("Partly received"), "received": _l("Received"),
                          "cancelled": _l("Cancelled")}

#: The one table of order states. Receiving moves sent → partly received → received by itself;
#: cancelling a partly received order keeps what came and releases the rest.
ORDER_TRANSITIONS = Transitions({
    OrderStatus.DRAFT: {OrderStatus.SENT, OrderStatus.CANCELLED},
    OrderStatus.SENT: {OrderStatus.PARTLY_RECEIVED, OrderStatus.RECEIVED, OrderStatus.CANCELLED},
    OrderStatus.PARTLY_RECEIVED: {OrderStatus.RECEIVED, OrderStatus.CANCELLED},
}, noun=_l("the order"))

#: States whose unreceived quantities are committed against their funds.
COMMITTING = (OrderStatus.SENT, OrderStatus.PARTLY_RECEIVED)


class Order(db.Model):
    __tablename__ = "acq_orders"

    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(40), nullable=False, unique=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    vendor_id = sa.Column(sa.Integer, sa.ForeignKey("acq_suppliers.id"), nullable=False, index=True)
    status = sa.Column(enum_column_type(OrderStatus), nullable=False, default=OrderStatus.DRAFT, index=True)
    ordered_on = sa.Column(sa.Date, nullable=False)
    sent_on = sa.Column(sa.Date)
    closed_on = sa.Column(sa.Date)
    note = sa.Column(NFCText(500), nullable=False, default="")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
    vendor = relationship("Supplier")
    created_by = relationship("User")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.id",
                         cascade="all, delete-orphan")

    @property
    def total(self):
        return sum(line.quantity * line.unit_price for line in self.lines)


class OrderLine(db.Model):
    __tablename__ = "acq_order_lines"

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("acq_orders.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id"), nullable=False, index=True)
    fund_id = sa.Column(sa.Integer, sa.ForeignKey("acq_funds.id"), nullable=False, index=True)
    quantity = sa.Column(sa.Integer, nullable=False)
    unit_price = sa.Column(sa.BigInteger, nullable=False)                  # VND
    received = sa.Column(sa.Integer, nullable=False, default=0)

    order = relationship("Order", back_populates="lines")
    record = relationship("Record")
    fund = relationship("Fund")

    @property
    def outstanding(self):
        return self.quantity - self.received


#: Copies that came in through a document (an order line, a donation, a transfer), for labels and letters.
class AcquiredCopy(db.Model):
    __tablename__ = "acq_copies"

    id = sa.Column(sa.Integer, primary_key=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True)
    order_line_id = sa.Column(sa.Integer, sa.ForeignKey("acq_order_lines.id"), index=True)
    donation_id = sa.Column(sa.Integer, sa.ForeignKey("acq_donations.id"), index=True)
    transfer_id = sa.Column(sa.Integer, sa.ForeignKey("acq_transfers.id"), index=True)
    received_on = sa.Column(sa.Date, nullable=False)
    batch = sa.Column(sa.Integer, nullable=False, default=1)   # which receipt of the line brought it

    item = relationship("Item")


# -- donations and transfers --------------------------------------------------------------------

class Donation(db.Model):
    """Copies given to an institution: a donation, or legal deposit copies."""

    __tablename__ = "acq_donations"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    donor_id = sa.Column(sa.Integer, sa.ForeignKey("acq_suppliers.id"), nullable=False, index=True)
    source = sa.Column(sa.String(20), nullable=False)          # donation / legal_deposit
    received_on = sa.Column(sa.Date, nullable=False)
    note = sa.Column(NFCText(500), nullable=False, default="")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")
    donor = relationship("Supplier")
    copies = relationship("AcquiredCopy", primaryjoin="AcquiredCopy.donation_id == Donation.id",
                          order_by="AcquiredCopy.id", viewonly=True)


class Transfer(db.Model):
    """Copies passed from one institution of the network to another (never an acquisition)."""

    __tablename__ = "acq_transfers"

    id = sa.Column(sa.Integer, primary_key=True)
    from_institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    to_institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    transferred_on = sa.Column(sa.Date, nullable=False)
    note = sa.Column(NFCText(500), nullable=False, default="")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    from_institution = relationship("Institution", foreign_keys=[from_institution_id])
    to_institution = relationship("Institution", foreign_keys=[to_institution_id])
    copies = relationship("AcquiredCopy", primaryjoin="AcquiredCopy.transfer_id == Transfer.id",
                          order_by="AcquiredCopy.id", viewonly=True)


# -- periodicals ---------------------------------------------------------------------------------

class Frequency(LabelledEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    IRREGULAR = "irregular"


Frequency.__labels__ = {"daily": _l("Daily"), "weekly": _l("Weekly"), "biweekly": _l("Every two weeks"),
                        "monthly": _l("Monthly"), "quarterly": _l("Quarterly"), "irregular": _l("Irregular")}


class SerialKind(LabelledEnum):
    NEWSPAPER = "newspaper"
    MAGAZINE = "magazine"


SerialKind.__labels__ = {"newspaper": _l("Newspaper"), "magazine": _l("Magazine")}


class Serial(db.Model):
    """A newspaper or magazine title (tên báo, tạp chí), shared by the whole network."""

    __tablename__ = "acq_serials"

    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(NFCText(300), nullable=False)
    title_key = sa.Column(sa.String(300), nullable=False, unique=True)   # folded title, for matching
    issn = sa.Column(sa.String(9), nullable=False, default="", index=True)
    kind = sa.Column(enum_column_type(SerialKind), nullable=False, default=SerialKind.NEWSPAPER)
    frequency = sa.Column(enum_column_type(Frequency), nullable=False, default=Frequency.DAILY)
    publisher = sa.Column(NFCText(200), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Subscription(db.Model):
    __tablename__ = "acq_subscriptions"

    id = sa.Column(sa.Integer, primary_key=True)
    serial_id = sa.Column(sa.Integer, sa.ForeignKey("acq_serials.id"), nullable=False, index=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    start = sa.Column(sa.Date, nullable=False)
    end = sa.Column(sa.Date, nullable=False)
    copies = sa.Column(sa.Integer, nullable=False, default=1)
    fund_id = sa.Column(sa.Integer, sa.ForeignKey("acq_funds.id"), index=True)
    price = sa.Column(sa.BigInteger)                                       # VND for the whole term
    note = sa.Column(NFCText(500), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    serial = relationship("Serial")
    institution = relationship("Institution")
    fund = relationship("Fund")

    __table_args__ = (sa.Index("ix_acq_subscriptions_period", "institution_id", "start", "end"),)


class IssueReceipt(db.Model):
    """One issue of a serial checked in at an institution (by its issue date and/or number)."""

    __tablename__ = "acq_issues"

    id = sa.Column(sa.Integer, primary_key=True)
    serial_id = sa.Column(sa.Integer, sa.ForeignKey("acq_serials.id"), nullable=False, index=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    issue_date = sa.Column(sa.Date, nullable=False)
    number = sa.Column(sa.String(40), nullable=False, default="")
    received_on = sa.Column(sa.Date, nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    serial = relationship("Serial")
    institution = relationship("Institution")

    __table_args__ = (sa.UniqueConstraint("serial_id", "institution_id", "issue_date", "number",
                                          name="uq_acq_issues_once"),)
