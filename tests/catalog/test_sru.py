"""SRU 1.2: CQL parsing into the catalogue's search (with Vietnamese folding), paging, schemas, diagnostics."""
import pytest
from lxml import etree

from ilms.catalog import services, sru
from ilms.extensions import db
from tests.conftest import SEARCH_BACKENDS

NS = {"s": "http://www.loc.gov/zing/srw/", "d": "http://www.loc.gov/zing/srw/diagnostic/",
      "dc": "http://purl.org/dc/elements/1.1/", "m": "http://www.loc.gov/MARC21/slim"}

BOOKS = [
    dict(title="Truyện Kiều", authors=["Nguyễn Du"], isbn="978-604-69-1234-5", year=2015),
    dict(title="Đất rừng phương Nam", authors=["Đoàn Giỏi"], year=2018),
    dict(title="Dế Mèn phiêu lưu ký", authors=["Tô Hoài"], year=2019),
    dict(title="Vợ chồng A Phủ", authors=["Tô Hoài"], year=2020),
    dict(title="Kỹ thuật trồng chè Shan tuyết", authors=["Lò Văn Biến"], year=2021),
]


@pytest.fixture
def books(app):
    made = {b["title"]: services.create_minimal_record(**b).id for b in BOOKS}
    db.session.commit()
    return made


def search(client, query, **args):
    response = client.get("/sru", query_string={"operation": "searchRetrieve", "version": "1.2", "query": query,
                                                **args})
    assert response.status_code == 200 and response.content_type.startswith("text/xml")
    return etree.fromstring(response.data)


def titles(root):
    return root.xpath(".//m:datafield[@tag='245']/m:subfield[@code='a']/text()", namespaces=NS)


def diagnostic(root):
    uri = root.findtext(".//d:diagnostic/d:uri", namespaces=NS)
    return int(uri.rsplit("/", 1)[1]) if uri else None


def hits(client, query):
    root = search(client, query, maximumRecords="100")
    assert diagnostic(root) is None, etree.tostring(root)
    return {t.rstrip(" /:") for t in titles(root)}


@pytest.mark.parametrize("text, tree", [
    ("kieu", ("clause", None, "phrase", "kieu")),
    ('dc.title = "truyện kiều"', ("clause", "title", "phrase", "truyện kiều")),
    ("dc.creator any \"to hoai\"", ("clause", "author", "any", "to hoai")),
    ("DC.Title all \"dat rung\"", ("clause", "title", "all", "dat rung")),
    ("bath.isbn = 978-604-69-1234-5", ("clause", "isbn", "phrase", "978-604-69-1234-5")),
    ("a and b or c", ("or", ("and", ("clause", None, "phrase", "a"), ("clause", None, "phrase", "b")),
                      ("clause", None, "phrase", "c"))),
    ("a and (b or c)", ("and", ("clause", None, "phrase", "a"),
                        ("or", ("clause", None, "phrase", "b"), ("clause", None, "phrase", "c")))),
    ('cql.anywhere = "say \\"hi\\""', ("clause", None, "phrase", 'say "hi"')),
])
def test_cql_parses_into_clauses(text, tree):
    assert sru.parse_cql(text) == tree


@pytest.mark.parametrize("text, number", [
    ("", 27), ("dc.title =", 10), ("(kieu", 13), ('"kieu', 10), ("dc.date = 2015", 16),
    ("dc.title < kieu", 19), ("dc.title =/stem kieu", 20), ("a prox b", 37), ("kieu sortby dc.title", 80),
    ("and", 10), ("dc.title = \"\"", 27), ("a and/rel.algorithm=x b", 46),
])
def test_bad_cql_gives_a_diagnostic(text, number):
    with pytest.raises(sru.Diagnostic) as caught:
        sru.to_search_text(sru.parse_cql(text))
    assert caught.value.number == number


@pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)
def test_searches_fold_vietnamese_like_the_opac(client, books):
    assert hits(client, "kieu") == hits(client, "Kiều") == {"Truyện Kiều"}
    assert hits(client, 'dc.title = "dat rung"') == hits(client, 'dc.title = "Đất Rừng"') == {"Đất rừng phương Nam"}
    assert hits(client, "dc.creator = \"to hoai\"") == {"Dế Mèn phiêu lưu ký", "Vợ chồng A Phủ"}
    assert hits(client, "dc.creator all \"hoài tô\"") == {"Dế Mèn phiêu lưu ký", "Vợ chồng A Phủ"}
    assert hits(client, 'dc.title = "rung dat"') == set()          # a phrase keeps its order
    assert hits(client, "dc.title any \"kieu chè\"") == {"Truyện Kiều", "Kỹ thuật trồng chè Shan tuyết"}
    assert hits(client, "dc.creator = \"tô hoài\" not dc.title = mèn") == {"Vợ chồng A Phủ"}
    assert hits(client, "(dc.title = kieu or dc.title = đất) and dc.creator = nguyen") == {"Truyện Kiều"}
    assert hits(client, "bath.isbn = 978-604-69-1234-5") == hits(client, "bath.isbn = 9786046912345") == \
        {"Truyện Kiều"}
    assert hits(client, "dc.title = phi*") == {"Dế Mèn phiêu lưu ký"}
    assert hits(client, "cql.allRecords = 1") == {b["title"] for b in BOOKS}
    assert hits(client, "dc.title = \"Điện Biên\"") == set()


@pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)
def test_paging_with_start_record_maximum_records_and_next_position(client, books):
    seen, start = [], 1
    while True:
        root = search(client, "cql.allRecords = 1", startRecord=str(start), maximumRecords="2")
        assert root.findtext("s:numberOfRecords", namespaces=NS) == "5"
        positions = [int(p) for p in root.xpath(".//s:recordPosition/text()", namespaces=NS)]
        assert positions == list(range(start, start + len(positions)))
        seen += titles(root)
        following = root.findtext("s:nextRecordPosition", namespaces=NS)
        if following is None:
            break
        start = int(following)
    assert len(seen) == 5 and len(set(seen)) == 5
    assert diagnostic(search(client, "cql.allRecords = 1", startRecord="9")) == 61
    assert titles(search(client, "kieu", maximumRecords="0")) == []


def test_record_schemas_and_packing(client, books):
    root = search(client, "kieu", recordSchema="dc")
    assert root.findtext(".//s:recordSchema", namespaces=NS) == "info:srw/schema/1/dc-v1.1"
    assert root.findtext(".//dc:title", namespaces=NS) == "Truyện Kiều"
    root = search(client, "kieu", recordPacking="string")
    assert "Truyện Kiều" in root.findtext(".//s:recordData", namespaces=NS)
    assert diagnostic(search(client, "kieu", recordSchema="mods")) == 66
    assert diagnostic(search(client, "kieu", recordPacking="json")) == 71


@pytest.mark.parametrize("args, number", [
    ({"query": "kieu", "startRecord": "0"}, 6), ({"query": "kieu", "maximumRecords": "-1"}, 6),
    ({"query": "kieu", "version": "2.0"}, 5), ({"query": "kieu", "sortKeys": "title"}, 80),
    ({"query": "kieu", "sort": "x"}, 8), ({}, 7),
])
def test_bad_parameters_give_diagnostics_never_an_error_page(client, books, args, number):
    response = client.get("/sru", query_string={"operation": "searchRetrieve", **args})
    assert response.status_code == 200
    assert diagnostic(etree.fromstring(response.data)) == number


def test_explain_and_unknown_operations(client):
    root = etree.fromstring(client.get("/sru").data)
    assert root.tag == "{http://www.loc.gov/zing/srw/}explainResponse"
    names = root.xpath(".//z:index/z:map/z:name/text()", namespaces={"z": "http://explain.z3950.org/dtd/2.0/"})
    assert {"title", "creator", "subject", "isbn", "anywhere"} <= set(names)
    assert diagnostic(etree.fromstring(client.get("/sru?operation=scan").data)) == 4
