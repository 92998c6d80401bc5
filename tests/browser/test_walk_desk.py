"""The desk's day at 1366x768 with the keyboard: from the home page to the desk, a loan and a return, the copy's
word on its record, and the barcode box of the catalogue."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.walk import DESK, Shots, focused, in_view, open_window

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_day(live_app):
    from ilms.extensions import db
    from ilms.org import services as org
    from tests import factories
    with live_app.app_context():
        tvt = org.get_by_code("TVT")
        reader = factories.patron(tvt, name="Lò Thị Ín", card_expires=dt.date.today() + dt.timedelta(days=300))
        book = factories.item(tvt, title="Truyện cổ dân tộc Thái")
        db.session.commit()
        data = {"card": reader.barcode, "copy": book.barcode, "record": book.record_id}
        db.session.remove()
    return data


@pytest.fixture
def screen(browser):
    context = open_window(browser, DESK)
    yield context.new_page()
    context.close()


def scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_the_desk_day(screen, live_server, desk_day):
    page, shots, base = screen, Shots("desk"), live_server.url
    sign_in(page, base, "desk")
    shots(page, "home")

    # Two Tab presses and Enter from the home page: the skip link to the desk, then the scan box has the focus.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page) == "skip-desk"
    skip = page.get_by_test_id("skip-desk")
    assert in_view(page, skip) and "quầy mượn trả" in skip.inner_text()
    shots(page, "skip-link-to-the-desk")
    page.keyboard.press("Enter")
    page.wait_for_url("**/circulation/desk**")
    assert focused(page) == "scan"
    assert page.get_by_test_id("skip-desk").get_attribute("accesskey") == "b"

    result = page.locator("#desk-result .desk-result")
    scan(page, desk_day["card"])
    expect(page.get_by_test_id("reader")).to_contain_text("Lò Thị Ín")
    scan(page, desk_day["copy"])
    expect(result).to_contain_text("Đã cho mượn: “Truyện cổ dân tộc Thái”")
    assert in_view(page, result) and focused(page) == "scan"
    shots(page, "lent")

    page.keyboard.press("F3")
    page.wait_for_url("**mode=return**")
    scan(page, desk_day["copy"])
    expect(result).to_contain_text("Đã trả: “Truyện cổ dân tộc Thái”")
    assert in_view(page, result) and focused(page) == "scan"
    shots(page, "returned")

    # On the record, the copy back on the shelf reads as libraries say it: "Có sẵn", never "Còn lại".
    page.goto(f"{base}/catalog/records/{desk_day['record']}")
    copies = page.locator("main")
    expect(copies).to_contain_text("Có sẵn")
    assert "Còn lại" not in copies.inner_text()
    shots(page, "record-copy-available")

    # "Mở bản sách" with an empty box says the box is empty, at the top of the page.
    page.goto(f"{base}/catalog/")
    page.get_by_role("button", name="Mở bản sách").click()
    message = page.locator(".flash-error")
    expect(message).to_contain_text("Ô mã vạch đang trống")
    assert "—" not in message.inner_text() and in_view(page, message)
    shots(page, "empty-barcode-box")
