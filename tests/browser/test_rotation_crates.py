"""Rotation staff pack a crate by scanning copies and dispatch it; on a phone the point confirms receipt; the
title's page then shows the copies at that point."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

POINT = "Điểm Bưu điện văn hóa xã Bình Lư"


@pytest.fixture
def stock(live_server):
    """Three copies of one title at Tam Đường's library, and the staff member of the Bình Lư point."""
    from ilms.accounts import services as accounts
    from ilms.catalog import services as catalog
    from ilms.common.permissions import SYSTEM
    from ilms.demo.network import DEMO_PASSWORD
    from ilms.extensions import db
    from ilms.org import services as org
    import datetime as dt
    with live_server.app.app_context():
        library = org.get_by_code("TVH-TD")
        record = catalog.create_minimal_record(title="Truyện cổ dân tộc Thái")
        items = catalog.add_copies(record, institution=library, actor=SYSTEM, source="purchase",
                                   accessioned=dt.date(2023, 5, 2), count=3)
        accounts.create_user(actor=SYSTEM, username="point.bl", full_name="Lò Thị Xuân", password=DEMO_PASSWORD,
                             role="rotation", institution=org.get_by_code("BD-TD-BL"))
        db.session.commit()
        made = record.id, [item.barcode for item in items]
        db.session.remove()
    return made


def test_pack_dispatch_receive_on_a_phone_and_find_the_copies_at_the_point(page, phone, live_server, stock):
    record_id, barcodes = stock
    sign_in(page, live_server.url, "rotation")
    page.get_by_role("link", name="Luân chuyển sách").first.click()
    page.get_by_role("link", name="Thùng mới").first.click()
    page.select_option("#theme", "ethnic_culture")
    page.fill("#title", "Văn hóa dân tộc Thái")
    page.get_by_role("button", name="Tạo thùng và bắt đầu đóng").click()
    assert "Đã tạo thùng TS-HTD-001" in page.locator(".flash-success").inner_text()
    crate_url = page.url

    # Scanning: each code and Enter, no page load; the list grows, a wrong code is refused in red.
    scan = page.locator("#pack-barcode")
    for number, code in enumerate(barcodes, start=1):
        scan.fill(code)
        scan.press("Enter")
        expect(page.get_by_test_id("contents").locator("tbody tr")).to_have_count(number)
    assert page.url == crate_url
    assert page.get_by_test_id("crate-count").inner_text() == "3"
    scan.fill(barcodes[0])
    scan.press("Enter")
    message = page.get_by_test_id("pack-message")
    message.and_(page.locator(".level-error")).wait_for()
    assert "đã ở trong thùng này" in message.inner_text()
    assert page.evaluate("document.activeElement.id") == "pack-barcode"

    page.get_by_test_id("dispatch-link").click()
    page.select_option("#point", label=POINT)
    page.get_by_role("button", name="Gửi đi").click()
    assert f"Thùng TS-HTD-001 đang trên đường tới {POINT} với 3 bản sách" in page.locator(".flash-success").inner_text()

    # The point's staff, on a phone: the crate waits for them; one tap confirms it arrived.
    sign_in(phone, live_server.url, "point.bl")
    phone.get_by_role("link", name="Luân chuyển sách").first.click()
    assert POINT in phone.locator("h1").inner_text()
    incoming = phone.get_by_test_id("incoming")
    assert "TS-HTD-001" in incoming.inner_text()
    button = phone.get_by_test_id("confirm-receipt")
    box = button.bounding_box()
    assert box["width"] > 300 and box["height"] >= 44, "a button a thumb can press"
    button.click()
    assert "Đã xác nhận nhận thùng TS-HTD-001" in phone.locator(".flash-success").inner_text()
    assert phone.get_by_test_id("incoming").count() == 0
    assert "TS-HTD-001" in phone.get_by_test_id("crates-here").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"

    # Back at the library: the crate is at the point, and so is every copy of the title.
    page.goto(crate_url)
    assert page.get_by_test_id("received").inner_text().startswith(tuple("0123456789"))
    page.goto(f"{live_server.url}/rotation/titles/{record_id}")
    rows = page.get_by_test_id("copies-where").locator("tbody tr")
    assert rows.count() == 3
    for number in range(3):
        assert f"Đang luân chuyển tại {POINT}" in rows.nth(number).inner_text()
    assert sorted(rows.nth(n).get_attribute("data-barcode") for n in range(3)) == sorted(barcodes)
