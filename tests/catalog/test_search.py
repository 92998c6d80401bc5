"""Search: Vietnamese folding, fields and phrases, facets from the index, availability from the database,
index failures that never lose a database write, rebuilding a deleted index."""
import datetime as dt
import shutil
import unicodedata
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from ilms.catalog import indexing, marc, services
from ilms.catalog.models import ItemStatus, Record
from ilms.catalog.search import PostgresBackend, SearchQuery, fold as fast_fold
from ilms.common.permissions import SYSTEM
from ilms.common.text import fold, sort_key
from ilms.extensions import db
from tests.conftest import SEARCH_BACKENDS

#: The test runs on each search backend the database has (whoosh; PostgreSQL's full text on PostgreSQL).
each_backend = pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)
#: The test is about whoosh's files.
whoosh_only = pytest.mark.parametrize("app", ["whoosh"], indirect=True)

BOOKS = [
    dict(title="Truyện Kiều", authors=["Nguyễn Du"], year=2015, publisher="NXB Văn học", classification="895.9221",
         isbn="978-604-69-1234-5"),
    dict(title="Đất rừng phương Nam", authors=["Đoàn Giỏi"], year=2018, publisher="NXB Kim Đồng",
         classification="895.92234"),
    dict(title="Dế Mèn phiêu lưu ký", authors=["Tô Hoài"], year=2019, publisher="NXB Kim Đồng",
         classification="895.92234"),
    dict(title="Vợ chồng A Phủ", authors=["Tô Hoài"], year=2020, publisher="NXB Kim Đồng", classification="895.92232"),
    dict(title="Kỹ thuật trồng chè Shan tuyết", authors=["Lò Văn Biến"], year=2021, publisher="NXB Nông nghiệp",
         classification="633.72"),
    dict(title="Đạo đức Hồ Chí Minh", authors=["Nhiều tác giả"], year=2019, classification="335.4346"),
    dict(title="Ăn quả nhớ kẻ trồng cây", authors=["Trần Thị Ngọc Diệp"], year=2016, classification="398.9"),
    dict(title="Chuyện kể Điện Biên Phủ", authors=["Đỗ Quế"], year=2014, classification="959.7041", language="vie"),
]


def search(**kw):
    return indexing.backend().search(SearchQuery(**kw))


def ids(text, **kw):
    return set(search(text=text, per_page=100, **kw).ids)


@contextmanager
def index_locked():
    """The index held by another writer: whoosh's write lock, or the table locked by another transaction."""
    backend = indexing.backend()
    if isinstance(backend, PostgresBackend):
        with db.engine.connect() as connection:
            connection.execute(sa.text("LOCK TABLE catalog_search_docs IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                connection.rollback()
        return
    lock = backend._open().lock("WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        yield
    finally:
        lock.release()


def wipe_index():
    """Lose the whole index (a deleted folder, an emptied table)."""
    backend = indexing.backend()
    if isinstance(backend, PostgresBackend):
        with db.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM catalog_search_docs"))
    else:
        shutil.rmtree(backend.root)


@pytest.fixture
def books(app):
    made = {}
    for book in BOOKS:
        record = services.create_minimal_record(**book)
        made[book["title"]] = record.id
    db.session.commit()
    return made


@each_backend
def test_with_or_without_diacritics_d_nfd_and_capitals_find_the_same_records(books):
    kieu = books["Truyện Kiều"]
    variants = ["Nguyễn Du", "nguyen du", "NGUYỄN DU", "NGUYEN DU", unicodedata.normalize("NFD", "Nguyễn Du"),
                unicodedata.normalize("NFD", "NGUYỄN DU"), "nguyen  du"]
    results = [ids(v) for v in variants]
    assert all(r == {kieu} for r in results), results
    dat = books["Đất rừng phương Nam"]
    for text in ("Đất rừng", "đất rừng", "dat rung", "DAT RUNG PHUONG NAM", unicodedata.normalize("NFD", "Đất Rừng")):
        assert ids(text) == {dat}, text
    bien = books["Chuyện kể Điện Biên Phủ"]
    assert ids("dien bien phu") == ids("Điện Biên Phủ") == {bien}
    assert ids("dao duc") == ids("đạo đức") == {books["Đạo đức Hồ Chí Minh"]}


@each_backend
def test_records_stored_nfd_are_found_by_nfc_queries(app):
    title = unicodedata.normalize("NFD", "Tiếng gà trưa")
    record = services.create_minimal_record(title=title, authors=[unicodedata.normalize("NFD", "Xuân Quỳnh")])
    db.session.commit()
    assert record.title == "Tiếng gà trưa"  # stored NFC
    assert ids("tiếng gà trưa") == ids("tieng ga trua") == ids("Xuân Quỳnh") == {record.id}


def test_every_tone_mark_folds_away():
    assert fold("à ả ã á ạ ằ ẳ ẵ ắ ặ ầ ẩ ẫ ấ ậ đ Đ ư ơ ê ô") == "a a a a a a a a a a a a a a a d d u o e o"


def test_the_fast_fold_of_the_index_equals_the_shared_fold_on_real_records():
    from ilms.catalog import marcio
    from tests.catalog.conftest import marc_path
    texts = []
    for name in ("nlnz_1001.utf8.mrc", "uva_2000.marc8.mrc", "traject_multiscript_30.utf8.mrc",
                 "evergreen_nepali_96.utf8.mrc"):
        with open(marc_path("bib", name), "rb") as fh:
            for parsed in marcio.read_file(fh):
                texts.extend(sf.value for f in parsed.record.fields if not f.is_control_field() for sf in f.subfields)
    texts.append(unicodedata.normalize("NFD", "Nguyễn Thị Định ĐỨC Ỷ Lại"))
    assert [fast_fold(t) for t in texts] == [fold(t) for t in texts]


@each_backend
def test_field_queries_phrases_isbn_and_call_numbers(books):
    kieu, de_men, a_phu = books["Truyện Kiều"], books["Dế Mèn phiêu lưu ký"], books["Vợ chồng A Phủ"]
    assert ids('tacgia:"to hoai"') == ids("tácgiả:(Tô Hoài)") == ids("author:hoai") == {de_men, a_phu}
    assert ids("nhande:kieu") == {kieu}
    assert ids('"phieu luu ky"') == {de_men}
    assert ids('"luu phieu"') == set()
    assert ids("9786046912345") == ids("978-604-69-1234-5") == {kieu}
    assert ids("isbn:9786046912345") == {kieu}
    assert ids("kyhieu:895.9223*") == {de_men, a_phu, books["Đất rừng phương Nam"]}
    assert ids("hoai -a") == {de_men}


@each_backend
def test_vietnamese_title_order_and_year_order(books):
    titles = [db.session.get(Record, i).title for i in search(text="", sort="title", per_page=50).ids]
    assert titles == sorted(titles, key=sort_key)
    assert titles.index("Ăn quả nhớ kẻ trồng cây") < titles.index("Chuyện kể Điện Biên Phủ") < \
        titles.index("Dế Mèn phiêu lưu ký") < titles.index("Đạo đức Hồ Chí Minh") < titles.index("Đất rừng phương Nam")
    years = [db.session.get(Record, i).year for i in search(text="", sort="year", per_page=50).ids]
    assert years == sorted(years, reverse=True)


@each_backend
def test_did_you_mean_on_no_hits(books):
    result = search(text="phieu luuu")
    assert result.total == 0 and result.suggestion == "phieu luu"
    assert ids(result.suggestion) == {books["Dế Mèn phiêu lưu ký"]}
    assert search(text="zzqqxx").suggestion is None


@each_backend
def test_facets_and_filters_follow_copies(app, books, network):
    kieu, a_phu = books["Truyện Kiều"], books["Vợ chồng A Phủ"]
    (k1,) = services.add_copies(db.session.get(Record, kieu), institution=network.tvt, actor=SYSTEM,
                                source="purchase", accessioned=dt.date(2024, 1, 2))
    services.add_copies(db.session.get(Record, a_phu), institution=network.td, actor=SYSTEM, source="donation",
                        accessioned=dt.date(2024, 1, 2))
    db.session.commit()
    everything = search(text="")
    assert dict(everything.facets["library"]) == {"TVT": 1, "TVH-TD": 1}
    assert everything.facets["available"] == [("any", 2)]
    assert dict(everything.facets["language"]) == {"vie": len(BOOKS)}
    assert everything.facets["decade"] == [(2020, 2), (2010, 6)]
    assert set(search(text="", library="TVT").ids) == {kieu}
    assert set(search(text="", available=True, per_page=50).ids) == {kieu, a_phu}
    assert set(search(text="", year_from=2020, year_to=2021, per_page=50).ids) == {a_phu, books["Kỹ thuật trồng chè Shan tuyết"]}
    # a loan makes the title unavailable in the index once the loan is committed
    services.set_item_status(k1, ItemStatus.ON_LOAN)
    db.session.commit()
    assert set(search(text="", available=True).ids) == {a_phu}
    assert services.availability([kieu])[kieu][0]["available"] == 0


@each_backend
def test_a_locked_index_never_loses_the_database_write(app, books):
    app.config["SEARCH_WRITE_TIMEOUT"] = 0.2
    with index_locked():
        record = services.create_minimal_record(title="Gió lạnh đầu mùa", authors=["Thạch Lam"])
        db.session.commit()
    saved = db.session.get(Record, record.id)
    assert saved.title == "Gió lạnh đầu mùa" and saved.needs_reindex is True
    assert ids("gio lanh") == set()
    # the next write that reaches the index catches up
    services.create_minimal_record(title="Hà Nội băm sáu phố phường", authors=["Thạch Lam"])
    db.session.commit()
    db.session.expire_all()
    assert ids("gio lanh dau mua") == {record.id}
    assert db.session.get(Record, record.id).needs_reindex is False


@each_backend
def test_reindex_after_a_deleted_index_restores_every_result(app, runner, books):
    queries = ["nguyen du", "to hoai", "dat rung", "kim dong", "895*", "2019", "", "chè"]
    before = {q: search(text=q, per_page=100).ids for q in queries}
    wipe_index()
    assert all(search(text=q).total == 0 for q in queries)
    result = runner.invoke(args=["catalog", "reindex"])
    assert result.exit_code == 0, result.output
    after = {q: search(text=q, per_page=100).ids for q in queries}
    assert after == before and before["nguyen du"]


@whoosh_only
def test_reindex_swaps_in_a_new_directory(app, runner, books):
    root = indexing.backend().root
    first = (root / "CURRENT").read_text().split()[0]
    assert runner.invoke(args=["catalog", "reindex"]).exit_code == 0
    second = (root / "CURRENT").read_text().split()[0]
    assert second != first and (root / second).is_dir()
    assert ids("nguyen du") == {books["Truyện Kiều"]}


@each_backend
def test_a_deleted_record_leaves_the_index(app, books):
    record = db.session.get(Record, books["Ăn quả nhớ kẻ trồng cây"])
    services.delete_record(record, actor=SYSTEM)
    db.session.commit()
    assert ids("an qua nho ke trong cay") == set()


@each_backend
def test_search_results_come_from_the_database_not_the_index(app, books):
    """A title changed while the index was busy shows its new text: the page reads records from the database."""
    record = db.session.get(Record, books["Truyện Kiều"])
    parsed = marc.from_json(record.marc)
    parsed["245"]["a"] = "Truyện Kiều (bản mới)"
    app.config["SEARCH_WRITE_TIMEOUT"] = 0.2
    with index_locked():
        services.save_record(parsed, record=record)
        db.session.commit()
    result, records, ok = services.search(SearchQuery(text="nguyen du"))
    assert ok and [r.title for r in records] == ["Truyện Kiều (bản mới)"]


@each_backend
def test_odd_queries_are_harmless(books):
    for text in ['"', "(", "AND", "title:", "*", "NOT", "a" * 600, "\x00\x01", "tacgia:", "[1 TO", "🙂"]:
        result = search(text=text)
        assert result.total >= 0


@whoosh_only
def test_a_loan_that_leaves_copies_on_the_shelf_does_not_touch_the_index(app, books, network):
    from whoosh import index as whoosh_index
    record = db.session.get(Record, books["Truyện Kiều"])
    copies = services.add_copies(record, institution=network.tvt, actor=SYSTEM, source="purchase",
                                 accessioned=dt.date(2024, 1, 2), count=2)
    db.session.commit()
    path = indexing.backend()._current_dir()
    generation = whoosh_index.open_dir(str(path)).latest_generation()
    services.set_item_status(copies[0], ItemStatus.ON_LOAN)   # the other copy is still on the shelf
    db.session.commit()
    assert whoosh_index.open_dir(str(path)).latest_generation() == generation
    services.set_item_status(copies[1], ItemStatus.ON_LOAN)   # now none is: the facet must change
    db.session.commit()
    assert whoosh_index.open_dir(str(path)).latest_generation() > generation
    assert books["Truyện Kiều"] not in ids("kieu", available=True)


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
@pytest.mark.postgres_only
def test_a_loan_that_leaves_copies_on_the_shelf_does_not_rewrite_the_postgres_document(app, books, network):
    def version():   # the row's transaction id changes with every write of it
        with db.engine.connect() as connection:
            return connection.execute(sa.text("SELECT xmin::text FROM catalog_search_docs WHERE record_id = :id"),
                                      {"id": books["Truyện Kiều"]}).scalar_one()

    record = db.session.get(Record, books["Truyện Kiều"])
    copies = services.add_copies(record, institution=network.tvt, actor=SYSTEM, source="purchase",
                                 accessioned=dt.date(2024, 1, 2), count=2)
    db.session.commit()
    before = version()
    services.set_item_status(copies[0], ItemStatus.ON_LOAN)
    db.session.commit()
    assert version() == before
    services.set_item_status(copies[1], ItemStatus.ON_LOAN)
    db.session.commit()
    assert version() != before
    assert books["Truyện Kiều"] not in ids("kieu", available=True)


@each_backend
def test_check_finds_a_missing_document_and_repair_restores_it(app, runner, books):
    kieu = books["Truyện Kiều"]
    assert runner.invoke(args=["check"]).exit_code == 0
    indexing.backend().remove([kieu], timeout=2.0)
    assert ids("nguyen du") == set()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert f"1 record(s) missing from the search index (ids {kieu})" in result.output
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "REPAIR catalog search index" in result.output and "ok catalog search index" in result.output
    assert ids("nguyen du") == {kieu}


@each_backend
def test_check_finds_entries_of_deleted_records_and_marked_records(app, runner, books):
    backend = indexing.backend()
    backend.index([{**indexing.documents_for([books["Truyện Kiều"]])[0][0], "id": 99999}], timeout=2.0)
    indexing.mark_for_reindex([books["Đạo đức Hồ Chí Minh"]], session=db.session)
    db.session.commit()
    output = runner.invoke(args=["check"]).output
    assert "search index entries for 1 record(s) that no longer exist (ids 99999)" in output
    assert f"1 record(s) marked for re-indexing (ids {books['Đạo đức Hồ Chí Minh']})" in output
    assert runner.invoke(args=["check", "--repair"]).exit_code == 0
    assert 99999 not in backend.ids(SearchQuery())
    assert backend.count() == len(BOOKS)


@each_backend
def test_reindex_and_a_marc_import_fill_the_chosen_backend(app, runner):
    from tests.catalog.conftest import marc_path
    result = runner.invoke(args=["catalog", "import-marc", str(marc_path("bib", "pymarc_python_books_20.marc8.mrc"))])
    assert result.exit_code == 0, result.output
    backend = indexing.backend()
    assert backend.count() == 20 and backend.exists()
    assert search(text="python").total > 0
    wipe_index()
    assert backend.count() == 0
    result = runner.invoke(args=["catalog", "reindex"])
    assert result.exit_code == 0, result.output
    assert backend.count() == 20 and search(text="python").total > 0
    db.session.commit()   # the commands ran in this test's session: end its transaction before the checks read
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
@pytest.mark.postgres_only
def test_two_application_servers_share_one_postgres_index(app, books, tmp_path):
    """Two apps on one database, each with its own data folder (two machines): one index, seen at once."""
    from ilms import create_app
    from tests.conftest import make_config
    other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "second-server",
                                   SEARCH_BACKEND="postgres"))
    try:
        with other.app_context():
            assert set(indexing.backend().search(SearchQuery(text="nguyen du")).ids) == {books["Truyện Kiều"]}
            record = services.create_minimal_record(title="Nhật ký trong tù", authors=["Hồ Chí Minh"])
            db.session.commit()
            made = record.id
        assert ids("nhat ky trong tu") == {made}           # written by the other server, found here at once
        services.delete_record(db.session.get(Record, books["Truyện Kiều"]), actor=SYSTEM)
        db.session.commit()
        with other.app_context():
            assert indexing.backend().search(SearchQuery(text="nguyen du")).ids == []
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_postgres_backend_is_refused_on_sqlite(tmp_path):
    from ilms import create_app
    from tests.conftest import make_config
    with pytest.raises(RuntimeError, match="needs PostgreSQL"):
        create_app(make_config(tmp_path / "x.sqlite", tmp_path / "data", SEARCH_BACKEND="postgres"))
    with pytest.raises(RuntimeError, match="choose one of"):
        create_app(make_config(tmp_path / "x.sqlite", tmp_path / "data", SEARCH_BACKEND="solr"))


def test_queries_become_tsqueries_with_fields_phrases_prefixes_and_negation():
    from ilms.catalog.search import clean_query, parse_query
    from ilms.catalog.search_postgres import ALL, tsquery

    def tsq(text):
        return tsquery(parse_query(clean_query(text)))

    assert tsq("Đất") == "('dat' | 'isbn:đất' | 'callno:dat')"
    assert tsq('tacgia:"Tô Hoài"') == "('to':B <-> 'hoai':B)"
    assert tsq("nhande:kieu") == "'kieu':A"
    assert tsq("kyhieu:895.9223*") == "'callno:895.9223':*"
    assert tsq("isbn:9786046912345") == "'isbn:9786046912345'"
    assert tsq("chude:(lich su)") == "('lich':C & 'su':C)"
    assert tsq("nhande:kieu OR tacgia:du") == "('kieu':A | 'du':B)"
    assert tsq("nhande:kieu -tacgia:du") == "('kieu':A & !'du':B)"
    assert tsq("*") is ALL
    assert tsq("nhande:ng?yen") == "'ng':*A" and tsq("nhande:*oai") is None
    assert tsq("a -b") == "(('a' | 'isbn:a' | 'callno:a') & !('b' | 'isbn:b' | 'callno:b'))"
