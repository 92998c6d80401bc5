"""OAI-PMH provider: every verb and error code, datestamps, sets, tombstones, resumption tokens that survive
records added, changed and deleted during a harvest."""
import datetime as dt

import pytest
from lxml import etree

from ilms.catalog import marc, services
from ilms.catalog.models import OaiTombstone, Record
from ilms.common.permissions import SYSTEM
from ilms.extensions import db

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "m": "http://www.loc.gov/MARC21/slim"}


def oai(client, method="get", **args):
    if method == "get":
        response = client.get("/oai", query_string=args)
    else:
        response = client.post("/oai", data=args)
    assert response.status_code == 200
    assert response.content_type.startswith("text/xml")
    return etree.fromstring(response.data)


def error_code(root):
    errors = root.findall("o:error", NS)
    return errors[0].get("code") if errors else None


def make(title, **kw):
    record = services.create_minimal_record(title=title, **kw)
    db.session.commit()
    return record


@pytest.fixture
def books(app):
    return [make(title, authors=[author]) for title, author in
            (("Truyện Kiều", "Nguyễn Du"), ("Đất rừng phương Nam", "Đoàn Giỏi"), ("Dế Mèn phiêu lưu ký", "Tô Hoài"))]


def identifier(record_id):
    return f"oai:ilms.local:{record_id}"


def test_identify(client, books):
    root = oai(client, verb="Identify")
    ident = root.find("o:Identify", NS)
    assert ident.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert ident.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert ident.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext("o:baseURL", namespaces=NS) == "http://localhost/oai"
    assert ident.findtext("o:earliestDatestamp", namespaces=NS).endswith("Z")
    assert "@" in ident.findtext("o:adminEmail", namespaces=NS)


def test_post_answers_like_get(client, books):
    assert etree.tostring(oai(client, "post", verb="ListIdentifiers", metadataPrefix="oai_dc").find(
        "o:ListIdentifiers", NS)) == etree.tostring(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
                                                    .find("o:ListIdentifiers", NS))


@pytest.mark.parametrize("args, code", [
    ({}, "badVerb"),
    ({"verb": "Dance"}, "badVerb"),
    ({"verb": "Identify", "set": "x"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "31/12/2024"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01",
      "until": "2024-12-31T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:ilms.local:1"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "oai:ilms.local:1", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "oai:elsewhere.org:1", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "oai:ilms.local:999", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:ilms.local:999"}, "idDoesNotExist"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "library:NOWHERE"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "shelf:1"}, "noRecordsMatch"),
])
def test_every_error_code(client, books, args, code):
    root = oai(client, **args)
    assert error_code(root) == code
    request = root.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}      # only the base URL, as the protocol says
    assert request.text == "http://localhost/oai"


def test_repeated_arguments_are_bad(client, books):
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marc21")
    assert error_code(etree.fromstring(response.data)) == "badArgument"
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert error_code(etree.fromstring(response.data)) == "badVerb"


def test_a_deleted_record_has_no_metadata_formats_and_a_deleted_header(client, books):
    kieu = books[0]
    services.delete_record(kieu, actor=SYSTEM)
    db.session.commit()
    assert error_code(oai(client, verb="ListMetadataFormats", identifier=identifier(kieu.id))) == "noMetadataFormats"
    root = oai(client, verb="GetRecord", identifier=identifier(kieu.id), metadataPrefix="marc21")
    header = root.find("o:GetRecord/o:record/o:header", NS)
    assert header.get("status") == "deleted"
    assert root.find("o:GetRecord/o:record/o:metadata", NS) is None
    assert header.findtext("o:setSpec", namespaces=NS) == "material:book"
    tomb = db.session.query(OaiTombstone).one()
    assert tomb.record_id == kieu.id


def test_formats_and_records_in_both_formats(client, books):
    root = oai(client, verb="ListMetadataFormats", identifier=identifier(books[1].id))
    assert [e.text for e in root.iterfind(".//o:metadataPrefix", NS)] == ["oai_dc", "marc21"]
    root = oai(client, verb="GetRecord", identifier=identifier(books[1].id), metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "Đất rừng phương Nam"
    assert root.findtext(".//dc:creator", namespaces=NS) == "Đoàn Giỏi"
    root = oai(client, verb="GetRecord", identifier=identifier(books[1].id), metadataPrefix="marc21")
    titles = root.xpath(".//m:datafield[@tag='245']/m:subfield[@code='a']/text()", namespaces=NS)
    assert titles and titles[0].startswith("Đất rừng phương Nam")


def test_sets_of_owning_libraries_and_material_types(client, books, factories):
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu",
                                barcode_prefix="TVT")
    services.add_copies(books[2], institution=tvt, actor=SYSTEM, source="purchase", accessioned=dt.date(2024, 1, 2))
    db.session.commit()
    specs = [e.text for e in oai(client, verb="ListSets").iterfind(".//o:setSpec", NS)]
    assert {"library", "library:TVT", "material", "material:book", "material:map"} <= set(specs)
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="library:TVT")
    assert [e.text for e in root.iterfind(".//o:identifier", NS)] == [identifier(books[2].id)]
    assert len(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="material:book")
               .findall(".//o:header", NS)) == 3
    root = oai(client, verb="GetRecord", identifier=identifier(books[2].id), metadataPrefix="oai_dc")
    assert [e.text for e in root.iterfind(".//o:setSpec", NS)] == ["library:TVT", "material:book"]


def _stamp(record, when):
    db.session.execute(Record.__table__.update().where(Record.__table__.c.id == record.id).values(updated_at=when))
    db.session.commit()


def test_from_and_until_by_day_and_second(client, books):
    day = dt.datetime(2024, 5, 1, 10, 30, 15, 123456, tzinfo=dt.timezone.utc)
    for offset, record in enumerate(books):
        _stamp(record, day + dt.timedelta(days=offset))

    def found(**args):
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
        return [e.text for e in root.iterfind(".//o:identifier", NS)]

    assert found(**{"from": "2024-05-02"}) == [identifier(books[1].id), identifier(books[2].id)]
    assert found(until="2024-05-02") == [identifier(books[0].id), identifier(books[1].id)]
    assert found(**{"from": "2024-05-02T10:30:15Z", "until": "2024-05-02T10:30:15Z"}) == [identifier(books[1].id)]
    assert found(**{"from": "2024-05-02T10:30:16Z", "until": "2024-05-03T10:30:14Z"}) == []
    root = oai(client, verb="GetRecord", identifier=identifier(books[0].id), metadataPrefix="oai_dc")
    assert root.findtext(".//o:datestamp", namespaces=NS) == "2024-05-01T10:30:15Z"


def test_a_harvest_in_pages_survives_records_added_changed_and_deleted_in_between(app_factory):
    app = app_factory(OAI_PAGE_SIZE=4)
    with app.app_context():
        client = app.test_client()
        records = [make(f"Sách số {n}") for n in range(10)]
        base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        for n, record in enumerate(records):
            _stamp(record, base + dt.timedelta(minutes=n // 2))     # pairs share a datestamp
        seen, pages, token = [], 0, None
        while True:
            args = {"resumptionToken": token} if token else {"metadataPrefix": "oai_dc"}
            root = oai(client, verb="ListRecords", **args)
            assert error_code(root) is None
            pages += 1
            seen += [e.text for e in root.iterfind(".//o:header/o:identifier", NS)]
            rt = root.find(".//o:resumptionToken", NS)
            if pages == 1:
                # meanwhile: a new record, a record already sent changed, a record not yet sent deleted
                make("Sách mới giữa chừng")
                records[1].title = "Sách số 1 (sửa)"
                services.save_record(marc.from_json(records[1].marc), record=records[1])
                db.session.commit()
                services.delete_record(records[8], actor=SYSTEM)
                db.session.commit()
                assert rt.get("completeListSize") == "10" and rt.get("cursor") == "0"
            if rt is None or not rt.text:
                assert rt is not None and rt.get("cursor") == "8"
                break
            token = rt.text
        # each record of the harvest's start exactly once, in order; the later changes wait for the next harvest
        assert seen == [identifier(r.id) for r in records if r is not records[8]]
        assert pages == 3


def test_a_token_of_another_verb_or_altered_is_refused(app_factory):
    app = app_factory(OAI_PAGE_SIZE=1)
    with app.app_context():
        client = app.test_client()
        make("Một")
        make("Hai")
        token = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc").findtext(".//o:resumptionToken",
                                                                                       namespaces=NS)
        assert error_code(oai(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
        assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=token[:-2] + "xx")) == \
            "badResumptionToken"
        assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=token)) is None


def test_the_repository_identifier_is_a_setting(app_factory):
    app = app_factory(OAI_REPOSITORY_ID="thuvien.laichau.example")
    with app.app_context():
        record = make("Truyện Kiều")
        root = oai(app.test_client(), verb="GetRecord", identifier=f"oai:thuvien.laichau.example:{record.id}",
                   metadataPrefix="oai_dc")
        assert error_code(root) is None


def test_reindexing_keeps_the_datestamp(client, books):
    from ilms.catalog import indexing
    when = dt.datetime(2024, 3, 3, 3, 3, 3, tzinfo=dt.timezone.utc)
    _stamp(books[0], when)
    indexing.mark_for_reindex([books[0].id], session=db.session)
    db.session.commit()
    assert indexing.catch_up() == 1
    db.session.expire_all()
    record = db.session.get(Record, books[0].id)
    assert not record.needs_reindex and record.updated_at == when
