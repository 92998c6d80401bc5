"""What the maintenance commands need to know about a database, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from ..extensions import db

VERSION_TABLE = "alembic_version"


def app_tables():
    """The application's tables in dependency order (parents first), without cycles' warnings."""
    ordered = [table for table, _fks in sa.schema.sort_tables_and_constraints(db.metadata.tables.values())
               if table is not None]
    return ordered


def quote(connection, name):
    return connection.dialect.identifier_preparer.quote(name)


def table_counts(connection, tables=None) -> dict[str, int]:
    """Rows per application table."""
    counts = {}
    for table in (app_tables() if tables is None else tables):
        counts[table.name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return counts


def existing_tables(connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def current_revision(connection) -> str | None:
    """The Alembic revision the database is at, or ``None`` for a database never migrated."""
    if VERSION_TABLE not in existing_tables(connection):
        return None
    return connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()


def head_revision() -> str:
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    return heads[0] if len(heads) == 1 else ",".join(sorted(heads))


# -- PostgreSQL sequences ----------------------------------------------------------------

def _serial_columns(table):
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement in (True, "auto"):
        return pk[0]
    return None


def sequence_gaps(connection):
    """``[(table, sequence, next value it would give, highest id)]`` for sequences behind their data."""
    if connection.dialect.name != "postgresql":
        return []
    gaps = []
    for table in app_tables():
        column = _serial_columns(table)
        if column is None:
            continue
        sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
        if not sequence:
            continue
        last, called = connection.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
        next_value = last + 1 if called else last
        highest = connection.execute(sa.select(sa.func.max(column))).scalar()
        if highest is not None and next_value <= highest:
            gaps.append((table.name, sequence, next_value, highest))
    return gaps


def fix_sequences(connection):
    """Set every sequence past the highest id of its table (after a copy or a restore). PostgreSQL only."""
    fixed = []
    if connection.dialect.name != "postgresql":
        return fixed
    for table in app_tables():
        column = _serial_columns(table)
        if column is None:
            continue
        sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
        if not sequence:
            continue
        highest = connection.execute(sa.select(sa.func.max(column))).scalar()
        if highest is None:
            connection.execute(sa.text("SELECT setval(CAST(:s AS regclass), 1, false)"), {"s": sequence})
        else:
            connection.execute(sa.text("SELECT setval(CAST(:s AS regclass), :v, true)"),
                               {"s": sequence, "v": highest})
        fixed.append((table.name, highest or 0))
    return fixed


# -- integrity -----------------------------------------------------------------------------

def _sqlite_integrity(connection):
    raw = connection.connection.driver_connection
    problems = []
    rows = raw.execute("PRAGMA integrity_check").fetchall()
    if [r[0] for r in rows] != ["ok"]:
        problems += [f"SQLite integrity check: {r[0]}" for r in rows[:20]]
        problems.append("The database file is damaged: stop ILMS and restore the latest backup "
                        "(flask --app ilms backup restore).")
    for table, rowid, parent, _fkid in raw.execute("PRAGMA foreign_key_check").fetchall()[:50]:
        problems.append(f"table {table}, row {rowid}: refers to a {parent} row that does not exist")
    return problems


def _orphans(connection):
    """Rows whose foreign key points nowhere (a constraint dropped, disabled or not validated)."""
    problems = []
    for table in app_tables():
        for fk in table.foreign_key_constraints:
            pairs = [(element.parent, element.column) for element in fk.elements]
            parent = pairs[0][1].table.alias("parent")
            join_on = sa.and_(*(parent.c[remote.name] == local for local, remote in pairs))
            not_null = sa.and_(*(local.isnot(None) for local, _remote in pairs))
            stmt = (sa.select(sa.func.count()).select_from(table.outerjoin(parent, join_on))
                    .where(not_null, parent.c[pairs[0][1].name].is_(None)))
            n = connection.execute(stmt).scalar_one()
            if n:
                columns = ", ".join(local.name for local, _remote in pairs)
                problems.append(f"table {table.name}: {n} row(s) whose {columns} refers to a "
                                f"{pairs[0][1].table.name} row that does not exist")
    return problems


def _postgres_integrity(connection):
    problems = []
    for (name,) in connection.exec_driver_sql(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)"):
        problems.append(f"index {name} is invalid (an interrupted build); --repair rebuilds it")
    for table, name in connection.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace AND NOT convalidated"):
        problems.append(f"constraint {name} on {table} is not validated; --repair validates it")
    return problems + _orphans(connection)


def integrity_problems(connection):
    if connection.dialect.name == "sqlite":
        return _sqlite_integrity(connection)
    if connection.dialect.name == "postgresql":
        return _postgres_integrity(connection)
    return _orphans(connection)


def repair_postgres(connection):
    """Rebuild invalid indexes and validate constraints left unvalidated."""
    done = []
    for (name,) in connection.exec_driver_sql(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)").fetchall():
        connection.exec_driver_sql(f"REINDEX INDEX {quote(connection, name)}")
        done.append(f"index {name} rebuilt")
    for table, name in connection.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace AND NOT convalidated").fetchall():
        connection.exec_driver_sql(f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote(connection, name)}")
        done.append(f"constraint {name} validated")
    return done
