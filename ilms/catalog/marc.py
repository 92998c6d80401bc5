"""MARC21 through pymarc: build records, read the searchable fields out of them, store them as MARC-in-JSON."""
from __future__ import annotations

import hashlib
import json
import re

import pymarc
from pymarc import Field, Subfield

from ..common.text import clean, strip_controls
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


_TRAILING = re.compile(r"[\s/:;,=.]+$")


class _Tags:
    """A record's fields by tag, built once, so extraction reads each field once."""

    def __init__(self, record):
        self.record = record
        self.by_tag = {}
        for fld in record.fields:
            self.by_tag.setdefault(fld.tag, []).append(fld)

    def first(self, tag):
        found = self.by_tag.get(tag)
        return found[0] if found else None

    def sub(self, tag, codes):
        """Subfields ``codes`` of the first ``tag`` field having any, in field order, ISBD punctuation trimmed."""
        for fld in self.by_tag.get(tag, ()):
            parts = [sf.value for sf in fld.subfields if sf.code in codes]
            if parts:
                return _trim(" ".join(parts))
        return ""

    def all(self, tags, codes):
        out = []
        for fld in self.record.fields:
            if fld.tag in tags and not fld.is_control_field():
                text = _trim(" ".join(sf.value for sf in fld.subfields if sf.code in codes))
                if text and text not in out:
                    out.append(text)
        return out


def _trim(text):
    return clean(_TRAILING.sub("", text or "")) or ""


def material_type(record):
    leader = str(record.leader) if record.leader else ""
    kind = leader[6:7]
    level = leader[7:8]
    if kind == "a" and level in ("s", "b"):
        return MaterialType.SERIAL
    return _LEADER_06.get(kind, MaterialType.BOOK)


def extract(record: pymarc.Record) -> dict:
    """The columns ILMS keeps beside the full record (all NFC)."""
    tags = _Tags(record)
    title = tags.sub("245", "abnp") or tags.sub("246", "ab") or tags.sub("130", "a") or "—"
    year_text = tags.sub("264", "c") or tags.sub("260", "c")
    fixed_field = tags.first("008")
    fixed = (fixed_field.data or "") if fixed_field is not None and fixed_field.is_control_field() else ""
    year = None
    match = _YEAR.search(year_text or "")
    if match:
        year = int(match.group(1))
    elif len(fixed) >= 11 and fixed[7:11].isdigit() and fixed[7:11] != "0000":
        year = int(fixed[7:11])
    language = ""
    if len(fixed) >= 38 and fixed[35:38].strip().isalpha():
        language = fixed[35:38].lower()
    else:
        codes = tags.sub("041", "a")
        if codes[:3].isalpha():
            language = codes[:3].lower()
    isbn = None
    for fld in tags.by_tag.get("020", ()):
        for value in fld.get_subfields("a"):
            isbn = normalise_isbn(value)
            if isbn:
                break
        if isbn:
            break
    issn = None
    for fld in tags.by_tag.get("022", ()):
        values = fld.get_subfields("a")
        if values:
            issn = values[0].strip()[:12]
            break
    classification = tags.sub("082", "a") or tags.sub("080", "a") or tags.sub("050", "ab")
    call_number = tags.sub("090", "ab") or tags.sub("099", "a") or tags.sub("050", "ab") or classification
    control = tags.first("001")
    control_number = (control.data or "").strip() if control is not None and control.is_control_field() else ""
    return {
        "control_number": control_number or None,
        "isbn": isbn,
        "issn": issn or None,
        "title": title[:1000],
        "responsibility": tags.sub("245", "c")[:1000],
        "authors": "; ".join(tags.all(_AUTHOR_ENTRY_TAGS, "abcdq")),
        "publisher": (tags.sub("264", "b") or tags.sub("260", "b"))[:500],
        "place": (tags.sub("264", "a") or tags.sub("260", "a"))[:300],
        "year": year,
        "edition": tags.sub("250", "ab")[:300],
        "language": language[:3],
        "classification": classification[:60],
        "call_number": call_number[:120],
        "subjects": "; ".join(tags.all(_SUBJECT_TAGS, "abcdvxyz")),
        "physical": tags.sub("300", "abce")[:500],
        "material_type": material_type(record),
    }


_AUTHOR_ENTRY_TAGS = frozenset({"100", "110", "111", "700", "710", "711"})
_SUBJECT_TAGS = frozenset({"600", "610", "611", "630", "648", "650", "651", "655"})


def to_json(record: pymarc.Record) -> str:
    """MARC-in-JSON (the shape of pymarc's ``as_dict``), compact, in UTF-8 text.

    Every record stored goes through here (imports, the editor, harvests), so control characters and
    bidirectional overrides in a field are dropped here (``common.text.strip_controls``), as from forms.
    """
    fields = []
    for fld in record.fields:
        if fld.is_control_field():
            fields.append({fld.tag: strip_controls(fld.data)})
        else:
            ind = fld.indicators or (" ", " ")
            fields.append({fld.tag: {"ind1": ind[0], "ind2": ind[1],
                                     "subfields": [{sf.code: strip_controls(sf.value)} for sf in fld.subfields]}})
    return json.dumps({"leader": str(record.leader), "fields": fields}, ensure_ascii=False, separators=(",", ":"))


def fingerprint(marc_json: str) -> str:
    return hashlib.sha1(marc_json.encode("utf-8")).hexdigest()


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


# -- search texts -------------------------------------------------------------------------------

_TITLE_TAGS = {"130": "anp", "240": "anp", "245": "abfgknps", "246": "abnp", "730": "anp", "740": "anp"}
_AUTHOR_TAGS = {tag: "abcdq" for tag in ("100", "110", "111", "700", "710", "711", "720")}
_OTHER_TAGS = {"250": "ab", "260": "abc", "264": "abc", "440": "av", "490": "av", "800": "at", "810": "at",
               "830": "av", "505": "agrt", "520": "a"}
_OTHER_LIMIT = 1500


def _isbn10_check(digits9):
    total = sum((10 - i) * int(d) for i, d in enumerate(digits9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check(digits12):
    total = sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(digits12))
    return str((10 - total % 10) % 10)


def isbn_variants(value):
    """The ISBN in ``value`` in both its 10- and 13-digit forms (when it has both), normalised."""
    isbn = normalise_isbn(value)
    if not isbn:
        return []
    out = [isbn]
    if len(isbn) == 10 and isbn[:9].isdigit():
        out.append("978" + isbn[:9] + _isbn13_check("978" + isbn[:9]))
    elif len(isbn) == 13 and isbn.startswith("978") and isbn.isdigit():
        out.append(isbn[3:12] + _isbn10_check(isbn[3:12]))
    return out


def _linked_tag(field):
    """The tag an 880 (other script) field stands for, from its $6 ``245-01``."""
    link = field.get_subfields("6")
    return link[0][:3] if link else ""


def search_texts(record: pymarc.Record) -> dict:
    """Title, author, subject and other words of a record, for the search index (unfolded)."""
    title, author, subject, other, numbers = [], [], [], [], []
    for fld in record.fields:
        tag = fld.tag
        if fld.is_control_field():
            continue
        if tag == "880":
            tag = _linked_tag(fld)
        if tag in _TITLE_TAGS:
            title.extend(fld.get_subfields(*_TITLE_TAGS[tag]))
            if tag == "245":
                author.extend(fld.get_subfields("c"))
        elif tag in _AUTHOR_TAGS:
            author.extend(fld.get_subfields(*_AUTHOR_TAGS[tag]))
        elif tag.startswith("6"):
            subject.extend(s.value for s in fld.subfields if s.code.isalpha())
        elif tag in _OTHER_TAGS:
            other.extend(fld.get_subfields(*_OTHER_TAGS[tag]))
        elif tag == "020":
            for value in fld.get_subfields("a", "z"):
                numbers.extend(isbn_variants(value))
        elif tag == "022":
            for value in fld.get_subfields("a", "y", "z"):
                issn = "".join(ch for ch in value.upper() if ch.isdigit() or ch == "X")[:8]
                if len(issn) == 8:
                    numbers.append(issn)
    return {"title": " ".join(title), "author": " ".join(author), "subject": " ".join(subject),
            "other": " ".join(other)[:_OTHER_LIMIT], "isbn": list(dict.fromkeys(numbers))}
