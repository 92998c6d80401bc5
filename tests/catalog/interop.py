"""Helpers of the interoperability tests: a demo-like catalogue, a live server on loopback, the XML schemas."""
import random
from pathlib import Path

from lxml import etree

from ilms.catalog import importer
from ilms.demo import catalog as demo_catalog
from ilms.demo.cli import load_all
from ilms.extensions import db
from tests.catalog.conftest import marc_path

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
#: Where the schemas say their imports are, and our copy of each.
SCHEMA_URLS = {
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": "simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
}
DRIVER = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:ilms:tests:schemas">
  <xs:import namespace="http://www.openarchives.org/OAI/2.0/" schemaLocation="OAI-PMH.xsd"/>
  <xs:import namespace="http://www.openarchives.org/OAI/2.0/oai_dc/" schemaLocation="oai_dc.xsd"/>
  <xs:import namespace="http://www.loc.gov/MARC21/slim" schemaLocation="MARC21slim.xsd"/>
  <xs:import namespace="http://www.loc.gov/zing/srw/" schemaLocation="srw-types.xsd"/>
</xs:schema>"""


class _LocalSchemas(etree.Resolver):
    def resolve(self, url, pubid, context):
        name = SCHEMA_URLS.get(url)
        if name:
            return self.resolve_filename(str(SCHEMAS / name), context)
        return None


def schema():
    """One XMLSchema holding OAI-PMH, oai_dc, MARC21slim and SRU 1.2, read offline."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    driver = etree.fromstring(DRIVER, parser, base_url=str(SCHEMAS / "driver.xsd"))
    return etree.XMLSchema(driver)


def load_demo_like():
    """The demo network, the Vietnamese demo books, a file of real multi-script records, copies."""
    load_all(echo=lambda *_: None, only={"network"})
    demo_catalog._import_vietnamese()
    importer.import_path(str(marc_path("bib", "traject_multiscript_30.utf8.mrc")))
    demo_catalog._add_copies(random.Random(1133))
    db.session.commit()


