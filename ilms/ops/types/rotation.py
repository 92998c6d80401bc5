"""The ``crate``, ``dispatch`` and ``crate_return`` record types of the exchange format (exchange.md).

Each line goes through the rotation services, judged at the line's own time
and against what the earlier lines built:

- ``crate`` (``code``, ``institution``, ``items``) makes the crate if it is
  new and makes it hold exactly the copies listed (a crate back from a point
  is re-packed). Every copy must be packable, as at the screen: on the shelf
  of the owning library, not lent, not held for a reader, not in another
  crate.
- ``dispatch`` (``crate``, ``point``, ``at``) sends the crate. The format has
  no due-back date: the crate's route gives one when the point is its next
  stop, otherwise three months after the departure.
- ``crate_return`` (``crate``, ``at``, ``items``) receives the crate back:
  the copies listed are back, the others are reported missing. A listed copy
  that was not in the crate, or that is still lent to a reader, is an error.

Export writes, for every dispatch of the period, the crate as it left
(``crate``) and the ``dispatch`` at the same instant, and a ``crate_return``
for every return of the period. Missing copies settled later (found, lost)
have no line in the format and are not exported; cancelled dispatches are
not exported.
"""
import heapq

import sqlalchemy as sa

from ...catalog.models import Item
from ...extensions import db
from ...org import services as org
from ...org.models import Institution
from ...rotation import services
from ...common.errors import Conflict, NotFound
from ...rotation.models import (Crate, CrateAction, CrateEvent, CrateItem, CrateState, Dispatch, DispatchItem,
                                Outcome, Resolution)
from .. import registry as ops
from .circulation import _iso


def _institution(code, ctx):
    cache = ctx.cache.setdefault("institutions", {})
    if code not in cache:
        cache[code] = org.get_by_code(code)
    return cache[code]


# -- crate ---------------------------------------------------------------------------

def apply_crate(data, ctx):
    services.upsert_crate(actor=ctx.actor, code=data["code"], institution=_institution(data["institution"], ctx),
                          barcodes=data["items"], at=data["at"])


def _lines_of(trip_ids, *, back_only=False):
    """Barcodes per dispatch, in barcode order."""
    if not trip_ids:
        return {}
    query = (sa.select(DispatchItem.dispatch_id, Item.barcode).join(Item, Item.id == DispatchItem.item_id)
             .where(DispatchItem.dispatch_id.in_(trip_ids)).order_by(DispatchItem.dispatch_id, Item.barcode))
    if back_only:
        query = query.where(DispatchItem.outcome == Outcome.BACK)
    out = {trip_id: [] for trip_id in trip_ids}
    for trip_id, barcode in db.session.execute(query):
        out[trip_id].append(barcode)
    return out


def _trips(period, column):
    start, end = period.utc_bounds()
    owner = sa.orm.aliased(Institution)
    point = sa.orm.aliased(Institution)
    return db.session.execute(
        sa.select(Dispatch, Crate.code, owner.code, point.code)
        .join(Crate, Crate.id == Dispatch.crate_id).join(owner, owner.id == Dispatch.institution_id)
        .join(point, point.id == Dispatch.point_id)
        .where(column >= start, column < end, Dispatch.cancelled_at.is_(None))
        .order_by(column, Dispatch.id)).all()


def export_crates(period):
    """The crate as it left, just before each dispatch of the period; and the crates being packed that
    never left yet, as they are now."""
    yield from heapq.merge(_crates_as_they_left(period), export_packing_crates(period), key=lambda pair: pair[0])


def _crates_as_they_left(period):
    rows = _trips(period, Dispatch.dispatched_at)
    contents = _lines_of([trip.id for trip, *_rest in rows])
    for trip, crate, owner, _point in rows:
        yield (1, trip.dispatched_at, trip.id), {"type": "crate", "code": crate, "institution": owner,
                                                 "items": contents[trip.id]}


ops.register(ops.RecordType(
    name="crate", order=70, apply=apply_crate, export=export_crates,
    description="A rotation crate and the copies packed in it.",
    fields={"code": ops.text(), "institution": ops.text(), "items": ops.list_of(ops.text()),
            "at": ops.instant(required=False)}))


# -- dispatch ------------------------------------------------------------------------

def apply_dispatch(data, ctx):
    crate = services.crate_by_code(data["crate"])
    point = _institution(data["point"], ctx)
    services.dispatch(crate, point=point, actor=ctx.actor, at=data["at"])


def export_dispatches(period):
    for trip, crate, _owner, point in _trips(period, Dispatch.dispatched_at):
        yield (1, trip.dispatched_at, trip.id), {"type": "dispatch", "crate": crate, "point": point,
                                                 "at": _iso(trip.dispatched_at)}


ops.register(ops.RecordType(
    name="dispatch", order=71, apply=apply_dispatch, export=export_dispatches,
    description="A crate leaving for a postal cultural point.",
    fields={"crate": ops.text(), "point": ops.text(), "at": ops.instant()}))


# -- crate_return ----------------------------------------------------------------------

def apply_crate_return(data, ctx):
    crate = services.crate_by_code(data["crate"])
    services.return_crate(crate, actor=ctx.actor, at=data["at"], barcodes=data["items"])


def export_crate_returns(period):
    rows = _trips(period, Dispatch.returned_at)
    back = _lines_of([trip.id for trip, *_rest in rows], back_only=True)
    for trip, crate, _owner, _point in rows:
        yield (1, trip.returned_at, trip.id), {"type": "crate_return", "crate": crate,
                                               "at": _iso(trip.returned_at), "items": back[trip.id]}


ops.register(ops.RecordType(
    name="crate_return", order=72, apply=apply_crate_return, export=export_crate_returns,
    description="A crate back from its point: the copies present; the rest are missing.",
    fields={"crate": ops.text(), "at": ops.instant(), "items": ops.list_of(ops.text())}))


# -- after a crate's return: copies missing settled, the crate re-packed or unpacked ------------------

def _missing_line(crate, barcode):
    """The crate's latest trip line of copy ``barcode`` reported missing."""
    item = db.session.scalar(sa.select(Item).where(Item.barcode == barcode.strip().upper()))
    if item is None:
        raise NotFound(f"no copy has the barcode {barcode}")
    line = db.session.scalar(
        sa.select(DispatchItem).join(Dispatch, Dispatch.id == DispatchItem.dispatch_id)
        .where(Dispatch.crate_id == crate.id, DispatchItem.item_id == item.id,
               DispatchItem.outcome == Outcome.MISSING)
        .order_by(Dispatch.dispatched_at.desc(), Dispatch.id.desc()).limit(1))
    if line is None:
        raise Conflict(f"copy {item.barcode} was not reported missing from crate {crate.code}")
    return line


def apply_missing_settled(data, ctx):
    crate = services.crate_by_code(data["crate"])
    services.resolve_missing(_missing_line(crate, data["item"]), data["resolution"], actor=ctx.actor,
                             at=data["at"])


def export_missing_settled(period):
    """Copies reported missing from a crate and settled in the period (found, lost, found damaged)."""
    start, end = period.utc_bounds()
    rows = db.session.execute(
        sa.select(DispatchItem.id, DispatchItem.resolved_at, DispatchItem.resolution, Item.barcode, Crate.code)
        .join(Item, Item.id == DispatchItem.item_id).join(Dispatch, Dispatch.id == DispatchItem.dispatch_id)
        .join(Crate, Crate.id == Dispatch.crate_id)
        .where(DispatchItem.resolved_at >= start, DispatchItem.resolved_at < end)
        .order_by(DispatchItem.resolved_at, DispatchItem.id))
    for line_id, at, resolution, barcode, crate in rows:
        yield (1, at, line_id), {"type": "missing_settled", "crate": crate, "item": barcode,
                                 "resolution": getattr(resolution, "value", resolution), "at": _iso(at)}


ops.register(ops.RecordType(
    name="missing_settled", order=73, apply=apply_missing_settled, export=export_missing_settled,
    description="A copy missing from a returned crate, settled: found again, lost, or found damaged.",
    fields={"crate": ops.text(), "item": ops.text(), "resolution": ops.choice(*(r.value for r in Resolution)),
            "at": ops.instant()}))


def _crate_events(period, action):
    start, end = period.utc_bounds()
    return db.session.execute(
        sa.select(CrateEvent.id, CrateEvent.at, Crate.code).join(Crate, Crate.id == CrateEvent.crate_id)
        .where(CrateEvent.action == action, CrateEvent.at >= start, CrateEvent.at < end)
        .order_by(CrateEvent.at, CrateEvent.id))


def apply_repack(data, ctx):
    services.repack(services.crate_by_code(data["crate"]), actor=ctx.actor, at=data["at"])


def export_repacks(period):
    for event_id, at, crate in _crate_events(period, CrateAction.REPACKED):
        yield (1, at, event_id), {"type": "repack", "crate": crate, "at": _iso(at)}


def apply_unpack(data, ctx):
    services.unpack(services.crate_by_code(data["crate"]), actor=ctx.actor, at=data["at"])


def export_unpacks(period):
    for event_id, at, crate in _crate_events(period, CrateAction.UNPACKED):
        yield (1, at, event_id), {"type": "unpack", "crate": crate, "at": _iso(at)}


ops.register(ops.RecordType(
    name="repack", order=74, apply=apply_repack, export=export_repacks,
    description="A crate back from its point, kept packed (what came back) for its next trip.",
    fields={"crate": ops.text(), "at": ops.instant()}))

ops.register(ops.RecordType(
    name="unpack", order=75, apply=apply_unpack, export=export_unpacks,
    description="A crate emptied: its copies back on the library's shelves.",
    fields={"crate": ops.text(), "at": ops.instant()}))


def export_packing_crates(period):
    """Crates never sent yet, with what is packed in them now (after the period's events)."""
    start, end = period.utc_bounds()
    sent = sa.select(Dispatch.id).where(Dispatch.crate_id == Crate.id).exists()
    rows = db.session.execute(
        sa.select(Crate.id, Crate.code, Institution.code, sa.func.max(CrateItem.added_at))
        .join(Institution, Institution.id == Crate.institution_id).join(CrateItem, CrateItem.crate_id == Crate.id)
        .where(Crate.state == CrateState.PACKING, ~sent)
        .group_by(Crate.id, Crate.code, Institution.code).order_by(Crate.id)).all()
    for crate_id, code, owner, last in rows:
        if not (start <= last < end):
            continue
        barcodes = db.session.scalars(sa.select(Item.barcode).join(CrateItem, CrateItem.item_id == Item.id)
                                      .where(CrateItem.crate_id == crate_id).order_by(Item.barcode)).all()
        yield (1, last, 0, crate_id), {"type": "crate", "code": code, "institution": owner, "items": barcodes,
                                       "at": _iso(last)}


# -- crate_receipt -------------------------------------------------------------------------------

def apply_crate_receipt(data, ctx):
    services.confirm_receipt(services.crate_by_code(data["crate"]), actor=ctx.actor, at=data["at"])


def export_crate_receipts(period):
    """The point confirming it has the crate (the trip's ``received_at``)."""
    for trip, crate, _owner, _point in _trips(period, Dispatch.received_at):
        yield (1, trip.received_at, trip.id), {"type": "crate_receipt", "crate": crate,
                                               "at": _iso(trip.received_at)}


ops.register(ops.RecordType(
    name="crate_receipt", order=72, apply=apply_crate_receipt, export=export_crate_receipts,
    description="A crate's arrival at its point, confirmed by the point or the library.",
    fields={"crate": ops.text(), "at": ops.instant()}))


# -- retire ----------------------------------------------------------------------------------------

def apply_retire(data, ctx):
    """Retire the (empty) crate; a crate the file never named before is made first, empty, then retired."""
    crate = services.crate_by_code(data["crate"], required=False)
    if crate is None:
        crate = services.create_crate(actor=ctx.actor, institution=_institution(data["institution"], ctx),
                                      code=data["crate"], at=data["at"])
    services.retire(crate, actor=ctx.actor, at=data["at"])


def export_retirements(period):
    start, end = period.utc_bounds()
    rows = db.session.execute(
        sa.select(CrateEvent.id, CrateEvent.at, Crate.code, Institution.code)
        .join(Crate, Crate.id == CrateEvent.crate_id).join(Institution, Institution.id == Crate.institution_id)
        .where(CrateEvent.action == CrateAction.RETIRED, CrateEvent.at >= start, CrateEvent.at < end)
        .order_by(CrateEvent.at, CrateEvent.id))
    for event_id, at, crate, owner in rows:
        yield (1, at, event_id), {"type": "retire", "crate": crate, "institution": owner, "at": _iso(at)}


ops.register(ops.RecordType(
    name="retire", order=76, apply=apply_retire, export=export_retirements,
    description="A crate taken out of use (empty).",
    fields={"crate": ops.text(), "institution": ops.text(), "at": ops.instant()}))
