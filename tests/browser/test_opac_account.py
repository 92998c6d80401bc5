"""A reader on a phone (390×844, JavaScript off) signs in to their account, renews a loan, reserves a
book for a library they choose, cancels it, turns the reading list on and signs out."""
import datetime as dt

import pytest

from tests.browser.conftest import PHONE, LiveServer

pytestmark = pytest.mark.browser

PIN = "507193"


@pytest.fixture
def account_server(live_app):
    from ilms.catalog import services as catalog
    from ilms.circulation import services as circ
    from ilms.common.permissions import SYSTEM
    from ilms.common.time import utcnow
    from ilms.extensions import db
    from ilms.org import services as org
    from ilms.patrons import services as patrons
    from ilms.patrons import signin
    with live_app.app_context():
        tvt = org.get_by_code("TVT")
        reader = patrons.register_patron(actor=SYSTEM, institution=tvt, name="Lò Thị Mai",
                                         card_issued=dt.date(2020, 1, 1), card_expires=dt.date(2030, 12, 31))
        other = patrons.register_patron(actor=SYSTEM, institution=tvt, name="Người Khác",
                                        card_issued=dt.date(2020, 1, 1), card_expires=dt.date(2030, 12, 31))
        signin.set_pin(reader, actor=SYSTEM, pin=PIN)
        kieu = catalog.create_minimal_record(title="Truyện Kiều", authors=["Nguyễn Du"], year=2015)
        (lent,) = catalog.add_copies(kieu, institution=tvt, actor=SYSTEM, source="purchase",
                                     accessioned=dt.date(2024, 1, 2))
        circ.checkout(reader, lent, institution=tvt, actor=SYSTEM, at=utcnow() - dt.timedelta(days=3))
        de_men = catalog.create_minimal_record(title="Dế mèn phiêu lưu ký", authors=["Tô Hoài"], year=2010)
        (busy,) = catalog.add_copies(de_men, institution=tvt, actor=SYSTEM, source="purchase",
                                     accessioned=dt.date(2024, 1, 2))
        circ.checkout(other, busy, institution=tvt, actor=SYSTEM, at=utcnow() - dt.timedelta(days=1))
        db.session.commit()
        ids = {"card": reader.barcode, "record": de_men.id}
        db.session.remove()
    with LiveServer(live_app) as server:
        server.ids = ids
        yield server


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_reader_account_on_a_phone_without_javascript(phone_without_js, account_server):
    page, base = phone_without_js, account_server.url
    page.goto(f"{base}/opac/")
    page.get_by_test_id("my-account").click()
    page.wait_for_url(lambda url: "/opac/account/login" in url)
    assert fits(page)
    page.fill("#card", account_server.ids["card"])
    page.fill("#pin", "000111")
    page.get_by_role("button", name="Đăng nhập").click()
    assert "Sai số thẻ hoặc mã PIN" in page.locator(".flashes").inner_text()
    page.fill("#card", account_server.ids["card"])
    page.fill("#pin", PIN)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/opac/account/")
    assert "Xin chào, Lò Thị Mai" in page.locator("h1").inner_text()
    loans = page.get_by_test_id("loans")
    assert "Truyện Kiều" in loans.inner_text() and "Người Khác" not in page.content()
    assert fits(page)

    loans.get_by_role("button", name="Gia hạn").click()
    page.wait_for_url(f"{base}/opac/account/")
    assert "Đã gia hạn: “Truyện Kiều”" in page.locator(".flashes").inner_text()
    assert "đã gia hạn 1 lần" in page.get_by_test_id("loans").inner_text()

    page.goto(f"{base}/opac/record/{account_server.ids['record']}")
    page.get_by_test_id("reserve").click()
    page.wait_for_url("**/opac/account/hold/*")
    assert fits(page)
    page.select_option("#pickup", label="Thư viện huyện Tam Đường")
    page.get_by_role("button", name="Đặt trước").click()
    page.wait_for_url(f"{base}/opac/account/")
    holds = page.get_by_test_id("holds")
    assert "Dế mèn phiêu lưu ký" in holds.inner_text() and "Thư viện huyện Tam Đường" in holds.inner_text()
    assert "thứ 1 trong hàng chờ" in holds.inner_text()
    holds.get_by_role("button", name="Hủy đặt trước này").click()
    page.wait_for_url(f"{base}/opac/account/")
    assert "Đã hủy" in page.locator(".flashes").inner_text() or "hủy" in page.locator(".flashes").inner_text()
    assert "Dế mèn phiêu lưu ký" not in page.get_by_test_id("holds").inner_text()

    page.get_by_role("link", name="Nhắc nhở và quyền riêng tư").click()
    assert not page.locator("#keep_history").is_checked()          # off unless the reader asks
    page.check("#keep_history")
    page.fill("#email", "mai@example.vn")
    assert fits(page)
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"{base}/opac/account/")
    page.get_by_role("link", name="Sách đã đọc").click()
    assert "Bạn đã yêu cầu lưu danh sách" in page.content()

    page.get_by_role("link", name="Dữ liệu của tôi").click()
    data = page.get_by_test_id("reader-data").inner_text()
    assert "mai@example.vn" in data and "Truyện Kiều" in data and "Người Khác" not in data

    page.get_by_test_id("reader-logout").click()
    page.wait_for_url("**/opac/account/login")
    page.goto(f"{base}/opac/account/")
    page.wait_for_url(lambda url: "/opac/account/login" in url)


def test_english_on_request(phone_without_js, account_server):
    page, base = phone_without_js, account_server.url
    page.goto(f"{base}/opac/account/login?hl=en")
    assert page.locator("h1").inner_text() == "My reader account"
    page.fill("#card", account_server.ids["card"])
    page.fill("#pin", PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/opac/account/")
    assert "My loans (1)" in page.get_by_test_id("loans").inner_text()
