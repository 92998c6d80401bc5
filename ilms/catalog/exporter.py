"""Exporting records as ISO 2709 (UTF-8) or MARCXML: the whole catalogue, a library's holdings, a search.

Records are read and written a chunk at a time, so an export of the whole
province streams with flat memory, to a file or to a download.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from . import marc, marcio
from .models import Item, ItemStatus, Record

FORMATS = {
    "marcxml": ("application/marcxml+xml", "xml"),
    "iso2709": ("application/marc", "mrc"),
}
CHUNK = 500


def selection(*, institution=None, ids=None):
    """Record ids, in id order: all, those ``ids``, or those with copies (not withdrawn) at ``institution``."""
    query = sa.select(Record.id).order_by(Record.id)
    if ids is not None:
        query = query.where(Record.id.in_(list(ids)))
    if institution is not None:
        held = sa.select(Item.record_id).where(Item.institution_id == institution.id,
                                               Item.status != ItemStatus.WITHDRAWN)
        query = query.where(Record.id.in_(held))
    return query


def records(id_query):
    """pymarc records for a query of record ids, a chunk at a time."""
    last = 0
    while True:
        ids = list(db.session.scalars(id_query.where(Record.id > last).limit(CHUNK)))
        if not ids:
            return
        rows = db.session.execute(sa.select(Record.id, Record.marc).where(Record.id.in_(ids)).order_by(Record.id))
        for _rid, text in rows:
            yield marc.from_json(text)
        last = ids[-1]
        db.session.expire_all()


def stream(fmt, id_query):
    """The bytes of the export file, piece by piece."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    writer = marcio.write_marcxml if fmt == "marcxml" else marcio.write_iso2709
    yield from writer(records(id_query))
