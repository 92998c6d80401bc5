"""Database plumbing: SQLite pragmas, write transactions that begin immediately, commits."""
from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The largest id a row can have: ids are INTEGER columns (32-bit signed on PostgreSQL).
MAX_ID = 2**31 - 1


def valid_id(value):
    """``value`` as a row id (an int, or a string of digits) when it can be one, else ``None``.

    Numbers typed into a URL can be any length; a query given one past a
    column's range fails in the driver (SQLite: past 64 bits, PostgreSQL:
    past 32 bits), so anything outside 1..MAX_ID is no id at all.
    """
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 10:
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


def wants_write() -> bool:
    """Whether the current unit of work may write.

    Web requests with a safe method only read; everything else (forms, API
    writes, CLI commands, tests) may write and so takes the write lock up
    front on SQLite.
    """
    if has_request_context():
        # a protocol that reads over POST too (OAI-PMH) says so with ``g.read_only``
        return request.method not in SAFE_METHODS and not g.get("read_only", False)
    return True


def configure_engine(engine: Engine, *, busy_timeout_ms: int):
    """Make a SQLite engine safe for several gunicorn workers.

    - WAL journal: readers never wait for the writer.
    - busy_timeout: a writer waits for the lock instead of failing at once.
    - pysqlite's own transaction handling is switched off and every write
      transaction starts with ``BEGIN IMMEDIATE``. A deferred transaction that
      read first and writes later can fail with SQLITE_BUSY without waiting
      when another worker wrote in between; taking the write lock first
      removes that case, so two desks cannot deadlock.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write() else "BEGIN")


def commit():
    """Commit the request's unit of work (views and CLI commands call this once)."""
    db.session.commit()


def rollback():
    db.session.rollback()
