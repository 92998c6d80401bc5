"""Duplicate records: find the catalogue's twin of an incoming record, and merge two records into one.

Rules, in this order (the first rules are identifiers, the last a judgement):

1. ``isbn``: an ISBN of the record (020 $a, ISBN-10 and ISBN-13 alike)
   is the catalogue record's ISBN;
2. ``lccn``: the same Library of Congress control number (010 $a,
   normalised as LC says: blanks out, the part after a hyphen padded to
   six digits);
3. ``system_number``: the same 035 $a system number (``(OCoLC)123``,
   blanks ignored);
4. ``title_author_year``: the same title, first author and year once
   folded (no diacritics, đ = d, no punctuation, lower case), as Koha's
   and Evergreen's "title + author" match points do.

``find(record)`` returns ``[Candidate]`` (each record once, under the first
rule that found it). The LCCN and 035 rules read the stored records'
MARC text with ``LIKE`` (narrowed by the number, then checked field by
field) and the title rule folds the titles of the records of the same year
in Python, so they are meant for one record at a time: the copy import,
the record page after the editor; a MARC upload keeps its own matching
(001, ISBN).

``merge(duplicate, into=keeper)`` moves every row that points at the
duplicate (copies, and with them their loans; holds; order lines; book
displays; harvest links) to the keeper, found generically from the
foreign keys to ``records.id`` so a domain added later is moved too
(rows a unique constraint would double are dropped: the keeper already
has them). The duplicate is then deleted with an OAI tombstone, and a
``RecordRedirect`` sends its OPAC page and its OAI identifier to the
keeper. A redirect that pointed at the duplicate follows it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pymarc
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.errors import Conflict
from ..common.permissions import require
from ..common.text import fold
from ..extensions import db
from ..signals import record_saved
from . import marc
from .models import Record, RecordRedirect

RULES = {
    "isbn": _l("same ISBN"),
    "lccn": _l("same LC control number (010)"),
    "system_number": _l("same system number (035)"),
    "title_author_year": _l("same title, author and year"),
}
MAX_CANDIDATES = 10
_NOT_WORD = re.compile(r"[^0-9a-z]+")


@dataclass
class Candidate:
    record: Record
    rule: str

    @property
    def label(self):
        return RULES[self.rule]


def normalise_lccn(value):
    """LC's normalisation: blanks removed, ``/`` and after dropped, ``85-2`` becomes ``85000002``."""
    text = "".join((value or "").split()).split("/")[0]
    if "-" in text:
        head, tail = text.split("-", 1)
        if tail.isdigit():
            text = head + tail.rjust(6, "0")
    return text.lower()


def _system_number(value):
    return "".join((value or "").split()).lower()


def _lccns(record):
    return {n for f in record.get_fields("010") for v in f.get_subfields("a") if (n := normalise_lccn(v))}


def _system_numbers(record):
    return {n for f in record.get_fields("035") for v in f.get_subfields("a") if (n := _system_number(v))}


def _isbns(record):
    keys = set()
    for fld in record.get_fields("020"):
        for value in fld.get_subfields("a"):
            isbn = marc.normalise_isbn(value)
            if isbn:
                keys.update(marc.isbn_variants(isbn))
    return keys


def _words(text):
    return _NOT_WORD.sub(" ", fold(text or "")).strip()


def _first_author(authors):
    return _words((authors or "").split(";")[0].split(",")[0])


def _like(fragment):
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find(record: pymarc.Record, *, exclude=None):
    """Catalogue records that may be ``record`` (see the module docstring); ``exclude``: a record id to skip."""
    found, seen = [], set()
    if exclude is not None:
        seen.add(exclude)

    def add(rows, rule):
        for row in rows:
            if row.id not in seen and len(found) < MAX_CANDIDATES:
                seen.add(row.id)
                found.append(Candidate(row, rule))

    isbns = _isbns(record)
    if isbns:
        add(db.session.scalars(sa.select(Record).where(Record.isbn.in_(sorted(isbns))).order_by(Record.id)), "isbn")
    for lccn in sorted(_lccns(record)):
        digits = re.sub(r"\D", "", lccn)
        if len(digits) < 6:
            continue
        rows = db.session.scalars(sa.select(Record).where(Record.marc.like(_like(digits[-6:]), escape="\\"))
                                  .order_by(Record.id).limit(200))
        add([r for r in rows if lccn in _lccns(marc.from_json(r.marc))], "lccn")
    for number in sorted(_system_numbers(record)):
        tail = re.split(r"\)", number)[-1][-8:]
        if len(tail) < 3:
            continue
        rows = db.session.scalars(sa.select(Record).where(Record.marc.like(_like(tail), escape="\\"))
                                  .order_by(Record.id).limit(200))
        add([r for r in rows if number in _system_numbers(marc.from_json(r.marc))], "system_number")
    columns = marc.extract(record)
    title, author = _words(columns["title"]), _first_author(columns["authors"])
    if title and author:
        # the year narrows (indexed); titles and authors are folded here, as SQL cannot fold Vietnamese
        same_year = Record.year.is_(None) if columns["year"] is None else Record.year == columns["year"]
        ids = [rid for rid, other_title, authors in db.session.execute(
                   sa.select(Record.id, Record.title, Record.authors).where(same_year).order_by(Record.id))
               if _words(other_title) == title and _first_author(authors) == author]
        if ids:
            add(db.session.scalars(sa.select(Record).where(Record.id.in_(ids[:MAX_CANDIDATES]))
                                   .order_by(Record.id)), "title_author_year")
    return found


def _pointers():
    """``(table, column)`` of every foreign key to ``records.id`` (the redirects' own last)."""
    pairs = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == Record.__tablename__ and fk.column.name == "id":
                pairs.append((table, fk.parent))
    return sorted(pairs, key=lambda pair: pair[0].name == RecordRedirect.__tablename__)


def merge(duplicate: Record, *, into: Record, actor):
    """Merge ``duplicate`` into ``into`` (see the module docstring); returns the kept record."""
    require(actor, "catalog.edit")
    if duplicate.id == into.id:
        raise Conflict(_l("A record cannot be merged into itself."))
    old_id, new_id = duplicate.id, into.id
    db.session.flush()
    for table, column in _pointers():
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint) and column.name in constraint.columns:
                others = [c for c in constraint.columns if c.name != column.name]
                twin = table.alias("twin")
                clash = sa.exists().where(twin.c[column.name] == new_id,
                                          *[twin.c[c.name] == table.c[c.name] for c in others])
                db.session.execute(sa.delete(table).where(column == old_id, clash))
        db.session.execute(sa.update(table).where(column == old_id).values({column.name: new_id}))
    db.session.expire_all()
    from . import services
    duplicate = db.session.get(Record, old_id)
    services.delete_record(duplicate, actor=actor)
    db.session.add(RecordRedirect(old_id=old_id, record_id=new_id))
    db.session.flush()
    record_saved.send(None, record_id=new_id)
    return db.session.get(Record, new_id)


def redirect_of(record_id):
    """The record a merged record's id now leads to, or ``None``."""
    return db.session.scalar(sa.select(RecordRedirect.record_id).where(RecordRedirect.old_id == record_id))


# -- the whole catalogue: what came in by any way (upload, harvest, copy, editor) -----------------------

@dataclass
class Group:
    rule: str
    records: list

    @property
    def label(self):
        return RULES[self.rule]


def report(*, limit=200):
    """Groups of records that may be one book, over the whole catalogue: same ISBN (10/13), then same folded
    title + first author + year; ``[Group]``, at most ``limit`` groups.

    Whatever way the records came in (a MARC upload keeps two records with
    different 001s apart, a harvest brings another library's numbers), this
    is where the cataloguer finds them afterwards. Two passes over narrow
    columns (id, ISBN; id, title, authors, year), grouped in Python because
    SQL cannot fold Vietnamese; the LCCN and 035 rules, which need the full
    records, are left to ``find`` on each record's page.
    """
    groups, grouped = [], set()
    by_isbn = {}
    for rid, isbn in db.session.execute(sa.select(Record.id, Record.isbn).where(Record.isbn.isnot(None))
                                        .order_by(Record.id)):
        variants = marc.isbn_variants(isbn)
        key = next((v for v in variants if len(v) == 13), variants[0] if variants else isbn)
        by_isbn.setdefault(key, []).append(rid)
    for ids in by_isbn.values():
        if len(ids) > 1:
            groups.append(("isbn", ids))
            grouped.update(ids)
    by_title = {}
    for rid, title, authors, year in db.session.execute(
            sa.select(Record.id, Record.title, Record.authors, Record.year).order_by(Record.id)):
        author = _first_author(authors)
        if author:
            by_title.setdefault((_words(title), author, year), []).append(rid)
    for ids in by_title.values():
        if len(ids) > 1 and not set(ids) <= grouped:
            groups.append(("title_author_year", ids))
    groups = groups[:limit]
    wanted = {rid for _rule, ids in groups for rid in ids}
    records = {r.id: r for r in db.session.scalars(sa.select(Record).where(Record.id.in_(wanted)))} if wanted else {}
    return [Group(rule, [records[i] for i in ids if i in records]) for rule, ids in groups]
