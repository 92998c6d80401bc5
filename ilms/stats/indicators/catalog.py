"""Collection indicators: LIB.COPIES_ADDED, LIB.TITLES_ADDED, LIB.COPIES_WITHDRAWN, LIB.HOLDINGS.

Definitions: shared/spec/indicators.md, "Libraries". They read the
accession register (``accessions``: one entry per acquisition and one per
transfer) and the copies (``items``). Choices where the text leaves room:

- An acquisition is an accession entry whose source is purchase, donation,
  legal deposit or exchange, counted for the institution of that entry on
  its date. A transfer between institutions of the network has its own entry
  (source ``transfer``) and never counts. Periodical issues are not copies:
  they are received as issues (acquisitions), never as items, so every item
  counts.
- LIB.TITLES_ADDED is the number of distinct records among an institution's
  acquired copies. The specification does not mark it ``distinct``, so a
  group's figure is the sum over its institutions (a title bought by two
  district libraries counts for each).
- LIB.COPIES_WITHDRAWN counts copies by ``withdrawn_on`` in the period, for
  the institution that owned the copy when it was withdrawn (a withdrawn copy
  is never transferred again, so that is its last owner).
- LIB.HOLDINGS at the period's end: each copy belongs to the institution of
  its latest accession entry on or before that day (same day: the later
  entry), and counts unless it was withdrawn on or before that day. Its
  monthly series is the holdings at each month's end.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ...catalog.models import ACQUIRING_SOURCES, Accession, Item, Record
from ...extensions import db
from ...org.models import Institution
from ..engine import months_of
from ..registry import Indicator, register

LIBRARY_KINDS = frozenset({"provincial_library", "district_library", "commune_library"})
_ACQUIRING = [s.value for s in ACQUIRING_SOURCES]


def _ym(year, month):
    return f"{int(year):04d}-{int(month):02d}"


# -- acquisitions ------------------------------------------------------------------------------

def _acquired(period, ids):
    return (Accession.source.in_(_ACQUIRING), Accession.date >= period.start, Accession.date <= period.end,
            Accession.institution_id.in_(list(ids)))


def _per_institution(value, period, ids):
    rows = db.session.execute(sa.select(Accession.institution_id, value).join(Item, Item.id == Accession.item_id)
                              .where(*_acquired(period, ids)).group_by(Accession.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def _per_month(value, period, ids):
    year, month = sa.extract("year", Accession.date), sa.extract("month", Accession.date)
    rows = db.session.execute(sa.select(Accession.institution_id, year, month, value)
                              .join(Item, Item.id == Accession.item_id).where(*_acquired(period, ids))
                              .group_by(Accession.institution_id, year, month)).all()
    return {(inst, _ym(y, m)): float(n) for inst, y, m, n in rows}


def _by_source(value):
    def breakdown(period, ids):
        rows = db.session.execute(sa.select(Accession.source, value).join(Item, Item.id == Accession.item_id)
                                  .where(*_acquired(period, ids)).group_by(Accession.source)).all()
        return {getattr(source, "value", source): float(n) for source, n in rows}
    return breakdown


_COPIES = sa.func.count(Accession.id)
_TITLES = sa.func.count(sa.distinct(Item.record_id))


def acquisitions_drilldown(period, ids):
    """The copies behind LIB.COPIES_ADDED and LIB.TITLES_ADDED."""
    return (sa.select(Accession.date.label("accessioned"), Institution.code.label("institution"),
                      Item.barcode.label("barcode"), Record.title.label("title"), Record.id.label("record_id"),
                      Accession.source.label("source"), Accession.price.label("price"))
            .join(Item, Item.id == Accession.item_id).join(Record, Record.id == Item.record_id)
            .join(Institution, Institution.id == Accession.institution_id)
            .where(*_acquired(period, ids)).order_by(Accession.date, Item.barcode))


register(Indicator(
    code="LIB.COPIES_ADDED", name_vi="Số bản sách bổ sung", name_en="Copies acquired", kinds=LIBRARY_KINDS,
    compute=lambda p, ids: _per_institution(_COPIES, p, ids), series=lambda p, ids: _per_month(_COPIES, p, ids),
    drilldown=acquisitions_drilldown, breakdowns={"source": _by_source(_COPIES)},
    definition="Copies with an accession entry in the period at the institution whose source is purchase, "
               "donation, legal deposit or exchange. Transfers within the network are not additions."))

register(Indicator(
    code="LIB.TITLES_ADDED", name_vi="Số tên sách bổ sung", name_en="Titles acquired", kinds=LIBRARY_KINDS,
    compute=lambda p, ids: _per_institution(_TITLES, p, ids), series=lambda p, ids: _per_month(_TITLES, p, ids),
    drilldown=acquisitions_drilldown, breakdowns={"source": _by_source(_TITLES)},
    definition="Distinct bibliographic records among the LIB.COPIES_ADDED copies of the institution; a "
               "group's figure is the sum over its institutions."))


# -- withdrawals --------------------------------------------------------------------------------

def _withdrawn(period, ids):
    return (Item.withdrawn_on >= period.start, Item.withdrawn_on <= period.end, Item.institution_id.in_(list(ids)))


def _withdrawn_per_institution(period, ids):
    rows = db.session.execute(sa.select(Item.institution_id, sa.func.count(Item.id)).where(*_withdrawn(period, ids))
                              .group_by(Item.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def _withdrawn_per_month(period, ids):
    year, month = sa.extract("year", Item.withdrawn_on), sa.extract("month", Item.withdrawn_on)
    rows = db.session.execute(sa.select(Item.institution_id, year, month, sa.func.count(Item.id))
                              .where(*_withdrawn(period, ids)).group_by(Item.institution_id, year, month)).all()
    return {(inst, _ym(y, m)): float(n) for inst, y, m, n in rows}


def _withdrawn_by(column):
    def breakdown(period, ids):
        rows = db.session.execute(sa.select(column, sa.func.count(Item.id)).where(*_withdrawn(period, ids))
                                  .group_by(column)).all()
        return {getattr(key, "value", key) or "unknown": float(n) for key, n in rows}
    return breakdown


def withdrawals_drilldown(period, ids):
    return (sa.select(Item.withdrawn_on.label("withdrawn_on"), Institution.code.label("institution"),
                      Item.barcode.label("barcode"), Record.title.label("title"),
                      Item.withdrawal_reason.label("reason"), Item.source.label("source"),
                      Item.accessioned.label("accessioned"))
            .join(Record, Record.id == Item.record_id).join(Institution, Institution.id == Item.institution_id)
            .where(*_withdrawn(period, ids)).order_by(Item.withdrawn_on, Item.barcode))


register(Indicator(
    code="LIB.COPIES_WITHDRAWN", name_vi="Số bản sách thanh lý", name_en="Copies withdrawn", kinds=LIBRARY_KINDS,
    compute=_withdrawn_per_institution, series=_withdrawn_per_month, drilldown=withdrawals_drilldown,
    breakdowns={"reason": _withdrawn_by(Item.withdrawal_reason), "source": _withdrawn_by(Item.source)},
    definition="Copies withdrawn (lost, worn, discarded) with a withdrawal date in the period, for the "
               "institution that owned them."))


# -- holdings -----------------------------------------------------------------------------------

#: Up to this many institutions, holdings are found from their own register entries; beyond, in one
#: pass over the whole register (see ``_held``).
FEW_INSTITUTIONS = 2


def _held(day, ids):
    """Subquery of the copies ``ids`` hold on ``day``: each copy's latest accession entry on or before it
    (same day: the later entry) is at one of them, and the copy was not withdrawn by then.

    Two equivalent forms, chosen for speed: for one or two institutions (their pages, their reports),
    "an entry of theirs with no later entry for the copy", so the work grows with their entries (one
    index probe each); for more (a group, the province), each copy's entries ranked once in one pass.
    """
    ids = list(ids)
    if len(ids) <= FEW_INSTITUTIONS:
        later = aliased(Accession)
        newer_entry = sa.exists().where(
            later.item_id == Accession.item_id, later.date <= day,
            sa.or_(later.date > Accession.date, sa.and_(later.date == Accession.date, later.id > Accession.id)))
        owners = (sa.select(Accession.item_id.label("item_id"), Accession.institution_id.label("institution_id"))
                  .where(Accession.institution_id.in_(ids), Accession.date <= day, ~newer_entry).subquery("owners"))
    else:
        rank = sa.func.row_number().over(partition_by=Accession.item_id,
                                         order_by=(Accession.date.desc(), Accession.id.desc())).label("rank")
        entries = (sa.select(Accession.item_id.label("item_id"), Accession.institution_id.label("institution_id"),
                             rank).where(Accession.date <= day).subquery("entries"))
        owners = (sa.select(entries.c.item_id, entries.c.institution_id)
                  .where(entries.c.rank == 1, entries.c.institution_id.in_(ids)).subquery("owners"))
    query = (sa.select(owners.c.institution_id.label("institution_id"), Item.id.label("item_id"),
                       Item.source.label("source"))
             .join(Item, Item.id == owners.c.item_id)
             .where(sa.or_(Item.withdrawn_on.is_(None), Item.withdrawn_on > day)))
    return query.subquery("held")


def _holdings(period, ids):
    held = _held(period.end, ids)
    rows = db.session.execute(sa.select(held.c.institution_id, sa.func.count()).group_by(held.c.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def _holdings_series(period, ids):
    """Holdings at each month's end (a stock, not a flow), every month from one pass over the register.

    Each accession entry owns its copy from its date (``start``) until the copy's next entry or its
    withdrawal, whichever comes first (``stop``; same day: the later entry wins, so the earlier one owns
    it on no day). Held on day D = entries started by D minus entries stopped by D, so the query only
    counts starts and stops per month (and before the period); the running sums give each month's end.
    Same rule as ``_held``.
    """
    months = months_of(period)
    if not months:
        return {}
    until = sa.func.lead(Accession.date).over(partition_by=Accession.item_id, order_by=(Accession.date, Accession.id))
    spans = (sa.select(Accession.institution_id.label("institution_id"), Accession.date.label("start"),
                       until.label("until"), Item.withdrawn_on.label("withdrawn_on"))
             .join(Item, Item.id == Accession.item_id)
             .where(Accession.date <= period.end))
    if len(ids) <= FEW_INSTITUTIONS:
        # only copies that ever had an entry of theirs can be theirs: rank those copies' entries alone
        theirs = sa.select(Accession.item_id).where(Accession.institution_id.in_(list(ids)))
        spans = spans.where(Accession.item_id.in_(theirs))
    spans = spans.cte("spans")        # read twice (starts, stops): ranked once
    stop = sa.case((spans.c.until.is_(None), spans.c.withdrawn_on), (spans.c.withdrawn_on.is_(None), spans.c.until),
                   (spans.c.until < spans.c.withdrawn_on, spans.c.until), else_=spans.c.withdrawn_on)

    def bucket(day):       # 0 before the period, else YYYYMM
        return sa.case((day < period.start, 0),
                       else_=sa.cast(sa.extract("year", day), sa.Integer) * 100
                       + sa.cast(sa.extract("month", day), sa.Integer))

    def counted(sign, day, *where):
        # the bucket is worked out in a subquery and grouped by name (PostgreSQL will not match
        # a grouped expression that carries its own parameters)
        rows = (sa.select(spans.c.institution_id.label("inst"), bucket(day).label("b"))
                .where(spans.c.institution_id.in_(list(ids)), *where).subquery())
        return (sa.select(rows.c.inst, sa.literal(sign).label("sign"), rows.c.b, sa.func.count().label("n"))
                .group_by(rows.c.inst, rows.c.b))

    started = counted(1, spans.c.start)
    stopped = counted(-1, stop, stop.is_not(None), stop <= period.end)
    moves = {}
    for inst, sign, b, n in db.session.execute(sa.union_all(started, stopped)).all():
        moves.setdefault(inst, {})
        moves[inst][int(b)] = moves[inst].get(int(b), 0) + int(sign) * int(n)
    out = {}
    for inst, by_bucket in moves.items():          # a dozen months per institution, not rows
        held = by_bucket.get(0, 0)
        for key, month in months:
            held += by_bucket.get(month.end.year * 100 + month.end.month, 0)
            if held:
                out[(inst, key)] = float(held)
    return out


def _holdings_by_source(period, ids):
    held = _held(period.end, ids)
    rows = db.session.execute(sa.select(held.c.source, sa.func.count()).group_by(held.c.source)).all()
    return {getattr(source, "value", source): float(n) for source, n in rows}


def holdings_drilldown(period, ids):
    held = _held(period.end, ids)
    return (sa.select(Item.barcode.label("barcode"), Institution.code.label("institution"),
                      Record.title.label("title"), Item.accessioned.label("accessioned"),
                      Item.source.label("source"), Item.status.label("status"))
            .join(held, held.c.item_id == Item.id).join(Record, Record.id == Item.record_id)
            .join(Institution, Institution.id == held.c.institution_id).order_by(Institution.code, Item.barcode))


register(Indicator(
    code="LIB.HOLDINGS", name_vi="Tổng số bản sách (vốn tài liệu) cuối kỳ", name_en="Holdings at period end",
    kinds=LIBRARY_KINDS, compute=_holdings, series=_holdings_series, drilldown=holdings_drilldown,
    breakdowns={"source": _holdings_by_source},
    definition="Copies owned at the end of the period (owner: the latest accession entry on or before that "
               "day, transfers included) and not withdrawn on or before it."))
