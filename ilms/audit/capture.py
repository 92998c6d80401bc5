"""Capture every write of the app's models as audit entries, in the writing transaction.

Two SQLAlchemy session events do the work for every domain, including those
written later, without any code in them:

- ``after_flush``: the objects inserted, updated and deleted by the flush,
  one entry each (an update records only the columns that changed);
- ``do_orm_execute``: ``session.execute(update(...))``, ``delete(...)`` and
  ``insert(...)`` statements, one entry per statement with its row count.

The entries are written on the flush's own connection, so they are
committed or rolled back (savepoints included) together with the change
they describe. Who: the signed-in staff user, the API token's user, or
``system`` for commands and imports run on the server.

Bulk jobs (imports, rebuilds) wrap their work in :func:`bulk`: instead of
one entry per row they leave one summary entry with the number of rows per
table and action, written with each commit (so a job that commits in
batches and is then killed still leaves an exact summary of what it did).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import enum
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..common.time import utcnow

#: Tables never audited: the trail itself, sign-in bookkeeping that holds session ids, and the
#: indicator cache's data-version tokens (renewed by every write; nobody's work of their own).
EXCLUDED_TABLES = {"audit_entries", "staff_sessions", "login_failures", "form_submissions", "alembic_version",
                   "stats_data_versions"}
#: Columns whose values are never stored, only the fact that they changed.
SECRET_COLUMNS = {"password_hash", "token_hash"}
#: Any column whose name contains one of these is treated as secret too. (Staff session ids
#: never reach the trail: their table is excluded.)
SECRET_HINTS = ("password", "secret", "_hash")
REDACTED = "[hidden]"
#: Longer values (a whole MARC record, a description) are cut to this many characters.
MAX_VALUE_CHARS = 500

_actor_override: contextvars.ContextVar = contextvars.ContextVar("ilms_audit_actor", default=None)
_bulk_job: contextvars.ContextVar = contextvars.ContextVar("ilms_audit_bulk", default=None)
_paused: contextvars.ContextVar = contextvars.ContextVar("ilms_audit_paused", default=False)


def exclude_table(name):
    """Leave table ``name`` out of the trail (only for bookkeeping that records no one's work)."""
    EXCLUDED_TABLES.add(name)


def mark_secret(column_name):
    """Never store the values of columns called ``column_name`` (e.g. a reader's PIN hash)."""
    SECRET_COLUMNS.add(column_name)


def is_secret(column_name):
    name = column_name.lower()
    return name in SECRET_COLUMNS or any(hint in name for hint in SECRET_HINTS)


# -- who and from where ---------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str


SYSTEM_ACTOR = Actor(None, "system")
ANONYMOUS_ACTOR = Actor(None, "anonymous")


def _actor_of(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "is_system", False):
        return SYSTEM_ACTOR
    state = sa.inspect(user, raiseerr=False)
    if state is not None and state.identity:
        user_id = state.identity[0]
    else:
        user_id = getattr(user, "id", None)
    name = (state.dict.get("username") if state is not None else None) or getattr(user, "username", "?")
    return Actor(user_id, str(name)[:64])


def current_actor() -> Actor:
    """Who is writing now: an explicit :func:`acting_as`, the API token's or signed-in user, else system."""
    forced = _actor_override.get()
    if forced is not None:
        return forced
    if has_request_context():
        # Flask-Login keeps the loaded user in g._login_user; reading it here never
        # runs a query in the middle of a flush.
        for user in (g.get("api_user"), g.get("_login_user")):
            actor = _actor_of(user)
            if actor is not None:
                return actor
        return ANONYMOUS_ACTOR
    return SYSTEM_ACTOR


def current_source():
    """``(source, address)``: the request line and client address, or the CLI command."""
    if has_request_context():
        return f"{request.method} {request.path}"[:200], (request.remote_addr or "")[:64]
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        return f"cli: {ctx.command_path}"[:200], ""
    return "", ""


@contextlib.contextmanager
def acting_as(user):
    """Attribute the writes inside the block to ``user`` (a User, ``SYSTEM`` or an :class:`Actor`)."""
    actor = user if isinstance(user, Actor) else (_actor_of(user) or ANONYMOUS_ACTOR)
    token = _actor_override.set(actor)
    try:
        yield actor
    finally:
        _actor_override.reset(token)


@contextlib.contextmanager
def paused():
    """No entries inside the block. Only for copying a database that is already audited
    (``db copy``, ``backup restore``): the copied rows are not new work by anyone."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


# -- bulk jobs ------------------------------------------------------------------------

@dataclass
class BulkJob:
    description: str
    actor: Actor
    source: str
    address: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    entry_id: int | None = None       # the summary row, once written
    entry_committed: bool = False     # ...and committed (a rollback cannot take it away)
    committed: Counter = field(default_factory=Counter)   # rows per (table, action) committed so far
    #: {transaction: Counter} not committed yet. A savepoint's counts move into its parent's when it is
    #: released and are dropped when it is rolled back, so this holds at most one entry per open level of
    #: nesting: a refused line costs the same whether it is the 10th or the 100,000th of an import.
    frames: dict = field(default_factory=dict)
    writing: bool = False

    def pending(self):
        totals = Counter(self.committed)
        for counts in self.frames.values():
            totals.update(counts)
        return totals


@contextlib.contextmanager
def bulk(description):
    """Record the writes inside the block as ONE summary entry instead of one per row.

    ``description`` says what the job is, e.g. ``"catalog import lai-chau.mrc"``.
    The entry counts rows per table and action (``{"items": {"insert": 1200}}``)
    and is written in the same transaction as the rows it counts, once per
    commit, so it is exact whether the job commits once, in batches, rolls
    back a savepoint for a refused line, or rolls back entirely (then it
    disappears with the rows it described)::

        from ilms.audit import bulk
        with bulk(f"catalog import {path.name}"):
            for record in records:
                ...
    """
    source, address = current_source()
    job = BulkJob(str(description)[:300], current_actor(), source, address)
    token = _bulk_job.set(job)
    finished = False
    try:
        yield job
        finished = True
    finally:
        _bulk_job.reset(token)
        if finished and job.frames and has_app_context():
            # Rows flushed in the block and committed after it: count them in their transaction now.
            from ..extensions import db
            session = db.session()
            if session.in_transaction():
                _write_bulk(session, job)


def _jobs(session):
    return session.info.setdefault("ilms_audit_jobs", [])


def _track(session, job, counts):
    """Count ``counts`` for ``job`` in the innermost transaction (a savepoint, or the transaction)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    frame = job.frames.get(transaction)
    if frame is None:
        job.frames[transaction] = Counter(counts)
    else:
        frame.update(counts)
    jobs = _jobs(session)
    if job not in jobs:
        jobs.append(job)


def _within(transaction, ancestor):
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _write_bulk(session, job):
    """Insert or update the job's summary entry with everything counted so far."""
    table = _audit_table()
    text = json.dumps(_nested(job.pending()), ensure_ascii=False, sort_keys=True)
    connection = session.connection()
    if job.entry_id is None:
        row = _entry("bulk", "*", job.key[:64], summary=job.description, actor=job.actor,
                     source=(job.source, job.address))
        row["changes"] = text
        job.entry_id = connection.execute(table.insert().values(**row)).inserted_primary_key[0]
    else:
        connection.execute(table.update().where(table.c.id == job.entry_id).values(changes=text, at=utcnow()))


def _nested(counts):
    totals = {}
    for (name, action), n in sorted(counts.items()):
        totals.setdefault(name, {})[action] = n
    return totals


def before_commit(session):
    if session.get_nested_transaction() is not None:
        return  # a savepoint is released: the outer commit writes
    jobs = [job for job in session.info.get("ilms_audit_jobs", ()) if job.frames]
    if not jobs:
        return
    session.flush()  # rows still pending are counted before the summary is written
    for job in jobs:
        _write_bulk(session, job)
        job.writing = True


def after_commit(session):
    released = session.get_nested_transaction()
    if released is not None:
        # A savepoint released (``after_commit`` runs before it closes): its rows now belong to the
        # enclosing transaction, and are committed or rolled back with it.
        for job in session.info.get("ilms_audit_jobs", ()):
            counts = job.frames.pop(released, None)
            if counts:
                parent = job.frames.get(released.parent)
                if parent is None:
                    job.frames[released.parent] = counts
                else:
                    parent.update(counts)
        return
    for job in session.info.get("ilms_audit_jobs", ()):
        if job.writing:
            job.committed = job.pending()
            job.frames.clear()
            job.entry_committed = True
            job.writing = False
    session.info["ilms_audit_jobs"] = [job for job in session.info.get("ilms_audit_jobs", ()) if job.frames]


def after_soft_rollback(session, previous_transaction):
    jobs = session.info.get("ilms_audit_jobs")
    if not jobs:
        return
    outer = previous_transaction.parent is None
    for job in jobs:
        job.writing = False
        if outer:
            job.frames.clear()
            if not job.entry_committed:
                job.entry_id = None
        else:
            # Only the open levels are left in ``frames`` (released ones were merged upwards): the
            # rolled-back savepoint and any savepoint still open inside it.
            for transaction in [t for t in job.frames if _within(t, previous_transaction)]:
                del job.frames[transaction]


# -- values ---------------------------------------------------------------------------

def plain(value):
    """A JSON-friendly, bounded rendering of a column value."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


_COLUMNS_CACHE = {}


def _columns(mapper):
    """``[(attribute key, column name, secret?)]`` of a mapper's column attributes."""
    cached = _COLUMNS_CACHE.get(mapper)
    if cached is None:
        cached = []
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if not isinstance(column, sa.Column):
                continue  # a column_property over an expression
            cached.append((prop.key, column.name, is_secret(column.name)))
        _COLUMNS_CACHE[mapper] = cached
    return cached


def _record_id(state):
    if state.identity:
        values = state.identity
    else:
        mapper = state.mapper
        values = [state.dict.get(mapper.get_property_by_column(col).key) for col in mapper.primary_key]
    return ",".join("" if v is None else str(v) for v in values)[:64]


def _table_name(state):
    return state.mapper.local_table.name


def _values(state):
    values = {}
    for key, name, secret in _columns(state.mapper):
        if key not in state.dict:
            continue
        value = state.dict[key]
        if value is None:
            continue
        values[name] = REDACTED if secret else plain(value)
    return values


def _updates(state):
    changes = {}
    for key, name, secret in _columns(state.mapper):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if history.deleted and old == new:
            continue
        changes[name] = [REDACTED, REDACTED] if secret else [plain(old), plain(new)]
    return changes


# -- the listeners ----------------------------------------------------------------------

def _enabled():
    return (not _paused.get() and has_app_context()
            and current_app.extensions.get("ilms_audit", False))


def _entry(action, table, record_id="", changes=None, summary="", actor=None, source=None):
    actor = actor or current_actor()
    if source is None:
        source = current_source()
    return {
        "at": utcnow(), "user_id": actor.user_id, "actor": actor.name, "action": action,
        "table_name": table, "record_id": record_id,
        "changes": json.dumps(changes or {}, ensure_ascii=False, sort_keys=True),
        "summary": summary[:300], "source": source[0], "address": source[1],
    }


def _audit_table():
    from .models import AuditEntry
    return AuditEntry.__table__


def after_flush(session, flush_context):
    if not _enabled():
        return
    job = _bulk_job.get()
    entries = []
    counts = Counter()
    for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            state = sa.inspect(obj)
            table = _table_name(state)
            if table in EXCLUDED_TABLES:
                continue
            if action == "update":
                changes = _updates(state)
                if not changes:
                    continue  # only relationships or nothing really changed
            else:
                changes = None
            if job is not None:
                counts[(table, action)] += 1
                continue
            if changes is None:
                changes = _values(state)
            entries.append((action, table, _record_id(state), changes))
    if job is not None:
        if counts:
            _track(session, job, counts)
        return
    if entries:
        actor, source = current_actor(), current_source()
        rows = [_entry(action, table, record_id, changes, source=source,
                       actor=_own_account(actor, table, record_id, session))
                for action, table, record_id, changes in entries]
        session.connection().execute(_audit_table().insert(), rows)


def record_override(session, table, record_id, rules, reason, messages=()):
    """Mark in the trail that the write to ``table`` #``record_id`` broke the desk rules ``rules`` on purpose.

    One entry with ``action == "override"``: ``changes`` holds the rule codes
    (``overdue``, ``over_limit``, ``card``, ``blocked``...), the reason and the
    desk's messages. A librarian lending past a block and an import recording
    a historical loan write the same mark, so both read alike in the trail.
    It is written on the session's connection: a rolled-back line or request
    takes its mark with it. Written inside bulk jobs too (an override is never
    folded into a summary).
    """
    if not _enabled() or not rules:
        return
    changes = {"rules": list(rules), "reason": str(reason or "")[:MAX_VALUE_CHARS],
               "messages": [plain(str(m)) for m in messages]}
    summary = "override: " + ", ".join(rules) + (f" ({reason})" if reason else "")
    session.connection().execute(_audit_table().insert(), [
        _entry("override", table, str(record_id)[:64], changes, summary=summary)])


def _own_account(actor, table, record_id, session):
    """A visitor not yet signed in who changes a staff account acts on their own one
    (signing in records the time; a password reset link sets a password)."""
    if actor is not ANONYMOUS_ACTOR or table != "users" or not record_id.isdigit():
        return actor
    from ..accounts.models import User
    user = session.identity_map.get(sa.inspect(User).identity_key_from_primary_key((int(record_id),)))
    name = user.__dict__.get("username") if user is not None else None
    return Actor(int(record_id), name or f"user {record_id}")


def do_orm_execute(state):
    """``session.execute(update/delete/insert(...))``: one entry per statement, with its row count."""
    if not (state.is_update or state.is_delete or state.is_insert) or not _enabled():
        return None
    target = getattr(state.statement, "table", None)
    name = getattr(target, "name", None)
    if name is None or name in EXCLUDED_TABLES:
        return None
    result = state.invoke_statement()
    params = state.parameters
    if isinstance(params, (list, tuple)) and state.is_insert:
        rows = len(params)
    else:
        try:
            rows = result.rowcount
        except (AttributeError, sa.exc.InvalidRequestError):
            rows = -1
    action = "insert" if state.is_insert else "update" if state.is_update else "delete"
    job = _bulk_job.get()
    if job is not None:
        if rows:
            _track(state.session, job, Counter({(name, action): max(rows, 0)}))
        return result
    if rows == 0:
        return result
    try:
        statement = str(state.statement.compile(dialect=state.session.get_bind().dialect))
    except sa.exc.SQLAlchemyError:
        statement = type(state.statement).__name__
    # Placeholders only, never the bound values: a statement may set a secret column.
    state.session.connection().execute(
        _audit_table().insert(), [_entry(action, name, "", {"rows": rows}, summary=" ".join(statement.split()))])
    return result


def install():
    """Listen on every SQLAlchemy session once per process; each app switches itself on."""
    if not event.contains(Session, "after_flush", after_flush):
        event.listen(Session, "after_flush", after_flush)
        event.listen(Session, "do_orm_execute", do_orm_execute)
        event.listen(Session, "before_commit", before_commit)
        event.listen(Session, "after_commit", after_commit)
        event.listen(Session, "after_soft_rollback", after_soft_rollback)
