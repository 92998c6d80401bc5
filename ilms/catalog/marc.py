"""MARC21 through pymarc: build records, read the searchable fields out of them, store them as MARC-in-JSON."""
from __future__ import annotations

import json
import re

import pymarc
from pymarc import Field, Subfield

from ..common.text import clean
from .models import MaterialType

_YEAR = re.compile(r"(1[0-9]{3}|20[0-9]{2})")
_ISBN_CHARS = re.compile(r"[0-9Xx]")

# leader/06 → material type (leader/07 "s" makes a serial of language material)
_LEADER_06 = {
    "a": MaterialType.BOOK, "t": MaterialType.MANUSCRIPT, "c": MaterialType.MUSIC, "d": MaterialType.MUSIC,
    "e": MaterialType.MAP, "f": MaterialType.MAP, "g": MaterialType.VIDEO, "i": MaterialType.AUDIO,
    "j": MaterialType.AUDIO, "k": MaterialType.IMAGE, "m": MaterialType.ELECTRONIC, "o": MaterialType.KIT,
    "p": MaterialType.MIXED, "r": MaterialType.OBJECT,
}


def normalise_isbn(text):
    """The digits (and final X) of the first ISBN-like token in ``text``; ``None`` when there is none."""
    if not text:
        return None
    token = text.strip().split()[0] if text.strip() else ""
    digits = "".join(_ISBN_CHARS.findall(token)).upper()
    return digits if len(digits) in (10, 13) else None


def _sub(record, tag, codes):
    """Subfield values of the first ``tag`` field, joined by spaces, trailing ISBD punctuation trimmed."""
    for field in record.get_fields(tag):
        parts = [v for code in codes for v in field.get_subfields(code)]
        if parts:
            return _trim(" ".join(parts))
    return ""


def _trim(text):
    return clean(re.sub(r"[\s/:;,=.]+$", "", text or "")) or ""


def _all(record, tags, codes):
    out = []
    for field in record.get_fields(*tags):
        text = _trim(" ".join(v for code in codes for v in field.get_subfields(code)))
        if text and text not in out:
            out.append(text)
    return out


def material_type(record):
    leader = str(record.leader) if record.leader else ""
    kind = leader[6:7]
    level = leader[7:8]
    if kind == "a" and level in ("s", "b"):
        return MaterialType.SERIAL
    return _LEADER_06.get(kind, MaterialType.BOOK)


def extract(record: pymarc.Record) -> dict:
    """The columns ILMS keeps beside the full record (all NFC)."""
    title = _sub(record, "245", "abnp") or _sub(record, "246", "ab") or _sub(record, "130", "a") or "—"
    year_text = _sub(record, "264", "c") or _sub(record, "260", "c")
    year = None
    match = _YEAR.search(year_text or "")
    if match:
        year = int(match.group(1))
    else:
        fixed = record.get("008").data if record.get("008") else ""
        if len(fixed) >= 11 and fixed[7:11].isdigit():
            year = int(fixed[7:11])
    language = ""
    fixed = record.get("008").data if record.get("008") else ""
    if len(fixed) >= 38 and fixed[35:38].strip().isalpha():
        language = fixed[35:38].lower()
    elif record.get("041") and record.get("041").get_subfields("a"):
        language = record.get("041").get_subfields("a")[0][:3].lower()
    isbn = None
    for field in record.get_fields("020"):
        for value in field.get_subfields("a"):
            isbn = normalise_isbn(value)
            if isbn:
                break
        if isbn:
            break
    issn = None
    for field in record.get_fields("022"):
        values = field.get_subfields("a")
        if values:
            issn = values[0].strip()[:12]
            break
    classification = _sub(record, "082", "a") or _sub(record, "080", "a") or _sub(record, "050", "ab")
    call_number = _sub(record, "090", "ab") or _sub(record, "099", "a") or _sub(record, "050", "ab") or classification
    return {
        "control_number": (record.get("001").data.strip() if record.get("001") and record.get("001").data else None) or None,
        "isbn": isbn,
        "issn": issn,
        "title": title[:1000],
        "responsibility": _sub(record, "245", "c")[:1000],
        "authors": "; ".join(_all(record, ("100", "110", "111", "700", "710", "711"), "abcdq")),
        "publisher": (_sub(record, "264", "b") or _sub(record, "260", "b"))[:500],
        "place": (_sub(record, "264", "a") or _sub(record, "260", "a"))[:300],
        "year": year,
        "edition": _sub(record, "250", "ab")[:300],
        "language": language[:3],
        "classification": classification[:60],
        "call_number": call_number[:120],
        "subjects": "; ".join(_all(record, ("600", "610", "611", "630", "648", "650", "651", "655"),
                                   "abcdvxyz")),
        "physical": _sub(record, "300", "abce")[:500],
        "material_type": material_type(record),
    }


def to_json(record: pymarc.Record) -> str:
    return json.dumps(record.as_dict(), ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> pymarc.Record:
    return pymarc.parse_json_to_array(f"[{text}]")[0]


def build_minimal(*, title, isbn=None, authors=(), publisher=None, place=None, year=None,
                  language="vie", classification=None, control_number=None):
    """A small but proper MARC21 book record (UTF-8 leader, 008, 020, 100/700, 245, 264, 082)."""
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader("00000nam a2200000 a 4500")
    if control_number:
        record.add_field(Field(tag="001", data=control_number))
    date_part = f"{int(year):04d}" if year else "    "
    fixed = f"000000s{date_part}    vm            000 0 {(language or 'und')[:3]} d"
    record.add_field(Field(tag="008", data=fixed[:40].ljust(40)))
    if isbn:
        record.add_field(Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", isbn)]))
    if classification:
        record.add_field(Field(tag="082", indicators=["0", "4"], subfields=[Subfield("a", classification)]))
    authors = [a for a in (authors or ()) if a]
    if authors:
        record.add_field(Field(tag="100", indicators=["0", " "], subfields=[Subfield("a", clean(authors[0]))]))
    record.add_field(Field(tag="245", indicators=["1" if authors else "0", "0"],
                           subfields=[Subfield("a", clean(title))]))
    if publisher or place or year:
        subfields = []
        if place:
            subfields.append(Subfield("a", clean(place)))
        if publisher:
            subfields.append(Subfield("b", clean(publisher)))
        if year:
            subfields.append(Subfield("c", str(year)))
        record.add_field(Field(tag="264", indicators=[" ", "1"], subfields=subfields))
    for other in authors[1:]:
        record.add_field(Field(tag="700", indicators=["0", " "], subfields=[Subfield("a", clean(other))]))
    return record
