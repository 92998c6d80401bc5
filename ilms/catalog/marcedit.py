"""Editing MARC by hand: the simple form's fields, and the line-per-field text of the MARC editor.

The simple form covers what a district librarian types for a new book;
saving it rewrites only the fields whose form value changed, so the detail
an imported record carries (subfield coding, dates, relator terms) stays
unless the librarian changes that value.

The MARC editor shows one field per line, the way cataloguers read MARC::

    LDR 00000nam a2200000 a 4500
    008 240301s2015    vm            000 0 vie d
    245 10 $aTruyện Kiều /$cNguyễn Du.

Blank indicators are written ``_``; a dollar sign inside a value is
written ``{dollar}``.
"""
from __future__ import annotations

import datetime as dt
import re

import pymarc
from flask_babel import lazy_gettext as _l
from pymarc import Field, Subfield

from ..common.errors import DomainError
from ..common.text import clean, nfc
from . import marc
from .models import MaterialType

_LINE = re.compile(r"^(LDR|[0-9A-Za-z]{3})(?: (.*))?$")
_DOLLAR = "{dollar}"

#: leader/06 and /07 written for each material type chosen on the form.
LEADER_TYPES = {
    MaterialType.BOOK: "am", MaterialType.SERIAL: "as", MaterialType.MANUSCRIPT: "tm",
    MaterialType.MUSIC: "cm", MaterialType.MAP: "em", MaterialType.VIDEO: "gm", MaterialType.AUDIO: "jm",
    MaterialType.IMAGE: "km", MaterialType.ELECTRONIC: "mm", MaterialType.KIT: "om",
    MaterialType.OBJECT: "rm", MaterialType.MIXED: "pm",
}


# -- the text of the MARC editor --------------------------------------------------------------

def to_text(record: pymarc.Record) -> str:
    lines = [f"LDR {record.leader}"]
    for fld in record.fields:
        if fld.is_control_field():
            lines.append(f"{fld.tag} {fld.data or ''}")
        else:
            ind = "".join((i if i not in (" ", "") else "_") for i in (fld.indicators or (" ", " ")))
            subs = "".join(f"${sf.code}{(sf.value or '').replace('$', _DOLLAR)}" for sf in fld.subfields)
            lines.append(f"{fld.tag} {ind} {subs}")
    return "\n".join(lines)


def from_text(text: str) -> pymarc.Record:
    """Read the editor's text; a mistake is a ``DomainError`` naming the line."""
    record = pymarc.Record(force_utf8=True)
    leader = None
    for number, raw in enumerate(nfc(text or "").splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        match = _LINE.match(line)
        if not match:
            raise DomainError(_l("Line %(n)d: a line starts with a three-character tag and a space, "
                                 "like “245 10 $aTitle”.", n=number), field="text")
        tag, rest = match.group(1), match.group(2) or ""
        if tag == "LDR":
            if len(rest) != 24:
                raise DomainError(_l("Line %(n)d: the leader must be exactly 24 characters long.", n=number),
                                  field="text")
            leader = rest
            continue
        if not tag.isdigit():
            raise DomainError(_l("Line %(n)d: “%(tag)s” is not a MARC tag (three digits).", n=number, tag=tag),
                              field="text")
        if tag < "010":
            record.add_field(Field(tag=tag, data=rest))
            continue
        if len(rest) < 2:
            raise DomainError(_l("Line %(n)d: field %(tag)s needs two indicators (write _ for a blank).",
                                 n=number, tag=tag), field="text")
        indicators = [" " if ch in "_#\\" else ch for ch in rest[:2]]
        body = rest[2:].lstrip()
        if not body.startswith("$") or len(body) < 2:
            raise DomainError(_l("Line %(n)d: the subfields of field %(tag)s must start with $ and a code, "
                                 "like $a.", n=number, tag=tag), field="text")
        subfields = []
        for part in body[1:].split("$"):
            if not part:
                raise DomainError(_l("Line %(n)d: a $ without a subfield code (write {dollar} for a dollar "
                                     "sign).", n=number), field="text")
            subfields.append(Subfield(part[0], part[1:].replace(_DOLLAR, "$").strip()))
        record.add_field(Field(tag=tag, indicators=indicators, subfields=subfields))
    if leader is None:
        leader = "00000nam a2200000 a 4500"
    record.leader = pymarc.Leader(leader[:9] + "a22" + leader[12:20] + "4500")
    if not record.get_fields("245"):
        raise DomainError(_l("The record needs a title field (245)."), field="text")
    return record


# -- the simple form ------------------------------------------------------------------------------

FORM_FIELDS = ("material_type", "title", "subtitle", "responsibility", "authors", "edition", "place",
               "publisher", "year", "physical", "series", "isbns", "language", "classification",
               "call_number", "subjects", "notes", "summary")


def _lines(text):
    return [clean(line) for line in (text or "").splitlines() if clean(line)]


def _first(record, tag, code):
    fld = record.get(tag)
    if fld is None or fld.is_control_field():
        return ""
    values = fld.get_subfields(code)
    return _strip(values[0]) if values else ""


def _strip(value):
    return re.sub(r"\s*[/:;,=]\s*$", "", clean(value) or "").strip()


def _publication(record):
    for fld in record.get_fields("264", "260"):
        if fld.tag == "264" and fld.indicators[1] not in ("1", " "):
            continue
        return fld
    return None


def _subject_text(fld):
    main = [sf.value for sf in fld.subfields if sf.code == "a"]
    subdivisions = [sf.value for sf in fld.subfields if sf.code in "vxyz"]
    return " -- ".join(_strip(v).rstrip(".") for v in main + subdivisions if _strip(v))


def form_values(record: pymarc.Record) -> dict:
    """What the simple form shows for a record."""
    pub = _publication(record)
    fixed = record.get("008").data if record.get("008") else ""
    columns = marc.extract(record)
    return {
        "material_type": columns["material_type"].value,
        "title": _first(record, "245", "a"),
        "subtitle": _first(record, "245", "b"),
        "responsibility": _first(record, "245", "c").rstrip("."),
        "authors": "\n".join(_strip(v).rstrip(",") for f in record.get_fields("100", "700")
                             for v in f.get_subfields("a")[:1]),
        "edition": _first(record, "250", "a"),
        "place": _strip(pub.get_subfields("a")[0]) if pub is not None and pub.get_subfields("a") else "",
        "publisher": _strip(pub.get_subfields("b")[0]) if pub is not None and pub.get_subfields("b") else "",
        "year": str(columns["year"] or ""),
        "physical": _first(record, "300", "a"),
        "series": _first(record, "490", "a"),
        "isbns": "\n".join(v.strip() for f in record.get_fields("020") for v in f.get_subfields("a")),
        "language": fixed[35:38].strip() if len(fixed) >= 38 else columns["language"],
        "classification": _first(record, "082", "a"),
        "call_number": _first(record, "090", "a"),
        "subjects": "\n".join(_subject_text(f) for f in record.get_fields("650")),
        "notes": "\n".join(v for f in record.get_fields("500") for v in f.get_subfields("a")),
        "summary": "\n".join(v for f in record.get_fields("520") for v in f.get_subfields("a")),
    }


def _check(values):
    title = clean(values.get("title"))
    if not title:
        raise DomainError(_l("A record needs a title."), field="title")
    year = clean(values.get("year"))
    if year and not (year.isdigit() and 1000 <= int(year) <= dt.date.today().year + 1):
        raise DomainError(_l("The year must be four digits, like 2015."), field="year")
    language = clean(values.get("language")) or ""
    if language and not (len(language) == 3 and language.isalpha()):
        raise DomainError(_l("The language is a three-letter code: vie, eng, fra..."), field="language")
    for isbn in _lines(values.get("isbns")):
        if marc.normalise_isbn(isbn) is None:
            raise DomainError(_l("“%(isbn)s” is not an ISBN (10 or 13 digits).", isbn=isbn), field="isbns")


def apply_form(record: pymarc.Record | None, values: dict) -> pymarc.Record:
    """A record with the form's values written in; fields whose value did not change are kept as they were."""
    _check(values)
    new = record is None
    if new:
        record = pymarc.Record(force_utf8=True)
        record.leader = pymarc.Leader("00000nam a2200000 a 4500")
        today = dt.date.today().strftime("%y%m%d")
        record.add_field(Field(tag="008", data=f"{today}s        vm            000 0 vie d"))
    old = form_values(record) if not new else {name: "" for name in FORM_FIELDS}
    changed = {name for name in FORM_FIELDS if new or _norm(values.get(name)) != _norm(old.get(name))}

    def replace(tags, fields, keep=lambda f: False):
        for fld in list(record.get_fields(*tags)):
            if not keep(fld):
                record.remove_field(fld)
        for fld in fields:
            record.add_ordered_field(fld)

    if "material_type" in changed and values.get("material_type"):
        code = LEADER_TYPES.get(MaterialType(values["material_type"]), "am")
        leader = str(record.leader)
        record.leader = pymarc.Leader(leader[:6] + code + leader[8:])
    authors = _lines(values.get("authors"))
    if "authors" in changed:
        fields = []
        for n, name in enumerate(authors):
            fields.append(Field(tag="100" if n == 0 else "700", indicators=["1" if "," in name else "0", " "],
                                subfields=[Subfield("a", name)]))
        replace(("100", "700"), fields)
    if changed & {"title", "subtitle", "responsibility"} or new:
        subs = [Subfield("a", clean(values["title"]))]
        if clean(values.get("subtitle")):
            subs.append(Subfield("b", clean(values["subtitle"])))
        if clean(values.get("responsibility")):
            subs.append(Subfield("c", clean(values["responsibility"])))
        has_main = bool(record.get_fields("100", "110", "111", "130"))
        replace(("245",), [Field(tag="245", indicators=["1" if has_main else "0", "0"], subfields=subs)])
    elif "authors" in changed and record.get("245"):
        title = record.get("245")
        title.indicators = pymarc.Indicators("1" if record.get_fields("100", "110", "111", "130") else "0",
                                             title.indicators[1])

    def simple(name, tag, code, indicators=(" ", " ")):
        if name in changed:
            value = clean(values.get(name))
            replace((tag,), [Field(tag=tag, indicators=list(indicators), subfields=[Subfield(code, value)])]
                    if value else [])

    simple("edition", "250", "a")
    simple("physical", "300", "a")
    simple("series", "490", "a", ("0", " "))
    simple("classification", "082", "a", ("0", "4"))
    simple("call_number", "090", "a")
    if changed & {"place", "publisher", "year"}:
        subs = [Subfield(code, clean(values.get(name))) for code, name in (("a", "place"), ("b", "publisher"),
                                                                           ("c", "year"))
                if clean(values.get(name))]
        replace(("260", "264"), [Field(tag="264", indicators=[" ", "1"], subfields=subs)] if subs else [],
                keep=lambda f: f.tag == "264" and f.indicators[1] not in ("1", " "))
    if "isbns" in changed:
        replace(("020",), [Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", isbn)])
                           for isbn in _lines(values.get("isbns"))])
    if "subjects" in changed:
        fields = []
        for line in _lines(values.get("subjects")):
            parts = [p.strip() for p in line.split("--") if p.strip()]
            subs = [Subfield("a", parts[0])] + [Subfield("x", p) for p in parts[1:]]
            fields.append(Field(tag="650", indicators=[" ", "4"], subfields=subs))
        replace(("650",), fields)
    for name, tag in (("notes", "500"), ("summary", "520")):
        if name in changed:
            replace((tag,), [Field(tag=tag, indicators=[" ", " "], subfields=[Subfield("a", line)])
                             for line in _lines(values.get(name))])
    if changed & {"language", "year"}:
        _set_fixed(record, clean(values.get("language")) or "und", clean(values.get("year")))
    return record


def _norm(value):
    return "\n".join(_lines(str(value or "")))


def _set_fixed(record, language, year):
    fld = record.get("008")
    data = (fld.data if fld is not None else "").ljust(40)[:40]
    if year:
        data = data[:6] + "s" + year.ljust(4)[:4] + data[11:]
    data = data[:35] + language.lower()[:3].ljust(3) + data[38:]
    if fld is None:
        record.add_ordered_field(Field(tag="008", data=data))
    else:
        fld.data = data
