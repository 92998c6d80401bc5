"""The reader-days table (``models.ReaderDay``, and ``ReaderYear`` kept from it) against its definition.

Triggers written in migration 0011 keep ``stats_reader_days`` in step with
every write. Its definition is the union of the visit sources the domains
register (``registry.visit_events``); this module compares the two, so
``flask --app ilms check`` notices a table that drifted (a trigger lost in a
table rebuild, rows written with triggers off) and ``--repair`` rebuilds it.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..common.time import Period
from ..extensions import db
from . import registry
from .models import ReaderDay, ReaderYear

#: Every day ILMS can store.
ALL_TIME = Period(dt.date(1900, 1, 1), dt.date(9998, 12, 31))

#: The triggers of migration 0011, per table (SQLite has one per operation, PostgreSQL two per table).
TRIGGER_TABLES = ("visits", "loans", "internet_sessions")


def _expected_triggers(dialect):
    if dialect == "postgresql":
        ops, years = ("insert", "update"), ("insert",)
    else:
        ops, years = ("insert", "update", "delete"), ("insert", "delete")
    return ({f"trg_{table}_reader_days_{op}" for table in TRIGGER_TABLES for op in ops}
            | {f"trg_stats_reader_days_years_{op}" for op in years})


def _present_triggers(connection):
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    else:
        rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {name for (name,) in rows}


def _defined(connection):
    """``(reader_key, institution_id, day, events)`` as the visit sources define them, over all time."""
    from ..org.models import Institution
    ids = connection.execute(sa.select(Institution.id)).scalars().all()
    events = registry.visit_events(ALL_TIME, ids)
    if events is None:
        return None
    return (sa.select(events.c.reader_key, events.c.institution_id, events.c.day,
                      sa.func.count().label("events"))
            .where(events.c.reader_key != "")
            .group_by(events.c.reader_key, events.c.institution_id, events.c.day))


def problems():
    """Sentences for ``flask check``: missing triggers, triples missing from the table or extra in it.

    Reads on a connection of its own, closed at the end, so the check never holds SQLite's write lock.
    """
    with db.engine.connect() as connection:
        return _problems(connection)


def _problems(connection):
    out = []
    missing_triggers = _expected_triggers(connection.dialect.name) - _present_triggers(connection)
    if missing_triggers:
        out.append(f"trigger(s) {', '.join(sorted(missing_triggers))} are missing, so new visits are not "
                   "counted; --repair creates them again and rebuilds the table")
    defined = _defined(connection)
    if defined is None:
        return out
    stored = sa.select(ReaderDay.reader_key, ReaderDay.institution_id, ReaderDay.day, ReaderDay.events)

    def count(query):
        return connection.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()

    absent, extra = count(sa.except_(defined, stored)), count(sa.except_(stored, defined))
    if absent or extra:
        out.append(f"the reader visits table differs from the visits, loans and internet sessions it is made "
                   f"from ({absent} (reader, institution, day) missing or miscounted, {extra} not backed by "
                   "them); --repair rebuilds it")
    year = ReaderDay.month // 100
    by_year = (sa.select(ReaderDay.reader_key, ReaderDay.institution_id, year, sa.func.count())
               .group_by(ReaderDay.reader_key, ReaderDay.institution_id, year))
    years = sa.select(ReaderYear.reader_key, ReaderYear.institution_id, ReaderYear.year, ReaderYear.days)
    wrong_years = count(sa.except_(by_year, years)) + count(sa.except_(years, by_year))
    if wrong_years:
        out.append(f"the readers-per-year table disagrees with the reader visits table on {wrong_years} "
                   "row(s); --repair rebuilds both")
    return out


def _migration():
    """Migration 0011, whose statements create the triggers (one definition for upgrade and repair)."""
    from alembic.script import ScriptDirectory
    from flask import current_app
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision("0011").module


def restore_triggers():
    """Drop and create again the triggers of migration 0011 (after a table rebuild lost them)."""
    dialect = db.session.get_bind().dialect.name
    migration = _migration()
    for statement in migration.drop_trigger_statements(dialect) + migration.trigger_statements(dialect):
        db.session.execute(sa.text(statement))


def rebuild():
    """Put the triggers back if any is missing and refill the table from its definition.

    Runs inside the caller's transaction (``flask check --repair`` commits).
    """
    dialect = db.session.get_bind().dialect.name
    if _expected_triggers(dialect) - _present_triggers(db.session.connection()):
        restore_triggers()
    db.session.execute(sa.delete(ReaderYear))
    db.session.execute(sa.delete(ReaderDay))      # the years follow the days through their triggers
    defined = _defined(db.session.connection())
    if defined is None:
        return "reader visits table emptied (no visit sources)"
    rows = defined.subquery()
    month = (sa.cast(sa.extract("year", rows.c.day), sa.Integer) * 100
             + sa.cast(sa.extract("month", rows.c.day), sa.Integer))
    db.session.execute(sa.insert(ReaderDay).from_select(
        ["reader_key", "institution_id", "day", "month", "events"],
        sa.select(rows.c.reader_key, rows.c.institution_id, rows.c.day, month, rows.c.events)))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ReaderDay))
    return f"reader visits table rebuilt ({count} reader days)"
