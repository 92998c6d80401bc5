"""Library use: LIB.VISITS, LIB.LOANS, LIB.RENEWALS, LIB.ACTIVE_READERS (shared/spec/indicators.md).

Choices where the specification leaves room, written down so the figures can be checked:

- Identified reader events are the union of every registered visit source
  (``stats.registry.visit_events``). Circulation registers three here: desk
  check-ins (visits mode), checkouts (at the lending desk, on the local date
  of the checkout) and returns (for the loan's reader, at the institution
  where the copy came back, on the local date of the return). The internet
  points add sessions by readers the same way; renewals are never events.
- Voided loans and visits count nowhere: neither their checkout, nor their
  return, nor their renewals.
- Readers are counted by ``reader_key`` (a pseudonym kept when history is
  anonymised), never by ``patron_id``, so anonymising changes no figure.
- LIB.LOANS adds the loan tallies an institution entered for the period
  (paper counts kept where the desk is not used), as LIB.VISITS adds the
  visitor tallies: both are counts of the same events kept on paper.
- LIB.RENEWALS counts renewals for the institution that made the loan,
  whichever desk (or telephone call) renewed it.
- LIB.ACTIVE_READERS counts distinct readers with at least one identified
  event (as above) in the period; a reader who only renewed by telephone is
  not counted. The group value removes readers counted at several
  institutions of the group.

How they are computed: the triples (reader, institution, local day) of every
identified event are kept in ``stats_reader_days`` by the database's own
triggers (``stats.models.ReaderDay``), so LIB.VISITS is a count of its rows
and LIB.ACTIVE_READERS a count of distinct readers in it, read from its
indexes without touching the events; for whole calendar years it counts the
rows of ``stats_reader_years`` (who was seen where each year, kept from the
reader days by triggers too). The visit sources registered below stay
the definition: ``flask check`` compares the table with their union and
``--repair`` rebuilds it from them.
"""
from __future__ import annotations

import sqlalchemy as sa

from ...circulation.models import Loan, Renewal, Tally, TallyKind, Visit
from ...common.time import local_date_of
from ...extensions import db
from .. import registry
from ..engine import per_month
from ..models import ReaderDay, ReaderYear

LIBRARIES = frozenset({"provincial_library", "district_library", "commune_library"})


def _within(column, period):
    start, end = period.utc_bounds()
    return sa.and_(column >= start, column < end)


# -- visit sources (shared with ROT.POINT_VISITS and the internet points) ----------------------

def desk_checkins(period, institution_ids):
    return sa.select(Visit.reader_key.label("reader_key"), Visit.institution_id.label("institution_id"),
                     local_date_of(Visit.at).label("day")).where(
        _within(Visit.at, period), Visit.institution_id.in_(list(institution_ids)), Visit.voided_at.is_(None))


def checkouts(period, institution_ids):
    return sa.select(Loan.reader_key.label("reader_key"), Loan.institution_id.label("institution_id"),
                     local_date_of(Loan.checked_out_at).label("day")).where(
        _within(Loan.checked_out_at, period), Loan.institution_id.in_(list(institution_ids)),
        Loan.voided_at.is_(None))


def returns(period, institution_ids):
    return sa.select(Loan.reader_key.label("reader_key"), Loan.return_institution_id.label("institution_id"),
                     local_date_of(Loan.returned_at).label("day")).where(
        _within(Loan.returned_at, period), Loan.return_institution_id.in_(list(institution_ids)),
        Loan.voided_at.is_(None))


registry.register_visit_source("circulation.checkins", desk_checkins)
registry.register_visit_source("circulation.checkouts", checkouts)
registry.register_visit_source("circulation.returns", returns)


def _reader_days(period, institution_ids):
    """The conditions selecting the stored reader days of the period at these institutions."""
    return (ReaderDay.day >= period.start, ReaderDay.day <= period.end,
            ReaderDay.institution_id.in_(list(institution_ids)))


def _month_label(month):
    return f"{int(month) // 100:04d}-{int(month) % 100:02d}"


def _tallies(kind, period, institution_ids):
    return (sa.select(Tally.institution_id, sa.func.coalesce(sa.func.sum(Tally.count), 0))
            .where(Tally.kind == kind, Tally.date >= period.start, Tally.date <= period.end,
                   Tally.institution_id.in_(list(institution_ids)))
            .group_by(Tally.institution_id))


def _tally_series(kind, period, institution_ids):
    year, month = sa.extract("year", Tally.date), sa.extract("month", Tally.date)
    rows = db.session.execute(
        sa.select(Tally.institution_id, year, month, sa.func.sum(Tally.count))
        .where(Tally.kind == kind, Tally.date >= period.start, Tally.date <= period.end,
               Tally.institution_id.in_(list(institution_ids)))
        .group_by(Tally.institution_id, year, month)).all()
    return {(inst, f"{int(y):04d}-{int(m):02d}"): int(n) for inst, y, m, n in rows}


def _merge(*parts):
    out = {}
    for part in parts:
        for key, value in part.items():
            out[key] = out.get(key, 0) + value
    return out


# -- LIB.VISITS -------------------------------------------------------------------------

def visits(period, institution_ids):
    if not institution_ids:
        return {}
    identified = dict(db.session.execute(
        sa.select(ReaderDay.institution_id, sa.func.count()).where(*_reader_days(period, institution_ids))
        .group_by(ReaderDay.institution_id)).all())
    tallied = dict(db.session.execute(_tallies(TallyKind.VISITS, period, institution_ids)).all())
    return _merge(identified, tallied)


def visits_series(period, institution_ids):
    if not institution_ids:
        return {}
    rows = db.session.execute(
        sa.select(ReaderDay.institution_id, ReaderDay.month, sa.func.count())
        .where(*_reader_days(period, institution_ids))
        .group_by(ReaderDay.institution_id, ReaderDay.month)).all()
    identified = {(inst, _month_label(month)): n for inst, month, n in rows}
    return _merge(identified, _tally_series(TallyKind.VISITS, period, institution_ids))


def visits_drilldown(period, institution_ids):
    """The reader visits behind the figure: day, institution, reader pseudonym (no names, no cards).

    Walk-in tallies add to the figure but are counts, not visits of someone: they are not rows here
    (the desk's visits page lists them).
    """
    return (sa.select(ReaderDay.day.label("day"), ReaderDay.institution_id.label("institution_id"),
                      ReaderDay.reader_key.label("reader_key"))
            .where(*_reader_days(period, institution_ids))
            .order_by(ReaderDay.day, ReaderDay.institution_id, ReaderDay.reader_key))


registry.register(registry.Indicator(
    code="LIB.VISITS", name_vi="Lượt bạn đọc", name_en="Reader visits", kinds=LIBRARIES,
    compute=visits, series=visits_series, drilldown=visits_drilldown,
    definition="Distinct (reader, institution, local date) over desk check-ins, checkouts, returns and other "
               "identified events (internet sessions), plus walk-in tallies; renewals are not visits."))


# -- LIB.LOANS ----------------------------------------------------------------------------

def _loans_where(period, institution_ids):
    return (_within(Loan.checked_out_at, period), Loan.institution_id.in_(list(institution_ids)),
            Loan.voided_at.is_(None))


def loans(period, institution_ids):
    if not institution_ids:
        return {}
    return _merge(_identified_loans(period, institution_ids),
                  dict(db.session.execute(_tallies(TallyKind.LOANS, period, institution_ids)).all()))


def _identified_loans(period, institution_ids):
    return dict(db.session.execute(
        sa.select(Loan.institution_id, sa.func.count()).where(*_loans_where(period, institution_ids))
        .group_by(Loan.institution_id)).all())


def loans_series(period, institution_ids):
    if not institution_ids:
        return {}
    identified = per_month(period, lambda month: _identified_loans(month, institution_ids))
    return _merge(identified, _tally_series(TallyKind.LOANS, period, institution_ids))


def loans_drilldown(period, institution_ids):
    from ...catalog.models import Item, Record
    return (sa.select(Loan.checked_out_at.label("at"), Loan.institution_id.label("institution_id"),
                      Item.barcode.label("barcode"), Record.title.label("title"), Loan.due_date.label("due"),
                      Loan.returned_at.label("returned_at"))
            .join(Item, Item.id == Loan.item_id).join(Record, Record.id == Item.record_id)
            .where(*_loans_where(period, institution_ids)).order_by(Loan.checked_out_at, Loan.id))


registry.register(registry.Indicator(
    code="LIB.LOANS", name_vi="Lượt sách mượn", name_en="Loans", kinds=LIBRARIES, compute=loans,
    series=loans_series, drilldown=loans_drilldown,
    definition="Checkouts in the period (not voided; renewals are not loans), plus loans tallied on paper."))


# -- LIB.RENEWALS --------------------------------------------------------------------------

def _renewals_where(period, institution_ids):
    return (_within(Renewal.at, period), Renewal.institution_id.in_(list(institution_ids)),
            Loan.voided_at.is_(None))


def renewals(period, institution_ids):
    if not institution_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Renewal.institution_id, sa.func.count()).join(Loan, Loan.id == Renewal.loan_id)
        .where(*_renewals_where(period, institution_ids)).group_by(Renewal.institution_id)).all())


def renewals_series(period, institution_ids):
    if not institution_ids:
        return {}
    return per_month(period, lambda month: renewals(month, institution_ids))


def renewals_drilldown(period, institution_ids):
    from ...catalog.models import Item, Record
    return (sa.select(Renewal.at.label("at"), Renewal.institution_id.label("institution_id"),
                      Item.barcode.label("barcode"), Record.title.label("title"), Renewal.new_due.label("due"))
            .join(Loan, Loan.id == Renewal.loan_id)
            .join(Item, Item.id == Loan.item_id).join(Record, Record.id == Item.record_id)
            .where(*_renewals_where(period, institution_ids)).order_by(Renewal.at, Renewal.id))


registry.register(registry.Indicator(
    code="LIB.RENEWALS", name_vi="Lượt gia hạn", name_en="Renewals", kinds=LIBRARIES, compute=renewals,
    series=renewals_series, drilldown=renewals_drilldown,
    definition="Renewals in the period, counted for the institution that made the loan."))


# -- LIB.ACTIVE_READERS ----------------------------------------------------------------------

def _whole_years(period):
    """``(first, last)`` when the period is whole calendar years (read from ``ReaderYear``), else ``None``."""
    if (period.start.month, period.start.day) == (1, 1) and (period.end.month, period.end.day) == (12, 31):
        return period.start.year, period.end.year
    return None


def _seen(period, institution_ids):
    """``(table, its reader and institution columns, conditions)`` to find who was seen in the period."""
    years = _whole_years(period)
    if years is not None:
        return ReaderYear.reader_key, ReaderYear.institution_id, (
            ReaderYear.year >= years[0], ReaderYear.year <= years[1],
            ReaderYear.institution_id.in_(list(institution_ids)))
    return ReaderDay.reader_key, ReaderDay.institution_id, _reader_days(period, institution_ids)


def active_readers(period, institution_ids):
    if not institution_ids:
        return {}
    reader, institution, where = _seen(period, institution_ids)
    # One row per (institution, reader) first: read in the order of an index, no sort of the days.
    pairs = sa.select(institution.label("inst"), reader.label("reader")).where(*where).group_by(
        institution, reader).subquery()
    return dict(db.session.execute(sa.select(pairs.c.inst, sa.func.count()).group_by(pairs.c.inst)).all())


def active_readers_group(period, institution_ids):
    if not institution_ids:
        return 0
    reader, _institution, where = _seen(period, institution_ids)
    readers = sa.select(reader).where(*where).group_by(reader).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(readers)) or 0


def active_readers_series(period, institution_ids):
    if not institution_ids:
        return {}
    seen = (sa.select(ReaderDay.institution_id, ReaderDay.month, ReaderDay.reader_key)
            .where(*_reader_days(period, institution_ids))
            .group_by(ReaderDay.institution_id, ReaderDay.month, ReaderDay.reader_key).subquery())
    rows = db.session.execute(sa.select(seen.c.institution_id, seen.c.month, sa.func.count())
                              .group_by(seen.c.institution_id, seen.c.month)).all()
    return {(inst, _month_label(month)): n for inst, month, n in rows}


def active_readers_drilldown(period, institution_ids):
    """One row per reader pseudonym and institution: first (start) and last (end) day seen, days seen (count)."""
    return (sa.select(ReaderDay.reader_key.label("reader_key"), ReaderDay.institution_id.label("institution_id"),
                      sa.func.min(ReaderDay.day).label("start"), sa.func.max(ReaderDay.day).label("end"),
                      sa.func.count().label("count"))
            .where(*_reader_days(period, institution_ids))
            .group_by(ReaderDay.reader_key, ReaderDay.institution_id)
            .order_by(ReaderDay.institution_id, ReaderDay.reader_key))


registry.register(registry.Indicator(
    code="LIB.ACTIVE_READERS", name_vi="Bạn đọc hoạt động", name_en="Active readers", kinds=LIBRARIES,
    compute=active_readers, group=active_readers_group, distinct=True, series=active_readers_series,
    drilldown=active_readers_drilldown,
    definition="Distinct readers with at least one identified event (check-in, checkout, return, internet "
               "session) in the period."))
