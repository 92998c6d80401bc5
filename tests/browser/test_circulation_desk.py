"""A desk session with the keyboard only: card, three copies (one refused, with its reason), return, renew."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from ilms.circulation import services as circ
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.org import services as org
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_data(live_app):
    """A reader of the provincial library and three copies; one is already lent to somebody else."""
    with live_app.app_context():
        tvt = org.get_by_code("TVT")
        reader = factories.patron(tvt, name="Lò Thị Ín", card_expires=dt.date.today() + dt.timedelta(days=300))
        other = factories.patron(tvt, name="Giàng A Páo")
        books = [factories.item(tvt, title=title) for title in
                 ("Truyện cổ dân tộc Thái", "Kỹ thuật trồng chè Shan tuyết", "Dế Mèn phiêu lưu ký")]
        circ.checkout(other, books[2], institution=tvt, actor=SYSTEM)
        db.session.commit()
        data = {"card": reader.barcode, "items": [b.barcode for b in books]}
        db.session.remove()
    return data


def scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def focused_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_desk_session_with_the_keyboard_only(page, live_server, desk_data):
    sign_in(page, live_server.url, "desk")
    page.goto(f"{live_server.url}/circulation/desk")
    assert focused_id(page) == "scan"
    result = page.locator("#desk-result .desk-result")
    first, second, taken = desk_data["items"]
    page.evaluate("window.deskMarker = 42")     # gone if a scan reloaded the page

    scan(page, desk_data["card"])
    expect(page.get_by_test_id("reader")).to_contain_text("Lò Thị Ín")
    expect(result).to_have_attribute("data-level", "ok")
    expect(page.locator("#scan-label")).to_have_text("Quét các bản sách cho mượn, hoặc thẻ bạn đọc khác")

    scan(page, first)
    expect(result).to_contain_text("Đã cho mượn: “Truyện cổ dân tộc Thái”")
    scan(page, taken)
    expect(result).to_have_attribute("data-level", "error")
    expect(result).to_contain_text("đang được bạn đọc khác mượn")
    assert "Giàng A Páo" not in result.inner_text()
    assert page.evaluate("document.body.getAttribute('data-last-sound')") == "error"
    assert page.evaluate("getComputedStyle(document.querySelector('#desk-result .desk-result')).backgroundColor") \
        == "rgb(253, 236, 234)"
    assert focused_id(page) == "scan"
    scan(page, second)
    expect(result).to_contain_text("Đã cho mượn: “Kỹ thuật trồng chè Shan tuyết”")
    assert page.evaluate("document.body.getAttribute('data-last-sound')") == "ok"
    loans = page.get_by_test_id("loans")
    expect(loans).to_contain_text("Truyện cổ dân tộc Thái")
    expect(loans).to_contain_text("Kỹ thuật trồng chè Shan tuyết")
    assert "Dế Mèn" not in loans.inner_text()
    assert page.evaluate("window.deskMarker") == 42, "a scan reloaded the page"

    page.keyboard.press("F3")
    page.wait_for_url("**mode=return**")
    assert focused_id(page) == "scan"
    scan(page, first)
    expect(result).to_contain_text("Đã trả: “Truyện cổ dân tộc Thái”")
    expect(page.get_by_test_id("next-step")).to_contain_text("Xếp “Truyện cổ dân tộc Thái” lên giá")
    expect(page.get_by_test_id("returned")).to_contain_text("Truyện cổ dân tộc Thái")

    page.keyboard.press("F4")
    page.wait_for_url("**mode=renew**")
    scan(page, second)
    expect(result).to_contain_text("Đã gia hạn: “Kỹ thuật trồng chè Shan tuyết”")
    assert focused_id(page) == "scan"

    # Back to the reader (F2 keeps them): one loan left, renewed once.
    page.keyboard.press("F2")
    page.wait_for_url("**mode=checkout**")
    loans = page.get_by_test_id("loans")
    expect(loans).to_contain_text("Kỹ thuật trồng chè Shan tuyết")
    expect(loans).to_contain_text("đã gia hạn 1 lần")
    assert "Truyện cổ dân tộc Thái" not in loans.inner_text()


def test_the_desk_works_on_a_phone(phone, live_server, desk_data):
    sign_in(phone, live_server.url, "desk")
    phone.goto(f"{live_server.url}/circulation/desk")
    phone.fill("#scan", desk_data["card"])
    phone.press("#scan", "Enter")
    expect(phone.get_by_test_id("reader")).to_contain_text("Lò Thị Ín")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, "the desk scrolls sideways on a phone"
