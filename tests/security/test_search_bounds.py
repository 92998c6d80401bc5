"""The probe's search cases: no query from the OPAC, the staff search or SRU may stall the server.

Each hostile query is refused before anything is searched (or stopped by the
time limit) with a message that says what to change; ordinary masked words
still find their records. The same on whoosh and on PostgreSQL's full text.
"""
import pytest

from ilms.catalog import indexing, search, services
from ilms.catalog.search import QueryTooBroad, SearchQuery
from ilms.extensions import db
from tests.conftest import SEARCH_BACKENDS, login

each_backend = pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)

#: What the probe sent (and a few of the same kind): every one scans the whole vocabulary of the index.
HOSTILE = {
    "*e* *g* *i* *k* *m* *o* *u* *y*": "leading",
    "*?": "leading",
    "?hong": "leading",
    "title:*oai": "leading",
    "a*": "short",
    "p?": "short",
    "ph* tr* ng* kh*": "masks",
    "title:[a TO z]": "range",
}


@pytest.fixture
def shelf(app):
    titles = ["Phong tục người Thái", "Phương ngữ Lai Châu", "Phở và phố", "Truyện Kiều", "Phía tây",
              "Phục hồi rừng", "Phát triển chè", "Phụ nữ dân tộc Mông", "Khám phá Tam Đường"]
    for title in titles:
        services.create_minimal_record(title=title, authors=["Lò Văn Phiên"], year=2020)
    db.session.commit()


@each_backend
@pytest.mark.parametrize("text,reason", HOSTILE.items())
def test_the_probes_queries_are_refused_before_searching(app, shelf, text, reason):
    with pytest.raises(QueryTooBroad) as refused:
        indexing.backend().search(SearchQuery(text=text))
    assert refused.value.reason == reason
    with pytest.raises(QueryTooBroad):
        indexing.backend().ids(SearchQuery(text=text))


@each_backend
def test_ordinary_masked_words_still_find_their_records(app, shelf):
    found = services.search(SearchQuery(text="phon*", per_page=50))[1]
    assert [r.title for r in found] == ["Phong tục người Thái"]
    assert services.search(SearchQuery(text="truy*"))[0].total == 1
    assert services.search(SearchQuery(text="*"))[0].total == 9   # "everything" costs nothing


@each_backend
def test_the_opac_and_the_staff_search_say_what_to_change(app, shelf, factories):
    client = app.test_client()
    page = client.get("/opac/", query_string={"q": "*e* *g* *i* *k* *m* *o* *u* *y*"})
    assert page.status_code == 200
    assert "không thể bắt đầu bằng * hoặc ?" in page.get_data(as_text=True)
    page = client.get("/opac/", query_string={"q": "a*", "hl": "en"})
    assert "type at least 2 letters before * or ?" in page.get_data(as_text=True)

    factories.user("thuthu")
    staff = app.test_client()
    login(staff, "thuthu")
    page = staff.get("/catalog/", query_string={"q": "*?"})
    assert page.status_code == 200 and "không thể bắt đầu bằng * hoặc ?" in page.get_data(as_text=True)
    export = staff.get("/catalog/export", query_string={"q": "*?", "scope": "search"})
    assert export.status_code == 302   # back to the catalogue, with the message


@pytest.mark.parametrize("app", ["whoosh"], indirect=True)
def test_a_mask_standing_for_too_many_words_is_refused_on_whoosh(app, shelf, monkeypatch):
    """``ph*`` stands for eight words of the index here; with a bound of five it is refused, ``phon*`` is not."""
    monkeypatch.setattr(search, "MAX_EXPANSION", 5)
    with pytest.raises(QueryTooBroad) as refused:
        indexing.backend().search(SearchQuery(text="ph*"))
    assert refused.value.reason == "expansion" and refused.value.word == "ph*"
    assert indexing.backend().search(SearchQuery(text="phon*")).total == 1


@each_backend
def test_collecting_hits_stops_at_the_time_limit(app, shelf, monkeypatch):
    """A limit already passed when the search starts: the backend stops instead of answering late."""
    monkeypatch.setattr(search, "TIME_LIMIT", -1.0)
    with pytest.raises(QueryTooBroad) as stopped:
        indexing.backend().search(SearchQuery(text="phong OR kieu"))
    assert stopped.value.reason == "time"
    result = services.search(SearchQuery(text="phong OR kieu"))[0]
    assert result.total == 0 and "quá rộng" in result.refused


@each_backend
def test_sru_answers_a_hostile_query_with_a_diagnostic(app, shelf):
    client = app.test_client()
    response = client.get("/sru", query_string={"operation": "searchRetrieve", "version": "1.2",
                                                "query": 'title = "*oai"'})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "info:srw/diagnostic/1/29" in body and "<numberOfRecords>0</numberOfRecords>" in body
