"""The demo catalogue: the real records of ../shared, the Vietnamese books written for the demo, copies."""
import unicodedata

import sqlalchemy as sa

from ilms.catalog import indexing
from ilms.catalog.models import Item, ItemStatus, Record
from ilms.catalog.search import SearchQuery
from ilms.demo import catalog as demo_catalog
from ilms.demo.cli import load_all
from ilms.extensions import db
from ilms.org.models import Institution
from tests.catalog.conftest import BIB_FILES, marc_path


def test_the_vietnamese_demo_data_has_every_tone_and_some_nfd_rows():
    rows = demo_catalog.vietnamese_rows()
    assert len(rows) >= 250
    text = " ".join(r["title"] + " " + r["authors"] + " " + r["publisher"] for r in rows)
    nfc = unicodedata.normalize("NFC", text)
    for mark in ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323"):   # huyền, hỏi, ngã, sắc, nặng
        assert mark in unicodedata.normalize("NFD", nfc)
    assert "đ" in nfc and "Đ" in nfc
    nfd_rows = [r for r in rows if r["nfd"] == "1"]
    assert nfd_rows and all(not unicodedata.is_normalized("NFC", r["title"]) for r in nfd_rows
                            if not r["title"].isascii())
    publishers = {unicodedata.normalize("NFC", r["publisher"]) for r in rows}
    assert {"NXB Kim Đồng", "NXB Văn học", "NXB Giáo dục Việt Nam"} <= publishers
    assert all(r["ddc"][:3].isdigit() for r in rows)


def test_demo_loads_records_and_copies_once(app):
    marc_path("bib")  # the real records must be there
    load_all(echo=lambda *_: None, only={"network", "catalog"})
    records = db.session.scalar(sa.select(sa.func.count(Record.id)))
    vietnamese = db.session.scalars(sa.select(Record).where(Record.control_number.like("LCDEMO%"))).all()
    assert len(vietnamese) == len(demo_catalog.vietnamese_rows())
    assert records > sum(BIB_FILES.values()) * 0.9
    assert all(unicodedata.is_normalized("NFC", r.title) and r.language == "vie" for r in vietnamese)
    owners = dict(db.session.execute(sa.select(Institution.code, sa.func.count(Item.id))
                                     .join(Item, Item.institution_id == Institution.id)
                                     .group_by(Institution.code)).all())
    assert owners["TVT"] > 100 and sum(1 for code in owners if code.startswith("TVH-")) >= 6
    assert db.session.scalar(sa.select(sa.func.count(Item.id)).where(Item.status == ItemStatus.WITHDRAWN)) > 0
    items = db.session.scalar(sa.select(sa.func.count(Item.id)))
    # searching the demo the way readers type
    backend = indexing.backend()
    assert backend.count() == records
    kieu = backend.search(SearchQuery(text="truyen kieu nguyen du")).ids
    assert kieu and db.session.get(Record, kieu[0]).title == "Truyện Kiều"
    assert backend.search(SearchQuery(text="", library="TVH-MT")).total > 0
    # and again: nothing more
    load_all(echo=lambda *_: None, only={"network", "catalog"})
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == records
    assert db.session.scalar(sa.select(sa.func.count(Item.id))) == items
