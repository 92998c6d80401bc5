"""A librarian orders books, receives part of the delivery and prints the labels of what came."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def stocked(live_app):
    """A vendor, this year's fund of the provincial library and one title already in the catalogue."""
    from ilms.acquisitions import services
    from ilms.catalog import services as catalog
    from ilms.common.permissions import SYSTEM
    from ilms.common.time import local_today
    from ilms.extensions import db
    from ilms.org import services as org
    with live_app.app_context():
        tvt = org.get_by_code("TVT")
        services.save_supplier(actor=SYSTEM, name="Công ty Phát hành sách Lai Châu", is_vendor=True)
        services.save_fund(actor=SYSTEM, institution=tvt, year=local_today().year, code="NS", name="Ngân sách",
                           allocated=50_000_000)
        record = catalog.create_minimal_record(title="Truyện cổ dân tộc Thái")
        db.session.commit()
        record_id = record.id
        db.session.remove()
    return record_id


def test_order_receive_part_and_print_the_labels(page, live_server, stocked):
    sign_in(page, live_server.url, "librarian")
    page.goto(f"{live_server.url}/acquisitions/")
    page.get_by_role("link", name="Đơn hàng mới").click()
    page.select_option("#vendor", label="Công ty Phát hành sách Lai Châu")
    page.get_by_role("button", name="Lập đơn hàng").click()
    page.wait_for_url("**/acquisitions/orders/*")
    assert "Nháp" in page.get_by_test_id("order-status").inner_text()

    # a title already in the catalogue, by its record number
    page.fill("#record", str(stocked))
    page.fill("#quantity", "6")
    page.fill("#unit_price", "45000")
    page.get_by_role("button", name="Thêm dòng").click()
    # a new title, made as a minimal record
    page.fill("#title", "Sổ tay văn hóa bản Mường")
    page.fill("#author", "Lò Văn Pọm")
    page.fill("#quantity", "2")
    page.fill("#unit_price", "60000")
    page.get_by_role("button", name="Thêm dòng").click()
    lines = page.get_by_test_id("lines")
    assert "Truyện cổ dân tộc Thái" in lines.inner_text() and "Sổ tay văn hóa bản Mường" in lines.inner_text()
    assert "390.000 đ" in lines.inner_text()

    page.get_by_role("button", name="Đánh dấu đã gửi nhà cung cấp").click()
    assert "Đã gửi nhà cung cấp" in page.get_by_test_id("order-status").inner_text()

    receive = page.get_by_test_id("receive-1")
    receive.locator("input[type=number]").fill("4")
    receive.get_by_role("button", name="Nhận").click()
    assert "Đã nhận một phần" in page.get_by_test_id("order-status").inner_text()
    assert "Đã nhận 4 bản" in page.locator(".flash").first.inner_text()
    assert page.get_by_test_id("received").inner_text().count("TVT") == 4
    order_url = page.url.split("?")[0]

    page.get_by_test_id("labels-new").click()
    page.wait_for_url("**/catalog/labels?*")
    assert page.get_by_test_id("label").count() == 4
    assert page.get_by_test_id("label").first.locator("svg").count() == 1
    assert "Truyện cổ dân tộc Thái" in page.get_by_test_id("label").first.inner_text()
    page.goto(order_url)

    # receiving more than is still expected is refused, and nothing changes
    receive = page.get_by_test_id("receive-1")
    receive.locator("input[type=number]").evaluate("el => el.removeAttribute('max')")
    receive.locator("input[type=number]").fill("5")
    receive.get_by_role("button", name="Nhận").click()
    # wait for the answer page (reading the page mid-navigation gives nothing)
    expect(page.locator("body")).to_contain_text("chỉ còn chờ 2")
    assert page.get_by_test_id("received").inner_text().count("TVT") == 4

    # the rest arrives: the order is received in full
    receive = page.get_by_test_id("receive-1")
    receive.locator("input[type=number]").fill("2")
    receive.get_by_role("button", name="Nhận").click()
    page.get_by_test_id("receive-2").locator("input[type=number]").fill("2")
    page.get_by_test_id("receive-2").get_by_role("button", name="Nhận").click()
    assert page.get_by_test_id("order-status").inner_text().strip() == "Đã nhận"
