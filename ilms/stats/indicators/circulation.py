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
"""
from __future__ import annotations

import sqlalchemy as sa

from ...circulation.models import Loan, Renewal, Tally, TallyKind, Visit
from ...common.time import local_date_of
from ...extensions import db
from .. import registry

LIBRARIES = frozenset({"provincial_library", "district_library"})


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


def _visits_triples(period, institution_ids):
    """Distinct (reader, institution, local day) over every identified event, as a subquery."""
    events = registry.visit_events(period, institution_ids)
    return (sa.select(events.c.reader_key, events.c.institution_id, events.c.day)
            .where(events.c.reader_key != "").distinct().subquery("visit_triples"))


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
    triples = _visits_triples(period, institution_ids)
    identified = dict(db.session.execute(
        sa.select(triples.c.institution_id, sa.func.count()).group_by(triples.c.institution_id)).all())
    tallied = dict(db.session.execute(_tallies(TallyKind.VISITS, period, institution_ids)).all())
    return _merge(identified, tallied)


def visits_series(period, institution_ids):
    if not institution_ids:
        return {}
    triples = _visits_triples(period, institution_ids)
    year, month = sa.extract("year", triples.c.day), sa.extract("month", triples.c.day)
    rows = db.session.execute(sa.select(triples.c.institution_id, year, month, sa.func.count())
                              .group_by(triples.c.institution_id, year, month)).all()
    identified = {(inst, f"{int(y):04d}-{int(m):02d}"): n for inst, y, m, n in rows}
    return _merge(identified, _tally_series(TallyKind.VISITS, period, institution_ids))


def visits_drilldown(period, institution_ids):
    """The reader visits behind the figure: day, institution, reader pseudonym (no names, no cards).

    Walk-in tallies add to the figure but are counts, not visits of someone: they are not rows here
    (the desk's visits page lists them).
    """
    triples = _visits_triples(period, institution_ids)
    return (sa.select(triples.c.day.label("day"), triples.c.institution_id.label("institution_id"),
                      triples.c.reader_key.label("reader_key"))
            .order_by(triples.c.day, triples.c.institution_id, triples.c.reader_key))


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
    identified = dict(db.session.execute(
        sa.select(Loan.institution_id, sa.func.count()).where(*_loans_where(period, institution_ids))
        .group_by(Loan.institution_id)).all())
    return _merge(identified, dict(db.session.execute(_tallies(TallyKind.LOANS, period, institution_ids)).all()))


def loans_series(period, institution_ids):
    if not institution_ids:
        return {}
    day = local_date_of(Loan.checked_out_at)
    year, month = sa.extract("year", day), sa.extract("month", day)
    rows = db.session.execute(sa.select(Loan.institution_id, year, month, sa.func.count())
                              .where(*_loans_where(period, institution_ids))
                              .group_by(Loan.institution_id, year, month)).all()
    identified = {(inst, f"{int(y):04d}-{int(m):02d}"): n for inst, y, m, n in rows}
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
    day = local_date_of(Renewal.at)
    year, month = sa.extract("year", day), sa.extract("month", day)
    rows = db.session.execute(sa.select(Renewal.institution_id, year, month, sa.func.count())
                              .join(Loan, Loan.id == Renewal.loan_id)
                              .where(*_renewals_where(period, institution_ids))
                              .group_by(Renewal.institution_id, year, month)).all()
    return {(inst, f"{int(y):04d}-{int(m):02d}"): n for inst, y, m, n in rows}


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

def _readers(period, institution_ids):
    events = registry.visit_events(period, institution_ids)
    return events, events.c.reader_key != ""


def active_readers(period, institution_ids):
    if not institution_ids:
        return {}
    events, identified = _readers(period, institution_ids)
    return dict(db.session.execute(
        sa.select(events.c.institution_id, sa.func.count(sa.distinct(events.c.reader_key)))
        .where(identified).group_by(events.c.institution_id)).all())


def active_readers_group(period, institution_ids):
    if not institution_ids:
        return 0
    events, identified = _readers(period, institution_ids)
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(events.c.reader_key))).where(identified)) or 0


def active_readers_series(period, institution_ids):
    if not institution_ids:
        return {}
    events, identified = _readers(period, institution_ids)
    year, month = sa.extract("year", events.c.day), sa.extract("month", events.c.day)
    rows = db.session.execute(
        sa.select(events.c.institution_id, year, month, sa.func.count(sa.distinct(events.c.reader_key)))
        .where(identified).group_by(events.c.institution_id, year, month)).all()
    return {(inst, f"{int(y):04d}-{int(m):02d}"): n for inst, y, m, n in rows}


def active_readers_drilldown(period, institution_ids):
    """One row per reader pseudonym and institution: first (start) and last (end) day seen, days seen (count)."""
    events, identified = _readers(period, institution_ids)
    return (sa.select(events.c.reader_key.label("reader_key"), events.c.institution_id.label("institution_id"),
                      sa.func.min(events.c.day).label("start"), sa.func.max(events.c.day).label("end"),
                      sa.func.count(sa.distinct(events.c.day)).label("count"))
            .where(identified).group_by(events.c.reader_key, events.c.institution_id)
            .order_by(events.c.institution_id, events.c.reader_key))


registry.register(registry.Indicator(
    code="LIB.ACTIVE_READERS", name_vi="Bạn đọc hoạt động", name_en="Active readers", kinds=LIBRARIES,
    compute=active_readers, group=active_readers_group, distinct=True, series=active_readers_series,
    drilldown=active_readers_drilldown,
    definition="Distinct readers with at least one identified event (check-in, checkout, return, internet "
               "session) in the period."))
