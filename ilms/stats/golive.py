"""When each institution started recording its work: the go-live date projections rely on.

indicators.md ("Targets"): a projection uses only earlier years that the
institution recorded in full, i.e. whose 1 January is on or after its go-live
date. The go-live date is the one an administrator set on the institution
(``Institution.go_live``) or else the local date of its first operational
record: a reader day (desk check-in, checkout, return, internet session by a
reader), a walk-in tally, an internet session or training, an exhibition or
its visitor count, a festival, a cultural activity, a course. Catalogue
accession dates are not operational records (a catalogue loaded on the first
day carries accession dates of decades before), nor are clubs' founding dates.

The answer is kept with the figure cache under every institution's data token,
so a new first record (an import of older logbooks) is seen at once.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db


def _first_record_queries(ids):
    from ..circulation.models import Tally
    from ..events.models import Activity, Course, Exhibition, ExhibitionStatus, Festival, VisitorCount
    from ..internet.models import Training
    from .models import ReaderDay

    yield sa.select(ReaderDay.institution_id, sa.func.min(ReaderDay.day)).where(
        ReaderDay.institution_id.in_(ids)).group_by(ReaderDay.institution_id)
    for model, column in ((Tally, Tally.date), (Training, Training.date), (Activity, Activity.date),
                          (Course, Course.start), (Festival, Festival.date)):
        yield sa.select(model.institution_id, sa.func.min(column)).where(
            model.institution_id.in_(ids)).group_by(model.institution_id)
    yield sa.select(Exhibition.institution_id, sa.func.min(Exhibition.start)).where(
        Exhibition.institution_id.in_(ids), Exhibition.status != ExhibitionStatus.CANCELLED).group_by(
        Exhibition.institution_id)
    yield (sa.select(Exhibition.institution_id, sa.func.min(VisitorCount.date)).select_from(VisitorCount)
           .join(Exhibition, Exhibition.id == VisitorCount.exhibition_id)
           .where(Exhibition.institution_id.in_(ids)).group_by(Exhibition.institution_id))


def first_records(ids) -> dict:
    """``{institution_id: local date of its first operational record}`` (absent: no record at all)."""
    ids = list(ids)
    out = {}
    if not ids:
        return out
    for query in _first_record_queries(ids):
        for inst, day in db.session.execute(query).all():
            if day is None:
                continue
            if isinstance(day, str):   # SQLite may hand back an aggregate of dates as text
                day = dt.date.fromisoformat(day[:10])
            if isinstance(day, dt.datetime):
                day = day.date()
            if inst not in out or day < out[inst]:
                out[inst] = day
    return out


def go_live_dates(ids, *, engine=None) -> dict:
    """``{institution_id: go-live date or None}``: the date set by an administrator, else the first record."""
    from ..org.models import Institution
    ids = sorted(set(ids))
    if not ids:
        return {}
    set_by_admin = dict(db.session.execute(sa.select(Institution.id, Institution.go_live)
                                           .where(Institution.id.in_(ids))).all())
    missing = [i for i in ids if set_by_admin.get(i) is None]
    cache = engine.cache if engine is not None else None
    first = None
    if cache is not None and missing:
        key, tag = ("first-records", tuple(missing)), engine.tokens.of_set(missing)
        entry = cache.get(key, tag)
        if entry is not None:
            first = dict(entry[1])
    if first is None:
        first = first_records(missing)
        if cache is not None and missing:
            cache.put(key, tag, dict(first))
    return {i: set_by_admin.get(i) or first.get(i) for i in ids}


def full_years(go_live: dt.date | None, before_year: int, back: int) -> list:
    """The years among the ``back`` years before ``before_year`` that an institution recorded in full."""
    if go_live is None:
        return []
    return [year for year in range(before_year - back, before_year) if go_live <= dt.date(year, 1, 1)]


__all__ = ["first_records", "full_years", "go_live_dates"]
