"""Authority control: authority records, the links of bibliographic headings to them, and their upkeep.

How it works (the choices, where the issue is silent, follow Koha and Evergreen):

* An authority record's 1XX (100/110/111/130/150/151/155) is the authorised form; its 4XX fields are the
  see-from variants. Both are matched *folded* (``common.text.fold``, punctuation dropped), so
  "Hồ, Chí Minh, 1890-1969." and "Ho, Chi Minh, 1890-1969" are one heading.
* Every 1XX/6XX/7XX/8XX heading of a bibliographic record gets a row in ``record_headings``, on import
  (``MarcImporter``) and on every save (``services.save_record``); it is linked to the authority of the
  matching type whose folded authorised form equals it. A subject with subdivisions
  ("Vietnam -- History") that has no authority of its own links to the authority of its main heading ($a).
  Only authorised forms link: a heading written in a variant form stays unlinked and shows on the report
  with the authorised form it should be, as Koha's "unlinked headings" report does.
* The variants of the linked authorities are added to the record's search document (author words for
  names, title words for uniform titles, subject words for 6XX), on both search backends, so searching a
  variant finds the records catalogued under the authorised form.
* Changing an authorised heading (``update_heading``) rewrites the linked field of every linked record
  (the heading's subfields are replaced, relator terms, $0 and others are kept), which re-indexes those
  records and moves their ``updated_at`` (the OAI-PMH datestamp). The former form is kept as a 4XX
  see-from variant, so searches for it still find the records.
"""
from __future__ import annotations

import re
from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from pymarc import Field, Subfield

from ..common.errors import DomainError
from ..common.permissions import require
from ..common.text import fold, nfc, sort_key
from ..extensions import db
from ..signals import record_saved
from . import marc, marcio
from .models import Authority, Record, RecordHeading

#: authority 1XX tags and the subfields that make up the heading
HEADING_CODES = {
    "100": "abcdgjqt", "110": "abcdgnt", "111": "acdegnqt", "130": "adfghklmnoprst",
    "150": "abgvxyz", "151": "agvxyz", "155": "avxyz",
}
AUTHORITY_TAGS = tuple(HEADING_CODES)
#: bibliographic heading tags and the authority type each one is controlled by
BIB_TAGS = {}
for _type in ("100", "110", "111", "130"):
    for _first in "1678":
        BIB_TAGS[_first + _type[1:]] = _type
BIB_TAGS.update({"650": "150", "651": "151", "655": "155"})
SUBDIVISIONS = "vxyz"
_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)


def heading_key(text):
    """The folded form headings are matched on: no diacritics, no punctuation, single spaces."""
    return fold(_PUNCT.sub(" ", nfc(text or "")))[:1000]


def _strip(value):
    return (value or "").strip().rstrip(".,;:/ ").strip() or (value or "").strip()


def heading_parts(fld, codes):
    """The heading subfields of ``fld`` (code, value), in their order."""
    return [(sf.code, sf.value) for sf in fld.subfields if sf.code in codes and (sf.value or "").strip()]


def heading_text(parts):
    """The heading as people read it: subdivisions after " -- ", the record's own punctuation kept inside."""
    out = ""
    for code, value in parts:
        value = (value or "").strip()
        if not out:
            out = value
        elif code in SUBDIVISIONS:
            out = _strip(out) + " -- " + value
        else:
            out += " " + value
    return nfc(_strip(out))


def _bib_codes(tag):
    return HEADING_CODES[BIB_TAGS[tag]]


# -- importing authority records ------------------------------------------------------------------

def _local_parts(fld):
    """A local 1XX/4XX (IISH's Aleph records use 103 for topics, $a Dutch, $b English): $a, and the rest as
    parallel forms."""
    values = [(sf.code, sf.value.strip()) for sf in fld.subfields if sf.code.isalpha() and (sf.value or "").strip()]
    main = [(c, v) for c, v in values if c == "a"][:1] or [("a", v) for _c, v in values[:1]]
    return main, [_strip(v) for c, v in values if (c, v) not in main]


def _authority_values(record):
    """``(type, heading parts, variants)`` of a pymarc authority record; None when it has no 1XX heading.

    A local 1XX outside MARC21's (IISH's 103) is taken as a topical term (150): its $a is the heading and
    its other subfields (a parallel-language form) are see-from variants, as are its 4XX.
    """
    fields = [f for f in record.fields if not f.is_control_field()]
    main = next((f for f in fields if f.tag in HEADING_CODES), None)
    local = None
    if main is None:
        main = next((f for f in fields if f.tag.startswith("1")), None)
        if main is None:
            return None
        local = main.tag
        parts, variants = _local_parts(main)
        kind = "150"
    else:
        parts, variants, kind = heading_parts(main, HEADING_CODES[main.tag]), [], main.tag
    if not parts:
        return None
    for fld in fields:
        if not fld.tag.startswith("4"):
            continue
        if local and fld.tag == "4" + local[1:]:
            found, more = _local_parts(fld)
            texts = [heading_text(found)] + more
        elif ("1" + fld.tag[1:]) in HEADING_CODES:
            texts = [heading_text(heading_parts(fld, HEADING_CODES["1" + fld.tag[1:]]))]
        else:
            continue
        for text in texts:
            if text and text not in variants and heading_key(text) != heading_key(heading_text(parts)):
                variants.append(text)
    variants = [v for v in variants if v and heading_key(v) != heading_key(heading_text(parts))]
    return kind, parts, list(dict.fromkeys(variants))


def _control_number(record):
    found = record.get_fields("001")
    return ((found[0].data or "").strip() or None) if found else None


def _fill(authority, record, values):
    tag, parts, variants = values
    number = _control_number(record)
    authority.control_number = (number or None) and number[:64]
    authority.heading_type = tag
    authority.heading = heading_text(parts)[:1000]
    authority.heading_sort = sort_key(authority.heading)[:600]
    authority.folded = heading_key(heading_text(parts))
    authority.variants = "\n".join(variants)
    authority.marc = marc.to_json(record)


def import_authorities(fh, *, actor=None, batch_size=500):
    """Read an authority file (ISO 2709 or MARCXML, MARC-8 or UTF-8) and store its records.

    A record with a known 001 replaces the stored one. Afterwards the unlinked headings of the catalogue
    that now match an authority are linked (and re-indexed). Returns a dict of counts and problems.
    """
    if actor is not None:
        require(actor, "catalog.edit")
    counts = {"read": 0, "created": 0, "updated": 0, "skipped": 0, "linked": 0, "problems": []}
    pending = 0
    for parsed in marcio.read_file(fh):
        counts["read"] += 1
        if not parsed.ok:
            counts["skipped"] += 1
            counts["problems"].append(f"record {parsed.number}: {parsed.problem}")
            continue
        values = _authority_values(parsed.record)
        if values is None:
            counts["skipped"] += 1
            counts["problems"].append(f"record {parsed.number}: no authorised heading (100-155)")
            continue
        number = _control_number(parsed.record)
        authority = None
        if number:
            authority = db.session.scalar(sa.select(Authority).where(Authority.control_number == number[:64]))
        if authority is None:
            authority = Authority()
            db.session.add(authority)
            counts["created"] += 1
        else:
            counts["updated"] += 1
        _fill(authority, parsed.record, values)
        pending += 1
        if pending >= batch_size:
            db.session.flush()
            pending = 0
    db.session.flush()
    counts["linked"] = link_unlinked()
    return counts


# -- linking bibliographic headings -------------------------------------------------------------------

def record_headings(record):
    """``[(tag, occurrence, heading text, [keys to try])]`` of a pymarc bibliographic record."""
    out, seen = [], defaultdict(int)
    for fld in record.fields:
        if fld.tag not in BIB_TAGS or fld.is_control_field():
            continue
        occurrence = seen[fld.tag]
        seen[fld.tag] += 1
        parts = heading_parts(fld, _bib_codes(fld.tag))
        if not parts:
            continue
        text = heading_text(parts)
        keys = [heading_key(text)]
        if any(code in SUBDIVISIONS for code, _v in parts):
            main = [(c, v) for c, v in parts if c not in SUBDIVISIONS]
            if main:
                keys.append(heading_key(heading_text(main)))
        out.append((fld.tag, occurrence, text[:1000], keys))
    return out


class AuthorityIndex:
    """``{(type, folded): authority id}`` for matching many records (an import); ``None``: ask the database."""

    def __init__(self, preload=False):
        self._map = None
        if preload:
            self._map = {}
            for aid, kind, folded in db.session.execute(
                    sa.select(Authority.id, Authority.heading_type, Authority.folded).order_by(Authority.id)):
                self._map.setdefault((kind, folded), aid)

    def lookup(self, wanted):
        """``wanted``: a set of (type, folded); returns the ones known with their authority ids."""
        if self._map is not None:
            return {key: self._map[key] for key in wanted if key in self._map}
        found = {}
        folded = sorted({f for _t, f in wanted})
        for start in range(0, len(folded), 500):
            for aid, kind, key in db.session.execute(
                    sa.select(Authority.id, Authority.heading_type, Authority.folded)
                    .where(Authority.folded.in_(folded[start:start + 500])).order_by(Authority.id)):
                if (kind, key) in wanted:
                    found.setdefault((kind, key), aid)
        return found


def link_records(pairs, index=None):
    """Replace the heading rows of ``pairs`` (record id, pymarc record) and link them; the caller commits.

    Returns ``{record id: number of linked headings}``.
    """
    pairs = [(rid, rec) for rid, rec in pairs if rid is not None]
    if not pairs:
        return {}
    index = index or AuthorityIndex()
    ids = [rid for rid, _rec in pairs]
    for start in range(0, len(ids), 500):
        db.session.execute(sa.delete(RecordHeading).where(RecordHeading.record_id.in_(ids[start:start + 500])))
    found_headings = [(rid, record_headings(rec)) for rid, rec in pairs]
    wanted = {(BIB_TAGS[tag], key) for _rid, heads in found_headings for tag, _o, _t, keys in heads for key in keys}
    known = index.lookup(wanted) if wanted else {}
    rows, linked = [], {}
    for rid, heads in found_headings:
        linked[rid] = 0
        for tag, occurrence, text, keys in heads:
            authority_id = next((known[(BIB_TAGS[tag], k)] for k in keys if (BIB_TAGS[tag], k) in known), None)
            if authority_id:
                linked[rid] += 1
            rows.append({"record_id": rid, "tag": tag, "occurrence": occurrence, "heading": text,
                         "folded": keys[0], "authority_id": authority_id})
    if rows:
        db.session.execute(sa.insert(RecordHeading.__table__), rows)
    return linked


def link_unlinked():
    """Link the unlinked headings that match an authority now; re-index their records. Returns how many."""
    rows = db.session.execute(sa.select(RecordHeading.id, RecordHeading.record_id, RecordHeading.tag,
                                        RecordHeading.folded)
                              .where(RecordHeading.authority_id.is_(None))).all()
    if not rows:
        return 0
    known = AuthorityIndex(preload=True)
    updates, records = [], set()
    for row in rows:
        aid = known.lookup({(BIB_TAGS.get(row.tag), row.folded)}).get((BIB_TAGS.get(row.tag), row.folded))
        if aid:
            updates.append({"heading_id": row.id, "authority_id": aid})
            records.add(row.record_id)
    if updates:
        table = RecordHeading.__table__
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("heading_id"))
                           .values(authority_id=sa.bindparam("authority_id")), updates)
        for rid in records:
            record_saved.send(None, record_id=rid)
    return len(updates)


def variants_for(record_ids):
    """``{record id: {"author": [...], "title": [...], "subject": [...]}}``: the linked authorities' variants."""
    out = {}
    ids = sorted({int(i) for i in record_ids})
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            sa.select(RecordHeading.record_id, RecordHeading.tag, Authority.variants)
            .join(Authority, Authority.id == RecordHeading.authority_id)
            .where(RecordHeading.record_id.in_(ids[start:start + 500]), Authority.variants != "")).all()
        for rid, tag, variants in rows:
            out.setdefault(rid, {}).setdefault(search_field(tag), []).extend(variants.split("\n"))
    return out


def search_field(tag):
    """Which words of the search document a heading's variants join."""
    if tag.startswith("6"):
        return "subject"
    return "title" if tag.endswith("30") else "author"


# -- changing an authorised heading ---------------------------------------------------------------------

def parse_heading(text, heading_type):
    """The editor's heading, ``$aNguyễn, Du,$d1765-1820``, as subfields; plain text is one $a."""
    text = nfc(text or "").strip()
    if not text:
        raise DomainError(_l("Write the authorised heading."), field="heading")
    if not text.startswith("$"):
        return [("a", text)]
    parts = []
    for chunk in text.split("$")[1:]:
        if not chunk:
            continue
        code, value = chunk[0], chunk[1:].strip()
        if code not in HEADING_CODES[heading_type]:
            raise DomainError(_l("Subfield $%(code)s is not part of a %(tag)s heading; use one of %(codes)s.",
                                 code=code, tag=heading_type, codes=", ".join(HEADING_CODES[heading_type])),
                              field="heading")
        if value:
            parts.append((code, value))
    if not parts or parts[0][0] != "a":
        raise DomainError(_l("A heading starts with subfield $a."), field="heading")
    return parts


def _main_field(record, authority):
    """The authority record's heading field and the subfields that make its heading (a local 1XX: $a)."""
    found = record.get_fields(authority.heading_type)
    if found:
        return found[0], HEADING_CODES[authority.heading_type]
    local = [f for f in record.fields if f.tag.startswith("1") and not f.is_control_field()]
    return (local[0], "a") if local else (None, HEADING_CODES[authority.heading_type])


def heading_input(authority):
    """The authorised heading in the editor's ``$a…$d…`` form."""
    main, codes = _main_field(marc.from_json(authority.marc), authority)
    parts = (heading_parts(main, codes) if main else []) or [("a", authority.heading)]
    return "".join(f"${code}{value}" for code, value in parts)


def _rewrite(fld, parts, codes):
    """``fld`` with its heading subfields replaced by ``parts`` (the others kept, after the heading)."""
    kept = [sf for sf in fld.subfields if sf.code not in codes]
    fld.subfields = [Subfield(code, value) for code, value in parts] + kept


def update_heading(authority, text, *, actor):
    """Change the authorised form and rewrite every linked record (the caller commits).

    Returns the number of records changed. The former form becomes a see-from variant (4XX).
    """
    from .services import apply_marc     # services imports this module
    require(actor, "catalog.edit")
    parts = parse_heading(text, authority.heading_type)
    new_text = heading_text(parts)
    old_text = authority.heading
    record = marc.from_json(authority.marc)
    main, codes = _main_field(record, authority)
    if main is None:
        main = Field(tag=authority.heading_type, indicators=[" ", " "], subfields=[])
        record.add_ordered_field(main)
    _rewrite(main, parts, codes)
    variants = [v for v in authority.variant_list if heading_key(v) != heading_key(new_text)]
    if heading_key(old_text) != heading_key(new_text) and old_text not in variants:
        variants.append(old_text)
        record.add_ordered_field(Field(tag="4" + authority.heading_type[1:], indicators=[" ", " "],
                                       subfields=[Subfield("a", old_text)]))
    authority.heading = new_text[:1000]
    authority.heading_sort = sort_key(new_text)[:600]
    authority.folded = heading_key(new_text)
    authority.variants = "\n".join(variants)
    authority.marc = marc.to_json(record)

    links = db.session.scalars(sa.select(RecordHeading).where(RecordHeading.authority_id == authority.id)
                               .order_by(RecordHeading.record_id)).all()
    by_record = defaultdict(list)
    for link in links:
        by_record[link.record_id].append(link)
    for record_id, record_links in by_record.items():
        bib = db.session.get(Record, record_id)
        marc_record = marc.from_json(bib.marc)
        for link in record_links:
            fields = marc_record.get_fields(link.tag)
            if link.occurrence < len(fields):
                _rewrite(fields[link.occurrence], parts, _bib_codes(link.tag))
            link.heading = new_text[:1000]
            link.folded = authority.folded
        apply_marc(bib, marc_record)
        record_saved.send(bib, record_id=bib.id)
    db.session.flush()
    return len(by_record)


# -- reports ---------------------------------------------------------------------------------------------

def unlinked_headings(limit=200, offset=0):
    """Unlinked headings, most used first: ``[(tag type, heading, records, suggested authority or None)]``.

    The suggestion is the authority that has this heading as a see-from variant.
    """
    kind = sa.case(*[(RecordHeading.tag == tag, kind) for tag, kind in BIB_TAGS.items()], else_="")
    rows = db.session.execute(
        sa.select(kind.label("kind"), RecordHeading.folded, sa.func.min(RecordHeading.heading).label("heading"),
                  sa.func.count(sa.distinct(RecordHeading.record_id)).label("records"))
        .where(RecordHeading.authority_id.is_(None))
        .group_by(kind, RecordHeading.folded)
        .order_by(sa.desc("records"), RecordHeading.folded).limit(limit).offset(offset)).all()
    suggestions = _variant_matches({(r.kind, r.folded) for r in rows})
    return [(r.kind, r.heading, r.records, suggestions.get((r.kind, r.folded))) for r in rows]


def _variant_matches(wanted):
    if not wanted:
        return {}
    kinds = {k for k, _f in wanted}
    out = {}
    for authority in db.session.scalars(sa.select(Authority).where(Authority.heading_type.in_(kinds),
                                                                   Authority.variants != "")):
        for variant in authority.variant_list:
            key = (authority.heading_type, heading_key(variant))
            if key in wanted:
                out.setdefault(key, authority)
    return out


def count_unlinked():
    return db.session.scalar(sa.select(sa.func.count(RecordHeading.id)).where(RecordHeading.authority_id.is_(None)))


def get_authority(authority_id):
    from ..common.errors import NotFound
    authority = db.session.get(Authority, authority_id)
    if authority is None:
        raise NotFound(_l("This authority record does not exist."))
    return authority


def linked_record_count(authority_id):
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(RecordHeading.record_id)))
                             .where(RecordHeading.authority_id == authority_id))


# -- browsing (the OPAC) ----------------------------------------------------------------------------------

#: which heading tags each OPAC browse list shows
BROWSE_TAGS = {"author": ("100", "110", "111", "700", "710", "711"),
               "subject": ("600", "610", "611", "630", "650", "651", "655")}


def browse(kind, start="", limit=50):
    """Headings of the catalogue in alphabetical (folded) order from ``start``: ``[(heading, records)]``.

    Linked headings show their authority's authorised form (one entry, however the records spell it);
    the others their own form. Like Koha's and Evergreen's browse, a list of headings, each leading to
    its records.
    """
    tags = BROWSE_TAGS[kind]
    key = heading_key(start)
    shown = sa.func.coalesce(Authority.heading, RecordHeading.heading)
    group = sa.func.coalesce(Authority.folded, RecordHeading.folded)
    query = (sa.select(sa.func.min(shown).label("heading"),
                       sa.func.count(sa.distinct(RecordHeading.record_id)).label("records"))
             .select_from(RecordHeading)
             .outerjoin(Authority, Authority.id == RecordHeading.authority_id)
             .where(RecordHeading.tag.in_(tags))
             .group_by(group).order_by(group).limit(limit))
    if key:
        query = query.where(group >= key)
    return [(row.heading, row.records) for row in db.session.execute(query)]


def suggest(text, kind=None, limit=10):
    """Authorities whose authorised form starts with ``text`` (folded), or whose variants contain it: for the
    editor's suggestions while typing. ``kind``: an authority type (100...155) or a bibliographic tag."""
    key = heading_key(text)
    if len(key) < 2:
        return []
    kind = BIB_TAGS.get(kind, kind)
    query = sa.select(Authority).where(sa.or_(Authority.folded.like(key.replace("%", "").replace("_", "") + "%"),
                                              Authority.variants.contains(nfc(text.strip()), autoescape=True)))
    if kind in HEADING_CODES:
        query = query.where(Authority.heading_type == kind)
    return db.session.scalars(query.order_by(Authority.heading_sort, Authority.id).limit(limit)).all()
