"""Desk rules: checkout, renewal, return with what to do next, holds, transits, visits, tallies, fines.

Every function takes ``actor`` and, where it changes something, the
institution whose desk acts (``require(actor, "circulation.desk",
institution)``), and ``at=`` so an import is judged at the line's own time.
Functions flush, never commit. Refusals are ``DomainError``s whose message
says what is wrong and what to do.

Race-free by construction: the partial unique index ``uq_loans_open_item``
lets only one open loan exist per copy. On SQLite every write transaction
begins immediately, so a second desk waits for the first and then sees the
copy on loan; on PostgreSQL the second insert hits the index and is turned
into the same refusal.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..audit import record_override
from ..catalog.models import Item, ItemStatus, Record
from ..catalog.services import set_item_status
from ..common.errors import Conflict, DomainError, NotFound, PermissionDenied
from ..common.permissions import require
from ..common.privacy import reader_key
from ..common.text import clean
from ..common.time import local_date, local_midnight, local_today, utcnow
from ..extensions import db
from ..org.models import Institution
from ..org.services import scope_ids
from ..patrons.services import card_problem
from ..signals import data_changed
from . import policy
from .models import (ACTIVE_HOLD_STATES, HOLD_TRANSITIONS, Fine, Hold, HoldStatus, Loan, ReadingHistoryEntry,
                     Renewal, Tally, TallyKind, Transit, Visit)

#: Statuses of a copy that can never be lent, with why.
NOT_LENDABLE = {ItemStatus.WITHDRAWN, ItemStatus.LOST, ItemStatus.MISSING, ItemStatus.DAMAGED,
                ItemStatus.PROCESSING}
MAX_TALLY = 100_000


def _fmt(day):
    return day.strftime("%d/%m/%Y")


def _changed(*institution_ids):
    data_changed.send("circulation", institution_ids=sorted({i for i in institution_ids if i}))


def _actor_id(actor):
    return getattr(actor, "id", None)


# -- looking things up -----------------------------------------------------------------

def get_loan(loan_id, *, lock=False):
    """The loan; ``lock`` holds its row until the transaction ends (PostgreSQL; SQLite's writes are serial)."""
    loan = db.session.get(Loan, loan_id, with_for_update=lock or None)
    if loan is None:
        raise NotFound(_l("This loan does not exist."))
    return loan


def get_hold(hold_id):
    hold = db.session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(_l("This hold does not exist."))
    return hold


def get_transit(transit_id):
    transit = db.session.get(Transit, transit_id)
    if transit is None:
        raise NotFound(_l("This transit does not exist."))
    return transit


def open_loan_of(item):
    return db.session.scalar(sa.select(Loan).where(Loan.item_id == item.id, Loan.returned_at.is_(None),
                                                   Loan.voided_at.is_(None)))


def open_transit_of(item):
    return db.session.scalar(sa.select(Transit).where(Transit.item_id == item.id, Transit.received_at.is_(None)))


def _open_as_of(at):
    """Loans open at the instant ``at`` (made before it, not yet back, not voided)."""
    return sa.and_(Loan.checked_out_at <= at, sa.or_(Loan.returned_at.is_(None), Loan.returned_at > at),
                   Loan.voided_at.is_(None))


def open_loans(patron, institution_id=None):
    query = (sa.select(Loan).where(Loan.patron_id == patron.id, Loan.returned_at.is_(None),
                                   Loan.voided_at.is_(None))
             .options(joinedload(Loan.item).joinedload(Item.record), joinedload(Loan.institution))
             .order_by(Loan.due_date, Loan.id))
    if institution_id is not None:
        query = query.where(Loan.institution_id == institution_id)
    return db.session.scalars(query).all()


def _scope_of(institution_id):
    """The institution and its dependent units (points), remembered for the web request."""
    if not has_request_context():
        return scope_ids(institution_id)
    memo = g.setdefault("circulation_scopes", {})
    if institution_id not in memo:
        memo[institution_id] = scope_ids(institution_id)
    return memo[institution_id]


def here(item):
    """The institution where a copy physically is (its owner unless it is away)."""
    return item.location_institution_id or item.institution_id


# -- the reader's standing -----------------------------------------------------------

def reader_problems(patron, at, *, institution_id=None):
    """Every reason ``patron`` may not borrow at ``at`` (messages), checked in the order the desk asks."""
    problems = []
    day = local_date(at)
    card = card_problem(patron, day)
    if card:
        problems.append(("card", card))
    for block in patron.blocks_at(at):
        reason = f" ({block.reason})" if block.reason else ""
        problems.append(("blocked", _l("%(name)s is blocked: %(kind)s%(reason)s.", name=patron.name,
                                       kind=block.kind.label, reason=reason)))
    settings = policy.settings_for(institution_id) if institution_id else None
    if settings is not None and settings.overdue_block_days is not None:
        limit = day - dt.timedelta(days=settings.overdue_block_days)
        row = db.session.execute(sa.select(sa.func.count(), sa.func.min(Loan.due_date)).where(
            Loan.patron_id == patron.id, _open_as_of(at), Loan.due_date < limit)).one()
        if row[0]:
            problems.append(("overdue", _l("%(name)s has %(n)d overdue item(s) (the oldest was due on %(date)s); "
                                           "they must be returned before borrowing more.",
                                           name=patron.name, n=row[0], date=_fmt(row[1]))))
    return problems


def _refuse_reader(patron, at, institution_id, override=None):
    _judge(reader_problems(patron, at, institution_id=institution_id), override)


# -- overriding the desk's policy ----------------------------------------------------------

#: The desk rules that are policy (the library's choice of the day), not integrity: a librarian may lend
#: or renew past them with a reason, and an import records a historical loan past them as it happened.
POLICY_RULES = ("card", "blocked", "overdue", "over_limit", "not_for_loan", "max_renewals", "on_hold")


@dataclass
class Override:
    """Permission to lend or renew past the desk's policy, with the reason, as Koha's and Evergreen's
    desk overrides work.

    Only :data:`POLICY_RULES` can be overridden; integrity (a copy on loan,
    withdrawn, in transit, at another library, times out of order) never can.
    The service fills ``broken`` with the ``(rule, message)`` pairs it let
    through and leaves one audit mark (``action == "override"``) on the loan,
    the same for a librarian at the desk and for an imported line.
    """

    reason: str
    broken: list = field(default_factory=list)

    @property
    def rules(self):
        return [code for code, _message in self.broken]


def _judge(problems, override):
    """Refuse with the first problem, or (overridden) remember every one of them."""
    if not problems:
        return
    if override is None:
        code, message = problems[0]
        raise Conflict(message, code=code)
    override.broken.extend((code, str(message)) for code, message in problems)


def _check_override(override):
    if override is not None:
        override.reason = clean(override.reason or "")
        if not override.reason:
            raise DomainError(_l("Give the reason for lending past the rule (for example “approved by the "
                                 "director”)."), field="override_reason")


def _mark_override(loan, override, start):
    """The audit mark of the rules broken since ``start`` (index in ``override.broken``) on ``loan``."""
    broken = override.broken[start:] if override is not None else ()
    if broken:
        record_override(db.session, "loans", loan.id, [code for code, _m in broken], override.reason,
                        [message for _c, message in broken])


# -- checkout ------------------------------------------------------------------------

def _item_lendable_here(item, patron, institution):
    """Raise the desk's reason when ``item`` cannot be lent at ``institution``; return the hold it fills."""
    title = item.record.title
    loan = open_loan_of(item)
    if loan is not None:
        if loan.patron_id == patron.id:
            raise Conflict(_l("“%(title)s” (%(barcode)s) is already on loan to this reader, due %(date)s. "
                              "Use renew mode (F4) to renew it.", title=title, barcode=item.barcode,
                              date=_fmt(loan.due_date)), code="already_yours")
        raise Conflict(_l("“%(title)s” (%(barcode)s) is already on loan to another reader, due %(date)s. "
                          "It must be returned first.", title=title, barcode=item.barcode,
                          date=_fmt(loan.due_date)), code="on_loan")
    if item.status in NOT_LENDABLE:
        raise Conflict(_l("“%(title)s” (%(barcode)s) is marked “%(status)s” and cannot be lent. "
                          "Give it to a librarian.", title=title, barcode=item.barcode, status=item.status.label),
                       code="not_lendable")
    if item.status == ItemStatus.IN_TRANSIT:
        transit = open_transit_of(item)
        target = transit.to_institution.name if transit else (item.location_institution.name
                                                              if item.location_institution else "—")
        raise Conflict(_l("“%(title)s” (%(barcode)s) is in transit to %(place)s. Check it in (return mode) "
                          "before lending it.", title=title, barcode=item.barcode, place=target),
                       code="in_transit")
    hold = None
    if item.status == ItemStatus.ON_HOLD_SHELF:
        hold = db.session.scalar(sa.select(Hold).where(Hold.item_id == item.id, Hold.status == HoldStatus.READY))
        if hold is None or hold.patron_id != patron.id:
            if hold is not None and hold.expires_on:
                raise Conflict(_l("“%(title)s” (%(barcode)s) is on the holds shelf for another reader until "
                                  "%(date)s.", title=title, barcode=item.barcode, date=_fmt(hold.expires_on)),
                               code="on_hold")
            raise Conflict(_l("“%(title)s” (%(barcode)s) is on the holds shelf for another reader.",
                              title=title, barcode=item.barcode), code="on_hold")
    if item.status == ItemStatus.ON_LOAN:
        raise Conflict(_l("“%(title)s” (%(barcode)s) is recorded as on loan without a loan; ask a librarian "
                          "to check it in first.", title=title, barcode=item.barcode), code="on_loan")
    if here(item) not in _scope_of(institution.id):
        place = item.location_institution if item.location_institution_id else item.institution
        raise Conflict(_l("“%(title)s” (%(barcode)s) belongs to %(place)s and is not lent here; check it in "
                          "(return mode) to send it back.", title=title, barcode=item.barcode, place=place.name),
                       code="other_library")
    if item.status == ItemStatus.IN_ROTATION and item.location_institution_id != institution.id:
        raise Conflict(_l("“%(title)s” (%(barcode)s) is in a rotation crate at another place.",
                          title=title, barcode=item.barcode), code="other_library")
    return hold


def checkout(patron, item, *, institution, actor, at=None, due=None, override: Override | None = None) -> Loan:
    """Lend ``item`` to ``patron`` at ``institution``'s desk; return the loan or refuse with the reason.

    With ``override`` (an :class:`Override` with a reason) the policy rules
    (card, blocks, overdue copies, loan limit, library-use-only) do not refuse
    the loan: it is made, and the rules broken are marked in the audit trail.
    """
    require(actor, "circulation.desk", institution)
    _check_override(override)
    start = len(override.broken) if override is not None else 0
    at = at or utcnow()
    day = local_date(at)
    hold = _item_lendable_here(item, patron, institution)
    _refuse_reader(patron, at, institution.id, override)
    material = item.record.material_type
    rule = policy.rule_for(institution.id, patron.category, material)
    if rule.loan_days == 0 or rule.max_loans == 0:
        _judge([("not_for_loan", _l("“%(title)s” is for use in the library only (%(material)s, %(category)s "
                                    "readers).", title=item.record.title, material=material.label,
                                    category=patron.category.label))], override)
    count_query = (sa.select(sa.func.count()).select_from(Loan)
                   .where(Loan.patron_id == patron.id, Loan.institution_id == institution.id, _open_as_of(at)))
    if rule.material_type:
        count_query = (count_query.join(Item, Item.id == Loan.item_id).join(Record, Record.id == Item.record_id)
                       .where(Record.material_type == rule.material_type))
    current = db.session.scalar(count_query)
    if current >= rule.max_loans:
        _judge([("over_limit", _l("%(name)s already has %(n)d item(s) on loan here, the most allowed (%(max)d). "
                                  "Return one first.", name=patron.name, n=current, max=rule.max_loans))],
               override)
    if due is None:
        due = policy.due_date(institution.id, day, max(rule.loan_days, 1))
    elif due < day:
        raise DomainError(_l("The due date %(due)s is before the loan (%(day)s).", due=_fmt(due), day=_fmt(day)),
                          field="due")
    from_rotation = item.status == ItemStatus.IN_ROTATION
    loan = Loan(item_id=item.id, patron_id=patron.id, reader_key=reader_key(patron.id),
                institution_id=institution.id, checked_out_at=at, checked_out_by_id=_actor_id(actor),
                due_date=due, renewals=0, from_rotation=from_rotation, reminders_sent=0, void_reason="")
    try:
        with db.session.begin_nested():
            db.session.add(loan)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("“%(title)s” (%(barcode)s) was lent a moment ago at another desk.",
                          title=item.record.title, barcode=item.barcode), code="on_loan")
    loan.item = item
    loan.patron = patron
    set_item_status(item, ItemStatus.ON_LOAN, location=institution if from_rotation else None)
    waiting = hold or db.session.scalar(sa.select(Hold).where(
        Hold.patron_id == patron.id, Hold.record_id == item.record_id, Hold.status == HoldStatus.WAITING))
    if waiting is not None:
        HOLD_TRANSITIONS.check(waiting.status, HoldStatus.FULFILLED)
        waiting.status = HoldStatus.FULFILLED
        waiting.ended_at = at
        waiting.item_id = item.id
        loan.hold_id = waiting.id
    db.session.flush()
    _mark_override(loan, override, start)
    _changed(institution.id)
    return loan


def void_loan(loan, *, actor, reason="", at=None):
    """Undo a loan entered by mistake: the copy goes back where it was and the loan counts nowhere."""
    require(actor, "circulation.desk", loan.institution)
    if not loan.is_open:
        raise Conflict(_l("Only a loan still open can be undone; this one is closed."))
    at = at or utcnow()
    loan.voided_at = at
    loan.voided_by_id = _actor_id(actor)
    loan.void_reason = clean(reason or "") or str(_l("Entered by mistake"))
    item = loan.item
    hold = db.session.get(Hold, loan.hold_id) if loan.hold_id else None
    db.session.flush()
    if hold is not None and hold.status == HoldStatus.FULFILLED and hold.item_id == item.id \
            and hold.ready_at is not None:
        hold.status = HoldStatus.READY
        hold.ended_at = None
        set_item_status(item, ItemStatus.ON_HOLD_SHELF,
                        location=loan.institution if loan.institution_id != item.institution_id else None)
    elif hold is not None and hold.status == HoldStatus.FULFILLED:
        hold.status = HoldStatus.WAITING
        hold.ended_at = None
        hold.item_id = None
        set_item_status(item, ItemStatus.AVAILABLE)
    elif loan.from_rotation:
        set_item_status(item, ItemStatus.IN_ROTATION, location=loan.institution)
    else:
        set_item_status(item, ItemStatus.AVAILABLE,
                        location=loan.institution if loan.institution_id != item.institution_id else None)
    db.session.flush()
    _changed(loan.institution_id)
    return loan


# -- renewal -------------------------------------------------------------------------

def renew(loan, *, actor, institution=None, at=None, seen_renewals=None,
          override: Override | None = None) -> Loan:
    """Extend an open loan by the rule's loan period, counted from its due date (from today when it is
    already overdue), so a renewal always gives the reader a full period more.

    Refused when the renewals allowed are used up, another reader is waiting
    for the title, the card is no longer valid or the reader is blocked.

    Only staff of the lending institution (or of its parent) renew a loan:
    a desk elsewhere is refused before anything of the loan is read, as
    Koha does with independent branches; the reader asks the library that
    lent the book (in person or by telephone).
    """
    require(actor, "circulation.desk", loan.institution)
    if institution is not None:
        require(actor, "circulation.desk", institution)
    if seen_renewals is not None and loan.renewals != seen_renewals:
        # The Renew button was pressed twice (or on two screens): the page showed this loan before a renewal
        # that has happened since. One press, one renewal.
        raise Conflict(_l("“%(title)s” was renewed a moment ago; it is now due %(date)s.",
                          title=loan.item.record.title, date=_fmt(loan.due_date)), code="already_renewed")
    _check_override(override)
    start = len(override.broken) if override is not None else 0
    if not loan.is_open:
        raise Conflict(_l("This loan is closed; only open loans can be renewed."), code="closed")
    at = at or utcnow()
    day = local_date(at)
    if at < loan.checked_out_at:
        raise DomainError(_l("A renewal cannot come before the loan (%(date)s).", date=_fmt(local_date(
            loan.checked_out_at))))
    patron, item = loan.patron, loan.item
    title = item.record.title
    rule = policy.rule_for(loan.institution_id, patron.category, item.record.material_type)
    if loan.renewals >= rule.max_renewals:
        _judge([("max_renewals", _l("“%(title)s” has been renewed %(n)d time(s), the most allowed. It is due "
                                    "%(date)s.", title=title, n=loan.renewals, date=_fmt(loan.due_date)))],
               override)
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Hold).where(
        Hold.record_id == item.record_id, Hold.status == HoldStatus.WAITING, Hold.patron_id != patron.id))
    if waiting:
        _judge([("on_hold", _l("“%(title)s” cannot be renewed: another reader is waiting for it.", title=title))],
               override)
    _judge([p for p in reader_problems(patron, at) if p[0] in ("card", "blocked")], override)
    new_due = policy.due_date(loan.institution_id, max(day, loan.due_date), max(rule.loan_days, 1))
    db.session.add(Renewal(loan_id=loan.id, institution_id=loan.institution_id, at=at, by_id=_actor_id(actor),
                           previous_due=loan.due_date, new_due=new_due))
    loan.due_date = new_due
    loan.renewals += 1
    db.session.flush()
    _mark_override(loan, override, start)
    _changed(loan.institution_id)
    return loan


# -- return, transit, and what to do next -------------------------------------------------

SHELVE = "shelve"
HOLD_SHELF = "hold_shelf"
TRANSIT_HOLD = "transit_hold"
TRANSIT_OWNER = "transit_owner"
BACK_TO_CRATE = "back_to_crate"
STAYS = "stays"


@dataclass
class CheckIn:
    """What a check-in did, and what the person at the desk must do with the copy now."""

    item: Item
    action: str
    loan: Loan | None = None
    hold: Hold | None = None
    transit: Transit | None = None
    destination: Institution | None = None
    received: Transit | None = None
    fine: Fine | None = None
    overdue_days: int = 0
    notes: list = field(default_factory=list)

    @property
    def instruction(self):
        title = self.item.record.title
        if self.action == HOLD_SHELF:
            return _l("Put “%(title)s” on the holds shelf for %(name)s (card %(card)s), until %(date)s.",
                      title=title, name=self.hold.patron.name if self.hold.patron else "—",
                      card=self.hold.patron.barcode if self.hold.patron else "—", date=_fmt(self.hold.expires_on))
        if self.action == TRANSIT_HOLD:
            return _l("Send “%(title)s” in transit to %(place)s: held for %(name)s (card %(card)s).",
                      title=title, place=self.destination.name,
                      name=self.hold.patron.name if self.hold.patron else "—",
                      card=self.hold.patron.barcode if self.hold.patron else "—")
        if self.action == TRANSIT_OWNER:
            return _l("Send “%(title)s” in transit to its library, %(place)s.", title=title,
                      place=self.destination.name)
        if self.action == BACK_TO_CRATE:
            return _l("Put “%(title)s” back in the rotation crate.", title=title)
        if self.action == STAYS:
            return _l("“%(title)s” stays where it is.", title=title)
        return _l("Shelve “%(title)s” (%(call)s).", title=title,
                  call=self.item.call_number or self.item.shelf or self.item.barcode)


def _next_hold(item):
    return db.session.scalar(sa.select(Hold).where(
        Hold.record_id == item.record_id, Hold.status == HoldStatus.WAITING, Hold.patron_id.is_not(None))
        .order_by(Hold.placed_at, Hold.id).limit(1))


def _send(item, *, from_institution, to_institution, actor, at, hold=None):
    transit = Transit(item_id=item.id, from_institution_id=from_institution.id,
                      to_institution_id=to_institution.id, hold_id=hold.id if hold else None, sent_at=at,
                      sent_by_id=_actor_id(actor))
    db.session.add(transit)
    set_item_status(item, ItemStatus.IN_TRANSIT, location=to_institution)
    db.session.flush()
    return transit


def _shelve_for_hold(item, hold, institution, at):
    settings = policy.settings_for(institution.id)
    hold.status = HoldStatus.READY
    hold.item_id = item.id
    hold.ready_at = at
    hold.expires_on = policy.next_open_day(institution.id,
                                           local_date(at) + dt.timedelta(days=settings.hold_pickup_days), settings)
    set_item_status(item, ItemStatus.ON_HOLD_SHELF,
                    location=institution if institution.id != item.institution_id else None)


def _route(item, institution, actor, at, result: CheckIn, *, loan=None):
    """Decide where a copy that is in our hands at ``institution`` goes next, and move it there."""
    hold = _next_hold(item)
    if hold is not None:
        result.hold = hold
        if hold.pickup_institution_id == institution.id:
            HOLD_TRANSITIONS.check(hold.status, HoldStatus.READY)
            _shelve_for_hold(item, hold, institution, at)
            result.action = HOLD_SHELF
        else:
            HOLD_TRANSITIONS.check(hold.status, HoldStatus.IN_TRANSIT)
            hold.status = HoldStatus.IN_TRANSIT
            hold.item_id = item.id
            result.transit = _send(item, from_institution=institution, to_institution=hold.pickup_institution,
                                   actor=actor, at=at, hold=hold)
            result.destination = hold.pickup_institution
            result.action = TRANSIT_HOLD
        return result
    if loan is not None and loan.from_rotation and loan.institution_id == institution.id:
        set_item_status(item, ItemStatus.IN_ROTATION, location=institution)
        result.action = BACK_TO_CRATE
    elif item.institution_id == institution.id:
        set_item_status(item, ItemStatus.AVAILABLE)
        result.action = SHELVE
    else:
        result.transit = _send(item, from_institution=institution, to_institution=item.institution, actor=actor,
                               at=at)
        result.destination = item.institution
        result.action = TRANSIT_OWNER
    return result


def _receive(transit, institution, actor, at, result):
    transit.received_at = at
    transit.received_by_id = _actor_id(actor)
    result.received = transit
    if transit.to_institution_id != institution.id:
        result.notes.append(_l("It was on its way to %(place)s; it has been received here instead.",
                               place=transit.to_institution.name))
    hold = transit.hold
    db.session.flush()
    if hold is not None and hold.status == HoldStatus.IN_TRANSIT and hold.pickup_institution_id == institution.id:
        _shelve_for_hold(transit.item, hold, institution, at)
        result.hold = hold
        result.action = HOLD_SHELF
        return result
    if hold is not None and hold.status == HoldStatus.IN_TRANSIT:
        hold.status = HoldStatus.WAITING      # it arrived elsewhere: the hold goes back in the queue
        hold.item_id = None
        db.session.flush()
    return _route(transit.item, institution, actor, at, result)


def _remember_for_reader(loan, at):
    """A returned loan goes on the reader's own reading list, if they chose to keep one."""
    patron = loan.patron
    if patron is None or not patron.keep_history:
        return
    record = loan.item.record
    db.session.add(ReadingHistoryEntry(patron_id=patron.id, record_id=record.id, title=(record.title or "")[:500],
                                       borrowed_on=local_date(loan.checked_out_at), returned_on=local_date(at)))


def check_in(item, *, institution, actor, at=None, require_loan=False) -> CheckIn:
    """Return mode: close the copy's loan (if any) and route it: shelve, holds shelf, transit, crate.

    A copy scanned without a loan is still checked in: a copy in transit is
    received, a copy from the shelf may be trapped for a waiting hold.
    ``require_loan`` (imports) refuses a copy that is not on loan.
    """
    require(actor, "circulation.desk", institution)
    at = at or utcnow()
    result = CheckIn(item=item, action=STAYS)
    loan = open_loan_of(item)
    title = item.record.title
    if loan is None and require_loan:
        raise Conflict(_l("“%(title)s” (%(barcode)s) is not on loan, so it cannot be returned.",
                          title=title, barcode=item.barcode), code="not_on_loan")
    if loan is not None:
        if at < loan.checked_out_at:
            raise DomainError(_l("The return (%(at)s) comes before the loan (%(out)s).",
                                 at=_fmt(local_date(at)), out=_fmt(local_date(loan.checked_out_at))))
        loan.returned_at = at
        loan.return_institution_id = institution.id
        loan.returned_by_id = _actor_id(actor)
        result.loan = loan
        _remember_for_reader(loan, at)
        day = local_date(at)
        result.overdue_days = max(0, (day - loan.due_date).days)
        settings = policy.settings_for(loan.institution_id)
        if result.overdue_days and settings.fines_enabled and settings.fine_per_day:
            amount = result.overdue_days * settings.fine_per_day
            if settings.fine_max is not None:
                amount = min(amount, settings.fine_max)
            result.fine = Fine(loan_id=loan.id, patron_id=loan.patron_id, institution_id=loan.institution_id,
                               amount=amount, days=result.overdue_days, created_at=at)
            db.session.add(result.fine)
        db.session.flush()
        _route(item, institution, actor, at, result, loan=loan)
        _changed(institution.id, loan.institution_id)
        return result
    if item.status == ItemStatus.IN_TRANSIT:
        transit = open_transit_of(item)
        if transit is None:
            raise Conflict(_l("“%(title)s” is marked in transit but no transit is recorded; ask a librarian.",
                              title=title), code="in_transit")
        _receive(transit, institution, actor, at, result)
        return result
    if item.status == ItemStatus.AVAILABLE:
        if here(item) != institution.id and item.institution_id != institution.id:
            raise Conflict(_l("“%(title)s” (%(barcode)s) is not on loan and belongs to %(place)s.",
                              title=title, barcode=item.barcode, place=item.institution.name), code="other_library")
        if _next_hold(item) is None:
            result.action = SHELVE
            result.notes.append(_l("It was not on loan."))
            return result
        return _route(item, institution, actor, at, result)
    if item.status == ItemStatus.ON_HOLD_SHELF:
        hold = db.session.scalar(sa.select(Hold).where(Hold.item_id == item.id, Hold.status == HoldStatus.READY))
        if hold is not None:
            result.hold = hold
            result.action = HOLD_SHELF
            return result
    raise Conflict(_l("“%(title)s” (%(barcode)s) is not on loan (it is “%(status)s”).", title=title,
                      barcode=item.barcode, status=item.status.label), code="not_on_loan")


# -- holds ---------------------------------------------------------------------------

def _holdable_copies(record):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Item).where(
        Item.record_id == record.id, Item.status.not_in(list(NOT_LENDABLE))))


def place_hold(patron, record, *, pickup, institution, actor, at=None, note="") -> Hold:
    """Put ``patron`` in the queue for ``record``, to collect at ``pickup`` (placed at ``institution``'s desk)."""
    require(actor, "circulation.desk", institution)
    at = at or utcnow()
    if not pickup.is_library and pickup.kind.value != "postal_cultural_point":
        raise DomainError(_l("%(place)s does not lend books; choose a library as the pickup place.",
                             place=pickup.name), field="pickup")
    problems = [p for p in reader_problems(patron, at) if p[0] in ("card", "blocked")]
    if problems:
        raise Conflict(problems[0][1], code=problems[0][0])
    rule = policy.rule_for(pickup.id, patron.category, record.material_type)
    if not rule.holds_allowed:
        raise Conflict(_l("Holds are not taken on %(material)s for %(category)s readers at %(place)s.",
                          material=record.material_type.label, category=patron.category.label, place=pickup.name),
                       code="holds_not_allowed")
    if not _holdable_copies(record):
        raise Conflict(_l("No copy of “%(title)s” can be lent, so it cannot be held.", title=record.title),
                       code="no_copies")
    duplicate = db.session.scalar(sa.select(Hold.id).where(
        Hold.patron_id == patron.id, Hold.record_id == record.id, Hold.status.in_(ACTIVE_HOLD_STATES)))
    if duplicate:
        raise Conflict(_l("%(name)s already has a hold on “%(title)s”.", name=patron.name, title=record.title),
                       code="duplicate")
    has_copy = db.session.scalar(sa.select(Loan.id).join(Item, Item.id == Loan.item_id).where(
        Loan.patron_id == patron.id, Item.record_id == record.id, Loan.returned_at.is_(None),
        Loan.voided_at.is_(None)).limit(1))
    if has_copy:
        raise Conflict(_l("%(name)s already has a copy of “%(title)s” on loan.", name=patron.name,
                          title=record.title), code="already_borrowed")
    hold = Hold(record_id=record.id, patron_id=patron.id, reader_key=reader_key(patron.id),
                pickup_institution_id=pickup.id, status=HoldStatus.WAITING, placed_at=at,
                placed_by_id=_actor_id(actor), note=clean(note or ""))
    db.session.add(hold)
    db.session.flush()
    return hold


def queue_position(hold):
    if hold.status != HoldStatus.WAITING:
        return None
    return 1 + db.session.scalar(sa.select(sa.func.count()).select_from(Hold).where(
        Hold.record_id == hold.record_id, Hold.status == HoldStatus.WAITING,
        sa.or_(Hold.placed_at < hold.placed_at, sa.and_(Hold.placed_at == hold.placed_at, Hold.id < hold.id))))


def _release(hold, actor, at):
    """A held copy is free again: it goes to the next reader in the queue, or back to its shelf."""
    item = hold.item
    if item is None or item.status != ItemStatus.ON_HOLD_SHELF:
        return None
    pickup = hold.pickup_institution
    db.session.flush()
    return _route(item, pickup, actor, at, CheckIn(item=item, action=STAYS))


def cancel_hold(hold, *, actor, at=None, reason=""):
    if not (actor.can("circulation.desk", hold.pickup_institution)
            or (hold.patron is not None and actor.can("circulation.desk", hold.patron.institution_id))):
        raise PermissionDenied(_l("Only the pickup library or the reader's library can cancel this hold."))
    at = at or utcnow()
    HOLD_TRANSITIONS.check(hold.status, HoldStatus.CANCELLED)
    was_ready = hold.status == HoldStatus.READY
    hold.status = HoldStatus.CANCELLED
    hold.ended_at = at
    if reason:
        hold.note = clean(f"{hold.note} {reason}".strip())[:200]
    db.session.flush()
    result = _release(hold, actor, at) if was_ready else None
    return hold, result


def expire_holds(*, actor, today=None, institution=None):
    """Holds not collected by their last day end; each copy goes to the next reader or back home.

    Returns the list of check-in results (what to do with each copy).
    """
    today = today or local_today()
    query = sa.select(Hold).where(Hold.status == HoldStatus.READY, Hold.expires_on < today)
    if institution is not None:
        require(actor, "circulation.desk", institution)
        query = query.where(Hold.pickup_institution_id == institution.id)
    results = []
    at = utcnow()
    for hold in db.session.scalars(query.order_by(Hold.expires_on, Hold.id)).all():
        hold.status = HoldStatus.EXPIRED
        hold.ended_at = at
        db.session.flush()
        result = _release(hold, actor, at)
        results.append((hold, result))
    return results


def holds_shelf(institution_id):
    return db.session.scalars(sa.select(Hold).where(
        Hold.pickup_institution_id == institution_id, Hold.status == HoldStatus.READY)
        .order_by(Hold.expires_on, Hold.id)).all()


def holds_to_pull(institution_id):
    """Waiting holds that a copy on this institution's shelves could fill now: (hold, item) pairs."""
    rows = db.session.execute(
        sa.select(Hold, Item).join(Item, Item.record_id == Hold.record_id).where(
            Hold.status == HoldStatus.WAITING, Item.status == ItemStatus.AVAILABLE,
            Item.institution_id == institution_id, Item.location_institution_id.is_(None))
        .order_by(Hold.placed_at, Hold.id, Item.barcode)).all()
    seen, out = set(), []
    for hold, item in rows:
        if hold.record_id in seen:
            continue
        seen.add(hold.record_id)
        out.append((hold, item))
    return out


def incoming_holds(institution_id):
    return db.session.scalars(sa.select(Hold).where(
        Hold.pickup_institution_id == institution_id, Hold.status.in_([HoldStatus.WAITING, HoldStatus.IN_TRANSIT]))
        .order_by(Hold.placed_at, Hold.id)).all()


# -- transits -------------------------------------------------------------------------

def transits(institution_id, *, incoming=True):
    column = Transit.to_institution_id if incoming else Transit.from_institution_id
    return db.session.scalars(sa.select(Transit).where(column == institution_id, Transit.received_at.is_(None))
                              .order_by(Transit.sent_at, Transit.id)).all()


def receive_transit(transit, *, institution, actor, at=None) -> CheckIn:
    """Receive a copy travelling to ``institution``: only there (or at its parent), and only by its staff.

    A copy that arrived somewhere else by mistake is checked in by its
    barcode at that desk, which sends it on; receiving it by the transit's
    id would close a transit bound for another library and name its reader.
    """
    require(actor, "circulation.desk", institution)
    if transit.to_institution_id not in scope_ids(institution.id):
        raise PermissionDenied(_l("This copy is travelling to %(name)s and is received there; a copy that "
                                  "arrived here by mistake is checked in by its barcode.",
                                  name=transit.to_institution.name))
    if transit.received_at is not None:
        raise Conflict(_l("This copy was already received on %(date)s.",
                          date=_fmt(local_date(transit.received_at))))
    return check_in(transit.item, institution=institution, actor=actor, at=at)


# -- visits and tallies ----------------------------------------------------------------

def day_bounds(day):
    return local_midnight(day), local_midnight(day + dt.timedelta(days=1))


def check_in_visit(patron, *, institution, actor, at=None):
    """Count a reader coming in (card scanned at the entrance or reading room).

    A second scan on the same local day adds nothing (one reader, one
    institution, one day is one visit). Returns ``(visit, first_today)``.
    The visit counts even when the card has expired; the desk shows why the
    reader cannot borrow.
    """
    require(actor, "circulation.desk", institution)
    at = at or utcnow()
    start, end = day_bounds(local_date(at))
    existing = db.session.scalar(sa.select(Visit).where(
        Visit.patron_id == patron.id, Visit.institution_id == institution.id, Visit.at >= start, Visit.at < end,
        Visit.voided_at.is_(None)).limit(1))
    if existing is not None:
        return existing, False
    visit = Visit(patron_id=patron.id, reader_key=reader_key(patron.id), institution_id=institution.id, at=at,
                  by_id=_actor_id(actor))
    db.session.add(visit)
    db.session.flush()
    _changed(institution.id)
    return visit, True


def void_visit(visit, *, actor, at=None):
    require(actor, "circulation.desk", visit.institution)
    visit.voided_at = at or utcnow()
    db.session.flush()
    _changed(visit.institution_id)


def visits_today(institution_id, today=None):
    start, end = day_bounds(today or local_today())
    return db.session.scalars(sa.select(Visit).where(
        Visit.institution_id == institution_id, Visit.at >= start, Visit.at < end, Visit.voided_at.is_(None))
        .order_by(Visit.at.desc())).all()


def add_tally(*, institution, date, kind, count, actor, note=""):
    require(actor, "circulation.desk", institution)
    try:
        kind = TallyKind(kind)
    except ValueError:
        raise DomainError(_l("A tally counts visits or loans."), field="kind")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_TALLY:
        raise DomainError(_l("The count must be a whole number from 0 to %(max)d.", max=MAX_TALLY), field="count")
    if date > local_today():
        raise DomainError(_l("A tally cannot be for a day that has not come yet (%(date)s).", date=_fmt(date)),
                          field="date")
    tally = Tally(institution_id=institution.id, date=date, kind=kind, count=count, note=clean(note or ""),
                  by_id=_actor_id(actor), created_at=utcnow())
    db.session.add(tally)
    db.session.flush()
    _changed(institution.id)
    return tally


def delete_tally(tally, *, actor):
    require(actor, "circulation.desk", tally.institution)
    institution_id = tally.institution_id
    db.session.delete(tally)
    db.session.flush()
    _changed(institution_id)


def get_tally(tally_id):
    tally = db.session.get(Tally, tally_id)
    if tally is None:
        raise NotFound(_l("This tally entry does not exist."))
    return tally


def recent_tallies(institution_id, days=31):
    since = local_today() - dt.timedelta(days=days)
    return db.session.scalars(sa.select(Tally).where(Tally.institution_id == institution_id, Tally.date >= since)
                              .order_by(Tally.date.desc(), Tally.id.desc())).all()


# -- overdues, reminders, fines -------------------------------------------------------------

def overdue_query(institution_id, today=None):
    today = today or local_today()
    return (sa.select(Loan).where(Loan.institution_id == institution_id, Loan.returned_at.is_(None),
                                  Loan.voided_at.is_(None), Loan.due_date < today)
            .order_by(Loan.patron_id, Loan.due_date, Loan.id))


def overdue_by_reader(institution_id, today=None, patron_ids=None):
    query = overdue_query(institution_id, today)
    if patron_ids:
        query = query.where(Loan.patron_id.in_(list(patron_ids)))
    grouped = {}
    for loan in db.session.scalars(query).all():
        grouped.setdefault(loan.patron_id, []).append(loan)
    return grouped


def record_reminders(loans, *, actor, institution, at=None):
    require(actor, "circulation.desk", institution)
    at = at or utcnow()
    for loan in loans:
        if loan.institution_id != institution.id:
            raise PermissionDenied()
        loan.reminders_sent += 1
        loan.last_reminder_at = at
    db.session.flush()
    return len(loans)


def accrued_fine(loan, today, settings=None):
    """What an open overdue loan would cost if it came back today (0 where fines are off)."""
    settings = settings or policy.settings_for(loan.institution_id)
    if not settings.fines_enabled:
        return 0
    amount = loan.overdue_days(today) * settings.fine_per_day
    return min(amount, settings.fine_max) if settings.fine_max is not None else amount


def unpaid_fines(patron, institution_id=None):
    query = sa.select(Fine).where(Fine.patron_id == patron.id, Fine.settled_at.is_(None)).order_by(Fine.id)
    if institution_id is not None:
        query = query.where(Fine.institution_id == institution_id)
    return db.session.scalars(query).all()


def settle_fine(fine, *, actor, how, at=None):
    require(actor, "circulation.desk", fine.institution)
    if how not in ("paid", "waived"):
        raise DomainError(_l("A fine is either paid or waived."))
    if fine.settled_at is not None:
        raise Conflict(_l("This fine was already settled."))
    fine.settled_at = at or utcnow()
    fine.settlement = how
    fine.settled_by_id = _actor_id(actor)
    db.session.flush()
    return fine


# -- privacy ---------------------------------------------------------------------------

def anonymise_loans(cutoff):
    """Detach returned (or voided) loans that ended before ``cutoff`` from their readers."""
    result = db.session.execute(sa.update(Loan).where(
        Loan.patron_id.is_not(None),
        sa.or_(Loan.returned_at < cutoff, Loan.voided_at < cutoff)).values(patron_id=None))
    db.session.execute(sa.update(Fine).where(
        Fine.patron_id.is_not(None), Fine.settled_at < cutoff).values(patron_id=None))
    return result.rowcount


def anonymise_visits(cutoff):
    return db.session.execute(sa.update(Visit).where(Visit.patron_id.is_not(None), Visit.at < cutoff)
                              .values(patron_id=None)).rowcount


def anonymise_holds(cutoff):
    return db.session.execute(sa.update(Hold).where(Hold.patron_id.is_not(None), Hold.ended_at < cutoff)
                              .values(patron_id=None)).rowcount


# -- the desk's view of a reader ----------------------------------------------------------

def desk_summary(patron, *, institution, actor, today=None):
    """What a desk shows about a reader: enough to lend, nothing more for another library's reader.

    Staff of the reader's home institution also see the loans made elsewhere.
    """
    from ..patrons.services import can_see_personal, card_expires_soon
    today = today or local_today()
    personal = can_see_personal(actor, patron)
    loans = open_loans(patron, None if personal else institution.id)
    now = utcnow()
    holds = db.session.scalars(sa.select(Hold).where(
        Hold.patron_id == patron.id, Hold.status.in_(ACTIVE_HOLD_STATES),
        *([] if personal else [Hold.pickup_institution_id == institution.id])).order_by(Hold.placed_at)).all()
    return {
        "patron": patron,
        "personal": personal,
        "problems": [message for _code, message in reader_problems(patron, now, institution_id=institution.id)],
        "card_expires_soon": card_expires_soon(patron, today),
        "loans": loans,
        "overdue": [loan for loan in loans if loan.due_date < today],
        "ready_holds": [hold for hold in holds if hold.status == HoldStatus.READY
                        and hold.pickup_institution_id == institution.id],
        "holds": holds,
        "fines": unpaid_fines(patron, None if personal else institution.id),
        "today": today,
    }
