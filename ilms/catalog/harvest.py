"""Harvesting ``marc21`` records from another library system's OAI-PMH provider (``flask catalog harvest``).

Records go through the MARC file import (``importer.MarcImporter``): the
same matching (001, then ISBN), the same batches (a batch's records are
all stored or none are), the same report. Each stored record is
remembered with the source's base URL and its identifier there
(``HarvestedRecord``), in the batch's transaction.

A deleted header from the source deletes the local record only when this
source's harvest created it and it has no copies; a record catalogued here
(or updated by the harvest but made here), a record with copies, or an
identifier never harvested from this source is left alone and reported.
Deleting goes through ``services.delete_record``, so our own harvesters
in turn see a tombstone.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..extensions import db
from . import importer, marcio, services
from .models import HarvestedRecord, Item, Record

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
MARC_NS = marcio.MARCXML_NS
TIMEOUT = 60
RETRIES = 3
USER_AGENT = "ILMS OAI-PMH harvester"


class HarvestError(DomainError):
    """The source cannot be harvested (unreachable, not OAI-PMH, an OAI error); nothing after it was stored."""


@dataclass
class HarvestReport:
    summary: importer.ImportSummary
    deleted: int = 0
    #: deleted at the source but kept here: ``(identifier, reason)``
    kept: list = field(default_factory=list)
    #: ``(identifier or record number, message)`` for records skipped or imported with remarks
    problems: list = field(default_factory=list)
    pages: int = 0
    response_date: str = ""


def _q(name, ns=OAI_NS):
    return f"{{{ns}}}{name}"


def fetch(url, params, *, opener=None):
    """One OAI-PMH response, parsed; 503 with Retry-After is waited for (a few times, at most 30 s each)."""
    full = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    opener = opener or urllib.request.build_opener()
    for attempt in range(RETRIES + 1):
        request = urllib.request.Request(full, headers={"User-Agent": USER_AGENT})
        try:
            with opener.open(request, timeout=TIMEOUT) as response:
                body = response.read()
            break
        except urllib.error.HTTPError as error:
            if error.code == 503 and attempt < RETRIES:
                wait = error.headers.get("Retry-After", "5")
                time.sleep(min(30, int(wait) if wait.isdigit() else 5))
                continue
            raise HarvestError(_l("The source answered HTTP %(code)d to %(url)s.", code=error.code, url=full)) \
                from None
        except (urllib.error.URLError, OSError) as error:
            raise HarvestError(_l("The source %(url)s cannot be reached (%(reason)s).", url=url,
                                  reason=getattr(error, "reason", error))) from None
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise HarvestError(_l("The source's answer is not XML (%(reason)s).", reason=error)) from None
    if root.tag != _q("OAI-PMH"):
        raise HarvestError(_l("The source's answer is not an OAI-PMH response."))
    return root


class Harvest:
    """One harvest of ``url``: ``records()`` feeds the importer page by page; ``deleted`` collects deletions."""

    def __init__(self, url, *, set_spec=None, from_date=None, opener=None):
        self.url = url.strip().rstrip("?")
        self.params = {"verb": "ListRecords", "metadataPrefix": "marc21"}
        if set_spec:
            self.params["set"] = set_spec
        if from_date:
            self.params["from"] = from_date
        self.opener = opener
        self.identifiers = {}       # record number -> (identifier, datestamp)
        self.deleted = []           # identifiers the source reports deleted
        self.pages = 0
        self.response_date = ""

    def records(self):
        params = dict(self.params)
        number = 0
        while True:
            root = fetch(self.url, params, opener=self.opener)
            self.pages += 1
            if self.pages == 1:
                self.response_date = (root.findtext(_q("responseDate")) or "").strip()
            error = root.find(_q("error"))
            if error is not None:
                if error.get("code") == "noRecordsMatch":
                    return
                raise HarvestError(_l("The source refused the harvest: %(code)s (%(message)s).",
                                      code=error.get("code"), message=(error.text or "").strip()))
            listing = root.find(_q("ListRecords"))
            if listing is None:
                raise HarvestError(_l("The source's answer has neither records nor an error."))
            for record in listing.findall(_q("record")):
                header = record.find(_q("header"))
                identifier = (header.findtext(_q("identifier")) or "").strip() if header is not None else ""
                stamp = (header.findtext(_q("datestamp")) or "").strip() if header is not None else ""
                if header is not None and header.get("status") == "deleted":
                    self.deleted.append(identifier)
                    continue
                number += 1
                self.identifiers[number] = (identifier, stamp)
                yield self._parse(number, record)
            token = listing.find(_q("resumptionToken"))
            if token is None or not (token.text or "").strip():
                return
            params = {"verb": "ListRecords", "resumptionToken": token.text.strip()}

    @staticmethod
    def _parse(number, record):
        metadata = record.find(_q("metadata"))
        element = None
        if metadata is not None:
            element = metadata.find(_q("record", MARC_NS))
            if element is None:
                element = metadata.find(f"{_q('collection', MARC_NS)}/{_q('record', MARC_NS)}")
        if element is None:
            return marcio.ParsedRecord(number, 0, problem=_l("the record has no MARCXML metadata"))
        try:
            parsed, warnings = marcio.decode_marcxml(element)
        except marcio.ReadProblem as problem:
            return marcio.ParsedRecord(number, 0, problem=problem.message)
        return marcio.ParsedRecord(number, 0, record=parsed, warnings=warnings)

    def remember(self, stored):
        """Importer hook: link each stored record to the source and its identifier there (same transaction)."""
        for parsed, record_id, created in stored:
            identifier, stamp = self.identifiers.get(parsed.number, ("", ""))
            if not identifier:
                continue
            link = db.session.scalar(sa.select(HarvestedRecord).where(HarvestedRecord.source == self.url,
                                                                      HarvestedRecord.identifier == identifier))
            if link is None:
                db.session.add(HarvestedRecord(source=self.url, identifier=identifier, record_id=record_id,
                                               created=created, datestamp=stamp[:20]))
            else:
                if link.record_id != record_id:
                    link.created = created
                link.record_id = record_id
                link.datestamp = stamp[:20]
        db.session.flush()


def harvest(url, *, set_spec=None, from_date=None, institution=None, actor=SYSTEM, progress=None, opener=None):
    """Harvest ``url`` into the catalogue; returns a ``HarvestReport``.

    ``institution``: copies are made from the records' holdings fields
    (852/952), owned by the library the field names or else by it.
    """
    run = Harvest(url, set_spec=set_spec, from_date=from_date, opener=opener)
    importing = importer.MarcImporter(institution=institution, items=institution is not None, actor=actor,
                                      progress=progress, on_stored=run.remember)
    summary = importing.run(run.records())
    report = HarvestReport(summary=summary, pages=run.pages, response_date=run.response_date)
    for problem in summary.problems:
        identifier = run.identifiers.get(problem.number, (str(problem.number), ""))[0]
        report.problems.append((identifier, problem.text))
    for identifier in run.deleted:
        reason = _delete(run.url, identifier, actor)
        if reason is None:
            report.deleted += 1
        else:
            report.kept.append((identifier, reason))
    return report


def _delete(source, identifier, actor):
    """Delete the record harvested as ``identifier``; ``None`` when done, else why it was kept."""
    link = db.session.scalar(sa.select(HarvestedRecord).where(HarvestedRecord.source == source,
                                                              HarvestedRecord.identifier == identifier))
    if link is None:
        return _l("never harvested from this source")
    if not link.created:
        return _l("the record was catalogued here before the harvest updated it; it is kept")
    record = db.session.get(Record, link.record_id)
    if record is None:
        return _l("already deleted here")
    if db.session.scalar(sa.select(sa.func.count(Item.id)).where(Item.record_id == record.id)):
        return _l("the record has copies here; it is kept")
    services.delete_record(record, actor=actor)
    db.session.commit()
    return None
