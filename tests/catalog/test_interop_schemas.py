"""Every OAI-PMH and SRU response type validates against the official XML schemas (tests/data/schemas)."""
import pytest
from lxml import etree

from ilms.catalog import services
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from tests.catalog import interop


@pytest.fixture(scope="module")
def xsd():
    return interop.schema()


@pytest.fixture
def catalogue(app):
    interop.load_demo_like()
    record = services.create_minimal_record(title="Sẽ bị xoá")
    db.session.commit()
    services.delete_record(record, actor=SYSTEM)
    db.session.commit()
    return record.id


def _valid(xsd, data):
    document = etree.fromstring(data)
    assert xsd.validate(document), "\n".join(str(e) for e in xsd.error_log)[:3000]
    return document


OAI_REQUESTS = [
    "verb=Identify", "verb=ListMetadataFormats", "verb=ListMetadataFormats&identifier=oai:ilms.local:1",
    "verb=ListSets", "verb=ListIdentifiers&metadataPrefix=oai_dc", "verb=ListIdentifiers&metadataPrefix=marc21",
    "verb=ListRecords&metadataPrefix=oai_dc", "verb=ListRecords&metadataPrefix=marc21",
    "verb=ListRecords&metadataPrefix=marc21&set=library:TVT",
    "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:ilms.local:1",
    "verb=GetRecord&metadataPrefix=marc21&identifier=oai:ilms.local:1",
    # errors
    "verb=Nope", "verb=ListRecords", "verb=ListRecords&resumptionToken=bad",
    "verb=ListRecords&metadataPrefix=mods", "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x.y:1",
    "verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01",
]


def test_every_oai_response_type_is_valid(client, catalogue, xsd):
    for query in OAI_REQUESTS:
        _valid(xsd, client.get(f"/oai?{query}").data)
    # the deleted record, its noMetadataFormats error, and every page of a whole harvest in both formats
    _valid(xsd, client.get(f"/oai?verb=GetRecord&metadataPrefix=marc21&identifier=oai:ilms.local:{catalogue}").data)
    _valid(xsd, client.get(f"/oai?verb=ListMetadataFormats&identifier=oai:ilms.local:{catalogue}").data)
    for prefix in ("marc21", "oai_dc"):
        query, pages, deleted = f"verb=ListRecords&metadataPrefix={prefix}", 0, 0
        while True:
            document = _valid(xsd, client.get(f"/oai?{query}").data)
            pages += 1
            deleted += len(document.xpath("//o:header[@status='deleted']",
                                          namespaces={"o": "http://www.openarchives.org/OAI/2.0/"}))
            token = document.findtext(".//{http://www.openarchives.org/OAI/2.0/}resumptionToken")
            if not token:
                break
            query = f"verb=ListRecords&resumptionToken={token}"
        assert pages >= 3 and deleted == 1


SRU_REQUESTS = [
    "", "operation=explain&version=1.2",
    "operation=searchRetrieve&version=1.2&query=kieu",
    "operation=searchRetrieve&version=1.2&query=cql.allRecords%3D1&maximumRecords=50",
    "operation=searchRetrieve&version=1.2&query=cql.allRecords%3D1&maximumRecords=50&recordSchema=dc",
    "operation=searchRetrieve&version=1.2&query=kieu&recordPacking=string",
    "operation=searchRetrieve&version=1.2&query=cql.allRecords%3D1&startRecord=99999",
    # diagnostics
    "operation=searchRetrieve&version=1.2&query=dc.title%3D%28", "operation=searchRetrieve&version=1.2",
    "operation=searchRetrieve&version=1.2&query=kieu&recordSchema=mods", "operation=scan",
]


def test_every_sru_response_type_is_valid(client, catalogue, xsd):
    for query in SRU_REQUESTS:
        _valid(xsd, client.get(f"/sru?{query}").data)


def test_the_schemas_reject_what_they_should(xsd):
    """The check has teeth: a header without datestamp, a MARC leader of 23 characters, an SRU record
    without recordSchema are refused."""
    bad_oai = b"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01T00:00:00Z</responseDate>
      <request>http://x/oai</request><ListIdentifiers><header><identifier>oai:x:1</identifier></header>
      </ListIdentifiers></OAI-PMH>"""
    bad_marc = b"""<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 450</leader></record>"""
    bad_sru = b"""<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><version>1.2</version>
      <numberOfRecords>1</numberOfRecords><records><record><recordPacking>xml</recordPacking><recordData/>
      </record></records></searchRetrieveResponse>"""
    for data in (bad_oai, bad_marc, bad_sru):
        assert not xsd.validate(etree.fromstring(data))
