"""Catalogue search: the backend interface, folding and query parsing, and the whoosh backend.

The PostgreSQL backend (``search_postgres.PostgresBackend``) is reached through
this module too; it reuses the folding and the parser defined here.

The index is derived from the database: it holds just enough to find and
facet records (folded text, codes of owning libraries and of libraries with
a copy on the shelf) and returns record ids. Everything shown to people
(titles, availability, holdings) is read from the database afterwards.

Text is folded the Vietnamese way before it is cut into words, at index and
at query time alike: NFC or NFD input, tone marks, đ/Đ and case all fold to
the same plain letters, so ``nguyen du``, ``Nguyễn Du`` and ``NGUYỄN DU``
find the same records.

Layout under ``DATA_DIR/search``: one directory per built index
(``ix-<stamp>``) and a ``CURRENT`` file naming the live one. ``rebuild``
fills a new directory and swaps ``CURRENT`` atomically.
"""
from __future__ import annotations

import fcntl
import heapq
import itertools
import os
import re
import shutil
import threading
import time
import unicodedata
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, KEYWORD, TEXT, Schema
from whoosh.index import LockError
from whoosh.reading import TermNotFound

#: Bump when the schema or the analysis changes: an index of another version is rebuilt, not used.
SCHEMA_VERSION = "1"
DEFAULT_FIELDS = ("title", "author", "subject", "other", "isbn", "callno")
FIELD_BOOSTS = {"title": 4.0, "author": 3.0, "subject": 2.0, "other": 1.0, "isbn": 1.0, "callno": 1.0}
#: Words people type before a colon, folded, and the field they mean.
FIELD_ALIASES = {
    "title": "title", "ti": "title", "nhande": "title", "tensach": "title", "nhan": "title",
    "author": "author", "au": "author", "tacgia": "author", "tg": "author",
    "subject": "subject", "su": "subject", "chude": "subject", "cd": "subject",
    "isbn": "isbn", "issn": "isbn",
    "callno": "callno", "call": "callno", "kyhieu": "callno", "kyhieuxep": "callno", "ddc": "callno",
    "other": "other", "publisher": "other", "nxb": "other",
}
FACETS = ("language", "material", "decade", "library", "available")
MAX_QUERY_LENGTH = 500
MAX_PAGE = 200
#: What one query may cost (see ``check_cost``): words with a mask (``*``, ``?``), letters before the first
#: mask, index words one masked word may stand for, and the time spent collecting hits.
MAX_MASKED_WORDS = 3
MIN_MASK_PREFIX = 2
MAX_EXPANSION = 300
TIME_LIMIT = 1.0


# -- folding and the analyzer ------------------------------------------------------------

class _FoldTable(dict):
    """``str.translate`` table built lazily: each character to its letters without marks (đ→d)."""

    def __missing__(self, code):
        ch = chr(code)
        if ch in "đĐ":
            out = "d"
        else:
            out = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        self[code] = out
        return out


_FOLD = _FoldTable()
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Same result as ``common.text.fold`` (tested), several times faster: it runs on every indexed word."""
    if not text:
        return ""
    return _SPACES.sub(" ", text.translate(_FOLD).lower()).strip()


class FoldingTokenizer(Tokenizer):
    """Fold the whole value first, then cut it into words.

    Folding before cutting matters: a regular-expression tokenizer would
    split NFD text at every combining mark ("Nguye◌̂◌̃n" → ``nguye``, ``n``).
    """

    def __init__(self, pattern=r"\w+(?:[.\-/]\w+)*"):
        self.expression = re.compile(pattern)

    def __eq__(self, other):
        return isinstance(other, FoldingTokenizer) and self.expression.pattern == other.expression.pattern

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        folded = value.translate(_FOLD).lower()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = folded.strip()
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for pos, match in enumerate(self.expression.finditer(folded)):
            token.text = match.group(0)
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


#: Fields whose words keep their positions, for phrase queries ("truyen kieu"); elsewhere a phrase
#: becomes "all these words", which keeps the index (and every import) smaller.
POSITIONAL = ("title", "author")
#: Facet values live in columns, not in the inverted index: they are read once per segment into bit masks.
FACET_COLUMNS = ("language", "material", "library", "available")


def _schema():
    words = FoldingTokenizer()
    return Schema(
        id=KEYWORD(stored=True, unique=True, scorable=True),
        title=TEXT(analyzer=words),
        author=TEXT(analyzer=words),
        subject=TEXT(analyzer=words, phrase=False),
        other=TEXT(analyzer=words, phrase=False),
        isbn=KEYWORD(lowercase=True, scorable=True),
        callno=TEXT(analyzer=FoldingTokenizer(r"[^\s]+"), phrase=False),
        language=COLUMN(VarBytesColumn()),
        material=COLUMN(VarBytesColumn()),
        library=COLUMN(VarBytesColumn()),
        available=COLUMN(VarBytesColumn()),
        year=COLUMN(NumericColumn("H", default=0)),
        title_sort=COLUMN(VarBytesColumn()),
    )


SCHEMA = _schema()


class _Codec(W3Codec):
    """whoosh's codec without per-block length statistics.

    Writing them reads every posting's document length back from disk, a
    third of the indexing time; they only tighten the score bounds used to
    skip blocks, and without them the bounds stay valid (looser), so results
    are the same.
    """

    length_stats = False


def _codec():
    return _Codec()


# -- the interface --------------------------------------------------------------------------

class SearchUnavailable(Exception):
    """The index is busy (lock held too long), missing or damaged. The database write stands."""


class QueryTooBroad(Exception):
    """A query that would cost more than a search may (``check_cost``); nothing was searched.

    ``reason`` says which bound, for a message the reader can act on:
    ``leading`` (a word starts with ``*`` or ``?``), ``short`` (fewer than
    ``MIN_MASK_PREFIX`` letters before a mask), ``masks`` (more than
    ``MAX_MASKED_WORDS`` masked words), ``expansion`` (a masked word stands
    for more than ``MAX_EXPANSION`` words of the index), ``range`` (a range
    of words) or ``time`` (collecting the hits took longer than ``TIME_LIMIT``).
    """

    def __init__(self, reason, word=""):
        super().__init__(f"query too broad ({reason}): {word}")
        self.reason = reason
        self.word = word


@dataclass
class SearchQuery:
    """What a reader or a librarian asked for. Filters take the facet values shown to them."""

    text: str = ""
    language: str | None = None
    material: str | None = None
    library: str | None = None
    available: bool = False
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"          # relevance | title | year | year_asc
    page: int = 1
    per_page: int = 20
    facets: bool = True


@dataclass
class SearchResult:
    ids: list                                     # record ids of the page, in order
    total: int
    facets: dict = field(default_factory=dict)    # name -> [(value, count)], most frequent first
    suggestion: str | None = None                 # "did you mean", only when nothing was found
    refused: str | None = None                    # why nothing was searched (``QueryTooBroad``), for people
    page: int = 1
    per_page: int = 20

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))


class SearchBackend(Protocol):
    """What the catalogue needs from a search engine (``WhooshBackend`` here; ``PostgresBackend`` in
    ``search_postgres``, for several application servers on one PostgreSQL database).

    Documents (``indexing.document``) are plain dicts: ``id`` (the record's),
    ``title``, ``author``, ``subject``, ``other`` (unfolded text; the backend
    folds it), ``isbn`` (list of normalised numbers), ``callno``, ``language``,
    ``material``, ``year``, ``library`` and ``available`` (institution codes),
    ``title_sort`` (``common.text.sort_key``), and ``new`` when the record was
    just created. Writes raise ``SearchUnavailable`` when the index cannot be
    written within ``timeout``; callers then mark the records for re-indexing.
    """

    def index(self, documents: Iterable[dict], *, timeout: float) -> int: ...
    def remove(self, record_ids: Iterable[int], *, timeout: float) -> None: ...
    def search(self, query: SearchQuery) -> SearchResult: ...
    def ids(self, query: SearchQuery) -> list: ...
    def holdings(self, record_ids: Iterable[int]) -> dict: ...
    def rebuild(self, documents: Iterable[dict], *, progress=None) -> int: ...
    def bulk(self, *, timeout: float, parallel: bool = False): ...
    def count(self) -> int: ...
    def exists(self) -> bool: ...


# -- whoosh ------------------------------------------------------------------------------------

def _whoosh_fields(doc: dict) -> dict:
    """The document (plain values) as whoosh field values."""
    year = doc.get("year") or 0
    return {
        "id": str(doc["id"]),
        "title": doc.get("title") or "",
        "author": doc.get("author") or "",
        "subject": doc.get("subject") or "",
        "other": doc.get("other") or "",
        "isbn": " ".join(doc.get("isbn") or ()),
        "callno": doc.get("callno") or "",
        "language": (doc.get("language") or "und").encode("ascii", "ignore"),
        "material": (doc.get("material") or "book").encode("ascii", "ignore"),
        "library": " ".join(doc.get("library") or ()).encode("utf-8"),
        "available": " ".join(doc.get("available") or ()).encode("utf-8"),
        "year": year if 0 < year < 10000 else 0,
        "title_sort": (doc.get("title_sort") or "").encode("ascii", "ignore"),
    }


def _mask(docnums, size) -> bytearray:
    bits = bytearray((size + 7) // 8)
    for d in docnums:
        bits[d >> 3] |= 1 << (d & 7)
    return bits


class _Segments:
    """What searching needs from each segment, read once and kept while the segment lives.

    A segment never changes once written: deletions only hide documents,
    and every mask used for counting is intersected with the live documents
    of the current searcher. Kept per segment: one bit mask per facet value
    and per year (from the columns), the title sort keys, and, in a bounded
    least-recently-used cache, the mask of each word looked up.
    """

    TERM_CACHE_BYTES = 32 << 20

    def __init__(self):
        self.segments = {}
        self.combined = {}
        self.terms = OrderedDict()
        self.term_bytes = 0
        self.lock = threading.Lock()

    @staticmethod
    def key(reader):
        segment = getattr(reader, "_segment", None)
        return (segment.segment_id() if segment is not None else id(reader), reader.doc_count_all())

    def view(self, searcher):
        """The searcher's masks over global document numbers (cached per set of segments and deletions)."""
        leaves = [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]
        layout = tuple((self.key(reader), offset, len(getattr(reader, "deleted_docs_set", ()) or ()))
                       for reader, offset in leaves)
        with self.lock:
            found = self.combined.get(layout)
        if found is not None:
            return found
        view = _View(searcher.doc_count_all(), leaves)
        for reader, offset in leaves:
            per_segment = self._segment(reader)
            for name, values in per_segment["facets"].items():
                target = view.facets.setdefault(name, {})
                for value, mask in values.items():
                    target[value] = target.get(value, 0) | (mask << offset)
            view.title_keys.append((offset, per_segment["title_keys"], per_segment["title_order"]))
            deleted = getattr(reader, "deleted_docs_set", None) or ()
            live = (1 << reader.doc_count_all()) - 1
            if deleted:
                live &= ~_mask_int(deleted, reader.doc_count_all())
            view.live |= live << offset
        decades = {}
        for year, mask in view.facets.get("year", {}).items():
            decades[year - year % 10] = decades.get(year - year % 10, 0) | mask
        view.facets["decade"] = decades
        view.facets["any"] = _union(view.facets.get("available", {}).values())
        view.years_desc = sorted(view.facets.get("year", {}).items(), reverse=True)
        with self.lock:
            if len(self.combined) > 8:
                self.combined.clear()
            self.combined[layout] = view
            alive = {self.key(reader) for reader, _offset in leaves}
            if len(self.segments) > 4 * len(alive) + 32:
                for key in [k for k in self.segments if k not in alive]:
                    del self.segments[key]
        return view

    def _segment(self, reader):
        key = self.key(reader)
        with self.lock:
            found = self.segments.get(key)
        if found is not None:
            return found
        size = reader.doc_count_all()
        facets = {}
        for name in (*FACET_COLUMNS, "year"):
            positions = {}
            if reader.has_column(name):
                column = reader.column_reader(name)
                for docnum in range(size):
                    raw = column[docnum]
                    if name in ("library", "available"):
                        for code in raw.decode("utf-8").split():
                            positions.setdefault(code, []).append(docnum)
                    elif raw:
                        value = raw if name == "year" else raw.decode("utf-8")
                        positions.setdefault(value, []).append(docnum)
            facets[name] = {value: _mask_int(docs, size) for value, docs in positions.items()}
        keys = list(reader.column_reader("title_sort")) if reader.has_column("title_sort") else [b""] * size
        found = {"facets": facets, "title_keys": keys, "title_order": _LazyOrder(keys)}
        with self.lock:
            self.segments[key] = found
        return found

    def term(self, reader, field, text):
        """The segment-local mask of the documents with ``text`` in ``field`` (deleted ones included)."""
        def compute():
            try:
                matcher = reader.postings(field, text)
            except (TermNotFound, KeyError):
                return 0
            return _mask_int(_posting_ids(matcher), reader.doc_count_all())
        return self._cached((self.key(reader), field, text), compute)

    def query(self, reader, q):
        """The segment-local mask of any other whoosh query (a phrase, a prefix...), matched by whoosh."""
        from whoosh.searching import Searcher

        def compute():
            searcher = Searcher(reader, closereader=False)
            return _mask_int(q.docs(searcher), reader.doc_count_all())
        return self._cached((self.key(reader), "query", repr(q)), compute)

    def _cached(self, key, compute):
        with self.lock:
            mask = self.terms.get(key)
            if mask is not None:
                self.terms.move_to_end(key)
                return mask
        mask = compute()
        with self.lock:
            self.terms[key] = mask
            self.term_bytes += mask.bit_length() // 8 + 64
            while self.term_bytes > self.TERM_CACHE_BYTES and self.terms:
                _key, old = self.terms.popitem(last=False)
                self.term_bytes -= old.bit_length() // 8 + 64
        return mask


class _LazyOrder:
    """A segment's document numbers in title order, sorted the first time a big result set needs it."""

    def __init__(self, keys):
        self.keys = keys
        self.order = None

    def __iter__(self):
        if self.order is None:
            self.order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        return iter(self.order)


class _View:
    """One searcher's segments seen as one: facet masks, live documents, title order."""

    def __init__(self, size, leaves):
        self.size = size
        self.leaves = leaves
        self.facets = {}
        self.live = 0
        self.title_keys = []
        self.years_desc = []

    def term_mask(self, field, text):
        out = 0
        for reader, offset in self.leaves:
            mask = _SEGMENTS.term(reader, field, text)
            if mask:
                out |= mask << offset
        return out & self.live

    def evaluate(self, q, deadline=None):
        """The documents a whoosh query matches, as a mask: words, AND, OR and NOT with bit operations;
        phrases, prefixes and the rest by whoosh, segment by segment, remembered like words.

        ``deadline`` (a ``time.monotonic()`` value) ends the collection with ``QueryTooBroad("time")``
        once passed; it is checked between the parts of the query and between segments."""
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTooBroad("time")
        if isinstance(q, wq.Term):
            return self.term_mask(q.fieldname, q.text)
        if isinstance(q, wq.Every):
            return self.live
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return 0
        if isinstance(q, wq.And):
            out = self.live
            for child in q.subqueries:
                if isinstance(child, wq.Not):
                    out &= ~self.evaluate(child.query, deadline)
                else:
                    out &= self.evaluate(child, deadline)
                if not out:
                    break
            return out
        if isinstance(q, wq.Or):
            return _union(self.evaluate(child, deadline) for child in q.subqueries if not isinstance(child, wq.Not))
        if isinstance(q, wq.Not):
            return self.live & ~self.evaluate(q.query, deadline)
        if isinstance(q, wq.AndNot):
            return self.evaluate(q.a, deadline) & ~self.evaluate(q.b, deadline)
        if isinstance(q, (wq.AndMaybe, wq.Require)):
            wanted = self.evaluate(q.b, deadline) if isinstance(q, wq.Require) else self.live
            return self.evaluate(q.a, deadline) & wanted
        candidates = self.live
        if isinstance(q, wq.Phrase):   # only documents with every word can hold the phrase
            for word in q.words:
                candidates &= self.term_mask(q.fieldname, word)
            if not candidates:
                return 0
        if isinstance(q, wq.MultiTerm):
            self._check_expansion(q)
        out = 0
        for reader, offset in self.leaves:
            if deadline is not None and time.monotonic() > deadline:
                raise QueryTooBroad("time")
            mask = _SEGMENTS.query(reader, q)
            if mask:
                out |= mask << offset
        return out & candidates & self.live

    def _check_expansion(self, q):
        """``QueryTooBroad("expansion")`` when a masked word stands for more than ``MAX_EXPANSION`` words of
        one segment: counted by walking the words it names, stopping one past the bound."""
        for reader, _offset in self.leaves:
            try:
                found = sum(1 for _ in itertools.islice(q._btexts(reader), MAX_EXPANSION + 1))
            except (TermNotFound, KeyError):
                continue
            if found > MAX_EXPANSION:
                raise QueryTooBroad("expansion", q.text + ("*" if isinstance(q, wq.Prefix) else ""))


def _posting_ids(matcher):
    """The document numbers of a posting list, a block at a time where whoosh lets us."""
    inner = getattr(matcher, "child", None) if type(matcher).__name__ == "FilterMatcher" else None
    leaf = inner or matcher
    if hasattr(leaf, "_read_ids") and hasattr(leaf, "_next_block") and hasattr(leaf, "_atend"):
        while not leaf._atend and leaf._i < leaf._blocklength:
            if leaf._ids is None:
                leaf._read_ids()
            yield from leaf._ids
            leaf._next_block()
        return
    yield from matcher.all_ids()


_SEGMENTS = _Segments()
_LOCAL = threading.local()


class WhooshBackend:
    """The embedded search engine: an index directory under ``root``, swapped whole on rebuild."""

    def __init__(self, root):
        self.root = Path(root)

    # -- directories ------------------------------------------------------------------

    @property
    def _pointer(self):
        return self.root / "CURRENT"

    def _current_dir(self):
        try:
            name, version = self._pointer.read_text().split()[:2]
        except (FileNotFoundError, ValueError):
            return None
        path = self.root / name
        if version != SCHEMA_VERSION or not path.is_dir() or not whoosh_index.exists_in(str(path)):
            return None
        return path

    @contextmanager
    def _root_lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _new_dir(self):
        path = self.root / f"ix-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**9}"
        path.mkdir(parents=True)
        whoosh_index.create_in(str(path), SCHEMA)
        return path

    def _swap(self, path):
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(f"{path.name} {SCHEMA_VERSION}\n")
        os.replace(tmp, self._pointer)

    def _open(self, create=True):
        path = self._current_dir()
        if path is None:
            if not create:
                return None
            with self._root_lock():
                path = self._current_dir()
                if path is None:
                    path = self._new_dir()
                    self._swap(path)
        return whoosh_index.open_dir(str(path))

    def exists(self) -> bool:
        return self._current_dir() is not None

    def count(self) -> int:
        ix = self._open(create=False)
        if ix is None:
            return 0
        with ix.searcher() as searcher:
            return searcher.doc_count()

    # -- writing -------------------------------------------------------------------------

    def _writer(self, timeout, ix=None, **options):
        try:
            return (ix or self._open()).writer(timeout=timeout, delay=0.05, codec=_codec(), **options)
        except LockError as error:
            raise SearchUnavailable(f"the search index is busy (locked for more than {timeout} s)") from error
        except OSError as error:
            raise SearchUnavailable(f"the search index cannot be opened: {error}") from error

    def index(self, documents, *, timeout=2.0) -> int:
        """Add or replace documents (by ``id``); one commit for all of them."""
        documents = list(documents)
        if not documents:
            return 0
        with _committing(self._writer(timeout)) as writer:
            for doc in documents:
                writer.update_document(**_whoosh_fields(doc))
        return len(documents)

    def remove(self, record_ids, *, timeout=2.0):
        ids = [str(i) for i in record_ids]
        if not ids:
            return
        with _committing(self._writer(timeout)) as writer:
            for rid in ids:
                writer.delete_by_term("id", rid)

    @contextmanager
    def bulk(self, *, timeout=10.0, parallel=False):
        """A writer for a long import: ``add(docs)``, ``flush()``, ``done_ids()``, ``close()``.

        New segments are committed unmerged while the import runs and merged
        once at the end. With ``parallel`` the whoosh work runs in a child
        process, beside the parsing and database work of the import (whoosh
        is pure Python: a thread would not run alongside).
        """
        if parallel:
            from .search_worker import WorkerWriter
            bulk = WorkerWriter(self.root, timeout)
        else:
            bulk = _BulkWriter(self, timeout)
        try:
            yield bulk
        except BaseException:
            bulk.cancel()
            raise

    def rebuild(self, documents, *, progress=None) -> int:
        """Index ``documents`` into a new directory, then make it the live index.

        The live index's write lock is held meanwhile, so a change made
        during the rebuild fails to index (and is marked for re-indexing by
        the caller) instead of being lost in the old directory.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        old = self._current_dir()
        old_lock = None
        if old is not None:
            old_lock = whoosh_index.open_dir(str(old)).lock("WRITELOCK")
            if not old_lock.acquire(blocking=False):
                raise SearchUnavailable("the search index is being written by another process; try again")
        try:
            path = self._new_dir()
            ix = whoosh_index.open_dir(str(path))
            writer = ix.writer(limitmb=128, codec=_codec())
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**_whoosh_fields(doc))
                    count += 1
                    if progress and count % 1000 == 0:
                        progress(count)
                writer.commit(optimize=True)
            except BaseException:
                writer.cancel()
                shutil.rmtree(path, ignore_errors=True)
                raise
            with self._root_lock():
                self._swap(path)
        finally:
            if old_lock is not None:
                old_lock.release()
        self._remove_old(keep={path.name, old.name if old else ""})
        return count

    def _remove_old(self, keep):
        """Delete index directories no longer live (the previous one stays for searchers still open)."""
        for child in self.root.glob("ix-*"):
            if child.name not in keep and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)

    # -- searching -----------------------------------------------------------------------

    def _searcher(self):
        """A searcher per thread, reopened when the index changed.

        Reopened whole, not ``refresh()``ed: whoosh's refresh reuses the
        readers of unchanged segment ids and so misses deletions made since
        (an updated document would be found twice).
        """
        cache = getattr(_LOCAL, "searchers", None)
        if cache is None:
            cache = _LOCAL.searchers = {}
        path = self._current_dir()
        if path is None:
            return None
        key = str(self.root)
        entry = cache.get(key)
        if entry is not None:
            old_path, searcher = entry
            if old_path == path and searcher.up_to_date():
                return searcher
            searcher.close()
        searcher = whoosh_index.open_dir(str(path)).searcher()
        cache[key] = (path, searcher)
        return searcher

    def holdings(self, record_ids) -> dict:
        """``{id: (library codes, codes with a copy on the shelf)}`` as the index has them now."""
        searcher = self._searcher()
        out = {}
        if searcher is None:
            return out
        library, available = searcher.reader().column_reader("library"), searcher.reader().column_reader("available")
        for rid in record_ids:
            docnum = searcher.document_number(id=str(rid))
            if docnum is not None:
                out[rid] = (tuple(library[docnum].decode("utf-8").split()),
                            tuple(available[docnum].decode("utf-8").split()))
        return out

    def ids(self, query: SearchQuery) -> list:
        """Every record id the query (with its filters) finds, in id order: for exports of a selection."""
        searcher = self._searcher()
        if searcher is None:
            return []
        plan = _plan(searcher, query)
        return sorted(int(searcher.stored_fields(docnum)["id"]) for docnum in _bits(plan.allowed))

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return self._search(query)
        except SearchUnavailable:
            raise
        except (OSError, ValueError, EOFError) as error:
            _LOCAL.searchers = {}
            raise SearchUnavailable(f"the search index cannot be read: {error}") from error

    def _search(self, query):
        per_page = max(1, min(query.per_page, 100))
        page = max(1, min(query.page, MAX_PAGE))
        searcher = self._searcher()
        if searcher is None:
            return SearchResult(ids=[], total=0, page=page, per_page=per_page)
        plan = _plan(searcher, query)
        allowed, facets_of = plan.allowed, plan.view.facets
        total = allowed.bit_count()
        facets = {}
        if query.facets and total:
            for name in ("language", "material", "library"):
                counts = [(value, (allowed & mask).bit_count()) for value, mask in facets_of.get(name, {}).items()]
                facets[name] = sorted(((v, c) for v, c in counts if c), key=lambda vc: (-vc[1], vc[0]))
            counts = [(decade, (allowed & mask).bit_count()) for decade, mask in facets_of["decade"].items()]
            facets["decade"] = sorted(((d, c) for d, c in counts if c), reverse=True)
            facets["available"] = [("any", (allowed & facets_of["any"]).bit_count())]
        ids = []
        if total:
            start = (page - 1) * per_page
            docnums = _ordered(plan, query.sort, start + per_page)[start:start + per_page]
            ids = [int(searcher.stored_fields(docnum)["id"]) for docnum in docnums]
        suggestion = None
        if total == 0 and plan.text:
            suggestion = _suggest(searcher, plan.text)
        return SearchResult(ids=ids, total=total, facets=facets, suggestion=suggestion, page=page,
                            per_page=per_page)


@dataclass
class _Plan:
    text: str
    view: _View
    allowed: int
    words: list            # per plain word: {field: analysed text} (for ranking)


def _plan(searcher, query):
    """Parse, find the hits (as a bit mask), apply the filters."""
    view = _SEGMENTS.view(searcher)
    text = clean_query(query.text)
    words = []
    if not text:
        hits = view.live
    else:
        parsed = parse_query(text, searcher.schema)
        check_cost(parsed)
        hits = view.evaluate(parsed, time.monotonic() + TIME_LIMIT) & view.live
        words = _plain_words(parsed)
        if words is None:
            words = _positive_words(parsed)
    facets = view.facets
    allowed = hits
    for name, value in (("language", query.language), ("material", query.material), ("library", query.library)):
        if value:
            allowed &= facets.get(name, {}).get(value, 0)
    if query.available:
        allowed &= facets["any"]
    if query.year_from or query.year_to:
        low, high = query.year_from or 1, query.year_to or 9999
        allowed &= _union(mask for year, mask in facets.get("year", {}).items() if low <= year <= high)
    return _Plan(text=text, view=view, allowed=allowed, words=words)


def _plain_words(parsed):
    """``[{field: term}]`` when the query is just words looked for in the default fields, else ``None``."""
    groups = parsed.subqueries if isinstance(parsed, wq.And) else [parsed]
    words = []
    for group in groups:
        terms = group.subqueries if isinstance(group, wq.Or) else [group]
        word = {}
        for term in terms:
            if not isinstance(term, wq.Term) or term.fieldname not in DEFAULT_FIELDS:
                return None
            word[term.fieldname] = term.text
        words.append(word)
    return words if words and len(words) <= 8 else None


def _positive_words(parsed):
    """The words of a complex query that are not negated, by field, for ranking its hits."""
    out = []

    def walk(q, negated=False):
        if isinstance(q, wq.Not):
            return
        if isinstance(q, wq.Term) and q.fieldname in DEFAULT_FIELDS and not negated:
            out.append({q.fieldname: q.text})
        elif isinstance(q, wq.Phrase) and q.fieldname in DEFAULT_FIELDS:
            out.extend({q.fieldname: word} for word in q.words)
        for child in q.children() if hasattr(q, "children") else ():
            walk(child, negated)

    walk(parsed)
    merged = {}
    for word in out:
        for name, term in word.items():
            merged.setdefault(term, {})[name] = term
    return list(merged.values())[:6]


#: How much a word weighs by the field it is found in: title above author above subject above the rest.
RANK_FIELDS = (("title",), ("author",), ("subject",), ("other", "isbn", "callno"))


def _ordered(plan, sort, limit):
    """The first ``limit`` document numbers of ``plan.allowed`` in the asked order."""
    if sort == "title":
        return _by_title(plan, limit)
    if sort in ("year", "year_asc"):
        return _by_year(plan.allowed, plan.view, limit, newest=sort == "year")
    return _by_relevance(plan, limit)


def _by_relevance(plan, limit):
    """Relevance without scoring every hit: buckets of how well each word is found.

    Each word counts by the best field it is found in (``RANK_FIELDS``); the
    buckets are visited from the best sum down, and within one bucket newer
    books come first. It ranks what readers expect (title words over
    subject words) at the cost of bit operations, whatever the number of hits.
    """
    view, allowed = plan.view, plan.allowed
    if not plan.words:
        return _by_year(allowed, view, limit, newest=True)
    levels = []
    for word in plan.words[:5]:
        seen, classes = 0, []
        for fields in RANK_FIELDS:
            mask = _union(view.term_mask(f, word[f]) for f in fields if f in word) & ~seen
            classes.append(mask)
            seen |= mask
        classes.append(allowed & ~seen)   # hits not by this word's postings (complex queries)
        levels.append(classes)
    weights = (4, 3, 2, 1, 0)
    combos = sorted(itertools.product(range(len(weights)), repeat=len(levels)),
                    key=lambda combo: -sum(weights[i] for i in combo))
    out, taken = [], 0
    for combo in combos:
        mask = allowed & ~taken
        for level, index in zip(levels, combo):
            mask &= level[index]
            if not mask:
                break
        if not mask:
            continue
        taken |= mask
        out.extend(_by_year(mask, view, limit - len(out), newest=True))
        if len(out) >= limit:
            break
    return out[:limit]


def _by_year(mask, view, limit, newest=True):
    out = []
    years = view.years_desc if newest else list(reversed(view.years_desc))
    rest = mask
    for _year, year_mask in years:
        part = rest & year_mask
        if part:
            out.extend(_bits(part, limit - len(out)))
            rest &= ~year_mask
            if len(out) >= limit or not rest:
                return out[:limit]
    out.extend(_bits(rest, limit - len(out)))   # no year known
    return out[:limit]


def _by_title(plan, limit):
    """Vietnamese title order: the hits' sort keys when they are few, else the segments' sorted order."""
    allowed = plan.allowed
    if allowed.bit_count() <= 2000:
        keyed = []
        for docnum in _bits(allowed):
            keyed.append((_title_key(plan.view, docnum), docnum))
        return [d for _k, d in sorted(keyed)[:limit]]
    streams = [((keys[d], d + offset) for d in order if allowed >> (d + offset) & 1)
               for offset, keys, order in plan.view.title_keys]
    return [d for _k, d in itertools.islice(heapq.merge(*streams), limit)]


def _title_key(view, docnum):
    for offset, keys, _order in reversed(view.title_keys):
        if docnum >= offset:
            return keys[docnum - offset]
    return b""


_NONZERO = re.compile(rb"[^\x00]")


def _bits(mask, limit=None):
    """The document numbers set in ``mask``, lowest first (``limit``: stop after that many)."""
    out = []
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    for match in _NONZERO.finditer(data):   # the regex engine skips the empty bytes
        position, byte = match.start() * 8, data[match.start()]
        for bit in range(8):
            if byte >> bit & 1:
                out.append(position + bit)
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def _union(masks) -> int:
    out = 0
    for mask in masks:
        out |= mask
    return out


def _mask_int(docnums, size) -> int:
    return int.from_bytes(_mask(docnums, size), "little")


@contextmanager
def _committing(writer):
    """Commit the writer after the block, or cancel it; whoosh's own failures become ``SearchUnavailable``."""
    try:
        yield writer
        writer.commit()
    except SearchUnavailable:
        writer.cancel()
        raise
    except Exception as error:
        writer.cancel()
        raise SearchUnavailable(f"the search index could not be written: {error}") from error
    except BaseException:
        writer.cancel()
        raise


class _BulkWriter:
    """Bulk indexing in this process: a whoosh writer kept open, committed segment by segment."""

    LIMIT_MB = 96

    def __init__(self, backend, timeout):
        self.ix = backend._open()
        self.writer = backend._writer(timeout, self.ix, limitmb=self.LIMIT_MB)
        self.pending = []
        self.done = []

    def add(self, documents):
        """Add documents; those marked ``new`` (records just created) skip the look-up for an old version."""
        try:
            for doc in documents:
                if doc.get("new"):
                    self.writer.add_document(**_whoosh_fields(doc))
                else:
                    self.writer.update_document(**_whoosh_fields(doc))
                self.pending.append(doc["id"])
        except Exception as error:
            self.cancel()
            raise SearchUnavailable(f"the search index could not be written: {error}") from error

    def _commit(self, merge):
        try:
            self.writer.commit(merge=merge)
        except Exception as error:
            self.writer = None
            raise SearchUnavailable(f"the search index could not be written: {error}") from error
        self.done.extend(self.pending)
        self.pending = []

    def flush(self):
        """Commit what was added (a new segment, merged at the end) and keep writing."""
        if not self.pending:
            return
        self._commit(merge=False)
        try:
            self.writer = self.ix.writer(timeout=30, delay=0.05, limitmb=self.LIMIT_MB, codec=_codec())
        except LockError as error:
            self.writer = None
            raise SearchUnavailable("the search index was taken by another writer during the import") from error

    def done_ids(self):
        """Ids whose documents are committed since the last call."""
        done, self.done = self.done, []
        return done

    def close(self):
        """Commit the rest, merging the import's small segments; returns the last committed ids."""
        if self.writer is not None:
            self._commit(merge=True)
            self.writer = None
        return self.done_ids()

    def cancel(self):
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None


# -- queries ------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ISBN_LIKE = re.compile(r"(?<![\w-])(?:97[89][\s-]?)?\d{1,5}[\s-]?\d{1,7}[\s-]?\d{1,7}[\s-]?[\dXx](?![\w-])")
_FIELD_PREFIX = re.compile(r"(?<![\w\"])([^\W\d_][\w]*)\s*:(?=\S)")


def clean_query(text: str) -> str:
    """NFC, no control characters, bounded length, ISBNs without hyphens, field names in our words."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))[:MAX_QUERY_LENGTH].strip()

    def isbn(match):
        digits = re.sub(r"[\s-]", "", match.group(0)).upper()
        return digits if len(digits) in (10, 13) else match.group(0)

    text = _ISBN_LIKE.sub(isbn, text)

    def field_name(match):
        name = FIELD_ALIASES.get(fold(match.group(1)))
        return f"{name}:" if name else match.group(0).replace(":", " ")

    return _FIELD_PREFIX.sub(field_name, text)


def _parser(schema):
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=FIELD_BOOSTS,
                                      group=qparser.AndGroup)
    parser.add_plugin(qparser.PlusMinusPlugin())
    parser.remove_plugin_class(qparser.BoostPlugin)
    return parser


_PARSERS = {}


def parse_query(text, schema=SCHEMA):
    parser = _PARSERS.get(id(schema))
    if parser is None:
        parser = _PARSERS[id(schema)] = _parser(schema)
    try:
        parsed = parser.parse(text)
    except Exception:  # whoosh's parser raising on odd syntax: search the plain words instead
        parsed = None
    if parsed is not None and parsed is not wq.NullQuery:
        parsed = parsed.accept(_phrases_where_positions)
    if parsed is None or parsed is wq.NullQuery:
        words = [w for w in re.findall(r"\w+", fold(text))]
        if not words:
            return wq.NullQuery
        parsed = wq.And([wq.Or([wq.Term(f, w, boost=FIELD_BOOSTS.get(f, 1.0)) for f in DEFAULT_FIELDS])
                         for w in words])
    return parsed


#: Fields a structured query (SRU's CQL) may name; ``None`` is "anywhere" (the default fields).
STRUCTURED_FIELDS = ("title", "author", "subject", "isbn", None)
_TERM_WORD = re.compile(r"[\w*?]+(?:[.\-/][\w*?]+)*")


def structured_text(node) -> str:
    """A query in this module's syntax from a tree of clauses (SRU's CQL, parsed by ``sru``).

    ``node`` is ``("clause", field, relation, term)`` with ``field`` one of
    ``STRUCTURED_FIELDS`` and ``relation`` ``phrase`` (the words in this
    order), ``all`` or ``any``, or ``(op, left, right)`` with ``op``
    ``and``, ``or`` or ``not``. The words go through the same folding as
    every search (``Đất`` = ``dat``); ``*`` and ``?`` in a word are masks.
    ``ValueError`` for a clause without any word.
    """
    kind = node[0]
    if kind == "clause":
        _kind, field, relation, term = node
        if field not in STRUCTURED_FIELDS:
            raise ValueError(f"unknown field {field!r}")
        if field == "isbn":
            words = [re.sub(r"[\s-]", "", term).lower()]
            words = [w for w in words if re.fullmatch(r"[0-9x*?]+", w)]
        else:
            # folded here as well as by the analyzer: words with masks are not analysed by whoosh
            words = [w for w in _TERM_WORD.findall(fold(term)) if w.strip("*?")]
        if not words:
            raise ValueError("empty term")
        masked = any("*" in w or "?" in w for w in words)
        if relation == "phrase" and len(words) > 1 and not masked:
            body = '"' + " ".join(words) + '"'
        elif len(words) == 1:
            body = words[0]
        else:
            body = "(" + (" OR " if relation == "any" else " AND ").join(words) + ")"
        return f"{field}:{body}" if field else body
    left, right = structured_text(node[1]), structured_text(node[2])
    if kind == "and":
        return f"({left}) AND ({right})"
    if kind == "or":
        return f"({left}) OR ({right})"
    if kind == "not":
        return f"({left}) AND NOT ({right})"
    raise ValueError(f"unknown operator {kind!r}")


def _masked(q):
    """The masked words (``Prefix``, ``Wildcard``, ``Regex``, fuzzy terms) and word ranges of a parsed query."""
    if isinstance(q, (wq.MultiTerm, wq.NumericRange)):
        yield q
        return
    for child in q.children() if hasattr(q, "children") else ():
        yield from _masked(child)


def check_cost(parsed):
    """Refuse, before anything is searched, a query that would make either backend scan its whole vocabulary.

    Bounds (the module's constants), the same for the OPAC, the staff search,
    SRU and exports, on whoosh and PostgreSQL alike: no word may start with a
    mask (``*oai``, ``*?``: each would be matched against every word of the
    index); a mask needs ``MIN_MASK_PREFIX`` letters before it (``a*`` stands
    for thousands of words); at most ``MAX_MASKED_WORDS`` masked words; no
    ranges of words (``title:[a TO z]``). Koha and Evergreen make the same
    choice of refusing left truncation in their public catalogues. A lone
    ``*`` is "everything" and costs nothing. The backends add their own
    bounds on what remains (``MAX_EXPANSION`` words per mask on whoosh, a
    statement timeout on PostgreSQL).
    """
    masked_words = set()
    for q in _masked(parsed):
        if isinstance(q, (wq.TermRange, wq.NumericRange)):
            raise QueryTooBroad("range", "")
        text = getattr(q, "text", "") or ""
        if isinstance(q, wq.Prefix):
            head = text
        elif isinstance(q, wq.Wildcard):
            head = re.split(r"[*?]", text, maxsplit=1)[0]
        else:   # a regular expression or a fuzzy word: only its literal start narrows it
            head = text if isinstance(q, wq.FuzzyTerm) else re.split(r"[^\w]", text, maxsplit=1)[0]
        shown = text + ("*" if isinstance(q, wq.Prefix) else "")
        if not head:
            raise QueryTooBroad("leading", shown)
        if len(head) < MIN_MASK_PREFIX:
            raise QueryTooBroad("short", shown)
        masked_words.add(text)
    if len(masked_words) > MAX_MASKED_WORDS:
        raise QueryTooBroad("masks", " ".join(sorted(masked_words)))


def _phrases_where_positions(q):
    """A phrase on a field without positions becomes "all these words" on that field."""
    if isinstance(q, wq.Phrase) and q.fieldname not in POSITIONAL:
        return wq.And([wq.Term(q.fieldname, word, boost=q.boost) for word in q.words])
    return q


def _suggest(searcher, text):
    """A corrected query that finds something, word by word, from the words of the index."""
    words = re.findall(r"\w+", fold(re.sub(r"\b\w+:", " ", text)))
    if not words or len(words) > 8:
        return None
    reader = searcher.reader()
    changed = False
    out = []
    for word in words:
        if any((f, word) in reader for f in ("title", "author", "subject", "other")):
            out.append(word)
            continue
        best, best_freq = None, 0
        for fieldname in ("title", "author", "subject"):
            for candidate in searcher.suggest(fieldname, word, limit=3, maxdist=2, prefix=1):
                freq = reader.doc_frequency(fieldname, candidate)
                if freq > best_freq:
                    best, best_freq = candidate, freq
        if best is None:
            return None
        out.append(best)
        changed = True
    if not changed:
        return None
    suggestion = " ".join(out)
    probe = parse_query(suggestion, searcher.schema)
    if not any(True for _ in searcher.docs_for_query(probe)):
        return None
    return suggestion


# The PostgreSQL backend lives beside this module and is reached through it. Imported last, not at the top:
# search_postgres imports this module's parser and types, so an import at the top would be circular.
from .search_postgres import PostgresBackend  # noqa: E402

__all__ = ["FACETS", "PostgresBackend", "QueryTooBroad", "SearchBackend", "SearchQuery", "SearchResult",
           "SearchUnavailable", "WhooshBackend", "check_cost", "clean_query", "fold", "parse_query", "structured_text"]
