"""Rotation rules: crates, packing, dispatch, receipt, return and reconciliation, routes, and the point desk.

Every function that changes something takes ``actor`` and checks
``require(actor, "rotation.edit", institution)`` where the institution is
the library that owns the crate (packing, dispatch, return) or the point
(receipt may also be confirmed by the point's staff). Functions take ``at=``
so an import is judged at the line's own time; they flush, never commit.
Refusals are ``DomainError``s that say which crate, which barcode, and what
to do.

Item statuses move only through ``catalog.services.set_item_status``: a copy
stays "available" while it is packed at its library, becomes "in rotation"
at the point when the crate is dispatched, and "available" again (or
"missing") when the crate comes back.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..catalog.models import Item, ItemStatus, Record
from ..catalog.services import item_by_barcode, set_item_status
from ..circulation import services as circulation
from ..circulation.models import Hold, HoldStatus, Loan
from ..common.barcodes import is_valid_barcode, normalise_barcode
from ..common.errors import Conflict, DomainError, InvalidTransition, NotFound, PermissionDenied
from ..common.permissions import require
from ..common.text import clean, fold
from ..common.time import local_date, local_today, utcnow
from ..extensions import db
from ..org.models import Institution, InstitutionKind
from ..patrons.services import patron_by_barcode
from ..signals import data_changed
from .models import (CRATE_TRANSITIONS, FOUND_RESOLUTIONS, OUT_STATES, Crate, CrateAction, CrateEvent, CrateItem,
                     CrateState, CrateTheme, Dispatch, DispatchItem, MissingCause, Outcome, Resolution, RouteStop)

CAP = "rotation.edit"
#: How long a crate stays at a point when nobody says otherwise (a dispatch imported without a date).
DEFAULT_MONTHS = 3
MAX_ROUTE_STOPS = 12
POINT = InstitutionKind.POSTAL_CULTURAL_POINT


def _fmt(day):
    return day.strftime("%d/%m/%Y")


def _actor_id(actor):
    return getattr(actor, "id", None)


def _changed(*institution_ids):
    data_changed.send("rotation", institution_ids=sorted({i for i in institution_ids if i}))


def add_months(day, months):
    """The same day ``months`` later (the month's last day when it is shorter): 30/11 + 3 = 28/02."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- looking things up --------------------------------------------------------------

def get_crate(crate_id):
    crate = db.session.get(Crate, crate_id)
    if crate is None:
        raise NotFound(_l("This crate does not exist."))
    return crate


def crate_by_code(code, *, required=True):
    value = normalise_barcode(code)
    crate = db.session.scalar(sa.select(Crate).where(Crate.code == value)) if value else None
    if crate is None and required:
        raise NotFound(_l("No crate has the code %(code)s. Check the label on the crate.", code=value or "—"),
                       code="unknown_crate")
    return crate


def get_line(line_id):
    line = db.session.get(DispatchItem, line_id)
    if line is None:
        raise NotFound(_l("This copy is not recorded in any crate trip."))
    return line


def get_point(point_id):
    point = db.session.get(Institution, point_id)
    if point is None or point.kind != POINT:
        raise NotFound(_l("This postal cultural point does not exist."))
    return point


def open_dispatch(crate):
    """The crate's trip in progress (sent, not yet returned or cancelled), or ``None``."""
    return db.session.scalar(sa.select(Dispatch).where(
        Dispatch.crate_id == crate.id, Dispatch.returned_at.is_(None), Dispatch.cancelled_at.is_(None)))


def last_dispatch(crate):
    return db.session.scalar(sa.select(Dispatch).where(Dispatch.crate_id == crate.id, Dispatch.cancelled_at.is_(None))
                             .order_by(Dispatch.dispatched_at.desc(), Dispatch.id.desc()).limit(1))


def contents_of(crate):
    """The crate's copies now, with their titles, in packing order (one query)."""
    return db.session.scalars(sa.select(CrateItem).where(CrateItem.crate_id == crate.id)
                              .options(joinedload(CrateItem.item).joinedload(Item.record))
                              .order_by(CrateItem.added_at, CrateItem.id)).all()


def lines_of(trip):
    """The copies of a trip with their titles (one query), by barcode."""
    return db.session.scalars(sa.select(DispatchItem).join(Item, Item.id == DispatchItem.item_id)
                              .where(DispatchItem.dispatch_id == trip.id)
                              .options(joinedload(DispatchItem.item).joinedload(Item.record))
                              .order_by(Item.barcode)).all()


def crate_of(item):
    """The crate a copy is in now, or ``None``."""
    return db.session.scalar(sa.select(Crate).join(CrateItem, CrateItem.crate_id == Crate.id)
                             .where(CrateItem.item_id == item.id))


def _state_label(crate):
    return crate.state.label


# -- who may do what -----------------------------------------------------------------------

def scope_of(actor):
    """Institution ids whose crates and points ``actor`` works with; ``None`` for the whole province."""
    if getattr(actor, "is_system", False) or getattr(actor, "province_wide", False):
        return None
    return set(actor.scope_ids())


def can_view_crate(actor, crate):
    """The owner's rotation staff, and the staff of the point the crate is at or on its way to."""
    if actor.can(CAP, crate.institution):
        return True
    trip = open_dispatch(crate)
    return trip is not None and actor.can(CAP, trip.point)


def require_point_staff(actor, point):
    """Point staff: users whose home is the point, or staff of its library (the point is in their scope)."""
    if point.kind != POINT:
        raise DomainError(_l("%(name)s is not a postal cultural point.", name=point.name))
    if actor.can(CAP, point) or actor.can("circulation.desk", point):
        return
    require(actor, CAP, point)


class PointDeskActor:
    """The person working a point's desk, as the circulation services see them.

    Point staff (the book-rotation role at the point, or at its library) lend,
    take back, count visits and keep tallies at that point only, through the
    circulation services and their rules; for anything else, and anywhere
    else, they have exactly their own rights. ``id`` and the rest are the
    user's own, so every loan and tally records who made it.
    """

    def __init__(self, user, point):
        require_point_staff(user, point)
        self._user = user
        self._point_id = point.id

    def can(self, capability, institution=None):
        if capability == "circulation.desk" and institution is not None:
            inst_id = institution if isinstance(institution, int) else getattr(institution, "id", None)
            if inst_id == self._point_id:
                return True
        return self._user.can(capability, institution)

    def __getattr__(self, name):
        return getattr(self._user, name)


# -- crates -------------------------------------------------------------------------------

def _coerce_theme(theme):
    try:
        return CrateTheme(theme or CrateTheme.GENERAL)
    except ValueError:
        raise DomainError(_l("Unknown theme “%(theme)s”.", theme=theme), field="theme")


def next_crate_code(institution):
    """TS-<library prefix>-001, -002...: the next free crate code of a library."""
    prefix = f"TS-{institution.barcode_prefix or institution.code.replace('-', '')}-"[:16]
    taken = set(db.session.scalars(sa.select(Crate.code).where(Crate.code.like(prefix + "%"))).all())
    number = len(taken) + 1
    while f"{prefix}{number:03d}" in taken:
        number += 1
    return f"{prefix}{number:03d}"


def _check_code(code, crate_id=None):
    if not is_valid_barcode(code) or len(code) > 20:
        raise DomainError(_l("“%(code)s” cannot be a crate code: use up to 20 letters, digits, - . or /.",
                             code=code), field="code")
    if db.session.scalar(sa.select(Crate.id).where(Crate.code == code, Crate.id != (crate_id or -1))):
        raise Conflict(_l("Another crate already has the code %(code)s.", code=code), field="code")
    if db.session.scalar(sa.select(Item.id).where(Item.barcode == code)):
        raise Conflict(_l("%(code)s is the barcode of a copy; a crate needs a code of its own.", code=code),
                       field="code")


def create_crate(*, actor, institution, code=None, theme=None, title="", note="", at=None):
    """A new, empty crate of ``institution`` (a library), ready to be packed."""
    require(actor, CAP, institution)
    if not institution.is_library:
        raise DomainError(_l("Crates belong to a library; %(name)s is not one.", name=institution.name),
                          field="institution")
    at = at or utcnow()
    code = normalise_barcode(code) or next_crate_code(institution)
    _check_code(code)
    crate = Crate(code=code, institution_id=institution.id, theme=_coerce_theme(theme), title=clean(title or ""),
                  note=clean(note or ""), state=CrateState.PACKING, route_repeats=False, created_at=at,
                  created_by_id=_actor_id(actor))
    crate.institution = institution
    db.session.add(crate)
    db.session.flush()
    _event(crate, CrateAction.CREATED, actor, at)
    return crate


def update_crate(crate, *, actor, theme=None, title=None, note=None):
    require(actor, CAP, crate.institution)
    if theme is not None:
        crate.theme = _coerce_theme(theme)
    if title is not None:
        crate.title = clean(title)
    if note is not None:
        crate.note = clean(note)
    db.session.flush()
    return crate


def _event(crate, action, actor, at, *, dispatch=None, point=None, note=""):
    event = CrateEvent(crate_id=crate.id, action=action, state=crate.state, at=at, by_id=_actor_id(actor),
                       dispatch_id=dispatch.id if dispatch is not None else None,
                       point_id=point.id if point is not None else None, note=clean(note or "")[:500])
    db.session.add(event)
    db.session.flush()
    return event


def _move(crate, target):
    CRATE_TRANSITIONS.check(crate.state, target)
    crate.state = target


# -- packing ------------------------------------------------------------------------------

@dataclass
class Problem:
    code: str
    message: object


def packing_problem(item, crate, *, dispatching=False):
    """Why ``item`` cannot go (or, when ``dispatching``, leave) in ``crate``; ``None`` when it can."""
    title, barcode = item.record.title, item.barcode
    if not dispatching:
        holder = db.session.scalar(sa.select(CrateItem).where(CrateItem.item_id == item.id))
        if holder is not None and holder.crate_id == crate.id:
            return Problem("in_this_crate", _l("“%(title)s” (%(barcode)s) is already in this crate.",
                                               title=title, barcode=barcode))
        if holder is not None:
            other = holder.crate
            return Problem("in_crate", _l("“%(title)s” (%(barcode)s) is already in crate %(crate)s (%(state)s). "
                                          "A copy travels in one crate only: take it out of %(crate)s first.",
                                          title=title, barcode=barcode, crate=other.code, state=other.state.label))
    if item.status == ItemStatus.WITHDRAWN:
        return Problem("withdrawn", _l("“%(title)s” (%(barcode)s) was withdrawn from the collection; it cannot "
                                       "travel.", title=title, barcode=barcode))
    loan = circulation.open_loan_of(item)
    if loan is not None:
        return Problem("on_loan", _l("“%(title)s” (%(barcode)s) is on loan to a reader until %(date)s; pack it "
                                     "when it comes back.", title=title, barcode=barcode,
                                     date=_fmt(loan.due_date)))
    trapped = db.session.scalar(sa.select(Hold).where(
        Hold.item_id == item.id, Hold.status.in_([HoldStatus.READY, HoldStatus.IN_TRANSIT])))
    if trapped is not None:
        place = trapped.pickup_institution.name
        if trapped.status == HoldStatus.READY:
            return Problem("on_hold", _l("“%(title)s” (%(barcode)s) is set aside on the holds shelf of %(place)s "
                                         "for a reader until %(date)s; it cannot be packed.", title=title,
                                         barcode=barcode, place=place,
                                         date=_fmt(trapped.expires_on) if trapped.expires_on else "—"))
        return Problem("on_hold", _l("“%(title)s” (%(barcode)s) is on its way to %(place)s for a reader's hold; "
                                     "it cannot be packed.", title=title, barcode=barcode, place=place))
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Hold).where(
        Hold.record_id == item.record_id, Hold.status == HoldStatus.WAITING))
    if waiting and waiting >= _copies_on_shelves(item):
        return Problem("hold_waiting", _l("%(n)d reader(s) are waiting for “%(title)s” and no other copy on the "
                                          "shelves can fill their holds: lend this copy (%(barcode)s) to fill a "
                                          "hold instead of packing it.", n=waiting, title=title, barcode=barcode))
    if item.institution_id != crate.institution_id:
        return Problem("other_library", _l("“%(title)s” (%(barcode)s) belongs to %(owner)s; a crate of "
                                           "%(library)s carries only its own copies.", title=title,
                                           barcode=barcode, owner=item.institution.name,
                                           library=crate.institution.name))
    if item.status == ItemStatus.IN_ROTATION and not dispatching:
        place = item.location_institution.name if item.location_institution else "—"
        return Problem("in_rotation", _l("“%(title)s” (%(barcode)s) is out in rotation at %(place)s.",
                                         title=title, barcode=barcode, place=place))
    if item.status != ItemStatus.AVAILABLE:
        return Problem("not_available", _l("“%(title)s” (%(barcode)s) is marked “%(status)s”; only copies on "
                                           "the shelf can be packed.", title=title, barcode=barcode,
                                           status=item.status.label))
    if item.location_institution_id is not None:
        return Problem("away", _l("“%(title)s” (%(barcode)s) is at %(place)s, not at its library.", title=title,
                                  barcode=barcode, place=item.location_institution.name))
    return None


def _copies_on_shelves(item):
    """Copies of the item's title on a shelf of the network that could fill a hold: available, at home, and
    not packed in a crate (``item`` itself counts)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Item).where(
        Item.record_id == item.record_id, Item.status == ItemStatus.AVAILABLE,
        Item.location_institution_id.is_(None),
        sa.or_(Item.id == item.id, Item.id.not_in(sa.select(CrateItem.item_id)))))


def _refuse_packing_here(crate):
    if crate.state == CrateState.RETURNED:
        raise Conflict(_l("Crate %(crate)s is back from its point: re-pack it for the next point (or unpack it) "
                          "before adding copies.", crate=crate.code), code="returned")
    if crate.state in OUT_STATES:
        raise Conflict(_l("Crate %(crate)s is at or on its way to a point (%(state)s); copies can be added "
                          "only while it is being packed at the library.", crate=crate.code,
                          state=_state_label(crate)), code="out")
    if crate.state == CrateState.RETIRED:
        raise Conflict(_l("Crate %(crate)s is retired; put it back in use first.", crate=crate.code),
                       code="retired")


def pack(crate, barcode, *, actor, at=None):
    """Scan a copy into a crate being packed (an unpacked crate starts packing again). Returns the copy."""
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    item = item_by_barcode(barcode)
    if crate.state == CrateState.UNPACKED:
        _move(crate, CrateState.PACKING)
        _event(crate, CrateAction.PACKING, actor, at)
    elif crate.state != CrateState.PACKING:
        _refuse_packing_here(crate)
    problem = packing_problem(item, crate)
    if problem is not None:
        raise Conflict(problem.message, code=problem.code)
    row = CrateItem(crate_id=crate.id, item_id=item.id, added_at=at, added_by_id=_actor_id(actor))
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("“%(title)s” (%(barcode)s) was packed into another crate a moment ago.",
                          title=item.record.title, barcode=item.barcode), code="in_crate")
    db.session.refresh(crate)
    return item


def take_out(crate, item, *, actor):
    """Take a copy out of a crate at the library (being packed, or back and not yet re-packed)."""
    require(actor, CAP, crate.institution)
    if crate.state not in (CrateState.PACKING, CrateState.RETURNED):
        raise Conflict(_l("Crate %(crate)s is %(state)s; copies come out of it only at the library.",
                          crate=crate.code, state=_state_label(crate)), code="out")
    row = db.session.scalar(sa.select(CrateItem).where(CrateItem.crate_id == crate.id,
                                                       CrateItem.item_id == item.id))
    if row is None:
        raise NotFound(_l("%(barcode)s is not in crate %(crate)s.", barcode=item.barcode, crate=crate.code))
    db.session.delete(row)
    db.session.flush()
    db.session.refresh(crate)
    return item


def set_contents(crate, barcodes, *, actor, at=None):
    """Make the crate hold exactly these copies (imports: a ``crate`` line lists the contents)."""
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    if crate.state == CrateState.RETURNED:
        repack(crate, actor=actor, at=at)
    wanted = []
    for code in barcodes:
        value = normalise_barcode(code)
        if value and value not in wanted:
            wanted.append(value)
    if crate.state not in (CrateState.PACKING, CrateState.UNPACKED):
        _refuse_packing_here(crate)
    for row in list(crate.contents):
        if row.item.barcode not in wanted:
            db.session.delete(row)
    db.session.flush()
    db.session.refresh(crate)
    present = {row.item.barcode for row in crate.contents}
    for code in wanted:
        if code not in present:
            pack(crate, code, actor=actor, at=at)
    return crate


def upsert_crate(*, actor, code, institution, barcodes, at=None):
    """The crate with ``code`` (made for ``institution`` if new), holding exactly ``barcodes``."""
    crate = crate_by_code(code, required=False)
    if crate is None:
        crate = create_crate(actor=actor, institution=institution, code=code, at=at)
    elif crate.institution_id != institution.id:
        raise Conflict(_l("Crate %(crate)s belongs to %(owner)s, not to %(name)s.", crate=crate.code,
                          owner=crate.institution.name, name=institution.name), code="other_library")
    return set_contents(crate, barcodes, actor=actor, at=at)


# -- dispatch -------------------------------------------------------------------------------

def _check_point(point):
    if point is None or point.kind != POINT:
        raise DomainError(_l("Crates go to postal cultural points; %(name)s is not one.",
                             name=getattr(point, "name", "—")), field="point")
    if not point.active:
        raise DomainError(_l("%(name)s is closed (inactive); choose another point.", name=point.name), field="point")


def dispatch(crate, *, point, actor, due_back=None, at=None, note="", route_position=None):
    """Send a packed crate to a point until ``due_back``: every copy becomes "in rotation" at the point."""
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    if crate.state != CrateState.PACKING:
        raise InvalidTransition(_l("Crate %(crate)s is “%(state)s”; only a crate being packed can be dispatched.",
                                   crate=crate.code, state=_state_label(crate)), code="not_packing")
    _check_point(point)
    contents = contents_of(crate)
    if not contents:
        raise Conflict(_l("Crate %(crate)s is empty: scan the copies into it before dispatching it.",
                          crate=crate.code), code="empty")
    day = local_date(at)
    stop = next_stop(crate)
    if route_position is None and stop is not None and stop.point_id == point.id:
        route_position = stop.position
    if due_back is None:
        months = stop.months if stop is not None and stop.position == route_position else DEFAULT_MONTHS
        due_back = add_months(day, months)
    if due_back <= day:
        raise DomainError(_l("The due-back date (%(due)s) must come after the dispatch (%(day)s).",
                             due=_fmt(due_back), day=_fmt(day)), field="due_back")
    problems = [p for p in (packing_problem(row.item, crate, dispatching=True) for row in contents) if p]
    if problems:
        listed = " ".join(str(p.message) for p in problems[:5])
        more = len(problems) - 5
        tail = str(_l("(and %(n)d more)", n=more)) if more > 0 else ""
        raise Conflict(_l("Crate %(crate)s cannot leave yet: %(problems)s %(more)s Take these copies out of the "
                          "crate, or settle them first.", crate=crate.code, problems=listed, more=tail),
                       code=problems[0].code)
    trip = Dispatch(crate_id=crate.id, institution_id=crate.institution_id, point_id=point.id, dispatched_at=at,
                    dispatched_by_id=_actor_id(actor), due_back=due_back, route_position=route_position,
                    copies_sent=len(contents), note=clean(note or ""))
    try:
        with db.session.begin_nested():
            db.session.add(trip)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("Crate %(crate)s was dispatched a moment ago by someone else.", crate=crate.code),
                       code="not_packing")
    for row in contents:
        db.session.add(DispatchItem(dispatch_id=trip.id, item_id=row.item_id))
        set_item_status(row.item, ItemStatus.IN_ROTATION, location=point)
    _move(crate, CrateState.DISPATCHED)
    db.session.flush()
    _event(crate, CrateAction.DISPATCHED, actor, at, dispatch=trip, point=point, note=note)
    _changed(trip.institution_id)
    return trip


def cancel_dispatch(crate, *, actor, at=None, reason=""):
    """Undo a dispatch made by mistake, before the point received the crate: it counts nowhere."""
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    trip = open_dispatch(crate)
    if crate.state != CrateState.DISPATCHED or trip is None:
        raise InvalidTransition(_l("Only a crate on its way, not yet received by the point, can have its dispatch "
                                   "cancelled; %(crate)s is “%(state)s”.", crate=crate.code,
                                   state=_state_label(crate)), code="not_dispatched")
    for line in trip.lines:
        if circulation.open_loan_of(line.item) is not None:
            raise Conflict(_l("“%(title)s” (%(barcode)s) was already lent at %(point)s; the dispatch cannot be "
                              "undone.", title=line.item.record.title, barcode=line.item.barcode,
                              point=trip.point.name), code="lent")
    trip.cancelled_at = at
    trip.cancelled_by_id = _actor_id(actor)
    for line in trip.lines:
        if line.item.status == ItemStatus.IN_ROTATION:
            set_item_status(line.item, ItemStatus.AVAILABLE)
    _move(crate, CrateState.PACKING)
    db.session.flush()
    _event(crate, CrateAction.CANCELLED, actor, at, dispatch=trip, point=trip.point, note=reason)
    _changed(trip.institution_id)
    return trip


def confirm_receipt(crate, *, actor, at=None, note=""):
    """The point has the crate: confirmed by its staff (often on a phone) or by the library."""
    trip = open_dispatch(crate)
    if trip is None:
        raise InvalidTransition(_l("Crate %(crate)s has not been dispatched (it is “%(state)s”), so there is "
                                   "nothing to receive.", crate=crate.code, state=_state_label(crate)),
                                code="not_dispatched")
    if not (actor.can(CAP, trip.point) or actor.can(CAP, crate.institution)):
        require(actor, CAP, trip.point)
    at = at or utcnow()
    if crate.state == CrateState.RECEIVED:
        raise Conflict(_l("The receipt of crate %(crate)s was already confirmed on %(date)s.", crate=crate.code,
                          date=_fmt(local_date(trip.received_at))), code="already_received")
    if at < trip.dispatched_at:
        raise DomainError(_l("The crate cannot arrive (%(at)s) before it left (%(out)s).",
                             at=_fmt(local_date(at)), out=_fmt(local_date(trip.dispatched_at))))
    _move(crate, CrateState.RECEIVED)
    trip.received_at = at
    trip.received_by_id = _actor_id(actor)
    db.session.flush()
    _event(crate, CrateAction.RECEIVED, actor, at, dispatch=trip, point=trip.point, note=note)
    return trip


# -- return and reconciliation ---------------------------------------------------------------------

def _not_out(crate):
    return InvalidTransition(_l("Crate %(crate)s is “%(state)s”: it is not out at a point, so it cannot be "
                                "returned.", crate=crate.code, state=_state_label(crate)), code="not_out")


def check_back(crate, barcode, *, actor, at=None):
    """Scan a copy found in a crate that came back. Returns ``(line, first_time)``."""
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    trip = open_dispatch(crate)
    if crate.state not in OUT_STATES or trip is None:
        raise _not_out(crate)
    item = item_by_barcode(barcode)
    line = db.session.scalar(sa.select(DispatchItem).where(DispatchItem.dispatch_id == trip.id,
                                                           DispatchItem.item_id == item.id))
    title = item.record.title
    if line is None:
        raise Conflict(_l("“%(title)s” (%(barcode)s) was not in crate %(crate)s when it left for %(point)s. "
                          "Put it aside and check it in at the desk.", title=title, barcode=item.barcode,
                          crate=crate.code, point=trip.point.name), code="not_in_crate")
    if line.checked_at is not None:
        return line, False
    loan = circulation.open_loan_of(item)
    if loan is not None:
        raise Conflict(_l("“%(title)s” (%(barcode)s) is still on loan to a reader (lent at %(place)s, due "
                          "%(date)s). Check it in at the desk first, then scan it again.", title=title,
                          barcode=item.barcode, place=loan.institution.name, date=_fmt(loan.due_date)),
                       code="on_loan")
    home = item.status == ItemStatus.AVAILABLE and item.location_institution_id is None
    if item.status != ItemStatus.IN_ROTATION and not home:
        place = item.location_institution.name if item.location_institution else item.institution.name
        raise Conflict(_l("“%(title)s” (%(barcode)s) left the crate through a desk and is now “%(status)s” "
                          "(%(place)s). Check it in at the desk first.", title=title, barcode=item.barcode,
                          status=item.status.label, place=place), code="elsewhere")
    line.checked_at = at
    line.checked_by_id = _actor_id(actor)
    db.session.flush()
    return line, True


def uncheck(crate, line, *, actor):
    """Undo a scan made while checking a return (the copy was not there after all)."""
    require(actor, CAP, crate.institution)
    trip = open_dispatch(crate)
    if trip is None or line.dispatch_id != trip.id:
        raise _not_out(crate)
    line.checked_at = None
    line.checked_by_id = None
    db.session.flush()
    return line


def missing_cause(item):
    if circulation.open_loan_of(item) is not None:
        return MissingCause.ON_LOAN
    if item.status in (ItemStatus.IN_ROTATION, ItemStatus.MISSING):
        return MissingCause.NOT_FOUND
    return MissingCause.ELSEWHERE


def return_crate(crate, *, actor, at=None, barcodes=None, note=""):
    """The crate is back at its library: the copies scanned are back, the rest are reported missing.

    ``barcodes`` (imports) are scanned first. Copies back become available
    again and stay in the crate, ready to be re-packed or unpacked. A copy not
    back is "missing" (still lent at the point: flagged, and its loan no
    longer returns it to a crate that has left, so it goes home when the
    reader brings it back). Returns the trip.
    """
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    trip = open_dispatch(crate)
    if crate.state not in OUT_STATES or trip is None:
        raise _not_out(crate)
    if at < trip.dispatched_at:
        raise DomainError(_l("The crate cannot come back (%(at)s) before it left (%(out)s).",
                             at=_fmt(local_date(at)), out=_fmt(local_date(trip.dispatched_at))))
    for code in barcodes or ():
        check_back(crate, code, actor=actor, at=at)
    back = missing = 0
    for line in trip.lines:
        item = line.item
        if line.checked_at is not None:
            line.outcome = Outcome.BACK
            if item.status == ItemStatus.IN_ROTATION:
                set_item_status(item, ItemStatus.AVAILABLE)
            back += 1
            continue
        line.outcome = Outcome.MISSING
        line.missing_cause = missing_cause(item)
        if line.missing_cause == MissingCause.ON_LOAN:
            circulation.open_loan_of(item).from_rotation = False
        elif item.status == ItemStatus.IN_ROTATION:
            set_item_status(item, ItemStatus.MISSING)
        row = db.session.scalar(sa.select(CrateItem).where(CrateItem.crate_id == crate.id,
                                                           CrateItem.item_id == item.id))
        if row is not None:
            db.session.delete(row)
        missing += 1
    trip.returned_at = at
    trip.returned_by_id = _actor_id(actor)
    _move(crate, CrateState.RETURNED)
    db.session.flush()
    db.session.refresh(crate)
    summary = str(_l("%(back)d of %(sent)d copies back, %(missing)d missing.", back=back, sent=len(trip.lines),
                     missing=missing))
    _event(crate, CrateAction.RETURNED, actor, at, dispatch=trip, point=trip.point,
           note=f"{summary} {clean(note or '')}".strip())
    _changed(trip.institution_id)
    return trip


def resolve_missing(line, resolution, *, actor, at=None, into_crate=True):
    """Settle a copy reported missing: found (back on the shelf, or in its crate), lost, or found damaged.

    A copy found or found damaged no longer counts in ROT.COPIES_MISSING; a
    lost copy still does, and may be found later.
    """
    trip = line.dispatch
    crate = trip.crate
    require(actor, CAP, trip.institution)
    at = at or utcnow()
    resolution = Resolution(resolution)
    item = line.item
    title = item.record.title
    if line.outcome != Outcome.MISSING:
        raise Conflict(_l("“%(title)s” (%(barcode)s) came back with its crate; there is nothing to settle.",
                          title=title, barcode=item.barcode), code="not_missing")
    if line.resolution in FOUND_RESOLUTIONS or line.resolution == resolution:
        raise Conflict(_l("“%(title)s” (%(barcode)s) was already settled (%(what)s) on %(date)s.", title=title,
                          barcode=item.barcode, what=line.resolution.label, date=_fmt(local_date(line.resolved_at))),
                       code="settled")
    loan = circulation.open_loan_of(item)
    if loan is not None:
        raise Conflict(_l("“%(title)s” (%(barcode)s) is still on loan to a reader (lent at %(place)s, due "
                          "%(date)s). It is settled when the reader brings it back: check it in at a desk, then "
                          "mark it found.", title=title, barcode=item.barcode, place=loan.institution.name,
                          date=_fmt(loan.due_date)), code="on_loan")
    if item.status in (ItemStatus.IN_TRANSIT, ItemStatus.WITHDRAWN):
        raise Conflict(_l("“%(title)s” (%(barcode)s) is “%(status)s”; receive it at the desk before settling it.",
                          title=title, barcode=item.barcode, status=item.status.label), code="elsewhere")
    status = item.status
    if resolution == Resolution.FOUND:
        if status in (ItemStatus.MISSING, ItemStatus.LOST, ItemStatus.IN_ROTATION):
            set_item_status(item, ItemStatus.AVAILABLE)
        if into_crate and item.status == ItemStatus.AVAILABLE and crate.institution_id == item.institution_id \
                and crate.state in (CrateState.RETURNED, CrateState.PACKING) \
                and packing_problem(item, crate) is None:
            db.session.add(CrateItem(crate_id=crate.id, item_id=item.id, added_at=at, added_by_id=_actor_id(actor)))
    elif resolution == Resolution.DAMAGED:
        if status == ItemStatus.LOST:
            set_item_status(item, ItemStatus.AVAILABLE)     # found, then found to be damaged
        if item.status in (ItemStatus.MISSING, ItemStatus.IN_ROTATION, ItemStatus.AVAILABLE):
            set_item_status(item, ItemStatus.DAMAGED)
        elif item.status != ItemStatus.DAMAGED:
            raise Conflict(_l("“%(title)s” (%(barcode)s) is “%(status)s”; it cannot be marked damaged from here.",
                              title=title, barcode=item.barcode, status=item.status.label), code="elsewhere")
    else:
        if status in (ItemStatus.AVAILABLE, ItemStatus.ON_HOLD_SHELF, ItemStatus.DAMAGED):
            raise Conflict(_l("“%(title)s” (%(barcode)s) is back (“%(status)s”): mark it found instead.",
                              title=title, barcode=item.barcode, status=status.label), code="back")
        set_item_status(item, ItemStatus.LOST)
    line.resolution = resolution
    line.resolved_at = at
    line.resolved_by_id = _actor_id(actor)
    db.session.flush()
    db.session.refresh(crate)
    _event(crate, CrateAction.RESOLVED, actor, at, dispatch=trip, point=trip.point,
           note=f"{item.barcode}: {resolution.label}")
    _changed(trip.institution_id)
    return line


# -- after the return -----------------------------------------------------------------------------

def repack(crate, *, actor, at=None):
    """Keep what came back in the crate and pack it for the next point."""
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    if crate.state != CrateState.RETURNED:
        raise InvalidTransition(_l("Only a crate back from its point can be re-packed; %(crate)s is “%(state)s”.",
                                   crate=crate.code, state=_state_label(crate)), code="not_returned")
    _move(crate, CrateState.PACKING)
    db.session.flush()
    _event(crate, CrateAction.REPACKED, actor, at)
    return crate


def unpack(crate, *, actor, at=None):
    """Empty the crate: its copies go back on the library's shelves (they are available already)."""
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    if crate.state not in (CrateState.PACKING, CrateState.RETURNED):
        raise InvalidTransition(_l("Crate %(crate)s is “%(state)s”; only a crate at the library can be unpacked.",
                                   crate=crate.code, state=_state_label(crate)), code="out")
    count = len(crate.contents)
    for row in list(crate.contents):
        db.session.delete(row)
    _move(crate, CrateState.UNPACKED)
    db.session.flush()
    db.session.refresh(crate)
    _event(crate, CrateAction.UNPACKED, actor, at, note=str(_l("%(n)d copies back on the shelves.", n=count)))
    return crate


def retire(crate, *, actor, at=None):
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    if crate.contents:
        raise Conflict(_l("Crate %(crate)s still holds %(n)d copies; unpack it before retiring it.",
                          crate=crate.code, n=len(crate.contents)), code="not_empty")
    _move(crate, CrateState.RETIRED)
    db.session.flush()
    _event(crate, CrateAction.RETIRED, actor, at)
    return crate


def reactivate(crate, *, actor, at=None):
    require(actor, CAP, crate.institution)
    at = at or utcnow()
    _move(crate, CrateState.UNPACKED)
    db.session.flush()
    _event(crate, CrateAction.REACTIVATED, actor, at)
    return crate


# -- routes ---------------------------------------------------------------------------------------

def set_route(crate, stops, *, actor, repeats=False):
    """Plan the crate's route: ``stops`` is a list of ``(point, months)``, in order."""
    require(actor, CAP, crate.institution)
    stops = [(point, months) for point, months in stops if point is not None]
    if len(stops) > MAX_ROUTE_STOPS:
        raise DomainError(_l("A route has at most %(n)d stops.", n=MAX_ROUTE_STOPS), field="stops")
    for number, (point, months) in enumerate(stops, start=1):
        _check_point(point)
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
            raise DomainError(_l("Stop %(n)d: a crate stays 1 to 24 months at a point.", n=number), field="stops")
    for stop in list(crate.route):
        db.session.delete(stop)
    db.session.flush()
    for position, (point, months) in enumerate(stops):
        db.session.add(RouteStop(crate_id=crate.id, position=position, point_id=point.id, months=months))
    crate.route_repeats = bool(repeats) and bool(stops)
    db.session.flush()
    db.session.refresh(crate)
    return crate


def next_stop(crate):
    """The route stop the crate should go to next (after its current or last trip), or ``None``."""
    stops = list(crate.route)
    if not stops:
        return None
    last = db.session.scalar(sa.select(Dispatch.route_position).where(
        Dispatch.crate_id == crate.id, Dispatch.cancelled_at.is_(None), Dispatch.route_position.is_not(None))
        .order_by(Dispatch.dispatched_at.desc(), Dispatch.id.desc()).limit(1))
    if last is None:
        return stops[0]
    following = [s for s in stops if s.position > last]
    if following:
        return following[0]
    return stops[0] if crate.route_repeats else None


@dataclass
class Move:
    """A move the rotation staff should make: a crate to bring back, or one to send."""

    crate: Crate
    when: dt.date | None        # None: as soon as possible
    kind: str                   # "bring_back" | "send"
    point: Institution | None   # where it is (bring_back) or where it goes (send)
    then: RouteStop | None = None
    trip: Dispatch | None = None

    @property
    def overdue(self):
        return self.when is not None and self.when < local_today()


def next_moves(crates):
    """Crates out come back on their due date (then go on along their route); crates at home with a route go out."""
    moves = []
    for crate in crates:
        if crate.state == CrateState.RETIRED:
            continue
        stop = next_stop(crate)
        if crate.is_out:
            trip = open_dispatch(crate)
            if trip is not None:
                moves.append(Move(crate, trip.due_back, "bring_back", trip.point, then=stop, trip=trip))
        elif stop is not None:
            last = last_dispatch(crate)
            moves.append(Move(crate, None, "send", stop.point, then=stop, trip=last))
    return sorted(moves, key=lambda m: (m.when or dt.date.min, m.crate.code))


# -- where is everything ---------------------------------------------------------------------------

def crates_query(actor, *, state=None, institution_id=None, q=None):
    query = (sa.select(Crate).options(joinedload(Crate.institution), selectinload(Crate.contents))
             .order_by(Crate.code))
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(Crate.institution_id.in_(scope))
    if institution_id:
        query = query.where(Crate.institution_id == institution_id)
    if state:
        query = query.where(Crate.state == CrateState(state))
    if q:
        value = (q or "").strip()
        query = query.where(sa.or_(Crate.code.icontains(value, autoescape=True),
                                   Crate.title.icontains(value, autoescape=True)))
    return query


def state_counts(actor, institution_id=None):
    query = sa.select(Crate.state, sa.func.count()).group_by(Crate.state)
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(Crate.institution_id.in_(scope))
    if institution_id:
        query = query.where(Crate.institution_id == institution_id)
    counts = dict(db.session.execute(query).all())
    return [(state, counts.get(state, 0)) for state in CrateState]


def open_trips(actor, *, institution_id=None, point_ids=None):
    """Trips in progress (crates at or on their way to points) the actor works with, due first."""
    query = (sa.select(Dispatch).where(Dispatch.returned_at.is_(None), Dispatch.cancelled_at.is_(None))
             .options(joinedload(Dispatch.crate), joinedload(Dispatch.point), joinedload(Dispatch.institution))
             .order_by(Dispatch.due_back, Dispatch.id))
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(sa.or_(Dispatch.institution_id.in_(scope), Dispatch.point_id.in_(scope)))
    if institution_id:
        query = query.where(Dispatch.institution_id == institution_id)
    if point_ids is not None:
        query = query.where(Dispatch.point_id.in_(list(point_ids)))
    return db.session.scalars(query).all()


def points_for(actor, institution_id=None):
    """Active postal cultural points the actor works with (a library's own points, or every point)."""
    query = sa.select(Institution).where(Institution.kind == POINT, Institution.active.is_(True)) \
        .order_by(Institution.name_sort)
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(Institution.id.in_(scope))
    if institution_id:
        query = query.where(Institution.parent_id == institution_id)
    return db.session.scalars(query).all()


def dispatch_points(crate):
    """Points a crate may go to: the library's own points first, then every other active point."""
    points = db.session.scalars(sa.select(Institution).where(Institution.kind == POINT,
                                                             Institution.active.is_(True))
                                .order_by(Institution.name_sort)).all()
    own = [p for p in points if p.parent_id == crate.institution_id]
    return own + [p for p in points if p.parent_id != crate.institution_id]


@dataclass
class PointHoldings:
    point: Institution
    trips: list          # open dispatches to the point
    in_rotation: int     # copies "in rotation" there now, in crates the point has received
    on_loan: int         # copies of crates lent to readers there now
    on_way: int = 0      # copies in crates sent to the point and not yet received (not there yet)

    @property
    def copies(self):
        return self.in_rotation + self.on_loan


def holdings(points):
    """What each point holds now: its crates, copies on the shelf and copies lent to readers.

    A dispatched copy is "in rotation" at the point from the moment it leaves, but until the point confirms
    the crate arrived it is on the road: it is counted apart (``on_way``), never as "here".
    """
    ids = [p.id for p in points]
    if not ids:
        return []
    unreceived = (sa.select(DispatchItem.item_id).join(Dispatch, Dispatch.id == DispatchItem.dispatch_id)
                  .where(Dispatch.point_id.in_(ids), Dispatch.received_at.is_(None), Dispatch.returned_at.is_(None),
                         Dispatch.cancelled_at.is_(None)))
    on_way = sa.case((Item.id.in_(unreceived), 1), else_=0)
    shelf, road = {}, {}
    for place, count, travelling in db.session.execute(
            sa.select(Item.location_institution_id, sa.func.count(), sa.func.sum(on_way)).where(
                Item.status == ItemStatus.IN_ROTATION, Item.location_institution_id.in_(ids))
            .group_by(Item.location_institution_id)):
        shelf[place], road[place] = count - (travelling or 0), travelling or 0
    lent = dict(db.session.execute(sa.select(Loan.institution_id, sa.func.count()).where(
        Loan.institution_id.in_(ids), Loan.from_rotation.is_(True), Loan.returned_at.is_(None),
        Loan.voided_at.is_(None)).group_by(Loan.institution_id)).all())
    trips = {}
    for trip in db.session.scalars(sa.select(Dispatch).where(
            Dispatch.point_id.in_(ids), Dispatch.returned_at.is_(None), Dispatch.cancelled_at.is_(None))
            .options(joinedload(Dispatch.crate)).order_by(Dispatch.dispatched_at)):
        trips.setdefault(trip.point_id, []).append(trip)
    return [PointHoldings(p, trips.get(p.id, []), shelf.get(p.id, 0), lent.get(p.id, 0), road.get(p.id, 0))
            for p in points]


def point_loans(point):
    """Copies of crates lent to readers at the point and not back yet (they must be back before the crate goes)."""
    return db.session.scalars(sa.select(Loan).where(
        Loan.institution_id == point.id, Loan.from_rotation.is_(True), Loan.returned_at.is_(None),
        Loan.voided_at.is_(None)).options(joinedload(Loan.item).joinedload(Item.record))
        .order_by(Loan.due_date, Loan.id)).all()


def trip_loans(trip):
    """Open loans of the trip's copies (flagged: they must be back in the crate before it returns)."""
    ids = [line.item_id for line in trip.lines]
    if not ids:
        return {}
    loans = db.session.scalars(sa.select(Loan).where(Loan.item_id.in_(ids), Loan.returned_at.is_(None),
                                                     Loan.voided_at.is_(None))).all()
    return {loan.item_id: loan for loan in loans}


def point_history(point, limit=50):
    return db.session.scalars(sa.select(Dispatch).where(Dispatch.point_id == point.id,
                                                        Dispatch.cancelled_at.is_(None))
                              .options(joinedload(Dispatch.crate), joinedload(Dispatch.institution))
                              .order_by(Dispatch.dispatched_at.desc()).limit(limit)).all()


def missing_lines(actor, *, institution_id=None, unresolved_only=True):
    """Copies reported missing at a return, newest first (unsettled or lost when ``unresolved_only``)."""
    query = (sa.select(DispatchItem).join(Dispatch, Dispatch.id == DispatchItem.dispatch_id)
             .where(DispatchItem.outcome == Outcome.MISSING, Dispatch.cancelled_at.is_(None))
             .options(joinedload(DispatchItem.item).joinedload(Item.record),
                      joinedload(DispatchItem.dispatch).joinedload(Dispatch.crate),
                      joinedload(DispatchItem.dispatch).joinedload(Dispatch.point))
             .order_by(Dispatch.returned_at.desc(), DispatchItem.id))
    if unresolved_only:
        query = query.where(sa.or_(DispatchItem.resolution.is_(None), DispatchItem.resolution == Resolution.LOST))
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(Dispatch.institution_id.in_(scope))
    if institution_id:
        query = query.where(Dispatch.institution_id == institution_id)
    return query


def item_history(item):
    """Every trip the copy made in a crate (oldest first): the points it visited and how it came back."""
    return db.session.scalars(sa.select(DispatchItem).join(Dispatch, Dispatch.id == DispatchItem.dispatch_id)
                              .where(DispatchItem.item_id == item.id, Dispatch.cancelled_at.is_(None))
                              .options(joinedload(DispatchItem.dispatch).joinedload(Dispatch.point),
                                       joinedload(DispatchItem.dispatch).joinedload(Dispatch.crate))
                              .order_by(Dispatch.dispatched_at, Dispatch.id)).all()


@dataclass
class CopyPlace:
    item: Item
    crate: Crate | None
    trip: Dispatch | None
    loan: Loan | None


def copies_of(record):
    """Where every copy of a title is now: its status, the crate it is in, the point it is at, a loan."""
    items = db.session.scalars(sa.select(Item).where(Item.record_id == record.id)
                               .options(joinedload(Item.institution), joinedload(Item.location_institution))
                               .order_by(Item.barcode)).all()
    ids = [i.id for i in items]
    crates = dict(db.session.execute(sa.select(CrateItem.item_id, Crate).join(Crate, Crate.id == CrateItem.crate_id)
                                     .where(CrateItem.item_id.in_(ids))).all()) if ids else {}
    loans = {loan.item_id: loan for loan in db.session.scalars(sa.select(Loan).where(
        Loan.item_id.in_(ids), Loan.returned_at.is_(None), Loan.voided_at.is_(None)))} if ids else {}
    trips = {}
    for crate in set(crates.values()):
        if crate.is_out:
            trips[crate.id] = open_dispatch(crate)
    return [CopyPlace(item, crates.get(item.id), trips.get(crates[item.id].id) if item.id in crates else None,
                      loans.get(item.id)) for item in items]


def find_titles(text, actor, limit=30):
    """Titles matching ``text`` (diacritics and case ignored) that have copies in the actor's libraries."""
    words = fold(text).split()
    if not words:
        return []
    held = sa.select(Item.record_id)
    scope = scope_of(actor)
    if scope is not None:
        held = held.where(Item.institution_id.in_(scope))
    query = sa.select(Record.id, Record.title).where(Record.id.in_(held))
    found = []
    for record_id, title in db.session.execute(query.order_by(Record.title_sort).limit(20000)):
        folded = fold(title)
        if all(word in folded for word in words):
            found.append(record_id)
            if len(found) >= limit:
                break
    return db.session.scalars(sa.select(Record).where(Record.id.in_(found)).order_by(Record.title_sort)).all()


# -- the point desk ---------------------------------------------------------------------------------

def point_lend(point, card, barcode, *, actor, at=None):
    """Lend a crate's copy to a registered reader at the point (the desk's rules). Returns ``(loan, warning)``."""
    desk = PointDeskActor(actor, point)
    patron = patron_by_barcode(card)
    item = item_by_barcode(barcode)
    loan = circulation.checkout(patron, item, institution=point, actor=desk, at=at)
    warning = None
    trip = db.session.scalar(sa.select(Dispatch).join(DispatchItem, DispatchItem.dispatch_id == Dispatch.id).where(
        DispatchItem.item_id == item.id, Dispatch.point_id == point.id, Dispatch.returned_at.is_(None),
        Dispatch.cancelled_at.is_(None)))
    if trip is not None and loan.due_date > trip.due_back:
        warning = _l("The crate %(crate)s goes back on %(date)s: ask the reader to bring the book back before "
                     "then.", crate=trip.crate.code, date=_fmt(trip.due_back))
    return loan, warning


def point_return(point, barcode, *, actor, at=None):
    """A reader brings a copy back at the point: it goes back in its crate (or home, if the crate has left)."""
    desk = PointDeskActor(actor, point)
    return circulation.check_in(item_by_barcode(barcode), institution=point, actor=desk, at=at)


def point_visit(point, card, *, actor, at=None):
    desk = PointDeskActor(actor, point)
    return circulation.check_in_visit(patron_by_barcode(card), institution=point, actor=desk, at=at)


def point_tally(point, *, actor, date, kind, count, note=""):
    """Visitors or loans counted on paper at the point, through the desk's tally service."""
    return circulation.add_tally(institution=point, date=date, kind=kind, count=count, note=note,
                                 actor=PointDeskActor(actor, point))


def delete_point_tally(tally, *, actor):
    point = tally.institution
    if point.kind != POINT:
        raise PermissionDenied()
    circulation.delete_tally(tally, actor=PointDeskActor(actor, point))


def crates_at(point):
    return db.session.scalars(sa.select(Dispatch).where(
        Dispatch.point_id == point.id, Dispatch.returned_at.is_(None), Dispatch.cancelled_at.is_(None))
        .options(joinedload(Dispatch.crate)).order_by(Dispatch.dispatched_at)).all()


# -- consistency check (``flask check``) -------------------------------------------------------------

def consistency_problems():
    """Crates and copies that disagree: what ``flask check`` reports (a person must look at each).

    It reads on a connection of its own, closed at the end, so the check never holds SQLite's write lock.
    """
    with db.engine.connect() as connection:
        return _consistency_problems(connection)


def _consistency_problems(connection):
    problems = []
    stray = connection.execute(
        sa.select(Item.barcode, Institution.name).join(Institution, Institution.id == Item.location_institution_id)
        .where(Item.status == ItemStatus.IN_ROTATION, ~sa.exists().where(
            DispatchItem.item_id == Item.id, Dispatch.id == DispatchItem.dispatch_id,
            Dispatch.point_id == Item.location_institution_id, Dispatch.returned_at.is_(None),
            Dispatch.cancelled_at.is_(None)))
        .order_by(Item.barcode)).all()
    for barcode, place in stray:
        problems.append(f"copy {barcode} is “in rotation” at {place} but is in no crate there; check it in at "
                        f"a desk or settle it from its crate's page")
    crates = connection.execute(
        sa.select(Crate.code, Crate.state, sa.func.count(Dispatch.id))
        .outerjoin(Dispatch, sa.and_(Dispatch.crate_id == Crate.id, Dispatch.returned_at.is_(None),
                                     Dispatch.cancelled_at.is_(None)))
        .group_by(Crate.id, Crate.code, Crate.state).order_by(Crate.code)).all()
    for code, state, open_trips in crates:
        out = CrateState(state) in OUT_STATES
        if out and not open_trips:
            problems.append(f"crate {code} is “{CrateState(state).value}” but has no trip in progress")
        if not out and open_trips:
            problems.append(f"crate {code} is “{CrateState(state).value}” but a trip of it is still open")
    return problems
