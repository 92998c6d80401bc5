"""A cache of computed figures that is provably in sync with the operational data.

Every figure is a function of the data of some institutions and a period.
``ilms.signals.data_changed`` (sent by the domains after each write, naming
the institutions whose figures may change) renews a random token per
institution in the table ``stats_data_versions``, inside the writer's own
transaction. A cached value is stored together with the tokens it was
computed under and is used only while those tokens are still the ones in the
database:

- the tokens are read *before* the figures are computed, so a value can only
  be stored under tokens at least as old as the data it saw; a later write
  renews a token and the entry no longer matches;
- tokens are random, never counters, so a write that is rolled back cannot
  make an old entry match again;
- the check reads the committed table, so every worker process (gunicorn runs
  several) sees a write made in any other one.

The cache lives in the process (one per application object), holds at most
``STATS_CACHE_SIZE`` entries (least recently used go first) and is switched
off with ``STATS_CACHE = False``. ``flask indicators-prepare`` (run by cron
after the night's data, see docs/operations.md) computes the morning's pages
in its own process and writes its entries to ``DATA_DIR/stats-figures.pickle``;
every worker merges that file when it is newer than what it last read, so the
first page of the morning finds its figures ready. Entries keep their tags, so
a figure whose data changed since it was prepared is computed again as usual. Writers that bypass the services (bulk SQL)
must send ``data_changed`` themselves or call ``clear()``.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import secrets
import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app

from ..common.time import utcnow
from ..extensions import db
from .models import DataVersion

#: Token row renewed when a change names no institution: it invalidates everything.
EVERYTHING = 0


class FigureCache:
    """A thread-safe LRU map ``key -> (tag, value)``."""

    def __init__(self, size=20000):
        self.size = size
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        self._pinned = {}
        self.hits = 0
        self.misses = 0

    def pin(self, obj):
        """Keep ``obj`` alive while entries keyed by its ``id()`` may exist (ids are reused after GC)."""
        self._pinned.setdefault(id(obj), obj)

    def get(self, key, tag):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != tag:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def merge_prepared(self, path):
        """Merge the entries ``flask indicators-prepare`` wrote, once per new version of the file.

        The file is written by our own command into the data folder (trusted like the database);
        a file that cannot be read is ignored: the figures are then computed as usual.
        """
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return 0
        if mtime == getattr(self, "_prepared_mtime", None):
            return 0
        self._prepared_mtime = mtime
        try:
            with open(path, "rb") as fh:
                data = pickle.load(fh)
            entries = data["entries"] if data.get("format") == 1 else []
        except Exception:   # a half-copied or foreign file: nothing prepared, nothing broken
            return 0
        with self._lock:
            for key, entry in entries:
                self._entries.setdefault(key, entry)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return len(entries)

    def put(self, key, tag, value):
        with self._lock:
            self._entries[key] = (tag, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._pinned.clear()

    def __len__(self):
        return len(self._entries)


def figure_cache(app=None):
    """The application's cache, or ``None`` when caching is switched off (prepared figures merged in)."""
    app = app or current_app
    if not app.config.get("STATS_CACHE", True):
        return None
    cache = app.extensions.get("ilms_stats_cache")
    if cache is None:
        cache = app.extensions.setdefault("ilms_stats_cache",
                                          FigureCache(app.config.get("STATS_CACHE_SIZE", 20000)))
    cache.merge_prepared(prepared_path(app))
    return cache


def prepared_path(app=None):
    app = app or current_app
    return os.path.join(app.config["DATA_DIR"], "stats-figures.pickle")


def save_prepared(cache, path):
    """Write the cache's entries where every worker will merge them (atomically: write, then rename)."""
    with cache._lock:
        entries = list(cache._entries.items())
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        pickle.dump({"format": 1, "entries": entries}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return len(entries)


def clear(app=None):
    cache = (app or current_app).extensions.get("ilms_stats_cache")
    if cache is not None:
        cache.clear()


class Tokens:
    """The data tokens as the database has them now (read once, at the start of a computation)."""

    def __init__(self):
        rows = db.session.execute(sa.select(DataVersion.institution_id, DataVersion.token)).all()
        self._tokens = {row.institution_id: row.token for row in rows}
        self.everything = self._tokens.get(EVERYTHING, "")

    def of(self, institution_id):
        return self.everything + ":" + self._tokens.get(institution_id, "")

    def of_set(self, institution_ids):
        digest = hashlib.blake2b(digest_size=12)
        digest.update(self.everything.encode())
        for inst_id in sorted(institution_ids):
            digest.update(f"|{inst_id}={self._tokens.get(inst_id, '')}".encode())
        return digest.hexdigest()


def renew_tokens(institution_ids=None):
    """Mark the data of these institutions (or of everything) as changed, in the current transaction."""
    ids = sorted({int(i) for i in institution_ids or () if i is not None}) or [EVERYTHING]
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for inst_id in ids:
        token = secrets.token_hex(12)
        statement = insert(DataVersion).values(institution_id=inst_id, token=token, changed_at=now)
        statement = statement.on_conflict_do_update(index_elements=[DataVersion.institution_id],
                                                    set_={"token": token, "changed_at": now})
        db.session.execute(statement)


def on_data_changed(sender, institution_ids=None, **_extra):
    """Receiver of ``ilms.signals.data_changed`` (held back inside ``data_changes_batched``)."""
    from ..signals import batching_data_changes
    if batching_data_changes(institution_ids):
        return
    renew_tokens(institution_ids)
