"""A stocktake scanned with the keyboard at 1366×768: the figures follow each scan without a page load,
and another librarian's scans show up on their own."""
import pytest
from playwright.sync_api import expect

from ilms.catalog import stocktake as st
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.org import services as org
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def shelves(live_app):
    """Four copies of the provincial library on “Kho mở”, one of Tam Đường district library."""
    with live_app.app_context():
        tvt, td = org.get_by_code("TVT"), org.get_by_code("TVH-TD")
        ours = [factories.item(tvt, title=title) for title in
                ("Truyện cổ dân tộc Thái", "Kỹ thuật trồng chè Shan tuyết", "Dế Mèn phiêu lưu ký",
                 "Tiếng Mông")]
        theirs = factories.item(td, title="Địa chí Tam Đường")
        data = {"ours": [i.barcode for i in ours], "theirs": theirs.barcode}
        db.session.remove()
    return data


def scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_scanning_a_stocktake_with_the_keyboard(laptop, live_server, live_app, shelves):
    page = laptop
    sign_in(page, live_server.url, "librarian")
    page.goto(f"{live_server.url}/catalog/stocktakes")
    page.get_by_role("link", name="Mở đợt kiểm kê").click()
    page.fill("#name", "Kiểm kê kho mở 2026")
    page.get_by_role("button", name="Mở đợt kiểm kê").click()
    expect(page.get_by_test_id("count-expected")).to_have_text("4")
    expect(page.locator("#scan")).to_be_focused()   # waits for the autofocus on a loaded machine
    page.evaluate("window.stocktakeMarker = 42")       # gone if a scan reloaded the page
    result = page.locator("#stocktake-result .desk-result")

    first, second, third, _fourth = shelves["ours"]
    scan(page, first)
    expect(result).to_have_attribute("data-level", "ok")
    expect(result).to_contain_text("Truyện cổ dân tộc Thái")
    expect(page.get_by_test_id("count-found")).to_have_text("1")
    expect(page.get_by_test_id("count-not_seen")).to_have_text("3")

    scan(page, shelves["theirs"])
    expect(result).to_have_attribute("data-kind", "other_library")
    expect(result).to_contain_text("Thư viện huyện Tam Đường")
    expect(page.get_by_test_id("count-other_library")).to_have_text("1")

    scan(page, first.lower())
    expect(page.get_by_test_id("count-twice")).to_have_text("1")
    expect(page.get_by_test_id("count-found")).to_have_text("1")
    scan(page, "KHONG-CO-123")
    expect(result).to_have_attribute("data-level", "error")
    expect(page.get_by_test_id("count-unknown")).to_have_text("1")
    # a scanner types fast: two codes in a row are both counted
    scan(page, second)
    scan(page, third)
    expect(page.get_by_test_id("count-found")).to_have_text("3")
    expect(page.get_by_test_id("count-scans")).to_have_text("6")
    assert page.evaluate("window.stocktakeMarker") == 42
    expect(page.locator("#scan")).to_be_focused()   # waits for the autofocus on a loaded machine

    # another librarian scans the last copy from another desk: the figures follow on their own
    with live_app.app_context():
        stocktake = db.session.scalars(db.select(st.Stocktake)).one()
        st.record_scan(stocktake, _fourth, actor=SYSTEM)
        db.session.commit()
        db.session.remove()
    expect(page.get_by_test_id("count-found")).to_have_text("4")
    expect(page.get_by_test_id("count-not_seen")).to_have_text("0")
    assert page.evaluate("window.stocktakeMarker") == 42
    # the page fits the laptop's width
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
