"""A reader on a phone, without JavaScript, searches the OPAC without diacritics and opens a record."""
import datetime as dt

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def opac_server(live_app):
    from ilms.catalog import services
    from ilms.catalog.models import ItemStatus
    from ilms.common.permissions import SYSTEM
    from ilms.extensions import db
    from ilms.org import services as org
    with live_app.app_context():
        tvt, td = org.get_by_code("TVT"), org.get_by_code("TVH-TD")
        kieu = services.create_minimal_record(title="Truyện Kiều", authors=["Nguyễn Du"], year=2015,
                                              publisher="NXB Văn học", classification="895.9221")
        services.create_minimal_record(title="Truyện cổ dân tộc Thái", authors=["Lò Văn Biến"], year=2018)
        copies = services.add_copies(kieu, institution=tvt, actor=SYSTEM, source="purchase",
                                     accessioned=dt.date(2024, 1, 2), count=2, shelf="Kho mở")
        services.add_copies(kieu, institution=td, actor=SYSTEM, source="donation", accessioned=dt.date(2024, 1, 2))
        services.set_item_status(copies[0], ItemStatus.ON_LOAN)
        db.session.commit()
        db.session.remove()
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_reader_finds_a_book_without_diacritics_and_sees_where_it_is(phone_without_js, opac_server):
    page = phone_without_js
    page.goto(f"{opac_server.url}/opac/")
    page.fill("input[name=q]", "truyen kieu nguyen du")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/opac/?q=*")
    hits = page.locator("ol.hits > li")
    assert hits.count() == 1
    assert "Truyện Kiều" in hits.first.inner_text()
    assert "Thư viện tỉnh Lai Châu: 1/2 bản trên giá" in hits.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shared_url = page.url

    page.get_by_role("link", name="Truyện Kiều").click()
    page.wait_for_url("**/opac/record/*")
    assert page.locator("h1").inner_text() == "Truyện Kiều"
    where = page.locator("#availability").inner_text()
    assert "Thư viện tỉnh Lai Châu" in where and "1/2 bản trên giá" in where
    assert "Thư viện huyện Tam Đường" in where and "1/1 bản trên giá" in where
    assert "Kho mở" in where and "895.9221" in where
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1

    # the search URL can be shared: it opens the same results for someone else
    page.goto(shared_url)
    assert page.locator("ol.hits > li").count() == 1


def test_facets_work_as_plain_links_on_a_phone(phone_without_js, opac_server):
    page = phone_without_js
    page.goto(f"{opac_server.url}/opac/?q=truyen")
    assert page.locator("ol.hits > li").count() == 2
    page.get_by_role("link", name="Đang có trên giá").click()
    page.wait_for_load_state()
    assert page.locator("ol.hits > li").count() == 1
    page.get_by_role("link", name="Bỏ mọi bộ lọc").click()
    page.wait_for_load_state()
    assert page.locator("ol.hits > li").count() == 2
