"""The ``item`` and ``withdraw`` record types of the exchange format (shared/spec/exchange.md).

``item``: a copy joins the record with the given 001 (``record``), or the
first record with the ISBN (``isbn``), or the record with exactly this
title (``title``), made as a minimal record when there is none. The
barcode names the copy across the province: a line whose barcode is
already a copy of the same institution describes that copy and changes
nothing (a file can be imported again, and into a database that has the
copies already); a copy of another institution is a conflict.

Export writes each copy as it was acquired (first accession entry), so the
figures of the receiving database match; the format has no transfer line.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ...catalog import marc, services
from ...catalog.models import AcquisitionSource, Item, Record, WithdrawalReason
from ...common.errors import Conflict, DomainError, NotFound
from ...common.text import clean
from ...common.time import local_datetime
from ...extensions import db
from .. import registry as ops


def _record_for(data):
    if data["record"]:
        record = db.session.scalar(sa.select(Record).where(Record.control_number == data["record"].strip()))
        if record is None:
            raise NotFound(f"no record has the control number (001) {data['record']!r}; import the catalogue "
                           "first (flask catalog import-marc FILE.mrc, made by flask catalog export-marc), then "
                           "this file", code="no_record")
        return record
    if data["isbn"]:
        variants = marc.isbn_variants(data["isbn"])
        if not variants:
            raise DomainError(f"field 'isbn': {data['isbn']!r} is not an ISBN (10 or 13 digits)")
        record = db.session.scalar(sa.select(Record).where(Record.isbn.in_(variants)).order_by(Record.id).limit(1))
        if record is not None:
            return record
        if not data["title"]:
            raise NotFound(f"no record has the ISBN {data['isbn']}; add 'title' to make one")
    if data["title"]:
        title = clean(data["title"])
        # a minimal record (no 001, no ISBN) first: the export names only those by their title
        record = db.session.scalar(sa.select(Record).where(Record.title == title).order_by(
            Record.control_number.is_not(None), Record.isbn.is_not(None), Record.id).limit(1))
        if record is None:
            record = services.create_minimal_record(title=title, isbn=data["isbn"])
        return record
    raise DomainError("an item line needs 'record' (the 001 of its record), 'isbn' or 'title'")


def apply_item(data, ctx):
    from .circulation import _institution
    institution = _institution(data["institution"], ctx)
    existing = services.item_by_barcode(data["barcode"], required=False)
    if existing is not None:
        if existing.institution_id == institution.id:
            return existing
        raise Conflict(f"the barcode {existing.barcode} is already a copy of {existing.institution.code}; "
                       f"a copy moves between institutions by transfer, not by an item line")
    record = _record_for(data)
    price = data["price"]
    (item,) = services.add_copies(record, institution=institution, actor=ctx.actor, source=data["source"],
                                  accessioned=data["accessioned"], barcodes=[data["barcode"]],
                                  price=int(round(price)) if price is not None else None)
    return item


def export_items(period):
    """Every copy accessioned by the period's end, as it was first acquired (reference data, phase 0)."""
    items = db.session.scalars(sa.select(Item).where(Item.accessioned <= period.end).order_by(Item.accessioned,
                                                                                               Item.barcode))
    for item in items:
        first = item.accessions[0] if item.accessions else None
        owner = first.institution if first is not None else item.institution
        line = {"type": "item", "barcode": item.barcode, "institution": owner.code,
                "accessioned": item.accessioned.isoformat(), "source": item.source.value}
        record = item.record
        if record.control_number:
            line["record"] = record.control_number
        elif record.isbn:
            line["isbn"] = record.isbn
            line["title"] = record.title
        else:
            line["title"] = record.title
        if item.price is not None:
            line["price"] = item.price
        yield (0, item.accessioned.isoformat(), item.barcode), line


def apply_withdraw(data, ctx):
    item = services.item_by_barcode(data["item"])
    services.withdraw_item(item, actor=ctx.actor, reason=data["reason"], date=data["date"])


def export_withdrawals(period):
    """Withdrawals of the period, at the end of their day (after that day's returns)."""
    items = db.session.scalars(sa.select(Item).where(Item.withdrawn_on >= period.start,
                                                     Item.withdrawn_on <= period.end)
                               .order_by(Item.withdrawn_on, Item.barcode))
    for item in items:
        line = {"type": "withdraw", "item": item.barcode, "date": item.withdrawn_on.isoformat(),
                "reason": (item.withdrawal_reason or WithdrawalReason.DISCARDED).value}
        yield (1, local_datetime(item.withdrawn_on, dt.time(23, 59, 59)), item.barcode), line


ops.register(ops.RecordType(
    name="item", order=20, apply=apply_item, export=export_items,
    description="A copy: barcode, owner, accession date and source, joined to its record.",
    fields={
        "barcode": ops.text(), "institution": ops.text(), "accessioned": ops.date(),
        "source": ops.choice(*(s.value for s in AcquisitionSource)),
        "record": ops.text(required=False), "isbn": ops.text(required=False), "title": ops.text(required=False),
        "price": ops.number(required=False),
    }))

ops.register(ops.RecordType(
    name="withdraw", order=90, apply=apply_withdraw, export=export_withdrawals,
    description="A copy leaves the collection (lost, worn, discarded).",
    fields={"item": ops.text(), "date": ops.date(), "reason": ops.choice(*(r.value for r in WithdrawalReason))}))


# -- transfer -----------------------------------------------------------------------------------

def apply_transfer(data, ctx):
    from .circulation import _institution
    item = services.item_by_barcode(data["item"])
    services.transfer_item(item, to=_institution(data["to"], ctx), actor=ctx.actor, date=data["date"])


def export_transfers(period):
    """Every accession of a copy after its first one: the copy passed on to another institution that day
    (at the start of the day, so the receiver's loans of that day follow it)."""
    from ...catalog.models import Accession
    from ...org.models import Institution
    first = (sa.select(Accession.item_id, sa.func.min(Accession.id).label("first_id"))
             .group_by(Accession.item_id).subquery())
    rows = db.session.execute(
        sa.select(Accession.id, Accession.date, Item.barcode, Institution.code)
        .join(Item, Item.id == Accession.item_id).join(Institution, Institution.id == Accession.institution_id)
        .join(first, first.c.item_id == Accession.item_id)
        .where(Accession.id != first.c.first_id, Accession.date >= period.start, Accession.date <= period.end)
        .order_by(Accession.date, Accession.id))
    for accession_id, day, barcode, code in rows:
        yield (1, local_datetime(day, dt.time(0, 0)), accession_id), {
            "type": "transfer", "item": barcode, "to": code, "date": day.isoformat()}


ops.register(ops.RecordType(
    name="transfer", order=21, apply=apply_transfer, export=export_transfers,
    description="A copy passed on to another institution of the network (not an acquisition).",
    fields={"item": ops.text(), "to": ops.text(), "date": ops.date()}))
