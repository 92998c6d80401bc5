"""Keeping the search index in step with the database, after each commit.

Services announce changed records through signals (``record_saved``,
``record_deleted``, ``items_changed``). The ids are collected on the
database session; just before the commit their search documents are built
from the database (inside the same transaction, so they show exactly what
is committed) and just after it they are written to the index with a short
lock timeout. When the index cannot be written (locked by a long import,
disk trouble) the database write stands and the records are marked
``needs_reindex``; the next index write, ``flask catalog reindex --pending``
or a full ``flask catalog reindex`` picks them up.
"""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from ..common.text import sort_key
from ..extensions import db
from ..org.models import Institution
from ..signals import items_changed, record_deleted, record_saved
from . import authorities, marc
from .models import Item, ItemStatus, Record
from .search import PostgresBackend, SearchUnavailable, WhooshBackend

log = logging.getLogger(__name__)

PENDING = "catalog.pending_reindex"
READY = "catalog.ready_documents"
#: How many flagged records an ordinary index write also catches up on.
CATCH_UP_BATCH = 200


#: ``SEARCH_BACKEND`` (``ILMS_SEARCH_BACKEND``) values.
BACKENDS = ("whoosh", "postgres")


def backend_name(app=None):
    """``whoosh`` (the default, on either database) or ``postgres`` (asked for, on PostgreSQL only).

    whoosh stays the default on PostgreSQL too: switching is a decision (one
    ``flask catalog reindex`` fills the new index) rather than something an
    upgrade does to a running installation with an empty table.
    """
    app = app or current_app
    name = (app.config.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    if name not in BACKENDS:
        raise RuntimeError(f"ILMS_SEARCH_BACKEND={name!r}: choose one of {', '.join(BACKENDS)}")
    if name == "postgres" and not str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        raise RuntimeError("ILMS_SEARCH_BACKEND=postgres needs PostgreSQL as the database (ILMS_DATABASE_URL)")
    return name


def backend(app=None):
    """The search backend of the app (one per app): whoosh under ``DATA_DIR/search``, or the database's
    ``catalog_search_docs`` table (``SEARCH_BACKEND=postgres``), shared by every application server."""
    app = app or current_app
    found = app.extensions.get("catalog.search")
    if found is None:
        if backend_name(app) == "postgres":
            with app.app_context():
                found = PostgresBackend(db.engine)
        else:
            found = WhooshBackend(Path(app.config["DATA_DIR"]) / "search")
        app.extensions["catalog.search"] = found
    return found


def write_timeout(app=None):
    return float((app or current_app).config.get("SEARCH_WRITE_TIMEOUT", 2.0))


# -- documents ---------------------------------------------------------------------------------

def holdings_codes(record_ids):
    """``{record_id: (owning library codes, codes with a copy on the shelf)}`` from the database."""
    out = {rid: (set(), set()) for rid in record_ids}
    if not out:
        return out
    rows = db.session.execute(
        sa.select(Item.record_id, Institution.code, Item.status)
        .join(Institution, Institution.id == Item.institution_id)
        .where(Item.record_id.in_(list(out)), Item.status != ItemStatus.WITHDRAWN)).all()
    for record_id, code, status in rows:
        owners, available = out[record_id]
        owners.add(code)
        if status == ItemStatus.AVAILABLE:
            available.add(code)
    return out


def document(record_id, marc_record, columns, owners=(), available=(), variants=None):
    """The search document of one record: plain text and codes; the backend folds and cuts it.

    ``variants``: ``{"author"|"title"|"subject": [see-from forms]}`` of the authorities its headings are
    linked to (``authorities.variants_for``): searching a variant finds the record.
    """
    texts = marc.search_texts(marc_record)
    for key, values in (variants or {}).items():
        texts[key] = " ".join([texts.get(key) or ""] + list(values)).strip()
    return {
        "id": record_id,
        **texts,
        "callno": " ".join(v for v in (columns.get("call_number"), columns.get("classification")) if v),
        "language": columns.get("language") or "und",
        "material": getattr(columns.get("material_type"), "value", columns.get("material_type")) or "book",
        "year": columns.get("year"),
        "library": sorted(owners),
        "available": sorted(available),
        "title_sort": (columns.get("title_sort") or sort_key(columns.get("title") or ""))[:200],
    }


def documents_for(record_ids):
    """Documents for the records that exist, and the ids that no longer do."""
    ids = sorted({int(i) for i in record_ids if i is not None})
    docs, found = [], set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        holdings = holdings_codes(chunk)
        variants = authorities.variants_for(chunk)
        rows = db.session.execute(sa.select(Record.id, Record.marc, Record.title, Record.title_sort,
                                            Record.language, Record.year,
                                            Record.material_type, Record.call_number, Record.classification)
                                  .where(Record.id.in_(chunk))).all()
        for row in rows:
            found.add(row.id)
            owners, available = holdings[row.id]
            columns = {"title": row.title, "title_sort": row.title_sort, "language": row.language, "year": row.year,
                       "material_type": row.material_type, "call_number": row.call_number,
                       "classification": row.classification}
            docs.append(document(row.id, marc.from_json(row.marc), columns, owners, available,
                                 variants.get(row.id)))
    return docs, [i for i in ids if i not in found]


def _set_flags(record_ids, value, session):
    """Set ``needs_reindex`` on records: in ``session``'s transaction, or (after a commit) in one of its own."""
    ids = sorted({int(i) for i in record_ids})
    table = Record.__table__
    # updated_at is kept: indexing a record is not a change of it (OAI-PMH datestamps are read from it)
    statements = [sa.update(table).where(table.c.id.in_(ids[start:start + 500]),
                                         table.c.needs_reindex.is_(not value))
                  .values(needs_reindex=value, updated_at=table.c.updated_at)
                  for start in range(0, len(ids), 500)]
    if not statements:
        return
    if session is not None:
        for statement in statements:
            session.execute(statement)
        return
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def mark_for_reindex(record_ids, session=None):
    """Flag records whose index update failed (outside a transaction: in one of its own)."""
    _set_flags(record_ids, True, session)


def clear_flags(record_ids, session=None):
    _set_flags(record_ids, False, session)


def apply(docs, removed, flagged=(), session=None):
    """Write documents and removals to the index; on failure flag them. Returns True when written.

    ``session``: the flags are written in that session's transaction (the
    caller commits); without it, in a transaction of their own (after a commit).
    """
    search = backend()
    try:
        if removed:
            search.remove(removed, timeout=write_timeout())
        if docs:
            search.index(docs, timeout=write_timeout())
    except SearchUnavailable as error:
        log.warning("search index not updated (%s); %d record(s) marked for re-indexing", error, len(docs))
        mark_for_reindex([d["id"] for d in docs], session)
        return False
    if flagged:
        clear_flags(flagged, session)
    return True


def sync(record_ids):
    """Bring these records' index entries in line with the database now (the caller commits)."""
    docs, removed = documents_for(record_ids)
    return apply(docs, removed, flagged=[d["id"] for d in docs], session=db.session)


def flagged_ids(limit=None):
    query = sa.select(Record.id).where(Record.needs_reindex.is_(True)).order_by(Record.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def catch_up(limit=None, progress=None):
    """Index every record marked ``needs_reindex`` (in chunks); returns how many were indexed."""
    done = 0
    while True:
        ids = flagged_ids(limit=1000)
        if not ids:
            return done
        if not sync(ids):
            return done
        db.session.commit()
        done += len(ids)
        if progress:
            progress(done)
        if limit and done >= limit:
            return done


def all_documents(chunk=1000):
    """Every record's document, in id order, a chunk at a time (flat memory on big catalogues)."""
    last = 0
    while True:
        ids = list(db.session.scalars(sa.select(Record.id).where(Record.id > last).order_by(Record.id).limit(chunk)))
        if not ids:
            return
        docs, _ = documents_for(ids)
        yield from docs
        last = ids[-1]
        db.session.expire_all()


def reindex_all(progress=None):
    """Rebuild the whole index into a new directory and swap it in; then catch up on what changed meanwhile."""
    started_flags = set(flagged_ids())
    count = backend().rebuild(all_documents(), progress=progress)
    clear_flags(started_flags, session=db.session)
    db.session.commit()
    catch_up()
    return count


# -- the check ``flask check`` runs -------------------------------------------------------------------

def _some(ids, limit=10):
    ids = sorted(ids)
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (", …" if len(ids) > limit else "")


def _differences():
    """``(records missing from the index, index entries of records that are gone, records marked)``."""
    from .search import SearchQuery
    in_index = set(backend().ids(SearchQuery(facets=False)))
    # a connection that only reads: the session would take SQLite's write lock for the whole check
    with db.engine.connect() as connection:
        in_database = set(connection.scalars(sa.select(Record.id)))
        flagged = set(connection.scalars(sa.select(Record.id).where(Record.needs_reindex.is_(True))))
    return in_database - in_index, in_index - in_database, flagged


def index_problems():
    """The search index against the database: every record in it, nothing else, nothing waiting."""
    try:
        missing, extra, flagged = _differences()
    except SearchUnavailable as error:
        return [f"the search index cannot be read ({error}): run flask --app ilms catalog reindex"]
    problems = []
    if missing:
        problems.append(f"{len(missing)} record(s) missing from the search index (ids {_some(missing)}): "
                        "--repair indexes them")
    if extra:
        problems.append(f"search index entries for {len(extra)} record(s) that no longer exist "
                        f"(ids {_some(extra)}): --repair removes them")
    if flagged:
        problems.append(f"{len(flagged)} record(s) marked for re-indexing (ids {_some(flagged)}): "
                        "--repair indexes them")
    return problems


def repair_index():
    """Index the missing and marked records and remove the extra entries (the command commits)."""
    try:
        missing, extra, flagged = _differences()
    except SearchUnavailable:
        count = reindex_all()
        return f"search index rebuilt ({count} records)"
    changed = missing | extra | flagged
    if changed and not sync(changed):
        return "the search index could not be written; the records stay marked (see the log)"
    return f"{len(missing | flagged)} record(s) indexed, {len(extra)} deleted record(s) removed from the index"


# -- collecting changes and applying them after the commit ---------------------------------------

def _pending(session):
    """``{record id: whether its text changed}`` (only copies changed: facets, and maybe not even those)."""
    return session.info.setdefault(PENDING, {})


def _record_changed(sender, record_id=None, **extra):
    if record_id is not None and has_app_context():
        _pending(db.session())[int(record_id)] = True


def _copies_changed(sender, record_id=None, **extra):
    if record_id is not None and has_app_context():
        _pending(db.session()).setdefault(int(record_id), False)


def _worth_writing(docs, text_changed):
    """Documents to write: changed text, or holdings the index does not have yet.

    A loan of one of several copies on the shelf changes nothing the index
    holds; not writing it keeps the desk fast.
    """
    unsure = [d["id"] for d in docs if d["id"] not in text_changed]
    if not unsure:
        return docs
    try:
        current = backend().holdings(unsure)
    except SearchUnavailable:
        return docs
    keep = []
    for doc in docs:
        if doc["id"] in text_changed or current.get(doc["id"]) != (tuple(doc["library"]), tuple(doc["available"])):
            keep.append(doc)
    return keep


def _before_commit(session):
    if session.in_nested_transaction():
        return
    pending = session.info.get(PENDING)
    if not pending:
        return
    session.flush()
    flagged = [rid for rid in session.execute(sa.select(Record.id).where(Record.needs_reindex.is_(True))
                                              .order_by(Record.id).limit(CATCH_UP_BATCH)).scalars()]
    docs, removed = documents_for(set(pending) | set(flagged))
    text_changed = {rid for rid, changed in pending.items() if changed} | set(flagged)
    session.info[READY] = (docs, removed, flagged, text_changed)
    pending.clear()


def _after_commit(session):
    if session.in_nested_transaction():
        return
    ready = session.info.pop(READY, None)
    if ready is None or not has_app_context():
        return
    docs, removed, flagged, text_changed = ready
    apply(_worth_writing(docs, text_changed), removed, flagged)


def _after_rollback(session):
    if session.in_nested_transaction():
        return
    session.info.pop(PENDING, None)
    session.info.pop(READY, None)


sa.event.listen(Session, "before_commit", _before_commit)
sa.event.listen(Session, "after_commit", _after_commit)
sa.event.listen(Session, "after_rollback", _after_rollback)
record_saved.connect(_record_changed, weak=False)
record_deleted.connect(_record_changed, weak=False)
items_changed.connect(_copies_changed, weak=False)
