"""Demo: the shared catalogue: real MARC records from ``../shared/data/marc/bib/`` and Vietnamese books, with copies.

The Vietnamese records (``data/catalog_vi.tsv``) were written for the demo:
Vietnamese literature, textbooks, farming, health and law handbooks, books
on the province's peoples, from NXB Kim Đồng, NXB Văn học, NXB Giáo dục Việt
Nam and others, with DDC classes. Some rows are stored in NFD on purpose;
they go through the same import as a MARC file and come out NFC.

Copies are spread over the provincial library (TVT) and the district
libraries (TVH-*), accessioned over the last years by purchase, donation,
legal deposit or exchange; a few are withdrawn, a few transferred.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import sqlalchemy as sa
from pymarc import Field, Subfield

from ..catalog import importer, marcedit, marcio, services
from ..catalog.models import AcquisitionSource, Item, ItemStatus, Record
from ..common.permissions import SYSTEM
from ..common.registry import DemoLoader, register_demo
from ..common.text import fold
from ..common.time import local_today
from ..extensions import db
from ..org import services as org

DATA = Path(__file__).resolve().parent / "data" / "catalog_vi.tsv"
ROOT = Path(__file__).resolve().parents[2]
CONTROL_PREFIX = "LCDEMO"
LIBRARIES = ("TVT", "TVH-TP", "TVH-TD", "TVH-PT", "TVH-SH", "TVH-MT", "TVH-THU", "TVH-TNU", "TVH-NN")


def shared_marc_dir():
    """``../shared/data/marc`` beside the repository (or under ``ILMS_SHARED``), or ``None``."""
    base = Path(os.environ.get("ILMS_SHARED") or ROOT.parent / "shared")
    path = base / "data" / "marc" / "bib"
    return path if path.is_dir() else None


def vietnamese_rows():
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def _cutter(row):
    author = (row["authors"].split(";")[0] or row["title"]).strip()
    return fold(author.split()[-1] if author else row["title"])[:3].upper()


def vietnamese_record(row):
    """One demo row as a proper MARC record (the simple form's mapping, plus 001, 020 and 520)."""
    call_number = f"{row['ddc']} {_cutter(row)}".strip()
    values = {
        "material_type": "book", "title": row["title"], "subtitle": row["subtitle"],
        "responsibility": row["responsibility"], "authors": "\n".join(a.strip() for a in row["authors"].split(";")),
        "edition": row["edition"], "place": row["place"], "publisher": row["publisher"], "year": row["year"],
        "physical": row["physical"], "series": row["series"], "isbns": row["isbn"], "language": "vie",
        "classification": row["ddc"], "call_number": call_number,
        "subjects": "\n".join(s.strip() for s in row["subjects"].split(";")), "notes": "",
        "summary": row["summary"],
    }
    record = marcedit.apply_form(None, values)
    record.add_ordered_field(Field(tag="001", data=row["control"]))
    record.add_ordered_field(Field(tag="040", indicators=[" ", " "],
                                   subfields=[Subfield("a", "TVT"), Subfield("b", "vie"), Subfield("c", "TVT")]))
    return record


def _import_vietnamese():
    parsed = [marcio.ParsedRecord(n, 0, record=vietnamese_record(row))
              for n, row in enumerate(vietnamese_rows(), start=1)]
    return importer.MarcImporter().run(parsed)


def _import_real():
    folder = shared_marc_dir()
    if folder is None:
        return None
    totals = importer.ImportSummary()
    for path in sorted(folder.glob("*.mrc")):
        summary = importer.import_path(str(path))
        for name in ("read", "created", "updated", "unchanged", "skipped"):
            setattr(totals, name, getattr(totals, name) + getattr(summary, name))
    return totals


def _random_date(rng, start, end):
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))


def _add_copies(rng):
    libraries = [inst for inst in (org.get_by_code(code, required=False) for code in LIBRARIES) if inst]
    if not libraries:
        return 0
    today = local_today()
    start = dt.date(today.year - 8, 1, 1)
    recent = dt.date(today.year - 1, 1, 1)
    made = []
    sources = [AcquisitionSource.PURCHASE] * 12 + [AcquisitionSource.DONATION] * 5 + [AcquisitionSource.EXCHANGE]
    records = list(db.session.scalars(sa.select(Record).order_by(Record.id)))
    for record in records:
        vietnamese = (record.control_number or "").startswith(CONTROL_PREFIX)
        if vietnamese:
            owners = [libraries[0]] + rng.sample(libraries[1:], k=min(len(libraries) - 1, rng.randrange(0, 4)))
        elif rng.random() < 0.2:
            owners = [libraries[0]] + ([libraries[1]] if len(libraries) > 1 and rng.random() < 0.25 else [])
        else:
            continue
        for inst in owners:
            count = rng.randrange(1, 4) if inst is libraries[0] else rng.randrange(1, 3)
            source = rng.choice(sources)
            if inst is libraries[0] and vietnamese and rng.random() < 0.1:
                source = AcquisitionSource.LEGAL_DEPOSIT
            # a third of the copies arrive in the last two years, so this year's figures have something to show
            accessioned = _random_date(rng, recent if rng.random() < 0.35 else start, today)
            made.extend(services.add_copies(
                record, institution=inst, actor=SYSTEM, source=source, accessioned=accessioned, count=count,
                price=rng.choice([None, 35000, 48000, 62000, 75000, 96000, 120000]) if source ==
                AcquisitionSource.PURCHASE else None, shelf=rng.choice(["Kho mở", "Kho đóng", "Phòng thiếu nhi",
                                                                          "Kho địa chí"]) if vietnamese else "Kho mở"))
    _withdraw_some(rng, made, today)
    _transfer_some(rng, made, libraries, today)
    return len(made)


def _withdraw_some(rng, items, today):
    reasons = ["worn", "worn", "lost", "discarded"]
    for item in rng.sample(items, k=len(items) // 40):
        if item.accessioned >= today:
            continue
        services.withdraw_item(item, actor=SYSTEM, reason=rng.choice(reasons),
                               date=_random_date(rng, item.accessioned + dt.timedelta(days=1), today + dt.timedelta(days=1)))


def _transfer_some(rng, items, libraries, today):
    """Copies the provincial library passed on to a district library (accession entries of source transfer)."""
    if len(libraries) < 2:
        return
    candidates = [i for i in items if i.institution_id == libraries[0].id and i.status == ItemStatus.AVAILABLE]
    for item in rng.sample(candidates, k=min(len(candidates), len(items) // 50)):
        if item.accessioned >= today:
            continue
        services.transfer_item(item, to=rng.choice(libraries[1:]), actor=SYSTEM,
                               date=_random_date(rng, item.accessioned + dt.timedelta(days=1),
                                                 today + dt.timedelta(days=1)))


def load(rng):
    already = db.session.scalar(sa.select(sa.func.count(Item.id)).join(Record, Record.id == Item.record_id)
                                .where(Record.control_number.like(f"{CONTROL_PREFIX}%")))
    vietnamese = _import_vietnamese()
    real = _import_real()
    copies = 0 if already else _add_copies(rng)
    db.session.commit()
    parts = [f"{vietnamese.created} Vietnamese records created ({vietnamese.unchanged} already there)"]
    if real is None:
        parts.append("../shared/data/marc/bib/ NOT FOUND: no real MARC records loaded "
                     "(clone ILMS beside shared/ or set ILMS_SHARED)")
    else:
        parts.append(f"{real.read} real MARC records read, {real.created} created, {real.skipped} skipped")
    parts.append(f"{copies} copies added" if copies else "copies already there")
    return "; ".join(parts)


register_demo(DemoLoader("catalog", load, order=20, depends=("network",)))
