"""Copy cataloguing: find a record in other libraries over SRU 1.1/1.2 (CQL) and bring it into the catalogue.

The client, in our own words, of what Koha's and Evergreen's Z39.50/SRU
search does:

- a search is one CQL query built from an ISBN (hyphens dropped), title,
  author or keyword (``bath.isbn``, ``dc.title``, ``dc.creator``,
  ``cql.serverChoice``; several words are one quoted phrase-free ``all``
  term), or CQL typed by an expert;
- several targets are asked at once, each in its own thread with its own
  timeout; the page waits at most for the slowest target's timeout (plus a
  grace second) and reports every target that did not answer by then, so a
  dead server never holds the page;
- records come as MARCXML (``recordPacking`` ``xml`` or ``string``), SRU 1.1,
  1.2 (and 2.0 envelopes, read by local names); characters are read as the
  target's ``encoding`` says (see ``models.CopyTarget``), then NFC;
- importing goes through ``importer.MarcImporter`` (one batch, one
  transaction, indexed). The source's 001/003 become ``(003)001``, in 001
  and as an 035 system number (as Evergreen and Koha keep it), so a number
  from another library never collides with ours and importing the same
  record again updates the first import.

Z39.50 is not offered: no maintained Python binding exists (PyZ3950 is
Python 2 only) and Debian's YAZ tools would mean a subprocess per search; the
large Z39.50 servers (Library of Congress, national libraries) also answer
SRU. Written in ``docs/copy-cataloguing.md``.
"""
from __future__ import annotations

import concurrent.futures
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pymarc
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from pymarc import Field, Subfield

from ..common.errors import DomainError, NotFound
from ..common.permissions import SYSTEM, require
from ..extensions import db
from . import importer, marc, marcio
from .models import CopyTarget

USER_AGENT = "ILMS copy cataloguing (SRU client)"
#: Largest answer read from a target; beyond it the answer is cut and reported.
MAX_RESPONSE_BYTES = 8 << 20
MAX_RECORDS = 50
MAX_TERMS = 300
#: Seconds the page waits beyond the slowest target's own timeout.
GRACE = 1.0
ENCODINGS = ("utf-8", "marc-8", "auto")
VERSIONS = ("1.1", "1.2")
FIELDS = {"isbn": "bath.isbn", "title": "dc.title", "author": "dc.creator", "keyword": "cql.serverChoice"}
FIELD_LABELS = {"keyword": _l("Keyword"), "isbn": _l("ISBN"), "title": _l("Title"), "author": _l("Author"),
                "cql": _l("CQL query")}
MARC_NS = marcio.MARCXML_NS


class CopyError(DomainError):
    """A target could not be searched (unreachable, not SRU, a diagnostic); the message says which and why.

    Raised in the search threads too, where no app context translates: the
    message stays lazy until a page or command shows it.
    """

    def __init__(self, message, *, field=None):
        Exception.__init__(self)
        self.message = message
        self.field = field
        self.code = "CopyError"


@dataclass
class Target:
    """What the client needs of a target: a configured ``CopyTarget`` or a bare URL."""

    name: str
    url: str
    version: str = "1.2"
    record_schema: str = "marcxml"
    encoding: str = "utf-8"
    timeout: float = 8.0
    id: int | None = None

    @classmethod
    def of(cls, row: CopyTarget):
        return cls(name=row.name, url=row.url, version=row.version or "1.2", record_schema=row.record_schema,
                   encoding=row.encoding, timeout=float(row.timeout or 8.0), id=row.id)


@dataclass
class Hit:
    """One record a target found: the record (pymarc, NFC), its MARCXML and the columns shown."""

    target: str
    position: int
    record: pymarc.Record
    warnings: list = field(default_factory=list)

    @property
    def columns(self):
        return marc.extract(self.record)

    @property
    def marcxml(self) -> str:
        return marcio.to_marcxml(self.record).decode("utf-8")


@dataclass
class TargetResult:
    target: Target
    hits: list = field(default_factory=list)
    total: int = 0
    error: object = None          # a (translatable) sentence when the target failed
    seconds: float = 0.0


# -- CQL ---------------------------------------------------------------------------------

def _quote(term):
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_cql(kind, terms):
    """The CQL for a search of ``kind`` (isbn, title, author, keyword, cql); a ``CopyError`` if empty."""
    terms = unicodedata.normalize("NFC", (terms or "").strip())[:MAX_TERMS]
    if not terms:
        raise CopyError(_l("Type what to look for: an ISBN, words of the title, an author."), field="terms")
    if kind == "cql":
        return terms
    if kind not in FIELDS:
        raise CopyError(_l("Choose what the words are: ISBN, title, author or keyword."), field="kind")
    if kind == "isbn":
        digits = marc.normalise_isbn(terms) or terms.replace("-", "").replace(" ", "")
        return f"{FIELDS['isbn']}={_quote(digits)}"
    return f"{FIELDS[kind]} all {_quote(' '.join(terms.split()))}"


# -- one target ----------------------------------------------------------------------------

def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element, name):
    return next((c for c in element if _local(c.tag) == name), None)


def request_url(target: Target, cql, *, maximum=10, start=1):
    params = {"version": target.version or "1.2", "operation": "searchRetrieve", "query": cql,
              "startRecord": str(max(1, int(start))), "maximumRecords": str(max(0, min(MAX_RECORDS, int(maximum)))),
              "recordSchema": target.record_schema or "marcxml"}
    base = target.url.strip()
    return base + ("&" if "?" in base else "?") + urllib.parse.urlencode(params)


def search_target(target: Target, cql, *, maximum=10, start=1) -> TargetResult:
    """Ask one target; a failure is returned as the result's ``error``, never raised."""
    result = TargetResult(target=target)
    began = time.monotonic()
    try:
        body = _get(request_url(target, cql, maximum=maximum, start=start), target)
        result.total, result.hits = parse_response(body, target)
    except CopyError as error:
        result.error = error.message
    result.seconds = time.monotonic() - began
    return result


def _get(url, target):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/xml, application/xml"})
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise CopyError(_l("%(name)s answered HTTP %(code)d.", name=target.name, code=error.code)) from None
    except TimeoutError:
        raise CopyError(_l("%(name)s did not answer within %(seconds)s seconds.", name=target.name,
                           seconds=_seconds(target.timeout))) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise CopyError(_l("%(name)s did not answer within %(seconds)s seconds.", name=target.name,
                               seconds=_seconds(target.timeout))) from None
        raise CopyError(_l("%(name)s cannot be reached (%(reason)s).", name=target.name, reason=reason)) from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise CopyError(_l("%(name)s sent an answer larger than %(mb)d MB; ask for fewer records.",
                           name=target.name, mb=MAX_RESPONSE_BYTES >> 20))
    return body


def _seconds(value):
    return f"{value:g}"


def parse_response(body: bytes, target: Target):
    """``(numberOfRecords, [Hit])`` from a searchRetrieve answer; a diagnostic becomes a ``CopyError``."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise CopyError(_l("%(name)s did not answer in XML (%(reason)s).", name=target.name, reason=error)) \
            from None
    if _local(root.tag) != "searchRetrieveResponse":
        raise CopyError(_l("%(name)s did not answer an SRU search (the answer is “%(tag)s”).", name=target.name,
                           tag=_local(root.tag)[:60]))
    hits = []
    records = _child(root, "records")
    for position, element in enumerate(records if records is not None else (), start=1):
        if _local(element.tag) != "record":
            continue
        place = (element.findtext("{*}recordPosition") or "").strip()
        number = int(place) if place.isdigit() else position
        hit = _hit(element, target, number)
        if hit is not None:
            hits.append(hit)
    diagnostics = _child(root, "diagnostics")
    if diagnostics is not None and not hits:
        messages = []
        for diagnostic in diagnostics:
            text = " ".join(t for t in ((diagnostic.findtext("{*}message") or "").strip(),
                                        (diagnostic.findtext("{*}details") or "").strip()) if t)
            messages.append(text or (diagnostic.findtext("{*}uri") or "").strip())
        raise CopyError(_l("%(name)s refused the search: %(message)s", name=target.name,
                           message="; ".join(messages)[:300]))
    count = (_child(root, "numberOfRecords").text or "0").strip() if _child(root, "numberOfRecords") is not None \
        else str(len(hits))
    return (int(count) if count.isdigit() else len(hits)), hits


def _hit(element, target, number):
    data = _child(element, "recordData")
    if data is None:
        return None
    marc_element = next((c for c in data.iter() if _local(c.tag) == "record" and c is not data
                         and (c.tag == f"{{{MARC_NS}}}record" or c.tag == "record")), None)
    if marc_element is None and (data.text or "").strip().startswith("<"):      # recordPacking=string
        try:
            inner = ET.fromstring(data.text.strip())
        except ET.ParseError:
            return None
        marc_element = inner if _local(inner.tag) == "record" else next(
            (c for c in inner.iter() if _local(c.tag) == "record"), None)
    if marc_element is None:
        return None
    leader = next(((c.text or "") for c in marc_element if _local(c.tag) == "leader"), "")
    try:
        record, warnings = marcio.decode_marcxml(marc_element)
    except marcio.ReadProblem:
        return None
    warnings = list(warnings)
    if _is_marc8(leader, target.encoding):
        _decode_marc8(record, warnings)
    return Hit(target=target.name, position=number, record=record, warnings=warnings)


def _is_marc8(leader, encoding):
    """Read as MARC-8? Always for ``marc-8``; for ``auto`` when the leader as sent has a blank position 09."""
    if encoding == "marc-8":
        return True
    return encoding == "auto" and leader[9:10] == " "


def _decode_marc8(record, warnings):
    """Characters that are MARC-8 bytes read as Latin-1 (a gateway without character set conversion)."""
    decode = marcio._Marc8Decoder(warnings)

    def convert(text):
        if text.isascii() and "\x1b" not in text:
            return text
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:          # already Unicode beyond Latin-1: leave it
            return text
        return decode(raw)

    for fld in record.fields:
        if fld.is_control_field():
            continue
        fld.subfields = [Subfield(code=s.code, value=convert(s.value)) for s in fld.subfields]


# -- several targets -----------------------------------------------------------------------

def search(targets, cql, *, maximum=10):
    """Ask every target at once; ``[TargetResult]`` in the targets' order, within the slowest timeout + grace."""
    targets = list(targets)
    if not targets:
        return []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(targets)),
                                                 thread_name_prefix="copycat")
    try:
        futures = [pool.submit(search_target, t, cql, maximum=maximum) for t in targets]
        concurrent.futures.wait(futures, timeout=max(t.timeout for t in targets) + GRACE)
        results = []
        for target, future in zip(targets, futures):
            if future.done() and future.exception() is None:
                results.append(future.result())
            elif future.done():
                results.append(TargetResult(target=target, error=_l("%(name)s failed: %(error)s", name=target.name,
                                                                    error=future.exception())))
            else:
                future.cancel()
                results.append(TargetResult(target=target, error=_l(
                    "%(name)s did not answer within %(seconds)s seconds.", name=target.name,
                    seconds=_seconds(target.timeout)), seconds=target.timeout))
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# -- targets --------------------------------------------------------------------------------

def targets(active_only=True):
    query = sa.select(CopyTarget).order_by(CopyTarget.name)
    if active_only:
        query = query.where(CopyTarget.active.is_(True))
    return list(db.session.scalars(query))


def resolve(name_or_url) -> Target:
    """A configured target by name, or an SRU endpoint given by its URL (``http://`` or ``https://``)."""
    text = (name_or_url or "").strip()
    row = db.session.scalar(sa.select(CopyTarget).where(CopyTarget.name == text))
    if row is not None:
        return Target.of(row)
    if text.startswith(("http://", "https://")):
        return Target(name=urllib.parse.urlsplit(text).netloc or text, url=text)
    raise NotFound(_l("No copy cataloguing target is called “%(name)s”; give its name or an SRU URL.",
                      name=text[:120]))


def save_target(*, actor, values, target=None):
    """Create or change a target (administrators: ``org.edit``). ``values``: the form's fields."""
    require(actor, "org.edit")
    name = (values.get("name") or "").strip()
    url = (values.get("url") or "").strip()
    if not url.startswith(("http://", "https://")):
        raise DomainError(_l("The address must start with http:// or https://."), field="url")
    if values.get("encoding") not in ENCODINGS:
        raise DomainError(_l("Choose how the target's characters are encoded."), field="encoding")
    if values.get("version") not in VERSIONS:
        raise DomainError(_l("Choose SRU version 1.1 or 1.2."), field="version")
    timeout = float(values.get("timeout") or 8)
    if not 0.5 <= timeout <= 60:
        raise DomainError(_l("The timeout must be between 0.5 and 60 seconds."), field="timeout")
    other = db.session.scalar(sa.select(CopyTarget).where(CopyTarget.name == name))
    if other is not None and other is not target:
        raise DomainError(_l("Another target is already called “%(name)s”.", name=name), field="name")
    if target is None:
        target = CopyTarget()
        db.session.add(target)
    target.name = name
    target.url = url
    target.version = values["version"]
    target.record_schema = (values.get("record_schema") or "marcxml").strip()
    target.encoding = values["encoding"]
    target.timeout = timeout
    target.active = bool(values.get("active", True))
    db.session.flush()
    return target


def delete_target(target, *, actor):
    require(actor, "org.edit")
    db.session.delete(target)
    db.session.flush()


# -- import ---------------------------------------------------------------------------------

def prepare(record: pymarc.Record, source_name: str) -> pymarc.Record:
    """The source's 001 renamed ``(003)001`` (the target's name without 003), kept in 035 too; 003/005 dropped.

    The prefixed 001 says where the record came from, so a number of another
    library never collides with one of ours, and importing the same record
    again updates the first import instead of doubling it. A minimal record
    made when the book was ordered (same ISBN, no 001) is completed by it,
    as the MARC file import does.
    """
    control = record.get("001")
    number = (control.data or "").strip() if control is not None else ""
    if number:
        org = record.get("003")
        prefix = (org.data or "").strip() if org is not None and (org.data or "").strip() else source_name
        system_number = f"({prefix[:40]}){number}"[:64]
        known = {v for f in record.get_fields("035") for v in f.get_subfields("a")}
        if system_number not in known:
            record.add_ordered_field(Field(tag="035", indicators=[" ", " "],
                                           subfields=[Subfield(code="a", value=system_number)]))
        control.data = system_number
    for tag in ("003", "005"):
        for fld in record.get_fields(tag):
            record.remove_field(fld)
    return record


def import_records(records, *, source_name, actor=SYSTEM):
    """Import pymarc records found on a target; ``(summary, [record ids in order])``.

    One batch through ``MarcImporter`` (same matching, same index), so the
    whole import is stored or nothing is.
    """
    require(actor, "catalog.edit")
    stored = {}

    def remember(rows):
        for parsed, record_id, _created in rows:
            stored[parsed.number] = record_id

    parsed = [marcio.ParsedRecord(number, 0, record=prepare(record, source_name))
              for number, record in enumerate(records, start=1)]
    summary = importer.MarcImporter(actor=actor, on_stored=remember, batch_size=max(1, len(parsed))).run(parsed)
    return summary, [stored[p.number] for p in parsed if p.number in stored]


def record_from_marcxml(text):
    """A record posted back by the results page (its MARCXML); a ``CopyError`` if it is not one."""
    if not text or len(text) > 500_000:
        raise CopyError(_l("The record to import is missing or too large; search again."))
    try:
        element = ET.fromstring(text.encode("utf-8"))
        if _local(element.tag) == "collection":
            element = next(c for c in element if _local(c.tag) == "record")
        record, _warnings = marcio.decode_marcxml(element)
    except (ET.ParseError, StopIteration, marcio.ReadProblem):
        raise CopyError(_l("The record to import could not be read; search again.")) from None
    return record
