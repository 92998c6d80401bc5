"""Catalogue rules: records from MARC, copies with numbered barcodes, accession entries, item status."""
import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.barcodes import is_valid_barcode, normalise_barcode
from ..common.errors import Conflict, DomainError, NotFound, PermissionDenied
from ..common.text import clean
from ..extensions import db
from ..signals import items_changed, record_saved
from . import marc
from .models import (ITEM_TRANSITIONS, AcquisitionSource, Accession, BarcodeSequence, Item, ItemStatus,
                     Record)

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
