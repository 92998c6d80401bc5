"""The ``patron``, ``visit``, ``tally``, ``checkout``, ``renew`` and ``return`` record types (exchange.md).

Each line goes through the same services as the desk, judged at the line's
own time (``at``): the card must be valid on that day (a reader without card
dates has a card valid for every imported event), the copy must be where the
earlier lines left it, the limits count the loans open at that moment.

Export writes readers first (reference data), then every event of the period
in time order. Loans that were undone are not exported, nor the history of
loans already detached from their reader (anonymised): it names nobody, so it
cannot be written as a ``checkout`` of a reader.
"""
import sqlalchemy as sa

from ...catalog.services import item_by_barcode
from ...circulation import services as circulation
from ...circulation.models import Loan, Renewal, Tally, TallyKind, Visit
from ...common.errors import Conflict
from ...common.time import local_date, local_midnight, to_local
from ...extensions import db
from ...org import services as org
from ...patrons import services as patrons
from ...patrons.models import Patron, PatronCategory
from .. import registry as ops


def _iso(instant):
    """An instant as local time with its offset, as people in Lai Châu read it: 2024-03-02T08:15:00+07:00."""
    return to_local(instant).isoformat(timespec="seconds")


def _institution(code, ctx):
    cache = ctx.cache.setdefault("institutions", {})
    if code not in cache:
        cache[code] = org.get_by_code(code)
    return cache[code]


# -- patron --------------------------------------------------------------------------

def apply_patron(data, ctx):
    patrons.upsert_patron(actor=ctx.actor, barcode=data["barcode"], institution=_institution(data["institution"], ctx),
                          name=data["name"], category=data["category"], ethnicity=data["ethnicity"],
                          sex=data["sex"], birth_year=data["birth_year"], card_issued=data["card_from"],
                          card_expires=data["card_to"])


def export_patrons(period):
    rows = db.session.execute(sa.select(Patron, org_code()).join(Patron.institution).order_by(Patron.barcode))
    for patron, code in rows:
        line = {"type": "patron", "barcode": patron.barcode, "name": patron.name, "institution": code,
                "category": patron.category.value}
        if patron.ethnicity:
            line["ethnicity"] = patron.ethnicity_name
        if patron.sex:
            line["sex"] = patron.sex.value
        if patron.birth_year:
            line["birth_year"] = patron.birth_year
        if patron.card_issued:
            line["card_from"] = patron.card_issued.isoformat()
        if patron.card_expires:
            line["card_to"] = patron.card_expires.isoformat()
        yield (0, patron.barcode), line


def org_code():
    from ...org.models import Institution
    return Institution.code


ops.register(ops.RecordType(
    name="patron", order=20, apply=apply_patron, export=export_patrons,
    description="A reader and their card.",
    fields={
        "barcode": ops.text(), "name": ops.text(), "institution": ops.text(),
        "category": ops.choice(*(c.value for c in PatronCategory)),
        "ethnicity": ops.ethnic_group(required=False), "sex": ops.choice("F", "M", required=False),
        "birth_year": ops.integer(required=False, minimum=1900),
        "card_from": ops.date(required=False), "card_to": ops.date(required=False),
    }))


# -- visit and tally --------------------------------------------------------------------

def apply_visit(data, ctx):
    circulation.check_in_visit(patrons.patron_by_barcode(data["patron"]),
                               institution=_institution(data["institution"], ctx), actor=ctx.actor, at=data["at"])


def export_visits(period):
    start, end = period.utc_bounds()
    rows = db.session.execute(
        sa.select(Visit.id, Visit.at, Patron.barcode, org_code()).join(Patron, Patron.id == Visit.patron_id)
        .join(Visit.institution).where(Visit.at >= start, Visit.at < end, Visit.voided_at.is_(None))
        .order_by(Visit.at, Visit.id))
    for visit_id, at, card, code in rows:
        yield (1, at, visit_id), {"type": "visit", "patron": card, "institution": code, "at": _iso(at)}


ops.register(ops.RecordType(
    name="visit", order=60, apply=apply_visit, export=export_visits,
    description="A reader's card scanned at the entrance or reading room.",
    fields={"patron": ops.text(), "institution": ops.text(), "at": ops.instant()}))


def apply_tally(data, ctx):
    circulation.add_tally(institution=_institution(data["institution"], ctx), date=data["date"], kind=data["kind"],
                          count=data["count"], actor=ctx.actor)


def export_tallies(period):
    rows = db.session.execute(
        sa.select(Tally.id, Tally.date, Tally.kind, Tally.count, org_code()).join(Tally.institution)
        .where(Tally.date >= period.start, Tally.date <= period.end).order_by(Tally.date, Tally.id))
    for tally_id, day, kind, count, code in rows:
        yield (1, local_midnight(day), tally_id), {"type": "tally", "institution": code, "date": day.isoformat(),
                                                   "kind": getattr(kind, "value", kind), "count": count}


ops.register(ops.RecordType(
    name="tally", order=61, apply=apply_tally, export=export_tallies,
    description="Anonymous visitors or loans counted on paper for one day.",
    fields={"institution": ops.text(), "date": ops.date(), "kind": ops.choice(*(k.value for k in TallyKind)),
            "count": ops.integer(minimum=0)}))


# -- checkout, renew, return --------------------------------------------------------------

def apply_checkout(data, ctx):
    circulation.checkout(patrons.patron_by_barcode(data["patron"]), item_by_barcode(data["item"]),
                         institution=_institution(data["institution"], ctx), actor=ctx.actor, at=data["at"],
                         due=data["due"], override=ctx.override())


def _loan_rows(period, column):
    start, end = period.utc_bounds()
    from ...catalog.models import Item
    from ...org.models import Institution
    lender = sa.orm.aliased(Institution)
    back = sa.orm.aliased(Institution)
    return db.session.execute(
        sa.select(Loan, Item.barcode, Patron.barcode, lender.code, back.code)
        .join(Item, Item.id == Loan.item_id).join(Patron, Patron.id == Loan.patron_id)
        .join(lender, lender.id == Loan.institution_id).outerjoin(back, back.id == Loan.return_institution_id)
        .where(column >= start, column < end, Loan.voided_at.is_(None)).order_by(column, Loan.id))


def export_checkouts(period):
    """Checkouts with the due date they were given (before any renewal moved it)."""
    start, end = period.utc_bounds()
    first_due = {}
    for loan_id, previous in db.session.execute(
            sa.select(Renewal.loan_id, Renewal.previous_due).join(Loan, Loan.id == Renewal.loan_id)
            .where(Loan.checked_out_at >= start, Loan.checked_out_at < end).order_by(Renewal.at.desc())):
        first_due[loan_id] = previous
    for loan, item, card, lender, _back in _loan_rows(period, Loan.checked_out_at):
        due = first_due.get(loan.id, loan.due_date)
        yield (1, loan.checked_out_at, loan.id), {
            "type": "checkout", "item": item, "patron": card, "institution": lender,
            "at": _iso(loan.checked_out_at), "due": due.isoformat()}


ops.register(ops.RecordType(
    name="checkout", order=62, apply=apply_checkout, export=export_checkouts,
    description="A loan of a copy to a reader.",
    fields={"item": ops.text(), "patron": ops.text(), "institution": ops.text(), "at": ops.instant(),
            "due": ops.date(required=False)}))


def apply_renew(data, ctx):
    item = item_by_barcode(data["item"])
    loan = circulation.open_loan_of(item)
    if loan is None:
        raise Conflict(f"copy {item.barcode} is not on loan on {local_date(data['at']).isoformat()}, "
                       "so it cannot be renewed")
    circulation.renew(loan, actor=ctx.actor, at=data["at"], override=ctx.override())
    if data["due"] is not None:
        # the due date the renewal gave, as recorded (the loan rules of the day may differ from today's)
        if data["due"] < local_date(data["at"]):
            raise Conflict(f"the new due date {data['due'].isoformat()} is before the renewal")
        renewal = db.session.scalar(sa.select(Renewal).where(Renewal.loan_id == loan.id)
                                    .order_by(Renewal.id.desc()).limit(1))
        renewal.new_due = loan.due_date = data["due"]
        db.session.flush()


def export_renewals(period):
    start, end = period.utc_bounds()
    from ...catalog.models import Item
    rows = db.session.execute(
        sa.select(Renewal.id, Renewal.at, Item.barcode, Renewal.new_due).join(Loan, Loan.id == Renewal.loan_id)
        .join(Item, Item.id == Loan.item_id)
        .where(Renewal.at >= start, Renewal.at < end, Loan.voided_at.is_(None), Loan.patron_id.is_not(None))
        .order_by(Renewal.at, Renewal.id))
    for renewal_id, at, item, new_due in rows:
        yield (1, at, renewal_id), {"type": "renew", "item": item, "at": _iso(at), "due": new_due.isoformat()}


ops.register(ops.RecordType(
    name="renew", order=63, apply=apply_renew, export=export_renewals,
    description="A renewal of the open loan of a copy.",
    fields={"item": ops.text(), "at": ops.instant(), "due": ops.date(required=False)}))


def apply_return(data, ctx):
    circulation.check_in(item_by_barcode(data["item"]), institution=_institution(data["institution"], ctx),
                         actor=ctx.actor, at=data["at"], require_loan=True)


def export_returns(period):
    for loan, item, _card, _lender, back in _loan_rows(period, Loan.returned_at):
        yield (1, loan.returned_at, loan.id), {"type": "return", "item": item, "institution": back,
                                               "at": _iso(loan.returned_at)}


ops.register(ops.RecordType(
    name="return", order=64, apply=apply_return, export=export_returns,
    description="A copy coming back (at any library of the network).",
    fields={"item": ops.text(), "institution": ops.text(), "at": ops.instant()}))


# -- checkin -------------------------------------------------------------------------------

def apply_checkin(data, ctx):
    """A copy scanned in with no loan open: a transit arriving, a copy put back from a display or a hold
    shelf. A copy still on loan is refused (that scan is a ``return``)."""
    item = item_by_barcode(data["item"])
    loan = circulation.open_loan_of(item)
    if loan is not None:
        raise Conflict(f"copy {item.barcode} is on loan on {local_date(data['at']).isoformat()}; "
                       "its scan back is a 'return' line, not a 'checkin'")
    transit = circulation.open_transit_of(item)
    if transit is not None and data["at"] < transit.sent_at:
        raise Conflict(f"copy {item.barcode} was sent in transit at {_iso(transit.sent_at)}, after this "
                       "checkin; the lines of one copy must be in time order")
    circulation.check_in(item, institution=_institution(data["institution"], ctx), actor=ctx.actor,
                         at=data["at"])


def export_checkins(period):
    """Every transit received in the period, as a ``checkin`` at its destination (a transit records where
    it was going, not where it was scanned when that was elsewhere)."""
    from ...catalog.models import Item
    from ...circulation.models import Transit
    from ...org.models import Institution
    start, end = period.utc_bounds()
    rows = db.session.execute(
        sa.select(Transit.id, Transit.received_at, Item.barcode, Institution.code)
        .join(Item, Item.id == Transit.item_id).join(Institution, Institution.id == Transit.to_institution_id)
        .where(Transit.received_at >= start, Transit.received_at < end)
        .order_by(Transit.received_at, Transit.id))
    for transit_id, at, item, code in rows:
        yield (1, at, transit_id), {"type": "checkin", "item": item, "institution": code, "at": _iso(at)}


ops.register(ops.RecordType(
    name="checkin", order=65, apply=apply_checkin, export=export_checkins,
    description="A copy scanned in with no loan open: a transit arriving, a copy back from a display.",
    fields={"item": ops.text(), "institution": ops.text(), "at": ops.instant()}))


# -- block, block_lift -------------------------------------------------------------------------

def apply_block(data, ctx):
    patrons.add_block(patrons.patron_by_barcode(data["patron"]), actor=ctx.actor, kind=data["kind"],
                      reason=data["reason"] or "", at=data["at"])


def _blocks(period, column):
    from ...patrons.models import PatronBlock
    start, end = period.utc_bounds()
    return db.session.execute(
        sa.select(PatronBlock, Patron.barcode).join(Patron, Patron.id == PatronBlock.patron_id)
        .where(column >= start, column < end).order_by(column, PatronBlock.id))


def export_blocks(period):
    from ...patrons.models import PatronBlock
    for block, card in _blocks(period, PatronBlock.created_at):
        line = {"type": "block", "patron": card, "kind": block.kind.value, "at": _iso(block.created_at)}
        if block.reason:
            line["reason"] = block.reason
        yield (1, block.created_at, block.id), line


def apply_block_lift(data, ctx):
    patron = patrons.patron_by_barcode(data["patron"])
    block = next((b for b in sorted(patron.blocks, key=lambda b: b.created_at)
                  if b.kind.value == data["kind"] and b.in_force_at(data["at"])), None)
    if block is None:
        raise Conflict(f"reader {patron.barcode} has no block of kind {data['kind']!r} in force on "
                       f"{local_date(data['at']).isoformat()}")
    patrons.lift_block(block, actor=ctx.actor, at=data["at"])


def export_block_lifts(period):
    from ...patrons.models import PatronBlock
    for block, card in _blocks(period, PatronBlock.lifted_at):
        yield (1, block.lifted_at, block.id), {"type": "block_lift", "patron": card, "kind": block.kind.value,
                                               "at": _iso(block.lifted_at)}


def _block_kinds():
    from ...patrons.models import BlockKind
    return [k.value for k in BlockKind]


ops.register(ops.RecordType(
    name="block", order=55, apply=apply_block, export=export_blocks,
    description="A reader blocked from borrowing (a lost card, overdue items, a librarian's decision).",
    fields={"patron": ops.text(), "kind": ops.choice(*_block_kinds()), "reason": ops.text(required=False),
            "at": ops.instant()}))

ops.register(ops.RecordType(
    name="block_lift", order=56, apply=apply_block_lift, export=export_block_lifts,
    description="A reader's block of that kind lifted.",
    fields={"patron": ops.text(), "kind": ops.choice(*_block_kinds()), "at": ops.instant()}))


# -- hold, hold_cancel -----------------------------------------------------------------------------

def _record_of(data):
    from ...catalog.models import Record
    if data["record"]:
        record = db.session.scalar(sa.select(Record).where(Record.control_number == data["record"]))
    elif data["title"]:
        record = db.session.scalar(sa.select(Record).where(Record.title == data["title"]).order_by(Record.id)
                                   .limit(1))
    else:
        raise Conflict("a hold line needs 'record' (the 001 of its record) or 'title'")
    if record is None:
        raise Conflict(f"no record has the control number (001) or title {data['record'] or data['title']!r}; "
                       "import the catalogue first (flask catalog import-marc)", code="no_record")
    return record


def apply_hold(data, ctx):
    pickup = _institution(data["pickup"], ctx)
    circulation.place_hold(patrons.patron_by_barcode(data["patron"]), _record_of(data), pickup=pickup,
                           institution=pickup, actor=ctx.actor, at=data["at"])


def _hold_rows(period, column):
    from ...catalog.models import Record
    from ...circulation.models import Hold
    from ...org.models import Institution
    start, end = period.utc_bounds()
    return db.session.execute(
        sa.select(Hold, Patron.barcode, Record.control_number, Record.title, Institution.code)
        .join(Patron, Patron.id == Hold.patron_id).join(Record, Record.id == Hold.record_id)
        .join(Institution, Institution.id == Hold.pickup_institution_id)
        .where(column >= start, column < end).order_by(column, Hold.id))


def _naming(control_number, title):
    return {"record": control_number} if control_number else {"title": title}


def export_holds(period):
    from ...circulation.models import Hold
    for hold, card, control_number, title, pickup in _hold_rows(period, Hold.placed_at):
        yield (1, hold.placed_at, hold.id), {"type": "hold", "patron": card, **_naming(control_number, title),
                                             "pickup": pickup, "at": _iso(hold.placed_at)}


def apply_hold_cancel(data, ctx):
    from ...circulation.models import ACTIVE_HOLD_STATES, Hold
    patron = patrons.patron_by_barcode(data["patron"])
    hold = db.session.scalar(sa.select(Hold).where(Hold.patron_id == patron.id,
                                                   Hold.record_id == _record_of(data).id,
                                                   Hold.status.in_(ACTIVE_HOLD_STATES)))
    if hold is None:
        raise Conflict(f"reader {patron.barcode} has no hold on this record to cancel")
    circulation.cancel_hold(hold, actor=ctx.actor, at=data["at"])


def export_hold_cancels(period):
    from ...circulation.models import Hold, HoldStatus
    for hold, card, control_number, title, _pickup in _hold_rows(period, Hold.ended_at):
        if hold.status == HoldStatus.CANCELLED:
            yield (1, hold.ended_at, hold.id), {"type": "hold_cancel", "patron": card,
                                                **_naming(control_number, title), "at": _iso(hold.ended_at)}


ops.register(ops.RecordType(
    name="hold", order=66, apply=apply_hold, export=export_holds,
    description="A reader's hold on a title, to collect at a library (filled by the next copy checked in).",
    fields={"patron": ops.text(), "record": ops.text(required=False), "title": ops.text(required=False),
            "pickup": ops.text(), "at": ops.instant()}))

ops.register(ops.RecordType(
    name="hold_cancel", order=67, apply=apply_hold_cancel, export=export_hold_cancels,
    description="A hold cancelled (the copy set aside for it goes to the next reader or home).",
    fields={"patron": ops.text(), "record": ops.text(required=False), "title": ops.text(required=False),
            "at": ops.instant()}))
