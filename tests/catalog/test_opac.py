"""The public catalogue: no sign-in, light pages without scripts, facets, availability per library,
shareable URLs, and nothing of staff or readers."""
import datetime as dt
import re

import pytest

from ilms.catalog import services
from ilms.catalog.models import ItemStatus
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from tests.conftest import SEARCH_BACKENDS

#: Every page test runs on each search backend the database has.
pytestmark = pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)


@pytest.fixture
def catalogue(app, network):
    kieu = services.create_minimal_record(title="Truyện Kiều", authors=["Nguyễn Du"], year=2015,
                                          publisher="NXB Văn học", classification="895.9221")
    de_men = services.create_minimal_record(title="Dế Mèn phiêu lưu ký", authors=["Tô Hoài"], year=2019,
                                            publisher="NXB Kim Đồng")
    at_tvt = services.add_copies(kieu, institution=network.tvt, actor=SYSTEM, source="purchase",
                                 accessioned=dt.date(2024, 1, 1), count=2, shelf="Kho mở",
                                 note="ghi chú nội bộ: mua của cô Lan")
    services.add_copies(kieu, institution=network.td, actor=SYSTEM, source="donation",
                        accessioned=dt.date(2024, 1, 1), shelf="Phòng đọc")
    services.set_item_status(at_tvt[0], ItemStatus.ON_LOAN)
    db.session.commit()
    return {"kieu": kieu.id, "de_men": de_men.id, "barcodes": [i.barcode for i in at_tvt]}


def test_opac_needs_no_sign_in_and_no_javascript(app, client, catalogue):
    home = client.get("/opac/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert "<script" not in html and 'name="q"' in html
    results = client.get("/opac/?q=nguyen+du")
    assert results.status_code == 200 and "<script" not in results.get_data(as_text=True)
    record = client.get(f"/opac/record/{catalogue['kieu']}")
    assert record.status_code == 200 and "<script" not in record.get_data(as_text=True)
    assert len(record.get_data()) < 20_000 and len(results.get_data()) < 30_000


def test_search_without_diacritics_finds_and_shows_availability_per_library(client, catalogue):
    html = client.get("/opac/?q=truyen+kieu").get_data(as_text=True)
    assert "Truyện Kiều" in html and "Dế Mèn" not in html
    assert re.search(r"Thư viện huyện Tam Đường:\s*1/1 bản trên giá", html)
    assert re.search(r"Thư viện tỉnh Lai Châu:\s*1/2 bản trên giá", html)
    record = client.get(f"/opac/record/{catalogue['kieu']}").get_data(as_text=True)
    assert "Thư viện tỉnh Lai Châu" in record and "Thư viện huyện Tam Đường" in record
    assert "895.9221" in record and "Kho mở" in record


def test_facets_are_links_that_narrow_the_search(client, catalogue):
    assert "Truyện Kiều" not in client.get("/opac/?q=").get_data(as_text=True)  # the start page lists libraries
    html = client.get("/opac/?avail=1").get_data(as_text=True)
    assert "Truyện Kiều" in html and "Dế Mèn" not in html
    narrowed = client.get("/opac/?q=&lib=TVH-TD").get_data(as_text=True)
    assert "Truyện Kiều" in narrowed and "Dế Mèn" not in narrowed
    by_year = client.get("/opac/?from=2019&to=2019").get_data(as_text=True)
    assert "Dế Mèn" in by_year and "Truyện Kiều" not in by_year
    facets = client.get("/opac/?q=kieu").get_data(as_text=True).replace("&amp;", "&")
    assert 'href="/opac/?q=kieu&lib=TVH-TD"' in facets and 'href="/opac/?q=kieu&avail=1"' in facets


def test_nothing_of_staff_or_readers_is_shown(client, catalogue):
    record = client.get(f"/opac/record/{catalogue['kieu']}").get_data(as_text=True)
    for secret in catalogue["barcodes"] + ["ghi chú nội bộ", "cô Lan", "45000"]:
        assert secret not in record
    assert "Đăng xuất" not in record and "/catalog/" not in record


def test_urls_are_shareable_and_odd_input_is_harmless(client, catalogue):
    assert client.get("/opac/?q=kieu&page=999").status_code == 200
    assert client.get("/opac/?q=kieu&from=abc&to=-1&sort=drop+table&lang=%3Cx%3E").status_code == 200
    assert client.get("/opac/?q=%22%28%5B").status_code == 200
    assert client.get("/opac/record/999999").status_code == 404
    english = client.get("/opac/?q=kieu&hl=en").get_data(as_text=True)
    assert "Search" in english


def test_did_you_mean_is_offered(client, catalogue):
    html = client.get("/opac/?q=truyen+kieuu").get_data(as_text=True)
    assert "q=truyen+kieu" in html.replace("%20", "+")
