"""Book rotation: ROT.CRATES_SENT, ROT.COPIES_SENT, ROT.POINTS_SERVED, ROT.POINT_VISITS, ROT.POINT_LOANS,
ROT.COPIES_MISSING (shared/spec/indicators.md, "Book rotation").

``ROT.POINT_*`` apply to postal cultural points; the others to the library
that owns the crates (the provincial library and the district libraries).
Choices where the specification leaves room:

- A dispatch counts for the library that owned the crate when it left
  (``Dispatch.institution_id``), on the local date it left. A dispatch
  cancelled before the point received the crate (entered by mistake) counts
  nowhere, like a voided loan.
- ROT.COPIES_SENT counts the copies recorded with each dispatch, i.e. the
  crate's contents at the moment it left; copies packed or taken out later do
  not change it.
- ROT.POINTS_SERVED: a point "received a crate in the period" when a crate
  was dispatched to it in the period (not cancelled). The dispatch date is
  used rather than the receipt confirmation because paper-era imports carry
  no receipt and a point that never pressed "received" was still served. The
  value of a library is the number of distinct points its crates went to; a
  group's value counts a point served by two libraries once.
- ROT.POINT_VISITS is LIB.VISITS' rule at the points: distinct (reader,
  point, local day) over every identified event there (desk check-ins,
  checkouts, returns, internet sessions: ``stats.registry.visit_events``)
  plus the visitor tallies entered for the point. ROT.POINT_LOANS is
  LIB.LOANS' rule at the points: checkouts made at the point (not voided)
  plus the loan tallies entered for it. Both read circulation's own tables
  through circulation's indicator functions, so the two rules cannot drift.
- ROT.COPIES_MISSING counts, on the local date of the return, the copies
  that were in the crate when it left and were not scanned back into it when
  it returned, for the library that owned the crate. A copy still lent at the
  point when the crate left it is missing too (it was not in the crate).
  "Finding one later restores it": a missing copy later marked found (or
  found damaged) is taken out of the figure of the return's period, since it
  was not missing after all; a copy marked lost stays counted (and leaves the
  figure if it is found later still). The figure of a period can therefore
  go down after the fact when copies turn up; a frozen report keeps the
  figure it was signed with.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ...catalog.models import Item, Record
from ...common.time import local_date_of
from ...extensions import db
from ...org.models import Institution
from ...rotation.models import FOUND_RESOLUTIONS, Crate, Dispatch, DispatchItem, Outcome
from .. import registry
from . import circulation as circ

LIBRARIES = frozenset({"provincial_library", "district_library", "commune_library"})
POINTS = frozenset({"postal_cultural_point"})


def _within(column, period):
    start, end = period.utc_bounds()
    return sa.and_(column >= start, column < end)


def _ym(year, month):
    return f"{int(year):04d}-{int(month):02d}"


def _month(column):
    day = local_date_of(column)
    return sa.extract("year", day), sa.extract("month", day)


def _sent(period, ids):
    return (_within(Dispatch.dispatched_at, period), Dispatch.institution_id.in_(list(ids)),
            Dispatch.cancelled_at.is_(None))


def _per_institution(value, period, ids, *where, join=None):
    if not ids:
        return {}
    query = sa.select(Dispatch.institution_id, value)
    if join is not None:
        query = query.select_from(join)
    return dict(db.session.execute(query.where(*where).group_by(Dispatch.institution_id)).all())


def _per_month(value, column, ids, *where, join=None):
    if not ids:
        return {}
    year, month = _month(column)
    query = sa.select(Dispatch.institution_id, year, month, value)
    if join is not None:
        query = query.select_from(join)
    rows = db.session.execute(query.where(*where).group_by(Dispatch.institution_id, year, month)).all()
    return {(inst, _ym(y, m)): v for inst, y, m, v in rows}


_POINT = aliased(Institution, name="point")
_LINES = sa.join(Dispatch, DispatchItem, DispatchItem.dispatch_id == Dispatch.id)


# -- ROT.CRATES_SENT ---------------------------------------------------------------

def crates_sent(period, ids):
    return _per_institution(sa.func.count(Dispatch.id), period, ids, *_sent(period, ids))


def crates_sent_series(period, ids):
    return _per_month(sa.func.count(Dispatch.id), Dispatch.dispatched_at, ids, *_sent(period, ids))


def crates_sent_drilldown(period, ids):
    """One row per dispatch: when, which library's crate, to which point, how many copies, due back."""
    return (sa.select(Dispatch.dispatched_at.label("at"), Dispatch.institution_id.label("institution_id"),
                      Crate.code.label("crate"), _POINT.code.label("point"), Dispatch.copies_sent.label("count"),
                      Dispatch.due_back.label("due"))
            .join(Crate, Crate.id == Dispatch.crate_id).join(_POINT, _POINT.id == Dispatch.point_id)
            .where(*_sent(period, ids)).order_by(Dispatch.dispatched_at, Dispatch.id))


registry.register(registry.Indicator(
    code="ROT.CRATES_SENT", name_vi="Lượt gửi thùng sách luân chuyển", name_en="Crates sent to points",
    kinds=LIBRARIES, compute=crates_sent, series=crates_sent_series, drilldown=crates_sent_drilldown,
    definition="Crate dispatches to postal cultural points in the period (local date of departure), for the "
               "library owning the crate; a dispatch cancelled before receipt counts nowhere."))


# -- ROT.COPIES_SENT -----------------------------------------------------------------

def copies_sent(period, ids):
    return _per_institution(sa.func.count(DispatchItem.id), period, ids, *_sent(period, ids), join=_LINES)


def copies_sent_series(period, ids):
    return _per_month(sa.func.count(DispatchItem.id), Dispatch.dispatched_at, ids, *_sent(period, ids),
                      join=_LINES)


def copies_sent_drilldown(period, ids):
    """Each copy that left in a crate: when, the library, crate, point, barcode and title."""
    return (sa.select(Dispatch.dispatched_at.label("at"), Dispatch.institution_id.label("institution_id"),
                      Crate.code.label("crate"), _POINT.code.label("point"), Item.barcode.label("barcode"),
                      Record.title.label("title"))
            .select_from(_LINES).join(Crate, Crate.id == Dispatch.crate_id)
            .join(_POINT, _POINT.id == Dispatch.point_id)
            .join(Item, Item.id == DispatchItem.item_id).join(Record, Record.id == Item.record_id)
            .where(*_sent(period, ids)).order_by(Dispatch.dispatched_at, Dispatch.id, Item.barcode))


registry.register(registry.Indicator(
    code="ROT.COPIES_SENT", name_vi="Bản sách luân chuyển", name_en="Copies sent in crates",
    kinds=LIBRARIES, compute=copies_sent, series=copies_sent_series, drilldown=copies_sent_drilldown,
    definition="Copies in the crates dispatched in the period, as the crates were when they left."))


# -- ROT.POINTS_SERVED -------------------------------------------------------------------

_POINTS_SERVED = sa.func.count(sa.distinct(Dispatch.point_id))


def points_served(period, ids):
    return _per_institution(_POINTS_SERVED, period, ids, *_sent(period, ids))


def points_served_group(period, ids):
    """A point that received crates from two libraries of the group counts once."""
    if not ids:
        return 0
    return db.session.scalar(sa.select(_POINTS_SERVED).where(*_sent(period, ids))) or 0


def points_served_series(period, ids):
    return _per_month(_POINTS_SERVED, Dispatch.dispatched_at, ids, *_sent(period, ids))


def points_served_drilldown(period, ids):
    """One row per point and library: crates it received in the period, first and last departure."""
    return (sa.select(_POINT.code.label("point"), _POINT.name.label("name"),
                      Dispatch.institution_id.label("institution_id"), sa.func.count(Dispatch.id).label("count"),
                      sa.func.min(Dispatch.dispatched_at).label("start"),
                      sa.func.max(Dispatch.dispatched_at).label("end"))
            .join(_POINT, _POINT.id == Dispatch.point_id).where(*_sent(period, ids))
            .group_by(_POINT.code, _POINT.name, Dispatch.institution_id)
            .order_by(Dispatch.institution_id, _POINT.code))


registry.register(registry.Indicator(
    code="ROT.POINTS_SERVED", name_vi="Điểm Bưu điện văn hóa xã được phục vụ", name_en="Points served",
    kinds=LIBRARIES, compute=points_served, group=points_served_group, distinct=True,
    series=points_served_series, drilldown=points_served_drilldown,
    definition="Distinct postal cultural points to which a crate was dispatched in the period (not cancelled)."))


# -- ROT.POINT_VISITS and ROT.POINT_LOANS: circulation's rules at the points ----------------------

registry.register(registry.Indicator(
    code="ROT.POINT_VISITS", name_vi="Lượt bạn đọc tại điểm Bưu điện văn hóa xã", name_en="Reader visits at points",
    kinds=POINTS, compute=circ.visits, series=circ.visits_series, drilldown=circ.visits_drilldown,
    definition="Distinct (reader, point, local date) over identified events at the point (check-ins, "
               "checkouts, returns, internet sessions), plus the visitor tallies entered for the point."))

registry.register(registry.Indicator(
    code="ROT.POINT_LOANS", name_vi="Lượt sách mượn tại điểm Bưu điện văn hóa xã", name_en="Loans at points",
    kinds=POINTS, compute=circ.loans, series=circ.loans_series, drilldown=circ.loans_drilldown,
    definition="Checkouts made at the point (not voided), plus the loans the point tallied on paper."))


# -- ROT.COPIES_MISSING ----------------------------------------------------------------------

def _missing(period, ids):
    return (_within(Dispatch.returned_at, period), Dispatch.institution_id.in_(list(ids)),
            Dispatch.cancelled_at.is_(None), DispatchItem.outcome == Outcome.MISSING,
            sa.or_(DispatchItem.resolution.is_(None), DispatchItem.resolution.not_in(list(FOUND_RESOLUTIONS))))


def copies_missing(period, ids):
    return _per_institution(sa.func.count(DispatchItem.id), period, ids, *_missing(period, ids), join=_LINES)


def copies_missing_series(period, ids):
    return _per_month(sa.func.count(DispatchItem.id), Dispatch.returned_at, ids, *_missing(period, ids),
                      join=_LINES)


def copies_missing_drilldown(period, ids):
    """Each copy missing at a return (not found since): when the crate came back, from where, why, and
    whether it has been declared lost."""
    return (sa.select(Dispatch.returned_at.label("at"), Dispatch.institution_id.label("institution_id"),
                      Crate.code.label("crate"), _POINT.code.label("point"), Item.barcode.label("barcode"),
                      Record.title.label("title"), DispatchItem.missing_cause.label("reason"),
                      DispatchItem.resolution.label("status"))
            .select_from(_LINES).join(Crate, Crate.id == Dispatch.crate_id)
            .join(_POINT, _POINT.id == Dispatch.point_id)
            .join(Item, Item.id == DispatchItem.item_id).join(Record, Record.id == Item.record_id)
            .where(*_missing(period, ids)).order_by(Dispatch.returned_at, Dispatch.id, Item.barcode))


registry.register(registry.Indicator(
    code="ROT.COPIES_MISSING", name_vi="Bản sách thiếu khi thu hồi thùng", name_en="Copies missing at return",
    kinds=LIBRARIES, compute=copies_missing, series=copies_missing_series, drilldown=copies_missing_drilldown,
    definition="Copies that were in a crate when it left and not in it when it came back (local date of the "
               "return), for the library owning the crate; a copy later found no longer counts, a lost one does."))
