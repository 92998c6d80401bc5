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
import sqlalchemy as sa

from ...catalog.models import Item
from ...extensions import db
from ...org import services as org
from ...org.models import Institution
from ...rotation import services
from ...rotation.models import Crate, Dispatch, DispatchItem, Outcome
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
                          barcodes=data["items"])


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
    """The crate as it left, just before each dispatch of the period."""
    rows = _trips(period, Dispatch.dispatched_at)
    contents = _lines_of([trip.id for trip, *_rest in rows])
    for trip, crate, owner, _point in rows:
        yield (1, trip.dispatched_at, trip.id), {"type": "crate", "code": crate, "institution": owner,
                                                 "items": contents[trip.id]}


ops.register(ops.RecordType(
    name="crate", order=70, apply=apply_crate, export=export_crates,
    description="A rotation crate and the copies packed in it.",
    fields={"code": ops.text(), "institution": ops.text(), "items": ops.list_of(ops.text())}))


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
