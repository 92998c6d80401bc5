"""Catalogue rules: records from MARC, copies with numbered barcodes, accession entries, item status."""
import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.barcodes import is_valid_barcode, normalise_barcode
from ..common.db import valid_id
from ..common.errors import Conflict, DomainError, NotFound, PermissionDenied
from ..common.permissions import require
from ..common.text import clean
from ..common.time import local_today
from ..extensions import db
from ..org.models import Institution
from ..signals import data_changed, items_changed, record_deleted, record_saved
from . import authorities, marc, marcedit
from .models import (ITEM_TRANSITIONS, AcquisitionSource, Accession, BarcodeSequence, Item, ItemStatus,
                     MaterialType, Record, WithdrawalReason)

BARCODE_DIGITS = 6


def get_record(record_id):
    record = db.session.get(Record, record_id)
    if record is None:
        raise NotFound(_l("This catalogue record does not exist."))
    return record


def item_by_barcode(barcode, *, required=True):
    code = normalise_barcode(barcode)
    item = db.session.scalar(sa.select(Item).where(Item.barcode == code)) if code else None
    if item is None and required:
        raise NotFound(_l("No copy has the barcode %(barcode)s. Check the label, or scan it again.",
                          barcode=code or "—"), code="unknown_item")
    return item


def require_copy_rights(actor, institution):
    """Adding or changing copies: cataloguers, and acquisitions staff when receiving."""
    if not (actor.can("catalog.edit", institution) or actor.can("acquisitions.edit", institution)):
        if actor.can("catalog.edit") or actor.can("acquisitions.edit"):
            raise PermissionDenied(_l("You can only change copies of your own institution; %(name)s is not yours.",
                                      name=institution.name))
        raise PermissionDenied()


# -- records -------------------------------------------------------------------

def apply_marc(record: Record, marc_record):
    """Store ``marc_record`` in ``record`` and refresh the extracted columns."""
    for key, value in marc.extract(marc_record).items():
        setattr(record, key, value)
    record.marc = marc.to_json(marc_record)
    record.fingerprint = marc.fingerprint(record.marc)
    return record


def save_record(marc_record, *, record=None):
    """Create (or update ``record``) from a pymarc record; signals ``record_saved`` for the search index."""
    fields = marc.extract(marc_record)
    if fields["control_number"]:
        clash = db.session.scalar(sa.select(Record.id).where(
            Record.control_number == fields["control_number"], Record.id != (record.id if record else -1)))
        if clash:
            raise Conflict(_l("Another record already has the control number %(number)s.",
                              number=fields["control_number"]), field="control_number")
    if record is None:
        record = Record()
        db.session.add(record)
    apply_marc(record, marc_record)
    db.session.flush()
    authorities.link_records([(record.id, marc_record)])
    record_saved.send(record, record_id=record.id)
    return record


def create_minimal_record(*, title, isbn=None, authors=(), publisher=None, place=None, year=None,
                          language="vie", classification=None):
    """A record with just the essentials (acquisitions, imports of copies by title)."""
    title = clean(title)
    if not title:
        raise DomainError(_l("A record needs a title."), field="title")
    return save_record(marc.build_minimal(title=title, isbn=isbn, authors=authors, publisher=publisher,
                                          place=place, year=year, language=language,
                                          classification=classification))


def create_record(*, actor, marc_record=None, form=None):
    """A new record from the simple form's values (``form``) or a whole MARC record; any librarian may."""
    require(actor, "catalog.edit")
    if marc_record is None:
        marc_record = marcedit.apply_form(None, form or {})
    return save_record(marc_record)


def update_record(record, *, actor, marc_record=None, form=None):
    """Change a record: the shared catalogue is edited by librarians of every library."""
    require(actor, "catalog.edit")
    if marc_record is None:
        marc_record = marcedit.apply_form(marc.from_json(record.marc), form or {})
    return save_record(marc_record, record=record)


def delete_record(record, *, actor):
    """Delete a record that has no copies (withdrawn copies stay, for the statistics, and so does the record).

    An OAI-PMH tombstone stays in its place, so harvesters learn of the deletion.
    """
    require(actor, "catalog.edit")
    copies = db.session.scalar(sa.select(sa.func.count(Item.id)).where(Item.record_id == record.id))
    if copies:
        raise Conflict(_l("This record still has %(n)d copies (withdrawn copies count: they are kept for the "
                          "statistics). Only a record without copies can be deleted.", n=copies))
    record_id = record.id
    from . import oai
    from .models import HarvestedRecord
    oai.bury(record)   # harvesters learn of the deletion
    db.session.execute(sa.delete(HarvestedRecord).where(HarvestedRecord.record_id == record_id))
    db.session.delete(record)
    db.session.flush()
    record_deleted.send(None, record_id=record_id)


def records_by_ids(ids):
    """Records in the order of ``ids`` (search results); ids no longer in the database are left out."""
    if not ids:
        return []
    found = {r.id: r for r in db.session.scalars(sa.select(Record).where(Record.id.in_(list(ids))))}
    return [found[i] for i in ids if i in found]


def availability(record_ids):
    """Per record, per owning institution: copies counted by status (never withdrawn ones).

    ``{record_id: [{"institution": Institution, "total": n, "available": n, "statuses": {status: n}}]}``,
    institutions in Vietnamese name order. Read from the database, never from the search index.
    """
    out = {rid: {} for rid in record_ids}
    if not out:
        return {}
    rows = db.session.execute(
        sa.select(Item.record_id, Item.institution_id, Item.status, sa.func.count(Item.id))
        .where(Item.record_id.in_(list(out)), Item.status != ItemStatus.WITHDRAWN)
        .group_by(Item.record_id, Item.institution_id, Item.status)).all()
    institutions = {i.id: i for i in db.session.scalars(
        sa.select(Institution).where(Institution.id.in_({r[1] for r in rows})))} if rows else {}
    for record_id, institution_id, status, count in rows:
        entry = out[record_id].setdefault(institution_id, {"institution": institutions[institution_id],
                                                           "total": 0, "available": 0, "statuses": {}})
        entry["total"] += count
        entry["statuses"][status] = entry["statuses"].get(status, 0) + count
        if status == ItemStatus.AVAILABLE:
            entry["available"] += count
    return {rid: sorted(per.values(), key=lambda e: e["institution"].name_sort) for rid, per in out.items()}


# -- copies ----------------------------------------------------------------------

def next_barcodes(institution, count):
    """Reserve ``count`` barcodes under the institution's prefix: TVT000001, TVT000002...

    The sequence row is updated inside the caller's write transaction, so two
    desks never get the same number.
    """
    prefix = institution.barcode_prefix or institution.code.replace("-", "")
    seq = db.session.get(BarcodeSequence, prefix, with_for_update=True)
    if seq is None:
        seq = BarcodeSequence(prefix=prefix, last=0)
        db.session.add(seq)
        db.session.flush()
    codes = []
    number = seq.last
    while len(codes) < count:
        number += 1
        code = f"{prefix}{number:0{BARCODE_DIGITS}d}"
        if db.session.scalar(sa.select(Item.id).where(Item.barcode == code)) is None:
            codes.append(code)
    seq.last = number
    return codes


def add_copies(record, *, institution, actor, source, accessioned, count=1, barcodes=None, price=None,
               shelf="", call_number=None, status=ItemStatus.AVAILABLE, note=""):
    """Add copies of ``record`` owned by ``institution``, each with its accession entry.

    ``barcodes`` gives the labels already stuck on the books; otherwise the
    next numbers of the institution's prefix are used.
    """
    require_copy_rights(actor, institution)
    source = AcquisitionSource(source)
    if not isinstance(accessioned, dt.date):
        raise DomainError(_l("The accession date is missing."), field="accessioned")
    if price is not None and price < 0:
        raise DomainError(_l("The price cannot be negative."), field="price")
    if barcodes:
        codes = [normalise_barcode(b) for b in barcodes]
        for code in codes:
            if not is_valid_barcode(code or ""):
                raise DomainError(_l("“%(barcode)s” is not a usable barcode (letters, digits, - . /).",
                                     barcode=code or ""), field="barcode")
        taken = db.session.scalars(sa.select(Item.barcode).where(Item.barcode.in_(codes))).all()
        if taken or len(set(codes)) != len(codes):
            raise Conflict(_l("The barcode %(barcode)s is already used by another copy.",
                              barcode=(taken or codes)[0]), field="barcode")
    else:
        if count < 1 or count > 1000:
            raise DomainError(_l("Add between 1 and 1000 copies at a time."), field="count")
        codes = next_barcodes(institution, count)
    items = []
    for code in codes:
        item = Item(barcode=code, record=record, institution_id=institution.id, status=ItemStatus(status),
                    accessioned=accessioned, source=source, price=price, shelf=clean(shelf) or "",
                    call_number=clean(call_number) if call_number is not None else record.call_number,
                    note=clean(note) or "")
        item.accessions.append(Accession(institution_id=institution.id, date=accessioned, source=source,
                                         price=price))
        db.session.add(item)
        items.append(item)
    db.session.flush()
    items_changed.send(record, item_ids=[i.id for i in items], record_id=record.id)
    data_changed.send("catalog", institution_ids=[institution.id])
    return items


def set_item_status(item, status, *, location=None):
    """Move a copy to another status along ``ITEM_TRANSITIONS`` (and note where it physically is)."""
    status = ItemStatus(status)
    if item.status != status:
        ITEM_TRANSITIONS.check(item.status, status)
        item.status = status
    item.location_institution_id = location.id if location is not None else None
    db.session.flush()
    items_changed.send(item, item_ids=[item.id], record_id=item.record_id)
    return item


def get_item(item_id):
    item = db.session.get(Item, item_id)
    if item is None:
        raise NotFound(_l("This copy does not exist."))
    return item


def update_item(item, *, actor, shelf=None, call_number=None, price=None, note=None):
    """Change where a copy stands and what it cost; only its owner's staff may."""
    require_copy_rights(actor, item.institution)
    if price is not None and price < 0:
        raise DomainError(_l("The price cannot be negative."), field="price")
    if shelf is not None:
        item.shelf = clean(shelf) or ""
    if call_number is not None:
        item.call_number = clean(call_number) or ""
    item.price = price
    if note is not None:
        item.note = clean(note) or ""
    db.session.flush()
    return item


def withdraw_item(item, *, actor, reason, date=None, note=None):
    """Take a copy out of the collection (lost, worn, discarded) on ``date``; it stays in the register.

    A copy on loan, in transit or in rotation must come back (or be declared
    lost) first: the status table refuses the change otherwise.
    """
    require_copy_rights(actor, item.institution)
    reason = WithdrawalReason(reason)
    date = date or local_today()
    if not isinstance(date, dt.date):
        raise DomainError(_l("The withdrawal date is missing."), field="date")
    if date < item.accessioned:
        raise DomainError(_l("A copy cannot be withdrawn (%(date)s) before it was accessioned (%(accessioned)s).",
                             date=date.strftime("%d/%m/%Y"), accessioned=item.accessioned.strftime("%d/%m/%Y")),
                          field="date")
    if date > local_today():
        raise DomainError(_l("The withdrawal date cannot be in the future."), field="date")
    if item.status == ItemStatus.WITHDRAWN:
        raise Conflict(_l("The copy %(barcode)s is already withdrawn.", barcode=item.barcode))
    set_item_status(item, ItemStatus.WITHDRAWN)
    item.withdrawn_on = date
    item.withdrawal_reason = reason
    if note:
        item.note = clean(((item.note + " — ") if item.note else "") + note)[:500]
    db.session.flush()
    data_changed.send("catalog", institution_ids=[item.institution_id])
    return item


def transfer_item(item, *, to, actor, date=None):
    """Pass a copy on to another institution of the network (a transfer, never an acquisition).

    The receiver's register gets an entry of source ``transfer``; ownership
    on any date is the latest entry on or before it, so past holdings stay
    right. Staff of the giving institution make the transfer.
    """
    require_copy_rights(actor, item.institution)
    date = date or local_today()
    if to is None or to.id == item.institution_id:
        raise DomainError(_l("Choose another institution to transfer the copy to."), field="to")
    if item.status == ItemStatus.WITHDRAWN:
        raise Conflict(_l("The copy %(barcode)s is withdrawn; it cannot be transferred.", barcode=item.barcode))
    latest = max((a.date for a in item.accessions), default=item.accessioned)
    if date < latest:
        raise DomainError(_l("The transfer date cannot be before the copy's last accession (%(date)s).",
                             date=latest.strftime("%d/%m/%Y")), field="date")
    giver = item.institution_id
    item.accessions.append(Accession(institution_id=to.id, date=date, source=AcquisitionSource.TRANSFER,
                                     price=item.price))
    item.institution_id = to.id
    db.session.flush()
    items_changed.send(item, item_ids=[item.id], record_id=item.record_id)
    data_changed.send("catalog", institution_ids=[giver, to.id])
    return item


def items_by_ids(ids):
    """Copies in the order asked (label sheets); unknown ids are left out."""
    if not ids:
        return []
    ids = [i for i in ids if valid_id(i)]
    found = {i.id: i for i in db.session.scalars(sa.select(Item).where(Item.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


# -- searching ---------------------------------------------------------------------------------

def search(query):
    """Run a search; returns ``(result, records of the page, index_ok)``.

    The page's records come from the database (titles, and availability
    from ``availability``); the index only says which ones and how many.
    """
    from . import indexing, ranking
    from .search import QueryTooBroad, SearchResult, SearchUnavailable
    try:
        result = ranking.search(indexing.backend(), query)
        ok = True
    except SearchUnavailable:
        result, ok = SearchResult(ids=[], total=0, page=query.page, per_page=query.per_page), False
    except QueryTooBroad as error:
        result, ok = SearchResult(ids=[], total=0, page=query.page, per_page=query.per_page,
                                  refused=too_broad_message(error)), True
    return result, records_by_ids(result.ids), ok


def too_broad_message(error):
    """What to change in a query refused by ``search.check_cost`` or stopped by the time limit."""
    from .search import MAX_MASKED_WORDS, MIN_MASK_PREFIX
    messages = {
        "leading": _l("“%(word)s”: a word cannot start with * or ?. Type the beginning of the word, then *."),
        "short": _l("“%(word)s”: type at least %(n)d letters before * or ?."),
        "masks": _l("At most %(n)d words with * or ? in one search; write the others in full."),
        "expansion": _l("“%(word)s” stands for too many words; type more letters before *."),
        "range": _l("Ranges of words are not searched; type the words you are looking for."),
        "time": _l("This search is too broad to answer quickly; add words or type more letters before *."),
    }
    n = MAX_MASKED_WORDS if error.reason == "masks" else MIN_MASK_PREFIX
    return str(messages.get(error.reason, messages["time"])) % {"word": error.word, "n": n}


def query_from_args(args, *, per_page=20):
    """A ``SearchQuery`` from a page's query string (``q``, ``lang``, ``type``, ``lib``, ``avail``, ``from``,
    ``to``, ``sort``, ``page``); anything malformed is ignored rather than refused."""
    from .search import SearchQuery

    def year(name):
        value = (args.get(name) or "").strip()
        return int(value) if value.isdigit() and 0 < int(value) < 10000 else None

    def page():
        value = (args.get("page") or "").strip()
        return max(1, min(int(value), 200)) if value.isdigit() else 1

    material = args.get("type") or None
    if material not in {m.value for m in MaterialType}:
        material = None
    sort = args.get("sort") if args.get("sort") in ("relevance", "title", "year", "year_asc") else "relevance"
    language = (args.get("lang") or "").strip().lower()
    library = (args.get("lib") or "").strip().upper()
    return SearchQuery(text=(args.get("q") or "")[:500], language=language if language.isalpha() else None,
                       material=material, library=library or None, available=args.get("avail") == "1",
                       year_from=year("from"), year_to=year("to"), sort=sort, page=page(), per_page=per_page)


def institutions_by_code(codes):
    if not codes:
        return {}
    return {i.code: i for i in db.session.scalars(sa.select(Institution).where(Institution.code.in_(list(codes))))}


def libraries():
    """Institutions that own copies: libraries, in name order."""
    from ..org.models import LIBRARY_KINDS
    return list(db.session.scalars(sa.select(Institution).where(Institution.kind.in_(list(LIBRARY_KINDS)),
                                                                Institution.active.is_(True))
                                   .order_by(Institution.name_sort)))


def public_shelves(record_id):
    """Per owning institution, the call numbers and shelf locations of its copies (for readers: no barcodes)."""
    rows = db.session.execute(
        sa.select(Item.institution_id, Item.call_number, Item.shelf, Item.status, sa.func.count(Item.id))
        .where(Item.record_id == record_id, Item.status != ItemStatus.WITHDRAWN)
        .group_by(Item.institution_id, Item.call_number, Item.shelf, Item.status)
        .order_by(Item.institution_id, Item.call_number, Item.shelf)).all()
    out = {}
    for institution_id, call_number, shelf, status, count in rows:
        out.setdefault(institution_id, []).append({"call_number": call_number, "shelf": shelf, "status": status,
                                                   "count": count})
    return out
