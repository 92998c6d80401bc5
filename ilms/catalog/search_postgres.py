"""Catalogue search in PostgreSQL's full text: the ``SearchBackend`` every application server shares.

Chosen with ``ILMS_SEARCH_BACKEND=postgres`` (see ``indexing.backend``): the
index is the table ``catalog_search_docs`` of the same database, so several
application servers behind a load balancer see one index, updated as soon as
a write commits, and backed up with the database.

What stays the same as with whoosh (``search.WhooshBackend``):

- Folding is done here, in Python, by ``search.fold`` (tone marks, đ→d, NFD,
  capitals), and words are cut by the same expressions as whoosh's analyzer,
  before anything reaches the database. The ``tsvector`` is written as a
  literal (``'word':position+weight``), so PostgreSQL's parser, dictionaries
  and locale play no part: ``simple`` words, exactly ours.
- Queries are parsed by the same parser (``search.parse_query``: field
  names, quoted phrases, AND by default, OR, NOT and ``-``, ``*`` prefixes)
  and the parsed tree is written as a ``tsquery``: a field is a weight
  (title A, author B, subject C, other D; ISBNs and call numbers are stored
  as ``isbn:…``/``callno:…`` words), a phrase is ``<->`` on title and author
  (the fields whoosh keeps positions for) and "all these words" elsewhere,
  a prefix is ``:*``. A mask with ``?`` or an inner ``*`` is matched as the
  prefix before its first mask character (broader than whoosh). What a
  query may cost is bounded as on whoosh (``search.check_cost``: no leading
  mask, two letters before a mask, three masked words), and every statement
  of a search runs under a ``statement_timeout`` of what is left of
  ``search.TIME_LIMIT``: a query still too slow is cancelled by the server
  and answered with ``QueryTooBroad("time")``.
- Facets are counted with ``GROUP BY`` over the filtered hits, as whoosh
  counts them; sort by relevance (``ts_rank`` with the field weights, newer
  books first on ties), title (``title_sort``, byte order) or year.
- "Did you mean": for a word found nowhere, the known words that share its
  longest prefix that exists (at least its first letter) are read from a
  few matching documents, and the nearest within two edits is taken; the
  corrected query is only offered when it finds something. No pg_trgm or
  fuzzystrmatch is needed.

Writes run in their own transaction (never in the caller's session: the
index is derived, and not audited) with ``lock_timeout`` as the write
timeout; a rebuild replaces every row in one transaction while holding an
``EXCLUSIVE`` lock, so searches read the old rows until it commits and
writes made meanwhile fail fast (their records are marked for re-indexing,
as with whoosh).
"""
from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from whoosh import query as wq

from . import search as _bounds   # TIME_LIMIT read at each call, so a lowered limit applies at once
from .search import (MAX_PAGE, POSITIONAL, QueryTooBroad, SearchQuery, SearchResult,
                     SearchUnavailable, _FOLD, check_cost, clean_query, fold, parse_query)

log = logging.getLogger(__name__)

TABLE = "catalog_search_docs"
#: The weight of each text field in the vector (and in a tsquery restricted to that field).
WEIGHTS = {"title": "A", "author": "B", "subject": "C", "other": "D"}
#: Fields stored as marked words (``isbn:9786046912345``), matched only when asked for by name or by default.
MARKED = ("isbn", "callno")
#: ts_rank's weights for {D, C, B, A}, in the proportions of whoosh's field boosts (other 1, subject 2, author 3,
#: title 4).
RANK_WEIGHTS = "{0.25, 0.5, 0.75, 1.0}"
_WORDS = re.compile(r"\w+(?:[.\-/]\w+)*")
_CALLNO = re.compile(r"[^\s]+")
#: PostgreSQL's limits: a position is at most 16383, a word at most 2046 bytes, 256 positions a word.
MAX_POSITION = 16383
MAX_WORD_BYTES = 2000
MAX_POSITIONS = 255
#: Positions skipped between fields, so a phrase never runs from one field into the next.
FIELD_GAP = 8
COLUMNS = ("record_id", "title", "author", "subject", "other", "isbn", "callno", "language", "material", "year",
           "library", "available", "title_sort")


# -- documents ---------------------------------------------------------------------------------------

def _quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _fits(word):
    return word and len(word.encode("utf-8")) <= MAX_WORD_BYTES


def _words(text):
    return _WORDS.findall(text.translate(_FOLD).lower()) if text else []


def _row(doc: dict) -> dict:
    """The document as a row: folded words per field, codes, and the ``tsvector`` literal."""
    fields = {name: _words(doc.get(name) or "") for name in WEIGHTS}
    callno = [w for w in _CALLNO.findall((doc.get("callno") or "").translate(_FOLD).lower())]
    isbn = [str(v).lower() for v in doc.get("isbn") or () if str(v).strip()]
    positions = {}
    position = 1
    for name, weight in WEIGHTS.items():
        for word in fields[name]:
            if _fits(word):
                found = positions.setdefault(word, [])
                if len(found) < MAX_POSITIONS:
                    found.append(f"{min(position, MAX_POSITION)}{weight}")
            position += 1
        position += FIELD_GAP
    lexemes = [f"{_quote(word)}:{','.join(places)}" for word, places in positions.items()]
    marked = {f"{name}:{word}" for name, words in (("isbn", isbn), ("callno", callno)) for word in words}
    lexemes.extend(_quote(word) for word in sorted(marked) if _fits(word))
    year = doc.get("year") or 0
    return {
        "record_id": int(doc["id"]),
        **{name: " ".join(words) for name, words in fields.items()},
        "isbn": " ".join(isbn),
        "callno": " ".join(callno),
        "language": (doc.get("language") or "und")[:16],
        "material": (doc.get("material") or "book")[:32],
        "year": year if 0 < year < 10000 else None,
        "library": " ".join(doc.get("library") or ()),
        "available": " ".join(doc.get("available") or ()),
        "title_sort": (doc.get("title_sort") or "")[:600],
        "vector": " ".join(lexemes),
    }


_UPSERT = sa.text(
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}, vector) "
    f"VALUES ({', '.join(':' + c for c in COLUMNS)}, CAST(:vector AS tsvector)) "
    f"ON CONFLICT (record_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*COLUMNS[1:], "vector")))
_INSERT = sa.text(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}, vector) "
                  f"VALUES ({', '.join(':' + c for c in COLUMNS)}, CAST(:vector AS tsvector))")


# -- queries -------------------------------------------------------------------------------------------

class _All:
    """Every document (whoosh's ``Every``); ``None`` stands for no document."""


ALL = _All()


def _lexeme(field, text, prefix=False):
    """One word of a field as a tsquery operand, or ``None`` when it cannot match anything."""
    text = text.lower() if field == "isbn" else text
    if field in MARKED:
        word = f"{field}:{text}"
        weight = ""
    elif field in WEIGHTS:
        word, weight = text, WEIGHTS[field]
    else:
        return None
    if not text or not _fits(word):
        return None
    return f"{_quote(word)}:{'*' if prefix else ''}{weight}" if prefix or weight else _quote(word)


def _and(parts):
    if any(p is None for p in parts):
        return None
    parts = [p for p in parts if p is not ALL]
    if not parts:
        return ALL
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


def _or(parts):
    if any(p is ALL for p in parts):
        return ALL
    parts = list(dict.fromkeys(p for p in parts if p is not None))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def _not(part):
    if part is None:
        return ALL
    if part is ALL:
        return None
    return f"!{part}"


def _terms_merged(terms):
    """Words of one text looked for in several weighted fields: ``'kieu':AB`` instead of two operands."""
    weights, rest = {}, []
    for term in terms:
        if isinstance(term, wq.Term) and term.fieldname in WEIGHTS and term.text and _fits(term.text):
            weights.setdefault(term.text, set()).add(WEIGHTS[term.fieldname])
        else:
            rest.append(term)
    merged = [f"{_quote(text)}:{''.join(sorted(ws))}" if len(ws) < 4 else _quote(text) for text, ws in weights.items()]
    return merged, rest


def tsquery(q):
    """The tsquery text of a parsed whoosh query: a string, ``ALL`` (every document) or ``None`` (none)."""
    if q is None or q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return None
    if isinstance(q, wq.Every):
        return ALL
    if isinstance(q, wq.Term):   # FuzzyTerm and Variations included: their word as it is
        return _lexeme(q.fieldname, q.text)
    if isinstance(q, wq.Prefix):
        return _lexeme(q.fieldname, q.text, prefix=True)
    if isinstance(q, wq.Wildcard):
        head = re.split(r"[*?]", q.text, maxsplit=1)[0]
        return _lexeme(q.fieldname, head, prefix=True) if head else None
    if isinstance(q, wq.Phrase):
        words = [_lexeme(q.fieldname, word) for word in q.words]
        if q.fieldname in POSITIONAL and q.slop == 1 and len(words) > 1 and all(w for w in words):
            return "(" + " <-> ".join(words) + ")"
        return _and(words)
    if isinstance(q, wq.And):
        return _and([tsquery(child) for child in q.subqueries])
    if isinstance(q, wq.Or):
        merged, rest = _terms_merged(q.subqueries)
        return _or(merged + [tsquery(child) for child in rest])
    if isinstance(q, wq.Not):
        return _not(tsquery(q.query))
    if isinstance(q, wq.AndNot):
        return _and([tsquery(q.a), _not(tsquery(q.b))])
    if isinstance(q, wq.Require):
        return _and([tsquery(q.a), tsquery(q.b)])
    if isinstance(q, wq.AndMaybe):
        return tsquery(q.a)
    return None   # ranges and the like: nothing in our fields is a range of words


def _positive(q, out):
    """The words of a query that are not negated, unweighted (ts_rank weighs them by the field they are found
    in), for ranking; negated words rank nothing."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        _positive(q.a, out)
        return
    if isinstance(q, wq.Term):
        word = f"{q.fieldname}:{q.text}" if q.fieldname in MARKED else q.text
        if _fits(word):
            out.append(_quote(word))
        return
    if isinstance(q, wq.Prefix):
        word = f"{q.fieldname}:{q.text}" if q.fieldname in MARKED else q.text
        if q.text and _fits(word):
            out.append(_quote(word) + ":*")
        return
    if isinstance(q, wq.Phrase):
        out.extend(_quote(word) for word in q.words if _fits(word))
        return
    for child in q.children() if hasattr(q, "children") else ():
        _positive(child, out)


# -- the backend -----------------------------------------------------------------------------------------

class PostgresBackend:
    """The search index as a table of the PostgreSQL database (``catalog_search_docs``)."""

    def __init__(self, engine):
        self.engine = engine

    # -- connections --------------------------------------------------------------------------------------

    @contextmanager
    def _writing(self, timeout, what="written"):
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.text(f"SET LOCAL lock_timeout = '{max(1, int(timeout * 1000))}ms'"))
                yield connection
        except DBAPIError as error:   # lock_timeout, a lost connection...
            raise SearchUnavailable(f"the search index could not be {what}: {error.orig or error}") from error

    @contextmanager
    def _reading(self, limit=None):
        """A connection for reading; with ``limit`` (seconds) its statements are bounded together: see
        ``_bounded``. A statement cancelled for its time is ``QueryTooBroad("time")``."""
        try:
            with self.engine.connect() as connection:
                if limit is not None:
                    connection.info["search_deadline"] = time.monotonic() + limit
                try:
                    yield connection
                finally:
                    connection.info.pop("search_deadline", None)
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) == "57014":   # query_canceled: statement_timeout
                raise QueryTooBroad("time") from error
            log.warning("search index not readable: %s", error)
            raise SearchUnavailable(f"the search index cannot be read: {error.orig or error}") from error

    # -- writing --------------------------------------------------------------------------------------------

    def index(self, documents, *, timeout=2.0) -> int:
        """Add or replace documents (by ``id``), in one transaction."""
        rows = [_row(doc) for doc in documents]
        if not rows:
            return 0
        with self._writing(timeout) as connection:
            for start in range(0, len(rows), 500):
                connection.execute(_UPSERT, rows[start:start + 500])
        return len(rows)

    def remove(self, record_ids, *, timeout=2.0):
        ids = sorted({int(i) for i in record_ids})
        if not ids:
            return
        with self._writing(timeout) as connection:
            for start in range(0, len(ids), 1000):
                connection.execute(sa.text(f"DELETE FROM {TABLE} WHERE record_id = ANY(:ids)"),
                                   {"ids": ids[start:start + 1000]})

    @contextmanager
    def bulk(self, *, timeout=10.0, parallel=False):
        """A writer for a long import: ``add``, ``flush``, ``done_ids``, ``close``, ``cancel``.

        ``parallel`` is accepted and ignored: the work is the database
        server's, in its own process already.
        """
        writer = _BulkWriter(self, timeout)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise

    def rebuild(self, documents, *, progress=None) -> int:
        """Replace every document in one transaction: searches see the old ones until it commits.

        The table is locked ``EXCLUSIVE`` meanwhile (reads go on, writes
        wait ``lock_timeout`` and fail), so a change made during the rebuild
        is marked for re-indexing by the caller rather than lost.
        """
        count = 0
        with self._writing(timeout=10.0, what="rebuilt") as connection:
            connection.execute(sa.text(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE"))
            connection.execute(sa.text("SET LOCAL lock_timeout = 0"))
            connection.execute(sa.text(f"DELETE FROM {TABLE}"))
            batch = []
            for doc in documents:
                batch.append(_row(doc))
                count += 1
                if len(batch) >= 500:
                    connection.execute(_INSERT, batch)
                    batch = []
                if progress and count % 1000 == 0:
                    progress(count)
            if batch:
                connection.execute(_INSERT, batch)
        return count

    def count(self) -> int:
        with self._reading() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar_one()

    def exists(self) -> bool:
        """Built: it holds documents, or there is nothing to index yet."""
        with self._reading() as connection:
            return bool(connection.execute(sa.text(
                f"SELECT EXISTS (SELECT 1 FROM {TABLE}) OR NOT EXISTS (SELECT 1 FROM records)")).scalar_one())

    # -- searching ---------------------------------------------------------------------------------------------

    def holdings(self, record_ids) -> dict:
        """``{id: (library codes, codes with a copy on the shelf)}`` as the index has them now."""
        ids = sorted({int(i) for i in record_ids})
        if not ids:
            return {}
        with self._reading() as connection:
            rows = connection.execute(sa.text(f"SELECT record_id, library, available FROM {TABLE} "
                                              "WHERE record_id = ANY(:ids)"), {"ids": ids}).all()
        return {rid: (tuple(library.split()), tuple(available.split())) for rid, library, available in rows}

    def ids(self, query: SearchQuery) -> list:
        """Every record id the query (with its filters) finds, in id order."""
        plan = _plan(query)
        if plan is None:
            return []
        where, params = plan
        with self._reading(limit=5 * _bounds.TIME_LIMIT if params.get("q") else None) as connection:
            return list(_bounded(connection, sa.text(f"SELECT record_id FROM {TABLE} d WHERE {where} "
                                                     "ORDER BY record_id"), params).scalars())

    def search(self, query: SearchQuery) -> SearchResult:
        per_page = max(1, min(query.per_page, 100))
        page = max(1, min(query.page, MAX_PAGE))
        text = clean_query(query.text)
        plan = _plan(query, text)
        if plan is None:
            return SearchResult(ids=[], total=0, page=page, per_page=per_page,
                                suggestion=self._suggest(text) if text else None)
        where, params = plan
        with self._reading(limit=_bounds.TIME_LIMIT) as connection:
            total = _bounded(connection, sa.text(f"SELECT count(*) FROM {TABLE} d WHERE {where}"), params).scalar_one()
            facets = {}
            if query.facets and total:
                facets = self._facets(connection, where, params)
            ids = []
            if total:
                order = self._order(query.sort, text, params)
                ids = list(_bounded(connection, sa.text(
                    f"SELECT record_id FROM {TABLE} d WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"),
                    {**params, "limit": per_page, "offset": (page - 1) * per_page}).scalars())
        suggestion = self._suggest(text) if total == 0 and text else None
        return SearchResult(ids=ids, total=total, facets=facets, suggestion=suggestion, page=page,
                            per_page=per_page)

    @staticmethod
    def _facets(connection, where, params):
        facets = {}
        for name in ("language", "material"):
            rows = _bounded(connection, sa.text(f"SELECT {name}, count(*) FROM {TABLE} d WHERE {where} "
                                              f"GROUP BY {name}"), params).all()
            facets[name] = sorted(((v, c) for v, c in rows if v), key=lambda vc: (-vc[1], vc[0]))
        rows = _bounded(connection, sa.text(
            f"SELECT code, count(*) FROM {TABLE} d, unnest(string_to_array(d.library, ' ')) AS code "
            f"WHERE {where} AND code <> '' GROUP BY code"), params).all()
        facets["library"] = sorted(rows, key=lambda vc: (-vc[1], vc[0]))
        rows = _bounded(connection, sa.text(f"SELECT d.year - d.year % 10 AS decade, count(*) FROM {TABLE} d "
                                          f"WHERE {where} AND d.year > 0 GROUP BY decade"), params).all()
        facets["decade"] = sorted(((d, c) for d, c in rows), reverse=True)
        available = _bounded(connection, sa.text(f"SELECT count(*) FROM {TABLE} d WHERE {where} "
                                                "AND d.available <> ''"), params).scalar_one()
        facets["available"] = [("any", available)]
        for name in ("language", "material", "library"):
            facets[name] = [tuple(vc) for vc in facets[name]]
        facets["decade"] = [tuple(dc) for dc in facets["decade"]]
        return facets

    @staticmethod
    def _order(sort, text, params):
        if sort == "title":
            return "d.title_sort, d.record_id"
        if sort == "year_asc":
            return "d.year ASC NULLS LAST, d.record_id"
        if sort == "relevance" and params.get("rank"):
            return (f"ts_rank(CAST('{RANK_WEIGHTS}' AS float4[]), d.vector, CAST(:rank AS tsquery)) DESC, "
                    "d.year DESC NULLS LAST, d.record_id")
        return "d.year DESC NULLS LAST, d.record_id"

    # -- did you mean ----------------------------------------------------------------------------------------

    def _suggest(self, text):
        """A corrected query that finds something, word by word (see the module's docstring)."""
        words = re.findall(r"\w+", fold(re.sub(r"\b\w+:", " ", text)))
        if not words or len(words) > 8:
            return None
        try:
            with self._reading() as connection:
                out, changed = [], False
                for word in words:
                    if _known(connection, word):
                        out.append(word)
                        continue
                    best = _nearest(connection, word)
                    if best is None:
                        return None
                    out.append(best)
                    changed = True
                if not changed:
                    return None
                suggestion = " ".join(out)
                plan = _plan(SearchQuery(text=suggestion))
                if plan is None:
                    return None
                where, params = plan
                found = connection.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {TABLE} d WHERE {where})"),
                                           params).scalar_one()
        except SearchUnavailable:
            return None
        return suggestion if found else None


def _bounded(connection, statement, params=None):
    """Execute ``statement`` with a ``statement_timeout`` of the time left before the connection's deadline
    (set by ``_reading(limit=...)``), so a search's statements together stay within it."""
    deadline = connection.info.get("search_deadline")
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise QueryTooBroad("time")
        connection.execute(sa.text(f"SET LOCAL statement_timeout = {max(1, int(left * 1000))}"))
    return connection.execute(statement, params or {})


def _known(connection, word):
    return connection.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {TABLE} WHERE vector @@ CAST(:q AS tsquery))"),
                              {"q": _quote(word)}).scalar_one()


def _edits(a, b):
    """Levenshtein distance (words are short)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _nearest(connection, word, sample=200):
    """The known title, author or subject word nearest ``word`` (at most two edits), sharing its first letter."""
    for length in range(min(len(word), 12), 0, -1):
        prefix = word[:length]
        rows = connection.execute(sa.text(
            f"SELECT t.lexeme, count(*) FROM (SELECT vector FROM {TABLE} "
            "WHERE vector @@ CAST(:q AS tsquery) LIMIT :sample) d, unnest(d.vector) AS t "
            "WHERE t.lexeme LIKE :like AND t.weights && ARRAY['A', 'B', 'C'] GROUP BY t.lexeme"),
            {"q": f"{_quote(prefix)}:*ABC", "sample": sample,
             "like": prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"}).all()
        if not rows:
            continue
        scored = sorted((_edits(word, lexeme), -freq, lexeme) for lexeme, freq in rows
                        if abs(len(lexeme) - len(word)) <= 2)
        if scored and scored[0][0] <= 2:
            return scored[0][2]
        return None
    return None


def _plan(query: SearchQuery, text=None):
    """``(WHERE clause over alias d, parameters)`` for the query and its filters, or ``None`` when nothing can match."""
    text = clean_query(query.text) if text is None else text
    conditions, params = [], {}
    if text:
        parsed = parse_query(text)
        check_cost(parsed)
        found = tsquery(parsed)
        if found is None:
            return None
        if found is not ALL:
            conditions.append("d.vector @@ CAST(:q AS tsquery)")
            params["q"] = found
            positive = []
            _positive(parsed, positive)
            if positive:
                params["rank"] = " | ".join(dict.fromkeys(positive))
    if query.language:
        conditions.append("d.language = :language")
        params["language"] = query.language
    if query.material:
        conditions.append("d.material = :material")
        params["material"] = query.material
    if query.library:
        conditions.append(":library = ANY(string_to_array(d.library, ' '))")
        params["library"] = query.library
    if query.available:
        conditions.append("d.available <> ''")
    if query.year_from or query.year_to:
        conditions.append("d.year BETWEEN :year_from AND :year_to")
        params.update(year_from=query.year_from or 1, year_to=query.year_to or 9999)
    return (" AND ".join(conditions) or "TRUE"), params


class _BulkWriter:
    """Bulk indexing for an import: documents gathered, written and committed at each ``flush``."""

    def __init__(self, backend, timeout):
        self.backend = backend
        self.timeout = timeout
        self.pending = []
        self.done = []

    def add(self, documents):
        self.pending.extend(documents)

    def flush(self):
        if not self.pending:
            return
        documents, self.pending = self.pending, []
        self.backend.index(documents, timeout=self.timeout)
        self.done.extend(doc["id"] for doc in documents)

    def done_ids(self):
        done, self.done = self.done, []
        return done

    def close(self):
        self.flush()
        return self.done_ids()

    def cancel(self):
        self.pending = []


__all__ = ["PostgresBackend", "tsquery"]
