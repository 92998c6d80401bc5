"""Importing MARC files into the catalogue: streamed, matched, in transactional batches, indexed in bulk.

A file is read one record at a time (``marcio``) and stored in batches. A
batch is one database transaction: its records (and, with ``items``, their
copies) are all there or none are, so an import killed half way leaves only
whole batches and simply runs again: records are matched by their 001, then
by ISBN, and updated rather than duplicated.

Matching, exactly:

- a record whose 001 is in the catalogue (or earlier in the file) updates it;
- a record with a new 001 updates a catalogue record that has its ISBN and
  no 001 and was there before this import (a minimal record made when the
  book was ordered); otherwise it is a new record: two different 001s are two
  records even with one ISBN (editions, bindings, several sources);
- a record without 001 updates the oldest catalogue record with its ISBN,
  or the earlier record of the file with it, and takes that record's 001;
- a record with neither is the same as an identical record (same content)
  already imported, so running a file again never doubles anything.

A record repeated later in the same file replaces the earlier one; the
summary counts it as "repeated".

Search: every stored record is marked ``needs_reindex`` inside its batch
and indexed through one bulk writer; the mark is cleared when the index
has it. A kill between the two leaves the mark, and the next import or
``flask catalog reindex --pending`` finishes the work.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from pymarc import Field

from ..common.barcodes import is_valid_barcode, normalise_barcode
from ..common.dbtypes import NFCLongText, NFCText, SortKey
from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..common.text import fold, sort_key
from ..common.time import local_today
from ..extensions import db
from ..org.models import Institution
from . import authorities, indexing, marc, marcio
from .models import AcquisitionSource, Item, ItemStatus, Record

#: Problems kept in full; beyond this only counted (a broken 100,000-record file must not fill memory).
MAX_PROBLEMS = 1000
BATCH_SIZE = 500
#: Records per whoosh segment during an import (a segment this size is built in memory, without spilling).
INDEX_FLUSH = 10000

_PRICE = re.compile(r"\d[\d.,]*")
_SOURCE_WORDS = {
    AcquisitionSource.DONATION: ("donat", "gift", "tang", "bieu", "xa hoi hoa"),
    AcquisitionSource.LEGAL_DEPOSIT: ("legal deposit", "luu chieu", "deposit"),
    AcquisitionSource.EXCHANGE: ("exchange", "trao doi"),
    AcquisitionSource.TRANSFER: ("transfer", "dieu chuyen", "chuyen giao"),
}


@dataclass
class Problem:
    """What happened to one record: ``message`` may be a list of (translatable) remarks."""

    number: int
    offset: int
    message: object
    kind: str = "skipped"        # skipped (the record) | warning (imported, with a remark) | copy

    @property
    def text(self):
        if isinstance(self.message, (list, tuple)):
            return "; ".join(str(m) for m in self.message)
        return str(self.message)

    def as_dict(self):
        return {"number": self.number, "offset": self.offset, "message": self.text, "kind": self.kind}

    def __str__(self):
        return str(_l("record %(number)d (byte %(offset)d): %(message)s", number=self.number, offset=self.offset,
                      message=self.text))


@dataclass
class ImportSummary:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: int = 0            # the same record again later in the file (the later one is kept)
    skipped: int = 0
    warnings: int = 0
    copies_created: int = 0
    copies_skipped: int = 0
    problems: list = field(default_factory=list)
    problems_dropped: int = 0
    indexed: bool = True

    def add_problem(self, problem: Problem):
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.problems_dropped += 1

    def as_dict(self):
        return {k: getattr(self, k) for k in ("read", "created", "updated", "unchanged", "repeated", "skipped",
                                              "warnings",
                                              "copies_created", "copies_skipped", "problems_dropped", "indexed")}


@dataclass
class _Incoming:
    parsed: marcio.ParsedRecord
    columns: dict
    json: str
    target: object = None          # (id, marc) of the catalogue's twin, or the earlier _Incoming it repeats
    new_id: int | None = None
    renumbered: bool = False       # got the 001 of the record it updates


class MarcImporter:
    """Import parsed records (``marcio.ParsedRecord``) into the catalogue.

    ``institution``: the default owner of copies made from 852/952 fields
    (``items=True``). ``progress(summary)`` is called after every batch.
    """

    def __init__(self, *, institution=None, items=False, actor=SYSTEM, batch_size=BATCH_SIZE, progress=None,
                 index_flush=INDEX_FLUSH, parallel=False, on_stored=None, link_authorities=True):
        self.institution = institution
        self.items = items
        self.actor = actor
        self.batch_size = batch_size
        self.progress = progress
        self.index_flush = index_flush
        self.summary = ImportSummary()
        self.parallel = parallel
        #: ``on_stored([(parsed, record id, created)])`` runs inside each batch's transaction (OAI harvests
        #: remember where each record came from, all or nothing with the records)
        self.on_stored = on_stored
        #: link the records' 1XX/6XX/7XX headings to authorities (``authorities.link_records``), in each
        #: batch's transaction; the authorities are read once per run
        self.link_authorities = link_authorities
        self._authority_index = None
        self._institutions = None
        self._since_flush = 0
        self._bulk = None
        #: ids of catalogue records this run matched, and the first id it created (ids only grow): to tell
        #: a record repeated within the file from an update, without keeping every created id
        self._matched_ids = set()
        self._first_created = None

    # -- the run ----------------------------------------------------------------------------

    def run(self, parsed_records):
        summary = self.summary
        search = indexing.backend()
        try:
            with search.bulk(timeout=indexing.write_timeout() * 5, parallel=self.parallel) as bulk:
                self._bulk = bulk
                self._feed(parsed_records)
                if self._bulk is not None:
                    indexing.clear_flags(self._bulk.close(), session=db.session)
                    db.session.commit()
        except indexing.SearchUnavailable:
            # the records are stored and marked; the index catches up later
            summary.indexed = False
        self._bulk = None
        if summary.indexed:
            indexing.catch_up()
        return summary

    def _feed(self, parsed_records):
        batch = []
        for parsed in parsed_records:
            self.summary.read += 1
            if not parsed.ok:
                self.summary.skipped += 1
                self.summary.add_problem(Problem(parsed.number, parsed.offset, parsed.problem))
                continue
            if parsed.warnings:
                self.summary.warnings += 1
                self.summary.add_problem(Problem(parsed.number, parsed.offset, list(parsed.warnings),
                                                 kind="warning"))
            batch.append(parsed)
            if len(batch) >= self.batch_size:
                self._store(batch)
                batch = []
        if batch:
            self._store(batch)

    # -- one batch, one transaction --------------------------------------------------------------

    def _store(self, batch):
        incoming = []
        for parsed in batch:
            try:
                columns = marc.extract(parsed.record)
            except (ValueError, TypeError, AttributeError, IndexError) as error:
                self._skip(parsed, _l("the record's fields could not be read (%(error)s)", error=error))
                continue
            number = columns["control_number"]
            if number and len(number) > 64:
                self._skip(parsed, _l("its control number (001) is longer than 64 characters"))
                continue
            incoming.append(_Incoming(parsed, columns, marc.to_json(parsed.record)))
        self._match(incoming)
        for item in incoming:
            if item.renumbered:
                item.json = marc.to_json(item.parsed.record)
        for item in incoming:       # the same record twice in one file: the later one wins
            canon = item.target
            if isinstance(canon, _Incoming):
                self.summary.repeated += 1
                canon.parsed, canon.columns, canon.json = item.parsed, item.columns, item.json

        inserts, updates, stored = [], [], []
        for item in incoming:
            target = item.target
            if isinstance(target, _Incoming):
                continue
            item.columns["title_sort"] = sort_key(item.columns["title"])[:600]
            row = dict(item.columns, marc=item.json, fingerprint=marc.fingerprint(item.json), needs_reindex=True)
            if target is None:
                inserts.append((item, row))
                continue
            item.new_id = target[0]
            if self._stored_in_run(target[0]):     # stored earlier in this run: the file repeats it
                self.summary.repeated += 1
            elif target[1] == item.json:
                self.summary.unchanged += 1
            else:
                self.summary.updated += 1
            if target[1] != item.json:
                row["id"] = target[0]
                updates.append(row)
                stored.append(item)
            elif self.items:
                stored.append(item)
        try:
            if inserts:
                ids = _insert_records([row for _item, row in inserts])
                for (item, _row), new_id in zip(inserts, ids):
                    item.new_id = new_id
                    stored.append(item)
                self.summary.created += len(inserts)
            if updates:
                _update_records(updates)
            self._link([item for item in stored if item.target is None or item.json != item.target[1]])
            with_copies = self._make_copies(stored) if self.items else set()
            if self.on_stored is not None:
                self.on_stored([(item.parsed, item.new_id, item.target is None) for item in incoming
                                if not isinstance(item.target, _Incoming) and item.new_id is not None])
            # the bulk writer below indexes these records; the commit hook need not
            db.session.info.pop(indexing.PENDING, None)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        if inserts and self._first_created is None:
            self._first_created = min(item.new_id for item, _row in inserts)
        self._matched_ids.update(item.target[0] for item in incoming if isinstance(item.target, tuple))
        changed = [item for item in stored if item.target is None or item.json != item.target[1]
                   or item.new_id in with_copies]
        self._index(changed, with_copies)
        if self.progress:
            self.progress(self.summary)

    def _stored_in_run(self, record_id):
        return record_id in self._matched_ids or (self._first_created is not None
                                                   and record_id >= self._first_created)

    def _skip(self, parsed, message):
        self.summary.skipped += 1
        self.summary.add_problem(Problem(parsed.number, parsed.offset, message))

    def _match(self, incoming):
        """Find each record's twin in the catalogue or earlier in the batch (see the module docstring).

        ``target`` becomes ``(id, marc, 001)`` of a catalogue record, or the
        earlier item of the batch that this one repeats. A catalogue record
        claimed by an earlier item of the batch makes later items repeats of
        that item, so each record is written once per batch.
        """
        numbers = {i.columns["control_number"] for i in incoming if i.columns["control_number"]}
        by_number = {}
        for chunk in _chunks(sorted(numbers)):
            for rid, number, text in db.session.execute(
                    sa.select(Record.id, Record.control_number, Record.marc).where(Record.control_number.in_(chunk))):
                by_number[number] = (rid, text, number)
        isbns = set()
        for i in incoming:
            if i.columns["isbn"] and i.columns["control_number"] not in by_number:
                isbns.update(marc.isbn_variants(i.columns["isbn"]))
        by_isbn = {}
        for chunk in _chunks(sorted(isbns)):
            for rid, number, isbn, text in db.session.execute(
                    sa.select(Record.id, Record.control_number, Record.isbn, Record.marc)
                    .where(Record.isbn.in_(chunk)).order_by(Record.id)):
                by_isbn.setdefault(isbn, []).append((rid, text, number))
        prints = {marc.fingerprint(i.json) for i in incoming if not i.columns["control_number"]}
        by_print = {}
        for chunk in _chunks(sorted(prints)):
            for rid, text, print_ in db.session.execute(
                    sa.select(Record.id, Record.marc, Record.fingerprint).where(Record.fingerprint.in_(chunk))
                    .order_by(Record.id)):
                by_print.setdefault(print_, (rid, text, None))
        claimed, seen_number, seen_isbn, seen_print = {}, {}, {}, {}
        for item in incoming:
            number = item.columns["control_number"]
            keys = marc.isbn_variants(item.columns["isbn"]) if item.columns["isbn"] else []
            target = None
            if number:
                target = seen_number.get(number) or by_number.get(number)
                if target is None:
                    # an ISBN finds a catalogue record without 001 made before this run (a minimal record)
                    target = next((row for key in keys for row in by_isbn.get(key, ())
                                   if not row[2] and not self._stored_in_run(row[0])), None)
            else:
                for key in keys:   # the catalogue's oldest record with the ISBN, else one earlier in the batch
                    target = (by_isbn[key][0] if by_isbn.get(key) else None) or seen_isbn.get(key)
                    if target is not None:
                        break
                if target is None:
                    print_ = marc.fingerprint(item.json)
                    target = seen_print.get(print_) or by_print.get(print_)
            if isinstance(target, tuple) and target[0] in claimed:
                target = claimed[target[0]]
            if not number and target is not None:
                other = target[2] if isinstance(target, tuple) else target.columns["control_number"]
                if other:
                    _keep_control_number(item, other)
            item.target = target
            if isinstance(target, _Incoming):
                continue
            if isinstance(target, tuple):
                claimed[target[0]] = item
            if item.columns["control_number"]:
                seen_number.setdefault(item.columns["control_number"], item)
            for key in keys:
                seen_isbn.setdefault(key, item)
            if not number:
                seen_print.setdefault(marc.fingerprint(item.json), item)

    # -- copies from holdings fields ---------------------------------------------------------------

    def _institution(self, code):
        if self._institutions is None:
            self._institutions = {inst.code.upper(): inst for inst in db.session.scalars(sa.select(Institution))}
        return self._institutions.get((code or "").strip().upper())

    def _make_copies(self, stored):
        """Copies from 952 (Koha) and 852 (MARC holdings) fields; returns the ids of records that got copies."""
        got = set()
        for item in stored:
            record = db.session.get(Record, item.new_id)
            holdings = [f for f in item.parsed.record.get_fields("952", "852")]
            if not holdings:
                continue
            existing_barcodes = set(db.session.scalars(sa.select(Item.barcode).where(Item.record_id == record.id)))
            existing_places = set(db.session.scalars(sa.select(Item.institution_id)
                                                     .where(Item.record_id == record.id)))
            for fld in holdings:
                try:
                    made = self._copy_from(record, fld, existing_barcodes, existing_places)
                except DomainError as error:
                    self.summary.copies_skipped += 1
                    self.summary.add_problem(Problem(
                        item.parsed.number, item.parsed.offset,
                        _l("copy in field %(tag)s: %(message)s", tag=fld.tag, message=error.message), kind="copy"))
                    continue
                if made:
                    self.summary.copies_created += 1
                    got.add(record.id)
        return got

    def _copy_from(self, record, fld, existing_barcodes, existing_places):
        from . import services
        koha = fld.tag == "952"

        def first(*codes):
            return next((v.strip() for v in fld.get_subfields(*codes) if v.strip()), "")

        code = first("a", "b")
        if not (first("p") or first("a", "b", "o") if koha else first("a", "b", "h", "p")):
            raise DomainError(_l("the field names no library, call number or barcode; no copy was made."))
        institution = self._institution(code) or self.institution
        if institution is None:
            raise DomainError(_l("the copy belongs to “%(code)s”, which is not a library of the network; "
                                 "import with --institution to say whose copies these are.", code=code or "—"))
        if koha and first("0") not in ("", "0"):
            raise DomainError(_l("a withdrawn copy is not imported."))
        barcode = normalise_barcode(first("p"))
        if barcode:
            if barcode in existing_barcodes:
                return False
            if not is_valid_barcode(barcode):
                raise DomainError(_l("“%(barcode)s” is not a usable barcode (letters, digits, - . /).",
                                     barcode=barcode))
            taken = db.session.scalar(sa.select(Item.record_id).where(Item.barcode == barcode))
            if taken is not None:
                raise DomainError(_l("the barcode %(barcode)s already belongs to a copy of another record.",
                                     barcode=barcode))
        elif institution.id in existing_places:
            return False   # copies without barcodes already made for this library (a re-run)
        accessioned = _date(first("d")) if koha else None
        status = ItemStatus.LOST if koha and first("1") not in ("", "0") else ItemStatus.AVAILABLE
        call_number = first("o") if koha else " ".join(v for v in fld.get_subfields("h", "i") if v.strip())
        savepoint = db.session.begin_nested()
        try:
            made = services.add_copies(
                record, institution=institution, actor=self.actor, source=_source(first("e") if koha else ""),
                accessioned=accessioned or local_today(), barcodes=[barcode] if barcode else None,
                price=_price(first("g") if koha else first("9")), shelf=first("c"),
                call_number=call_number or None, status=status,
                note=first("z"))
        except DomainError:
            savepoint.rollback()
            raise
        savepoint.commit()
        existing_barcodes.update(i.barcode for i in made)
        existing_places.add(institution.id)
        return True

    def _link(self, changed):
        if not self.link_authorities or not changed:
            return
        if self._authority_index is None:
            self._authority_index = authorities.AuthorityIndex(preload=True)
        authorities.link_records([(item.new_id, item.parsed.record) for item in changed], self._authority_index)

    # -- search index -----------------------------------------------------------------------------

    def _index(self, stored, with_copies):
        if not stored or self._bulk is None:
            return
        holdings = indexing.holdings_codes([i.new_id for i in stored if i.new_id in with_copies])
        variants = authorities.variants_for([i.new_id for i in stored]) if self.link_authorities else {}
        docs = []
        for item in stored:
            owners, available = holdings.get(item.new_id, ((), ()))
            doc = indexing.document(item.new_id, item.parsed.record, item.columns, owners, available,
                                    variants.get(item.new_id))
            doc["new"] = item.target is None
            docs.append(doc)
        try:
            self._bulk.add(docs)
            self._since_flush += len(docs)
            if self._since_flush >= self.index_flush:
                self._bulk.flush()
                self._since_flush = 0
            indexing.clear_flags(self._bulk.done_ids(), session=db.session)
        except indexing.SearchUnavailable:
            self._bulk.cancel()
            self._bulk = None
            self.summary.indexed = False


_PLAIN = {}


def _plain_records():
    """``records`` with its text columns as plain strings.

    The import's values are NFC and trimmed already (``marcio`` and
    ``marc.extract`` make them so); the per-value clean-up of the NFC column
    types would only repeat that work, ten columns a record.
    """
    table = _PLAIN.get("records")
    if table is None:
        table = Record.__table__.to_metadata(sa.MetaData())
        for column in table.columns:
            if isinstance(column.type, (NFCText, NFCLongText, SortKey)):
                column.type = column.type.impl
        _PLAIN["records"] = table
    return table


def _insert_records(rows):
    """Insert rows, returning their new ids in order.

    On SQLite new ids come after the largest one, in insertion order, and
    the import's transaction holds the write lock: a plain executemany (much
    faster than RETURNING row by row) and one query give the ids. Other
    databases use RETURNING.
    """
    table = _plain_records()
    if db.session.get_bind().dialect.name == "sqlite":
        last = db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0
        db.session.execute(sa.insert(table), rows)
        ids = list(db.session.scalars(sa.select(table.c.id).where(table.c.id > last).order_by(table.c.id)))
    else:
        ids = list(db.session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    if len(ids) != len(rows):
        raise RuntimeError(f"inserted {len(rows)} records but found {len(ids)} new ids")
    return ids


def _update_records(rows):
    table = _plain_records()
    params = [{("record_id" if key == "id" else key): value for key, value in row.items()} for row in rows]
    db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("record_id")), params)


def _keep_control_number(item, number):
    """A record without 001 that updates one with a 001 keeps that number."""
    item.parsed.record.add_ordered_field(Field(tag="001", data=number))
    item.columns["control_number"] = number
    item.renumbered = True


def _chunks(values, size=500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _date(text):
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def _price(text):
    match = _PRICE.search(text or "")
    if not match:
        return None
    digits = match.group(0).replace(",", "")
    try:
        return max(0, int(round(float(digits))))
    except ValueError:
        return None


def _source(text):
    folded = fold(text or "")
    for source, words in _SOURCE_WORDS.items():
        if any(w in folded for w in words):
            return source
    return AcquisitionSource.PURCHASE


def import_path(path, **options):
    """Import one file (ISO 2709 or MARCXML, detected); returns the summary.

    Files above ``CATALOG_PARALLEL_INDEX_BYTES`` (1 MB) are indexed by a
    child process while this one parses and stores.
    """
    from flask import current_app
    threshold = int(current_app.config.get("CATALOG_PARALLEL_INDEX_BYTES", 1 << 20))
    options.setdefault("parallel", os.path.getsize(path) > threshold)
    with open(path, "rb") as fh:
        return MarcImporter(**options).run(marcio.read_file(fh))
