"""How records read on screen: labelled fields for people, tagged lines for cataloguers, language names."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from . import marc

LANGUAGES = {
    "vie": _l("Vietnamese"), "eng": _l("English"), "fre": _l("French"), "fra": _l("French"),
    "ger": _l("German"), "deu": _l("German"), "chi": _l("Chinese"), "zho": _l("Chinese"),
    "rus": _l("Russian"), "jpn": _l("Japanese"), "kor": _l("Korean"), "spa": _l("Spanish"),
    "ita": _l("Italian"), "por": _l("Portuguese"), "lao": _l("Lao"), "tha": _l("Thai"), "khm": _l("Khmer"),
    "ara": _l("Arabic"), "heb": _l("Hebrew"), "hin": _l("Hindi"), "nep": _l("Nepali"), "lat": _l("Latin"),
    "grc": _l("Ancient Greek"), "gre": _l("Greek"), "pol": _l("Polish"), "dut": _l("Dutch"),
    "fin": _l("Finnish"), "swe": _l("Swedish"), "mao": _l("Māori"), "arm": _l("Armenian"),
    "mul": _l("Several languages"), "und": _l("Undetermined"), "zxx": _l("No linguistic content"),
}

_SAFE_URL = re.compile(r"^https?://", re.I)


def language_name(code):
    return LANGUAGES.get((code or "").lower(), code or LANGUAGES["und"])


def _join(fld, codes):
    return " ".join(sf.value.strip() for sf in fld.subfields if sf.code in codes and sf.value.strip())


def _isbd(fld, separators):
    """Subfields joined the catalogue-card way (``Hà Nội : NXB Văn học, 2015``), unless the record
    already carries its own punctuation."""
    out = ""
    for sf in fld.subfields:
        if sf.code not in separators or not sf.value.strip():
            continue
        value = sf.value.strip()
        if out:
            separator = separators[sf.code]
            out += " " if out[-1] in ":;,/=.-" or value[0] in ":;,/=" else separator
        out += value
    return out


_TITLE_PARTS = {"a": "", "b": " : ", "f": ", ", "g": ", ", "k": ", ", "n": ". ", "p": ", ", "s": ". "}
_PUBLICATION_PARTS = {"a": "", "b": " : ", "c": ", "}


def _clean_end(text):
    return re.sub(r"\s*[/:;,=]\s*$", "", text or "").strip()


def readable(record) -> list:
    """``[(label, [values])]`` for the record page, in the order people read a catalogue card."""
    rows = []

    def add(label, values):
        values = [v for v in values if v]
        if values:
            rows.append((label, values))

    add(_l("Title proper"), [_clean_end(_isbd(f, _TITLE_PARTS)) for f in record.get_fields("245")])
    add(_l("Statement of responsibility"), [_clean_end(_join(f, "c")) for f in record.get_fields("245")])
    add(_l("Other titles"), [_clean_end(_join(f, "abnp")) for f in record.get_fields("246", "740")])
    add(_l("Authors"), [_clean_end(_join(f, "abcdqe")) for f in record.get_fields("100", "110", "111", "700",
                                                                                    "710", "711")])
    add(_l("Edition"), [_join(f, "ab") for f in record.get_fields("250")])
    add(_l("Publication"), [_isbd(f, _PUBLICATION_PARTS) for f in record.get_fields("260", "264")])
    add(_l("Physical description"), [_join(f, "abce") for f in record.get_fields("300")])
    add(_l("Series"), [_join(f, "av") for f in record.get_fields("440", "490", "830")])
    add(_l("ISBN"), [_join(f, "aq") for f in record.get_fields("020")])
    add(_l("ISSN"), [_join(f, "a") for f in record.get_fields("022")])
    columns = marc.extract(record)
    add(_l("Language"), [language_name(columns["language"])] if columns["language"] else [])
    add(_l("Classification"), [_join(f, "a") for f in record.get_fields("082", "080")])
    add(_l("Subjects"), [" — ".join(sf.value.strip().rstrip(".") for sf in f.subfields
                                    if sf.code.isalpha() and sf.value.strip())
                         for f in record.get_fields("600", "610", "611", "630", "648", "650", "651", "655")])
    add(_l("Contents note"), [_join(f, "agrt") for f in record.get_fields("505")])
    add(_l("Summary"), [_join(f, "a") for f in record.get_fields("520")])
    add(_l("General notes"), [_join(f, "a") for f in record.get_fields("500", "504", "546")])
    return rows


def links(record) -> list:
    """``[(url, text)]`` of 856 links that are plain web addresses (never ``javascript:`` and the like)."""
    out = []
    for fld in record.get_fields("856"):
        for url in fld.get_subfields("u"):
            url = url.strip()
            if _SAFE_URL.match(url):
                out.append((url, _join(fld, "3yz") or url))
    return out


def tagged(record) -> list:
    """``[(tag, indicators, [(code, value)] or data)]`` for the MARC view."""
    lines = [("LDR", "", str(record.leader))]
    for fld in record.fields:
        if fld.is_control_field():
            lines.append((fld.tag, "", fld.data or ""))
        else:
            ind = "".join(i if i.strip() else "_" for i in (fld.indicators or (" ", " ")))
            lines.append((fld.tag, ind, [(sf.code, sf.value) for sf in fld.subfields]))
    return lines
