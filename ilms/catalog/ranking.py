"""A second look at the first hits of a relevance search: the reader's diacritics and adjacent syllables.

Both search backends fold Vietnamese (no diacritics) and weigh each word by
the field it is found in. That finds "Điện Biên" typed any way, but ranks
"thủy điện … Lò Văn Biến" (two syllables scattered over two fields, one of
them another word: Biến) with "Chuyện kể Điện Biên Phủ". A Vietnamese word is
often two or three syllables, and its diacritics are part of it, so the first
``WINDOW`` hits in the backend's order are re-ordered, as Koha and Evergreen
boost exact and phrase matches over stemmed ones, by:

1. pairs of query syllables found side by side in one field (title, or
   authors and statement of responsibility), with the diacritics as typed;
2. the same pairs side by side with diacritics aside;
3. query syllables found anywhere in those fields with the diacritics as typed;

then the backend's own order. A syllable typed without diacritics matches
any diacritics ("dien" is "điện" as much as "diên"), so a query typed
without marks is ranked by adjacency alone. Hits past the window keep the
backend's order; the window is the same for every page, so no record shows
twice or never.
"""
import functools
import re
from dataclasses import replace

import sqlalchemy as sa

from ..common.text import nfc
from ..extensions import db
from .models import Record
from .search import fold as _fold  # the index's fast fold (same result as common.text.fold)

#: How many of the backend's first hits are re-ordered: three pages of 20 (measured in benchmarks.catalog_search).
WINDOW = 60
_WORD = re.compile(r"\w+")
#: Query syntax that is not a syllable the reader wants to see: field prefixes, negations, operators.
_NOT_WORDS = re.compile(r"(?:^|\s)-\S+|\b\w+:(?=\S)|\b(?:AND|OR|NOT)\b|\S*[*?]\S*")


#: Only the start of a long field is read (titles and first authors are where the words that matter are).
FIELD_CHARS = 400


@functools.lru_cache(maxsize=50_000)
def fold(word):
    """A word without diacritics; words repeat across records and queries, so each is folded once."""
    return _fold(word)


def query_syllables(text):
    """The syllables the reader asked for, lower case NFC, in the order typed (negated words left out)."""
    return _WORD.findall(_NOT_WORDS.sub(" ", nfc(text or "")).lower())


def applies(query):
    """Relevance order, words to rank by, and a page inside the window."""
    return (query.sort == "relevance" and query.page * query.per_page <= WINDOW
            and bool(query_syllables(query.text)))


def score(syllables, fields):
    """``(pairs as typed, pairs folded, syllables as typed)`` of a record's fields (higher is better)."""
    wanted = [(syllable, fold(syllable), syllable != fold(syllable)) for syllable in syllables]
    pairs_found, words_found = {}, {}     # folded pair / word -> the forms found in the record
    for text in fields:
        words = _WORD.findall(nfc((text or "")[:FIELD_CHARS]).lower())
        plain = [fold(word) for word in words]
        for n, word in enumerate(words):
            words_found.setdefault(plain[n], set()).add(word)
            if n:
                pairs_found.setdefault((plain[n - 1], plain[n]), set()).add((words[n - 1], word))

    def as_typed(syllable, marked, found):
        return not marked or syllable == found

    typed_pairs = folded_pairs = 0
    for (first, first_plain, first_marked), (second, second_plain, second_marked) in zip(wanted, wanted[1:]):
        forms = pairs_found.get((first_plain, second_plain))
        if forms:
            folded_pairs += 1
            if any(as_typed(first, first_marked, a) and as_typed(second, second_marked, b) for a, b in forms):
                typed_pairs += 1
    typed_words = sum(1 for syllable, plain, marked in set(wanted)
                      if any(as_typed(syllable, marked, form) for form in words_found.get(plain, ())))
    return typed_pairs, folded_pairs, typed_words


def rerank(ids, text):
    """``ids`` (the backend's relevance order) re-ordered by ``score``; ties keep the backend's order."""
    syllables = query_syllables(text)
    if not ids or not syllables:
        return list(ids)
    rows = db.session.execute(sa.select(Record.id, Record.title, Record.authors, Record.responsibility)
                              .where(Record.id.in_(list(ids)))).all()
    fields = {row.id: (row.title, f"{row.authors} {row.responsibility}") for row in rows}
    ranks = {record_id: score(syllables, fields.get(record_id, ("", ""))) for record_id in ids}
    order = {record_id: n for n, record_id in enumerate(ids)}
    return sorted(ids, key=lambda record_id: (tuple(-v for v in ranks[record_id]), order[record_id]))


def search(backend, query):
    """``backend.search(query)`` with the first ``WINDOW`` hits re-ranked (see the module's docstring)."""
    if not applies(query):
        return backend.search(query)
    window = backend.search(replace(query, page=1, per_page=WINDOW))
    start = (query.page - 1) * query.per_page
    ordered = rerank(window.ids, query.text)
    return replace(window, ids=ordered[start:start + query.per_page], page=query.page, per_page=query.per_page)
