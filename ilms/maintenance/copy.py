"""``flask db copy --to URL``: move the whole database to another one (SQLite to PostgreSQL).

The target must be an empty database migrated to the same revision as the
source (``ILMS_DATABASE_URL=URL flask --app ilms db upgrade``). Tables are
copied parents first, in batches, inside one transaction on the target;
foreign keys that point back into the same table (an institution's parent)
or round a cycle are filled in a second pass. Sequences are set past the
copied ids, the rows of every table are counted on both sides, and only
then is the target committed: a failed or mismatched copy leaves it empty.
Derived tables (``info={"derived": True}``, such as the reader days) are
not copied: the target's triggers build them from the rows copied.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..common.errors import DomainError
from . import database

BATCH = 2000


class CopyError(DomainError):
    pass


def _plan(tables):
    """``{table name: [deferred columns]}``: FK columns to fill after every table is copied."""
    copied, deferred = set(), {}
    for table in tables:
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent is table or parent.name not in copied:
                if not fk.parent.nullable:
                    raise CopyError(f"table {table.name}: column {fk.parent.name} refers to {parent.name}, which "
                                    "cannot be copied first and does not accept an empty value")
                deferred.setdefault(table.name, []).append(fk.parent)
        copied.add(table.name)
    return deferred


def check_target(source, target):
    """Refuse a target that is not an empty database at the source's revision."""
    source_revision = database.current_revision(source)
    target_revision = database.current_revision(target)
    if target_revision is None:
        raise CopyError("the target database has no ILMS schema: run "
                        "ILMS_DATABASE_URL=<target> flask --app ilms db upgrade first")
    if source_revision != target_revision:
        raise CopyError(f"the source is at revision {source_revision} and the target at {target_revision}: "
                        "run flask --app ilms db upgrade on both first")
    known = {t.name for t in database.app_tables()} | {database.VERSION_TABLE}
    unknown = database.existing_tables(source) - known
    if unknown:
        raise CopyError(f"the source has tables the application does not know ({', '.join(sorted(unknown))}); "
                        "they would not be copied")
    not_empty = {name: n for name, n in database.table_counts(target).items() if n}
    if not_empty:
        listed = ", ".join(f"{name} ({n})" for name, n in sorted(not_empty.items()))
        raise CopyError(f"the target database is not empty: {listed}. Copy only into a new database.")


def copy_database(source_engine, target_url, *, echo=print):
    """Copy every application table from ``source_engine`` into ``target_url``; return the row counts."""
    tables = database.app_tables()
    deferred = _plan(tables)
    target_engine = sa.create_engine(target_url, poolclass=sa.pool.NullPool)
    try:
        with source_engine.connect() as source, target_engine.connect() as target:
            check_target(source, target)
            target.rollback()
            with target.begin():
                for table in tables:
                    if table.info.get("derived"):
                        continue    # kept by the target's own triggers as the rows arrive
                    n = _copy_table(source, target, table, deferred.get(table.name, []))
                    echo(f"{table.name}: {n} row(s)")
                for table in tables:
                    if table.name in deferred:
                        _fill_deferred(source, target, table, deferred[table.name])
                database.fix_sequences(target)
                copied_tables = [t for t in tables if not t.info.get("derived")]
                expected = database.table_counts(source, copied_tables)
                copied = database.table_counts(target, copied_tables)
                wrong = {name: (expected[name], copied.get(name)) for name in expected
                         if expected[name] != copied.get(name)}
                if wrong:
                    listed = "; ".join(f"{name}: {a} in the source, {b} in the target"
                                       for name, (a, b) in sorted(wrong.items()))
                    raise CopyError(f"row counts differ, nothing was copied: {listed}")
            return copied
    finally:
        target_engine.dispose()


def _primary_key(table):
    return list(table.primary_key.columns)


def _copy_table(source, target, table, deferred_columns):
    names = {c.name for c in deferred_columns}
    insert = table.insert()
    total = 0
    result = source.execution_options(yield_per=BATCH).execute(
        sa.select(table).order_by(*_primary_key(table)))
    for rows in result.partitions(BATCH):
        batch = []
        for row in rows:
            values = dict(row._mapping)
            for name in names:
                values[name] = None
            batch.append(values)
        target.execute(insert, batch)
        total += len(batch)
    return total


def _fill_deferred(source, target, table, columns):
    pk = _primary_key(table)
    keys = {c.name: f"pk_{c.name}" for c in pk}
    update = (table.update()
              .where(sa.and_(*(c == sa.bindparam(keys[c.name]) for c in pk)))
              .values({c.name: sa.bindparam(f"v_{c.name}") for c in columns}))
    stmt = (sa.select(*pk, *columns).where(sa.or_(*(c.isnot(None) for c in columns))).order_by(*pk))
    result = source.execution_options(yield_per=BATCH).execute(stmt)
    for rows in result.partitions(BATCH):
        batch = []
        for row in rows:
            m = row._mapping
            values = {keys[c.name]: m[c] for c in pk}
            values.update({f"v_{c.name}": m[c] for c in columns})
            batch.append(values)
        target.execute(update, batch)
