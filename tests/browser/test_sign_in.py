"""The demo librarian signs in, sees the Vietnamese dashboard, switches to English, signs out."""
import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_librarian_session_in_both_languages_and_logout_kills_the_cookie(page, live_server):
    sign_in(page, live_server.url, "librarian")
    assert "Xin chào, Lò Thị Hương" in page.inner_text("h1")
    assert page.get_by_role("button", name="Đăng xuất").is_visible()
    assert page.get_by_role("link", name="Mạng lưới").is_visible()

    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert "Hello, Lò Thị Hương" in page.inner_text("h1")
    assert page.get_by_role("button", name="Sign out").is_visible()

    cookie = next(c for c in page.context.cookies() if c["name"] == "ilms_session")
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login")
    assert page.locator("#username").is_visible()

    # Put the old cookie back, as someone who copied it would: the server refuses it.
    page.context.add_cookies([cookie])
    page.goto(f"{live_server.url}/")
    assert "/login" in page.url


def test_wrong_password_shows_the_reason(page, live_server):
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "librarian")
    page.fill("#password", "not-the-password")
    page.press("#password", "Enter")
    assert page.locator(".flash-error").inner_text().startswith("Sai tên đăng nhập")


def test_phone_layout_keeps_the_menu_usable(phone, live_server):
    sign_in(phone, live_server.url, "admin")
    phone.get_by_role("link", name="Cán bộ").click()
    assert phone.locator("h1").inner_text() == "Tài khoản cán bộ"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, "the page scrolls sideways on a phone"
