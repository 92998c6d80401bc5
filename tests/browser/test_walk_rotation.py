"""Rotation's day: the overview at 1366x768, a crate packed and sent; the point on a 390x844 phone before and after
the crate arrives; back at the library a missing copy is settled only by a deliberate choice."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.walk import DESK, PHONE, Shots, focused, open_window, sideways_scroll

pytestmark = pytest.mark.browser

POINT = "Điểm Bưu điện văn hóa xã Bình Lư"


@pytest.fixture
def stock(live_server):
    """Three copies at Tam Đường's library and the Bình Lư point's staff member."""
    from ilms.accounts import services as accounts
    from ilms.catalog import services as catalog
    from ilms.common.permissions import SYSTEM
    from ilms.demo.network import DEMO_PASSWORD
    from ilms.extensions import db
    from ilms.org import services as org
    with live_server.app.app_context():
        record = catalog.create_minimal_record(title="Truyện cổ dân tộc Thái")
        items = catalog.add_copies(record, institution=org.get_by_code("TVH-TD"), actor=SYSTEM, source="purchase",
                                   accessioned=dt.date(2023, 5, 2), count=3)
        accounts.create_user(actor=SYSTEM, username="point.bl", full_name="Lò Thị Xuân", password=DEMO_PASSWORD,
                             role="rotation", institution=org.get_by_code("BD-TD-BL"))
        db.session.commit()
        barcodes = [item.barcode for item in items]
        db.session.remove()
    return barcodes


@pytest.fixture
def windows(browser):
    library, point = open_window(browser, DESK), open_window(browser, PHONE, phone=True)
    yield library.new_page(), point.new_page()
    library.close()
    point.close()


def test_the_rotation_day(windows, live_server, stock):
    page, phone = windows
    shots, base = Shots("rotation"), live_server.url
    sign_in(page, base, "rotation")
    page.get_by_role("link", name="Luân chuyển sách").first.click()

    # The overview's two panels share the width: no empty third column at 1366 px.
    overdue, moves = page.get_by_test_id("overdue-crates"), page.get_by_test_id("next-moves")
    row = page.locator(".rot-overview-panels").bounding_box()
    left, right = overdue.bounding_box(), moves.bounding_box()
    assert abs(left["y"] - right["y"]) < 2, "side by side"
    assert right["x"] + right["width"] >= row["x"] + row["width"] - 2, "the second panel reaches the right edge"
    shots(page, "overview")

    page.get_by_role("link", name="Thùng mới").first.click()
    page.select_option("#theme", "ethnic_culture")
    page.fill("#title", "Văn hóa dân tộc Thái")
    page.get_by_role("button", name="Tạo thùng và bắt đầu đóng").click()
    crate_url = page.url
    scan = page.locator("#pack-barcode")
    for number, code in enumerate(stock, start=1):
        scan.fill(code)
        scan.press("Enter")
        expect(page.get_by_test_id("contents").locator("tbody tr")).to_have_count(number)
    assert "Còn lại" not in page.get_by_test_id("contents").inner_text()
    shots(page, "packed")
    page.get_by_test_id("dispatch-link").click()
    page.select_option("#point", label=POINT)
    page.get_by_role("button", name="Gửi đi").click()
    expect(page.locator(".flash-success")).to_contain_text("đang trên đường tới")
    shots(page, "dispatched")

    # The point, on a phone, before the crate arrives: the copies are on their way, not "here".
    sign_in(phone, base, "point.bl")
    home_card = phone.get_by_test_id("rotation-panel")
    assert home_card.get_by_test_id("crates-out").inner_text() == "0"
    assert home_card.get_by_test_id("crates-to-receive").inner_text() == "1"
    shots(phone, "point-home-before-receipt")
    phone.get_by_role("link", name="Luân chuyển sách").first.click()
    summary = phone.get_by_test_id("point-summary")
    expect(summary).to_contain_text("3 bản sách đang trên đường tới điểm")
    assert "tại điểm, " not in summary.inner_text()
    assert not sideways_scroll(phone)
    shots(phone, "point-before-receipt")

    # Tapping a label puts the cursor in its own box.
    phone.locator("label", has_text="Bản sách bạn đọc trả").click()
    assert focused(phone) == "back-barcode"
    phone.locator("label[for='card']").click()
    assert focused(phone) == "card"

    button = phone.get_by_test_id("confirm-receipt")
    button.click()
    expect(phone.locator(".flash-success")).to_contain_text("Đã xác nhận nhận thùng")
    expect(phone.get_by_test_id("point-summary")).to_contain_text("Đang có 3 bản sách tại điểm")
    assert "trên đường" not in phone.get_by_test_id("point-summary").inner_text()
    shots(phone, "point-after-receipt")

    # The crate comes back with one copy short (checked at the library through the service).
    from ilms.accounts.models import User
    from ilms.extensions import db
    from ilms.rotation import services as rot
    with live_server.app.app_context():
        crate = rot.crate_by_code("TS-HTD-001")
        staff = db.session.scalar(db.select(User).where(User.username == "rotation"))
        rot.return_crate(crate, actor=staff, barcodes=stock[:2])
        db.session.commit()
        db.session.remove()

    page.goto(f"{base}/rotation/missing")
    select = page.locator("select[name=resolution]").first
    assert select.input_value() == "", "nothing preselected beside Save"
    assert "Đã tìm thấy" not in select.locator("option:checked").inner_text()
    shots(page, "missing-nothing-chosen")
    page.locator("form.rot-resolve button[type=submit]").first.click()
    assert select.evaluate("e => e.validity.valueMissing"), "the browser asks for a choice first"
    assert page.url.endswith("/rotation/missing")
    select.select_option(label="Mất")
    page.locator("form.rot-resolve button[type=submit]").first.click()
    expect(page.locator(".flash-success")).to_contain_text(stock[2])
    shots(page, "missing-settled")
