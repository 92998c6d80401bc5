"""Loans, renewals, returns, desk visits, tallies, holds, transits, fines, and the rules that govern them.

Every record that counts a reader stores ``patron_id`` (cleared when it is
anonymised) and ``reader_key`` (a pseudonym that stays), so figures never
change when history is detached from people.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCText, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.time import utcnow
from ..extensions import db

_OPEN_LOAN = "returned_at IS NULL AND voided_at IS NULL"


class Loan(db.Model):
    """One checkout of one copy to one reader, and its return.

    The partial unique index ``uq_loans_open_item`` lets the database itself
    refuse a second open loan of the same copy, whatever two desks do at the
    same moment (SQLite and PostgreSQL both honour the ``WHERE``).
    """

    __tablename__ = "loans"

    id = sa.Column(sa.Integer, primary_key=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id"), nullable=False)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL"))
    reader_key = sa.Column(sa.String(24), nullable=False)
    #: Where the copy was lent (the desk's institution; a postal cultural point for point desks).
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    checked_out_at = sa.Column(UTCDateTime, nullable=False)
    checked_out_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    due_date = sa.Column(sa.Date, nullable=False)
    renewals = sa.Column(sa.Integer, nullable=False, default=0)
    returned_at = sa.Column(UTCDateTime)
    return_institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"))
    returned_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The copy was lent from a rotation crate at a point; back at that point it goes back in the crate.
    from_rotation = sa.Column(sa.Boolean, nullable=False, default=False)
    hold_id = sa.Column(sa.Integer, sa.ForeignKey("holds.id", ondelete="SET NULL"))
    reminders_sent = sa.Column(sa.Integer, nullable=False, default=0)
    last_reminder_at = sa.Column(UTCDateTime)
    #: A loan entered by mistake and undone: it counts nowhere.
    voided_at = sa.Column(UTCDateTime)
    voided_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    void_reason = sa.Column(NFCText(200), nullable=False, default="")

    item = relationship("Item")
    patron = relationship("Patron")
    institution = relationship("Institution", foreign_keys=[institution_id])
    return_institution = relationship("Institution", foreign_keys=[return_institution_id])
    renewal_events = relationship("Renewal", back_populates="loan", order_by="Renewal.at")

    __table_args__ = (
        sa.Index("uq_loans_open_item", "item_id", unique=True,
                 sqlite_where=sa.text(_OPEN_LOAN), postgresql_where=sa.text(_OPEN_LOAN)),
        sa.Index("ix_loans_item_id", "item_id"),
        sa.Index("ix_loans_patron_open", "patron_id", "returned_at"),
        # the desk's lists and LIB.LOANS' counts, read from the index alone
        sa.Index("ix_loans_institution_out_voided", "institution_id", "checked_out_at", "voided_at"),
        sa.Index("ix_loans_institution_due", "institution_id", "returned_at", "due_date"),
        sa.Index("ix_loans_return_institution", "return_institution_id", "returned_at"),
        sa.Index("ix_loans_checked_out_at", "checked_out_at"),
        sa.Index("ix_loans_returned_at", "returned_at"),
    )

    @property
    def is_open(self):
        return self.returned_at is None and self.voided_at is None

    def overdue_days(self, today):
        if not self.is_open or today <= self.due_date:
            return 0
        return (today - self.due_date).days


class Renewal(db.Model):
    """A renewal of a loan: counted in LIB.RENEWALS for the institution that made the loan."""

    __tablename__ = "renewals"

    id = sa.Column(sa.Integer, primary_key=True)
    loan_id = sa.Column(sa.Integer, sa.ForeignKey("loans.id", ondelete="CASCADE"), nullable=False, index=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    at = sa.Column(UTCDateTime, nullable=False)
    by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    previous_due = sa.Column(sa.Date, nullable=False)
    new_due = sa.Column(sa.Date, nullable=False)

    loan = relationship("Loan", back_populates="renewal_events")

    __table_args__ = (sa.Index("ix_renewals_institution_at", "institution_id", "at"),)


class Visit(db.Model):
    """A reader's card scanned at the entrance or in the reading room (desk check-in mode)."""

    __tablename__ = "visits"

    id = sa.Column(sa.Integer, primary_key=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL"), index=True)
    reader_key = sa.Column(sa.String(24), nullable=False)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    at = sa.Column(UTCDateTime, nullable=False)
    by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    voided_at = sa.Column(UTCDateTime)

    institution = relationship("Institution")
    patron = relationship("Patron")

    __table_args__ = (sa.Index("ix_visits_institution_at", "institution_id", "at"),
                      sa.Index("ix_visits_at", "at"))


class TallyKind(LabelledEnum):
    VISITS = "visits"
    LOANS = "loans"


TallyKind.__labels__ = {"visits": _l("Anonymous visitors"), "loans": _l("Loans kept on paper")}


class Tally(db.Model):
    """Anonymous counts kept by staff (paper habits): visitors without a card, loans noted on paper.

    Each entry adds to the day's figure (a morning count and an afternoon
    count are two entries); a wrong entry is deleted.
    """

    __tablename__ = "tallies"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    kind = sa.Column(enum_column_type(TallyKind), nullable=False)
    count = sa.Column(sa.Integer, nullable=False)
    note = sa.Column(NFCText(200), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    institution = relationship("Institution")

    __table_args__ = (sa.Index("ix_tallies_institution_date", "institution_id", "date"),
                      sa.CheckConstraint("count >= 0", name="count_not_negative"))


class HoldStatus(LabelledEnum):
    WAITING = "waiting"          # in the queue, no copy set aside yet
    IN_TRANSIT = "in_transit"    # a copy is travelling to the pickup library
    READY = "ready"              # a copy waits on the holds shelf
    FULFILLED = "fulfilled"      # the reader borrowed it
    CANCELLED = "cancelled"
    EXPIRED = "expired"          # not collected in time


HoldStatus.__labels__ = {
    "waiting": _l("Waiting for a copy"), "in_transit": _l("Copy on its way"), "ready": _l("Ready to collect"),
    "fulfilled": _l("Collected"), "cancelled": _l("Cancelled"), "expired": _l("Not collected in time"),
}

ACTIVE_HOLD_STATES = (HoldStatus.WAITING, HoldStatus.IN_TRANSIT, HoldStatus.READY)

HOLD_TRANSITIONS = Transitions({
    HoldStatus.WAITING: {HoldStatus.IN_TRANSIT, HoldStatus.READY, HoldStatus.CANCELLED, HoldStatus.FULFILLED},
    HoldStatus.IN_TRANSIT: {HoldStatus.READY, HoldStatus.WAITING, HoldStatus.CANCELLED},
    HoldStatus.READY: {HoldStatus.FULFILLED, HoldStatus.EXPIRED, HoldStatus.CANCELLED, HoldStatus.WAITING},
    HoldStatus.FULFILLED: set(),
    HoldStatus.CANCELLED: set(),
    HoldStatus.EXPIRED: set(),
}, noun=_l("the hold"))


class Hold(db.Model):
    """A reader's request for a title, to collect at a pickup library; the next copy returned is trapped."""

    __tablename__ = "holds"

    id = sa.Column(sa.Integer, primary_key=True)
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id"), nullable=False, index=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL"), index=True)
    reader_key = sa.Column(sa.String(24), nullable=False)
    pickup_institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    status = sa.Column(enum_column_type(HoldStatus), nullable=False, default=HoldStatus.WAITING, index=True)
    placed_at = sa.Column(UTCDateTime, nullable=False)
    placed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id"), index=True)   # the copy set aside
    ready_at = sa.Column(UTCDateTime)
    expires_on = sa.Column(sa.Date)              # last day to collect, once ready
    ended_at = sa.Column(UTCDateTime)
    note = sa.Column(NFCText(200), nullable=False, default="")

    record = relationship("Record")
    patron = relationship("Patron")
    pickup_institution = relationship("Institution")
    item = relationship("Item")

    @property
    def active(self):
        return self.status in ACTIVE_HOLD_STATES


class Transit(db.Model):
    """A copy travelling between libraries: back to its owner, or to a pickup library for a hold."""

    __tablename__ = "transits"

    id = sa.Column(sa.Integer, primary_key=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id"), nullable=False, index=True)
    from_institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    to_institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    hold_id = sa.Column(sa.Integer, sa.ForeignKey("holds.id", ondelete="SET NULL"))
    sent_at = sa.Column(UTCDateTime, nullable=False)
    sent_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    received_at = sa.Column(UTCDateTime)
    received_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    item = relationship("Item")
    from_institution = relationship("Institution", foreign_keys=[from_institution_id])
    to_institution = relationship("Institution", foreign_keys=[to_institution_id])
    hold = relationship("Hold")

    __table_args__ = (
        sa.Index("uq_transits_open_item", "item_id", unique=True,
                 sqlite_where=sa.text("received_at IS NULL"), postgresql_where=sa.text("received_at IS NULL")),
    )


class Fine(db.Model):
    """An overdue charge, made at return only where the lending library turned fines on."""

    __tablename__ = "fines"

    id = sa.Column(sa.Integer, primary_key=True)
    loan_id = sa.Column(sa.Integer, sa.ForeignKey("loans.id", ondelete="CASCADE"), nullable=False, index=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL"), index=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    amount = sa.Column(sa.Integer, nullable=False)          # VND
    days = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    settled_at = sa.Column(UTCDateTime)
    settlement = sa.Column(sa.String(10))                    # paid | waived
    settled_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    loan = relationship("Loan")
    institution = relationship("Institution")


# -- rules ------------------------------------------------------------------------

class LoanRule(db.Model):
    """One cell of the rule matrix: institution × reader category × material type.

    Empty institution, category or material type means "any"; the most
    specific rule wins (institution first, then category, then material).
    """

    __tablename__ = "loan_rules"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    category = sa.Column(sa.String(16))
    material_type = sa.Column(sa.String(16))
    loan_days = sa.Column(sa.Integer, nullable=False)
    max_loans = sa.Column(sa.Integer, nullable=False)
    max_renewals = sa.Column(sa.Integer, nullable=False)
    holds_allowed = sa.Column(sa.Boolean, nullable=False, default=True)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")

    __table_args__ = (sa.CheckConstraint("loan_days >= 0 AND max_loans >= 0 AND max_renewals >= 0",
                                         name="non_negative"),)


class CirculationSettings(db.Model):
    """An institution's desk settings (a row without institution holds the network's defaults)."""

    __tablename__ = "circulation_settings"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id", ondelete="CASCADE"), unique=True)
    #: ISO weekdays the institution is closed, as digits: "7" = Sundays.
    closed_weekdays = sa.Column(sa.String(7), nullable=False, default="7")
    hold_pickup_days = sa.Column(sa.Integer, nullable=False, default=7)
    #: Borrowing stops when a loan is overdue by more than this many days; empty: never.
    overdue_block_days = sa.Column(sa.Integer)
    fines_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    fine_per_day = sa.Column(sa.Integer, nullable=False, default=1000)     # VND
    fine_max = sa.Column(sa.Integer)                                       # VND per loan; empty: no cap
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")


class ClosedDay(db.Model):
    """A day a library is closed (a public holiday for the whole network when no institution is set)."""

    __tablename__ = "closed_days"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    date = sa.Column(sa.Date, nullable=False, index=True)
    name = sa.Column(NFCText(120), nullable=False, default="")

    institution = relationship("Institution")


class ReadingHistoryEntry(db.Model):
    """A title a reader borrowed and returned, kept only because the reader asked for it.

    Loans themselves are still anonymised on schedule (their ``patron_id`` is
    cleared, figures keep the ``reader_key``); this list is the reader's own
    and stays until they turn it off or clear it. It stores no copy barcode,
    no library staff and no fine: only what the reader would write in a notebook.
    """

    __tablename__ = "reading_history"

    id = sa.Column(sa.Integer, primary_key=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="CASCADE"), nullable=False)
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id", ondelete="SET NULL"))
    title = sa.Column(NFCText(500), nullable=False, default="")
    borrowed_on = sa.Column(sa.Date, nullable=False)
    returned_on = sa.Column(sa.Date, nullable=False)

    __table_args__ = (sa.Index("ix_reading_history_patron", "patron_id", "returned_on"),)
