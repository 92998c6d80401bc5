"""An administrator renames a colleague, then finds that change in the audit trail, on a PC and a phone."""
import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_admin_finds_who_changed_a_staff_account(page, phone, live_server):
    sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/admin/users?q=librarian.td")
    page.get_by_role("link", name="librarian.td").click()
    page.fill("#full_name", "Lò Văn Đổi Tên")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="Nhật ký thay đổi").click()
    assert page.inner_text("h1") == "Nhật ký thay đổi"
    page.fill("#actor", "admin")
    page.select_option("#table", "users")
    page.get_by_role("button", name="Lọc").click()
    entries = page.get_by_test_id("audit-entry")
    assert entries.count() == 2  # the admin's own sign-in, then the rename
    assert entries.filter(has_text="last_login_at").count() == 1
    renamed = entries.filter(has_text="Lò Văn Đổi Tên")
    text = renamed.inner_text()
    assert "admin" in text and "sửa" in text and "Thủ thư Tam Đường → Lò Văn Đổi Tên" in text
    assert "POST /admin/users/" in text

    record = renamed.locator("td").nth(4).get_by_role("link")
    record_id = record.inner_text()
    record.click()  # the history of that one account (the demo loader created it in one bulk entry)
    assert f"record={record_id}" in page.url and "table=users" in page.url
    history = page.get_by_test_id("audit-entry")
    assert history.count() == 1 and "Lò Văn Đổi Tên" in history.first.inner_text()

    sign_in(phone, live_server.url, "admin")
    phone.goto(f"{live_server.url}/admin/audit/?actor=admin")
    assert phone.get_by_test_id("audit-entry").first.is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the trail fits a phone screen ({width}px wide)"


def test_a_librarian_has_no_audit_trail_in_the_menu(page, live_server):
    sign_in(page, live_server.url, "librarian")
    assert page.get_by_role("link", name="Nhật ký thay đổi").count() == 0
    response = page.goto(f"{live_server.url}/admin/audit/")
    assert response.status == 403
