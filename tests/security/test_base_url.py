"""The probe's Host header: public links (calendar feed, OAI-PMH base URL) come from ILMS_BASE_URL."""
import pytest

from ilms.extensions import db
from tests import factories

BASE = "https://thuvien.laichau.gov.vn"


@pytest.fixture
def configured(app_factory):
    app = app_factory(BASE_URL=BASE)
    with app.app_context():
        factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
        db.session.commit()
        yield app
        db.session.remove()


@pytest.mark.parametrize("url", ["/calendar/", "/calendar/province.ics", "/oai?verb=Identify",
                                 "/sru?operation=explain&version=1.2"])
def test_absolute_links_ignore_a_forged_host(configured, url):
    client = configured.test_client()
    response = client.get(url, headers={"Host": "evil.example"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "evil.example" not in body
    if "oai" in url:
        assert f"<baseURL>{BASE}/oai</baseURL>" in body


def test_without_a_base_url_links_follow_the_request(app):
    body = app.test_client().get("/oai?verb=Identify", headers={"Host": "localhost:5000"}).get_data(as_text=True)
    assert "<baseURL>http://localhost:5000/oai</baseURL>" in body


def test_a_malformed_base_url_stops_the_start(app_factory):
    with pytest.raises(RuntimeError, match="ILMS_BASE_URL"):
        app_factory(BASE_URL="thuvien.laichau.gov.vn")
