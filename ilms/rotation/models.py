"""Book rotation: crates of copies that travel from a library to postal cultural points and back.

A crate (``Crate``) belongs to a library and holds copies (``CrateItem``, the
contents now). Each trip is a ``Dispatch``: the point, the due-back date, who
sent, received and returned it and when; ``DispatchItem`` keeps the contents
as they left (what ROT.COPIES_SENT counts) and what became of each copy at the
return (back, or missing and later found, lost or damaged). ``CrateEvent`` is
the crate's log: every step with its time and the person who took it. A
crate may follow a route (``RouteStop``): point A for three months, then B...
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCText, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.time import utcnow
from ..extensions import db


class CrateState(LabelledEnum):
    PACKING = "packing"          # at the library, copies being scanned in
    DISPATCHED = "dispatched"    # on its way to a point
    RECEIVED = "received"        # at the point, receipt confirmed
    RETURNED = "returned"        # back at the library, checked: to re-pack or unpack
    UNPACKED = "unpacked"        # empty, its copies back on the shelves
    RETIRED = "retired"          # no longer used


CrateState.__labels__ = {
    "packing": _l("Being packed"),
    "dispatched": _l("On its way to the point"),
    "received": _l("At the point"),
    "returned": _l("Back at the library"),
    "unpacked": _l("Unpacked (empty)"),
    "retired": _l("Retired"),
}

#: States in which a crate is away from its library (a dispatch is open).
OUT_STATES = (CrateState.DISPATCHED, CrateState.RECEIVED)

#: The one table of crate state changes.
CRATE_TRANSITIONS = Transitions({
    CrateState.PACKING: {CrateState.DISPATCHED, CrateState.UNPACKED, CrateState.RETIRED},
    # DISPATCHED -> PACKING: the dispatch is cancelled before the point received the crate.
    # DISPATCHED -> RETURNED: the crate came back though the point never confirmed receipt.
    CrateState.DISPATCHED: {CrateState.RECEIVED, CrateState.RETURNED, CrateState.PACKING},
    CrateState.RECEIVED: {CrateState.RETURNED},
    CrateState.RETURNED: {CrateState.PACKING, CrateState.UNPACKED},
    CrateState.UNPACKED: {CrateState.PACKING, CrateState.RETIRED},
    CrateState.RETIRED: {CrateState.UNPACKED},
}, noun=_l("the crate"))


class CrateTheme(LabelledEnum):
    GENERAL = "general"
    FARMING = "farming"
    CHILDREN = "children"
    ETHNIC_CULTURE = "ethnic_culture"
    LAW = "law"
    HEALTH = "health"
    SCIENCE = "science"
    LITERATURE = "literature"
    OTHER = "other"


CrateTheme.__labels__ = {
    "general": _l("General"),
    "farming": _l("Farming and husbandry"),
    "children": _l("Children"),
    "ethnic_culture": _l("Ethnic culture"),
    "law": _l("Law and civic life"),
    "health": _l("Health and family"),
    "science": _l("Science and technology"),
    "literature": _l("Literature"),
    "other": _l("Other"),
}


class CrateAction(LabelledEnum):
    CREATED = "created"
    PACKING = "packing"
    DISPATCHED = "dispatched"
    CANCELLED = "cancelled"
    RECEIVED = "received"
    RETURNED = "returned"
    REPACKED = "repacked"
    UNPACKED = "unpacked"
    RETIRED = "retired"
    REACTIVATED = "reactivated"
    RESOLVED = "resolved"


CrateAction.__labels__ = {
    "created": _l("Crate created"),
    "packing": _l("Packing started"),
    "dispatched": _l("Dispatched"),
    "cancelled": _l("Dispatch cancelled"),
    "received": _l("Receipt confirmed"),
    "returned": _l("Returned and checked"),
    "repacked": _l("Re-packed for the next point"),
    "unpacked": _l("Unpacked"),
    "retired": _l("Retired"),
    "reactivated": _l("Back in use"),
    "resolved": _l("Missing copy settled"),
}


class Outcome(LabelledEnum):
    BACK = "back"
    MISSING = "missing"


Outcome.__labels__ = {"back": _l("Back in the crate"), "missing": _l("Missing")}


class MissingCause(LabelledEnum):
    NOT_FOUND = "not_found"      # nobody knows where it is
    ON_LOAN = "on_loan"          # lent at the point and not returned before the crate left
    ELSEWHERE = "elsewhere"      # left the crate through a desk (returned elsewhere, a hold)


MissingCause.__labels__ = {
    "not_found": _l("Not found"),
    "on_loan": _l("Still on loan at the point"),
    "elsewhere": _l("Left the crate through a desk"),
}


class Resolution(LabelledEnum):
    FOUND = "found"
    LOST = "lost"
    DAMAGED = "damaged"


Resolution.__labels__ = {"found": _l("Found"), "lost": _l("Lost"), "damaged": _l("Found damaged")}

#: Resolutions after which a copy is no longer missing (ROT.COPIES_MISSING leaves it out).
FOUND_RESOLUTIONS = (Resolution.FOUND, Resolution.DAMAGED)


class Crate(db.Model):
    """A barcoded crate (bộ sách luân chuyển) owned by one library."""

    __tablename__ = "crates"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(20), nullable=False, unique=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    theme = sa.Column(enum_column_type(CrateTheme), nullable=False, default=CrateTheme.GENERAL)
    title = sa.Column(NFCText(200), nullable=False, default="")
    note = sa.Column(NFCText(500), nullable=False, default="")
    state = sa.Column(enum_column_type(CrateState), nullable=False, default=CrateState.PACKING, index=True)
    #: After the last stop of its route the crate starts again at the first.
    route_repeats = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
    contents = relationship("CrateItem", back_populates="crate", cascade="all, delete-orphan",
                            order_by="CrateItem.added_at")
    route = relationship("RouteStop", back_populates="crate", cascade="all, delete-orphan",
                         order_by="RouteStop.position")
    dispatches = relationship("Dispatch", back_populates="crate", order_by="Dispatch.dispatched_at")
    events = relationship("CrateEvent", back_populates="crate", order_by="CrateEvent.at",
                          cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Crate {self.code}>"

    @property
    def is_out(self):
        return self.state in OUT_STATES


class CrateItem(db.Model):
    """A copy in a crate now. The unique index on ``item_id`` lets the database itself refuse a copy in two crates."""

    __tablename__ = "crate_items"

    id = sa.Column(sa.Integer, primary_key=True)
    crate_id = sa.Column(sa.Integer, sa.ForeignKey("crates.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id"), nullable=False)
    added_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    added_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    crate = relationship("Crate", back_populates="contents")
    item = relationship("Item")

    __table_args__ = (sa.Index("uq_crate_items_item", "item_id", unique=True),)


class Dispatch(db.Model):
    """One trip of a crate: sent to a point, received there, returned and checked.

    ``institution_id`` is the library that owned the crate when it left (the
    ROT.* figures count there). A cancelled dispatch (undone before the point
    received it) counts nowhere. The partial unique index lets a crate have
    only one trip open at a time.
    """

    __tablename__ = "dispatches"

    id = sa.Column(sa.Integer, primary_key=True)
    crate_id = sa.Column(sa.Integer, sa.ForeignKey("crates.id", ondelete="CASCADE"), nullable=False)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    point_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    dispatched_at = sa.Column(UTCDateTime, nullable=False)
    dispatched_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    due_back = sa.Column(sa.Date, nullable=False)
    #: Position of the route stop this trip serves (``None``: a trip off the route).
    route_position = sa.Column(sa.Integer)
    received_at = sa.Column(UTCDateTime)
    received_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    returned_at = sa.Column(UTCDateTime)
    returned_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at = sa.Column(UTCDateTime)
    cancelled_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    copies_sent = sa.Column(sa.Integer, nullable=False, default=0)
    note = sa.Column(NFCText(500), nullable=False, default="")

    crate = relationship("Crate", back_populates="dispatches")
    institution = relationship("Institution", foreign_keys=[institution_id])
    point = relationship("Institution", foreign_keys=[point_id])
    lines = relationship("DispatchItem", back_populates="dispatch", cascade="all, delete-orphan",
                         order_by="DispatchItem.id")
    dispatched_by = relationship("User", foreign_keys=[dispatched_by_id])
    received_by = relationship("User", foreign_keys=[received_by_id])
    returned_by = relationship("User", foreign_keys=[returned_by_id])

    __table_args__ = (
        sa.Index("uq_dispatches_open_crate", "crate_id", unique=True,
                 sqlite_where=sa.text("returned_at IS NULL AND cancelled_at IS NULL"),
                 postgresql_where=sa.text("returned_at IS NULL AND cancelled_at IS NULL")),
        sa.Index("ix_dispatches_crate", "crate_id"),
        sa.Index("ix_dispatches_institution_at", "institution_id", "dispatched_at"),
        sa.Index("ix_dispatches_point_at", "point_id", "dispatched_at"),
        sa.Index("ix_dispatches_returned_at", "institution_id", "returned_at"),
    )

    @property
    def is_open(self):
        return self.returned_at is None and self.cancelled_at is None


class DispatchItem(db.Model):
    """A copy as it left in a crate, and what became of it when the crate came back."""

    __tablename__ = "dispatch_items"

    id = sa.Column(sa.Integer, primary_key=True)
    dispatch_id = sa.Column(sa.Integer, sa.ForeignKey("dispatches.id", ondelete="CASCADE"), nullable=False)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id"), nullable=False, index=True)
    #: Scanned back into the crate while checking the return (before the return is finished).
    checked_at = sa.Column(UTCDateTime)
    checked_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    outcome = sa.Column(enum_column_type(Outcome))
    missing_cause = sa.Column(enum_column_type(MissingCause))
    resolution = sa.Column(enum_column_type(Resolution))
    resolved_at = sa.Column(UTCDateTime)
    resolved_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    dispatch = relationship("Dispatch", back_populates="lines")
    item = relationship("Item")

    __table_args__ = (sa.UniqueConstraint("dispatch_id", "item_id", name="uq_dispatch_items_dispatch_item"),
                      sa.Index("ix_dispatch_items_outcome", "outcome", "resolution"))

    @property
    def still_missing(self):
        return self.outcome == Outcome.MISSING and self.resolution not in FOUND_RESOLUTIONS


class RouteStop(db.Model):
    """One stop of a crate's planned route: a point and how many months the crate stays there."""

    __tablename__ = "route_stops"

    id = sa.Column(sa.Integer, primary_key=True)
    crate_id = sa.Column(sa.Integer, sa.ForeignKey("crates.id", ondelete="CASCADE"), nullable=False)
    position = sa.Column(sa.Integer, nullable=False)
    point_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    months = sa.Column(sa.Integer, nullable=False, default=3)

    crate = relationship("Crate", back_populates="route")
    point = relationship("Institution")

    __table_args__ = (sa.UniqueConstraint("crate_id", "position", name="uq_route_stops_position"),
                      sa.CheckConstraint("months >= 1 AND months <= 24", name="months_range"))


class CrateEvent(db.Model):
    """One step in a crate's life: what happened, when, who did it, with which trip and point."""

    __tablename__ = "crate_events"

    id = sa.Column(sa.Integer, primary_key=True)
    crate_id = sa.Column(sa.Integer, sa.ForeignKey("crates.id", ondelete="CASCADE"), nullable=False, index=True)
    action = sa.Column(enum_column_type(CrateAction), nullable=False)
    state = sa.Column(enum_column_type(CrateState), nullable=False)
    at = sa.Column(UTCDateTime, nullable=False)
    by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    dispatch_id = sa.Column(sa.Integer, sa.ForeignKey("dispatches.id", ondelete="SET NULL"))
    point_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"))
    note = sa.Column(NFCText(500), nullable=False, default="")

    crate = relationship("Crate", back_populates="events")
    by = relationship("User")
    point = relationship("Institution")
