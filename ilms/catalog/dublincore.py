"""A record as simple Dublin Core (``oai_dc``), after the Library of Congress MARC to Dublin Core crosswalk."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from . import marc
from .marcio import xml_text
from .models import MaterialType

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

#: DCMI Type Vocabulary terms for our material types.
DCMI_TYPES = {
    MaterialType.BOOK: "Text", MaterialType.SERIAL: "Text", MaterialType.MANUSCRIPT: "Text",
    MaterialType.MUSIC: "Text", MaterialType.MAP: "Image", MaterialType.VIDEO: "MovingImage",
    MaterialType.AUDIO: "Sound", MaterialType.IMAGE: "StillImage", MaterialType.ELECTRONIC: "Software",
    MaterialType.KIT: "Collection", MaterialType.OBJECT: "PhysicalObject", MaterialType.MIXED: "Collection",
}

ET.register_namespace("oai_dc", OAI_DC_NS)
ET.register_namespace("dc", DC_NS)
ET.register_namespace("xsi", XSI_NS)


def _split(text):
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def elements(record, *, url=None) -> list:
    """``[(element name, value)]`` for one ``Record`` (``url``: its public page, given as an identifier)."""
    parsed = marc.from_json(record.marc)
    out = [("title", record.title)]
    out += [("creator", name) for name in _split(record.authors)]
    out += [("subject", subject) for subject in _split(record.subjects)]
    if record.classification:
        out.append(("subject", record.classification))
    for fld in parsed.get_fields("520"):
        out += [("description", value) for value in fld.get_subfields("a") if value.strip()]
    if record.publisher:
        out.append(("publisher", record.publisher))
    if record.year:
        out.append(("date", str(record.year)))
    material = record.material_type
    out.append(("type", DCMI_TYPES.get(material, "Text")))
    if record.physical:
        out.append(("format", record.physical))
    if record.isbn:
        out.append(("identifier", f"urn:isbn:{record.isbn}"))
    if record.issn:
        out.append(("identifier", f"urn:issn:{record.issn}"))
    if url:
        out.append(("identifier", url))
    if record.language:
        out.append(("language", record.language))
    return [(name, value) for name, value in out if value]


def element(record, *, url=None) -> ET.Element:
    """``<oai_dc:dc>`` for one record."""
    root = ET.Element(f"{{{OAI_DC_NS}}}dc", {f"{{{XSI_NS}}}schemaLocation": f"{OAI_DC_NS} {OAI_DC_SCHEMA}"})
    for name, value in elements(record, url=url):
        ET.SubElement(root, f"{{{DC_NS}}}{name}").text = xml_text(str(value))
    return root
