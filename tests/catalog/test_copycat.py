"""Copy cataloguing over SRU, on real HTTP: a second ILMS on loopback, recorded answers of two public SRU servers
(Library of Congress, National Library of Finland) served on loopback, a dead target, MARC-8 from a gateway."""
import http.server
import socket
import threading
import time
import unicodedata
import urllib.parse
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pymarc
import pytest
import sqlalchemy as sa

from ilms.catalog import copycat, indexing, marc, marcio, services
from ilms.catalog.models import CopyTarget, Record
from ilms.catalog.search import SearchQuery
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from tests.conftest import LiveServer, login, post_form, shared_path

DATA = Path(__file__).resolve().parents[1] / "data" / "sru"

BOOKS = [
    dict(title="Truyện Kiều", authors=["Nguyễn Du"], isbn="978-604-69-1234-5", year=2015),
    dict(title="Đất rừng phương Nam", authors=["Đoàn Giỏi"], isbn="8935036605842", year=2018),
    dict(title="Dế Mèn phiêu lưu ký", authors=["Tô Hoài"], year=2019),
]


class Recorded:
    """An HTTP server on loopback answering every GET with one recorded body; it remembers the queries asked."""

    def __init__(self, body: bytes):
        recorded = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                recorded.queries.append(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)))
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.queries = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sru"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Dead:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sru"
        return self

    def __exit__(self, *exc):
        self.sock.close()


@pytest.fixture
def other_ilms(app_factory):
    """A second ILMS with three Vietnamese records, served on loopback (its own ``/sru``)."""
    other = app_factory()
    with other.app_context():
        for book in BOOKS:
            services.create_minimal_record(**book)
        db.session.commit()
    with LiveServer(other) as server:
        yield server


def target(url, **kw):
    return copycat.Target(name=kw.pop("name", "Thư viện B"), url=url, **kw)


# -- the client ------------------------------------------------------------------------------------

def test_search_and_import_from_another_ilms(app, other_ilms):
    other = target(f"{other_ilms.url}/sru")
    result = copycat.search([other], copycat.build_cql("isbn", "978-604-69-1234-5"))[0]
    assert result.error is None and result.total == 1
    hit = result.hits[0]
    assert hit.columns["title"] == "Truyện Kiều" and hit.columns["authors"].startswith("Nguyễn Du")
    assert hit.columns["year"] == 2015 and hit.columns["isbn"] == "9786046912345"

    by_author = copycat.search([other], copycat.build_cql("author", "to hoai"))[0]
    assert [h.columns["title"] for h in by_author.hits] == ["Dế Mèn phiêu lưu ký"]
    by_title = copycat.search([other], copycat.build_cql("title", "đất rừng"))[0]
    assert [h.columns["title"] for h in by_title.hits] == ["Đất rừng phương Nam"]

    summary, ids = copycat.import_records([hit.record], source_name="Thư viện B", actor=SYSTEM)
    db.session.commit()
    assert summary.created == 1 and len(ids) == 1
    here = db.session.get(Record, ids[0])
    assert here.title == "Truyện Kiều" and unicodedata.is_normalized("NFC", here.marc)
    assert ids[0] in indexing.backend().ids(SearchQuery(text="truyen kieu", facets=False))

    # the same record copied again updates nothing and makes no second record
    again = copycat.search([other], copycat.build_cql("isbn", "9786046912345"))[0]
    summary, ids_again = copycat.import_records([again.hits[0].record], source_name="Thư viện B", actor=SYSTEM)
    db.session.commit()
    assert ids_again == ids and summary.created == 0
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 1


def test_a_diagnostic_of_the_target_is_a_message(app, other_ilms):
    result = copycat.search([target(f"{other_ilms.url}/sru")], copycat.build_cql("cql", "dc.title <"))[0]
    assert result.hits == [] and "Thư viện B từ chối yêu cầu tìm" in str(result.error)


def test_recorded_library_of_congress_answer():
    """``z3950.loc.gov:7090/voyager`` (LoC's SRU 1.1 server), query ``dinosaur``, records 2-4 of 2,144."""
    with Recorded((DATA / "loc_voyager_dinosaur.xml").read_bytes()) as loc:
        loc_target = target(loc.url, name="Library of Congress", version="1.1")
        result = copycat.search([loc_target], copycat.build_cql("keyword", "dinosaur"), maximum=5)[0]
    assert loc.queries[0]["version"] == "1.1" and loc.queries[0]["operation"] == "searchRetrieve"
    assert loc.queries[0]["query"] == 'cql.serverChoice all "dinosaur"' and loc.queries[0]["maximumRecords"] == "5"
    assert result.error is None and result.total == 2144
    assert [h.position for h in result.hits] == [2, 3, 4]
    first = result.hits[0].columns
    assert first["title"].startswith("30 Rock.") and first["year"] == 2010
    assert result.hits[1].columns["material_type"] == "audio"


def test_recorded_national_library_of_finland_answer_imports(app):
    """Melinda (National Library of Finland, SRU 1.1) answering an ISBN search."""
    with Recorded((DATA / "melinda_isbn_0198266685.xml").read_bytes()) as melinda:
        found = copycat.search([target(melinda.url, name="Melinda")], copycat.build_cql("isbn", "0-19-826668-5"))[0]
    assert melinda.queries[0]["query"] == 'bath.isbn="0198266685"'
    assert found.total == 1
    columns = found.hits[0].columns
    assert columns["authors"].startswith("Louth, Andrew") and columns["year"] == 1983
    assert columns["isbn"] == "0198266685"
    summary, ids = copycat.import_records([found.hits[0].record], source_name="Melinda", actor=SYSTEM)
    db.session.commit()
    record = db.session.get(Record, ids[0])
    assert record.control_number == "(FI-MELINDA)000009550"
    assert marc.from_json(record.marc)["035"]["a"] == "(FI-MELINDA)000009550"
    assert record.title.startswith("The origins of the Christian mystical tradition")


def test_a_dead_target_times_out_without_holding_the_others(app, other_ilms):
    with Dead() as dead:
        began = time.monotonic()
        results = copycat.search([target(dead.url, name="Chết", timeout=1.0), target(f"{other_ilms.url}/sru")],
                                 copycat.build_cql("keyword", "kieu"))
        elapsed = time.monotonic() - began
    assert elapsed < 1.0 + copycat.GRACE + 1.0
    assert str(results[0].error) == "Chết không trả lời trong vòng 1 giây."
    assert [h.columns["title"] for h in results[1].hits] == ["Truyện Kiều"]


def test_an_unreachable_target_and_a_page_that_is_not_sru(app, other_ilms):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    refused = copycat.search([target(f"http://127.0.0.1:{port}/sru")], "kieu")[0]
    assert "Không kết nối được" in str(refused.error)
    not_sru = copycat.search([target(f"{other_ilms.url}/oai")], "kieu")[0]
    assert "không trả lời theo giao thức tìm kiếm SRU" in str(not_sru.error)


def _marc8_answer(path, count):
    """An SRU answer carrying MARC-8 records as a gateway without character conversion sends them."""
    records = []
    with open(path, "rb") as fh:
        for raw in pymarc.MARCReader(fh, to_unicode=False):
            parts = [f"<leader>{escape(str(raw.leader))}</leader>"]
            for fld in raw.fields:
                if fld.is_control_field():
                    data = fld.data.decode("latin-1") if isinstance(fld.data, bytes) else fld.data
                    parts.append(f'<controlfield tag="{fld.tag}">{escape(data)}</controlfield>')
                    continue
                subs = "".join(f'<subfield code={quoteattr(s.code)}>{escape(s.value.decode("latin-1"))}</subfield>'
                               for s in fld.subfields)
                parts.append(f'<datafield tag="{fld.tag}" ind1={quoteattr(fld.indicator1)} '
                             f'ind2={quoteattr(fld.indicator2)}>{subs}</datafield>')
            records.append('<zs:record><zs:recordSchema>marcxml</zs:recordSchema><zs:recordData>'
                           '<record xmlns="http://www.loc.gov/MARC21/slim">' + "".join(parts) +
                           f'</record></zs:recordData><zs:recordPosition>{len(records) + 1}</zs:recordPosition>'
                           '</zs:record>')
            if len(records) == count:
                break
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.1</zs:version>'
            f'<zs:numberOfRecords>{count}</zs:numberOfRecords><zs:records>'
            + "".join(records) + "</zs:records></zs:searchRetrieveResponse>").encode("utf-8")


@pytest.mark.parametrize("encoding", ["marc-8", "auto"])
def test_marc8_from_a_target(encoding):
    path = shared_path("data", "marc", "bib", "evergreen_lul_fre_500.marc8.mrc")
    with open(path, "rb") as fh:
        expected = [p.record for _n, p in zip(range(40), marcio.read_iso2709(fh))]
    with Recorded(_marc8_answer(path, 40)) as gateway:
        result = copycat.search([target(gateway.url, encoding=encoding)], "x")[0]
    assert result.error is None and len(result.hits) == 40
    accented = 0
    for hit, want in zip(result.hits, expected):
        assert hit.columns["title"] == marc.extract(want)["title"]
        assert unicodedata.is_normalized("NFC", hit.columns["title"])
        accented += not hit.columns["title"].isascii()
    assert accented >= 5          # French titles with accents, decoded, not mojibake


def test_marc8_left_alone_for_a_utf8_target():
    """A target said to send Unicode is believed: its characters are not decoded a second time."""
    path = shared_path("data", "marc", "bib", "evergreen_lul_fre_500.marc8.mrc")
    with open(path, "rb") as fh:
        expected = [marc.extract(p.record)["title"] for _n, p in zip(range(40), marcio.read_iso2709(fh))]
    with Recorded(_marc8_answer(path, 40)) as gateway:
        result = copycat.search([target(gateway.url, encoding="utf-8")], "x")[0]
    titles = [h.columns["title"] for h in result.hits]
    differing = [(got, want) for got, want in zip(titles, expected) if got != want]
    assert differing and all(not want.isascii() for _got, want in differing)


def test_resolve_a_target_by_name_or_url(app):
    db.session.add(CopyTarget(name="Thư viện B", url="http://127.0.0.1:9/sru", version="1.1",
                              record_schema="marcxml", encoding="auto", timeout=2.5))
    db.session.commit()
    named = copycat.resolve("Thư viện B")
    assert (named.url, named.version, named.encoding, named.timeout) == ("http://127.0.0.1:9/sru", "1.1", "auto", 2.5)
    assert copycat.resolve("https://example.org/sru").name == "example.org"
    with pytest.raises(copycat.NotFound):
        copycat.resolve("Không có")


# -- pages -------------------------------------------------------------------------------------------

def test_admin_configures_targets_and_a_librarian_copies_a_record(app, client, factories, other_ilms):
    factories.user("quantri", role="admin")
    library = factories.institution("TVTP")
    factories.user("thuthu", role="librarian", institution=library)

    login(client, "quantri")
    response = post_form(client, "/catalog/copy/targets/new", {
        "name": "Thư viện B", "url": f"{other_ilms.url}/sru", "version": "1.2", "record_schema": "marcxml",
        "encoding": "utf-8", "timeout": "5", "active": "y"})
    assert response.status_code == 302
    bad = post_form(client, "/catalog/copy/targets/new", {
        "name": "Sai", "url": "ftp://x", "version": "1.2", "record_schema": "marcxml", "encoding": "utf-8",
        "timeout": "5"})
    assert bad.status_code == 200 and "phải bắt đầu bằng http://" in bad.get_data(as_text=True)
    with Dead() as dead:
        post_form(client, "/catalog/copy/targets/new", {
            "name": "Thư viện chết", "url": dead.url, "version": "1.1", "record_schema": "marcxml",
            "encoding": "utf-8", "timeout": "1", "active": "y"})
        assert db.session.scalar(sa.select(sa.func.count(CopyTarget.id))) == 2
        client.get("/logout")

        librarian = app.test_client()
        login(librarian, "thuthu")
        assert librarian.get("/catalog/copy/targets").status_code == 403
        began = time.monotonic()
        page = librarian.get("/catalog/copy", query_string={"kind": "isbn", "terms": "978-604-69-1234-5"})
        assert time.monotonic() - began < 1.0 + copycat.GRACE + 1.5
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Thư viện chết không trả lời trong vòng 1 giây." in html
    assert "Truyện Kiều" in html and "Nguyễn Du" in html and "9786046912345" in html
    marcxml = html.split('name="marcxml" value="', 1)[1].split('"', 1)[0]
    import html as html_module
    response = post_form(librarian, "/catalog/copy/import", {"source": "Thư viện B",
                                                             "marcxml": html_module.unescape(marcxml)},
                         page="/catalog/copy")
    assert response.status_code == 302 and "/copies/new" in response.headers["Location"]
    record = db.session.scalar(sa.select(Record))
    assert record.title == "Truyện Kiều"
    form = librarian.get(response.headers["Location"]).get_data(as_text=True)
    assert "được sao từ thư viện khác" in form and f"/catalog/records/{record.id}/marc" in form

    # searching again shows the catalogue's record as the candidate to add copies to
    again = librarian.get("/catalog/copy", query_string={"kind": "isbn", "terms": "9786046912345",
                                                        "target": str(db.session.scalar(
                                                            sa.select(CopyTarget.id).where(
                                                                CopyTarget.name == "Thư viện B")))})
    text = again.get_data(as_text=True)
    assert "Có thể mục lục đã có" in text and "cùng ISBN" in text
    assert f"/catalog/records/{record.id}/copies/new" in text
    assert "Thư viện chết" not in text.split("<h1>", 1)[1].split("</form>", 1)[1]


def test_import_of_a_broken_record_is_a_message(app, client, factories):
    factories.user("thuthu2", role="librarian")
    login(client, "thuthu2")
    response = post_form(client, "/catalog/copy/import", {"source": "X", "marcxml": "<record>"},
                         page="/catalog/copy", follow_redirects=True)
    assert response.status_code == 200 and "Không đọc được biểu ghi" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0


# -- commands ---------------------------------------------------------------------------------------

def test_copy_search_and_copy_import_commands(app, other_ilms):
    runner = app.test_cli_runner()
    url = f"{other_ilms.url}/sru"
    found = runner.invoke(args=["catalog", "copy-search", "--target", url, "--by", "author", "Tô Hoài"])
    assert found.exit_code == 0, found.output
    assert "tìm thấy 1 biểu ghi" in found.output and "Dế Mèn phiêu lưu ký" in found.output
    imported = runner.invoke(args=["catalog", "copy-import", "--target", url, "--by", "isbn", "8935036605842"])
    assert imported.exit_code == 0, imported.output
    record_id = int(imported.output.strip().splitlines()[-1])
    assert db.session.get(Record, record_id).title == "Đất rừng phương Nam"
    unknown = runner.invoke(args=["catalog", "copy-search", "--target", "Không có", "x"])
    assert unknown.exit_code != 0 and "Không có nguồn biên mục sao chép" in unknown.output
