"""A librarian catalogues a new book, adds copies, prints their labels, imports a MARC file and watches it."""
import pytest

from tests.browser.conftest import sign_in
from tests.conftest import shared_path

pytestmark = pytest.mark.browser


def test_librarian_catalogues_a_book_adds_copies_and_prints_labels(page, live_server):
    sign_in(page, live_server.url, "librarian")
    page.goto(f"{live_server.url}/catalog/records/new")
    page.fill("#title", "Đất rừng phương Nam")
    page.fill("#authors", "Đoàn Giỏi")
    page.fill("#publisher", "NXB Kim Đồng")
    page.fill("#place", "Hà Nội")
    page.fill("#year", "2018")
    page.fill("#classification", "895.92234")
    page.fill("#call_number", "895.92234 ĐO-G")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url("**/catalog/records/*")
    assert page.locator("h1").inner_text() == "Đất rừng phương Nam"

    page.get_by_role("link", name="Thêm bản sách").click()
    page.fill("#count", "3")
    page.get_by_role("button", name="Thêm").click()
    page.wait_for_url("**/catalog/records/*")
    assert "TVT000001" in page.locator("#copies").inner_text()
    assert "TVT000003" in page.locator("#copies").inner_text()

    page.get_by_label("TVT000001").check()
    page.get_by_label("TVT000002").check()
    page.get_by_role("button", name="In nhãn cho các bản sách đã chọn").click()
    page.wait_for_url("**/catalog/labels?*")
    labels = page.get_by_test_id("label")
    assert labels.count() == 2
    assert labels.first.locator("svg").count() == 1
    assert "895.92234" in labels.first.inner_text()

    # the MARC view shows what the form wrote
    page.go_back()
    page.get_by_role("link", name="MARC", exact=True).click()
    assert "Đất rừng phương Nam" in page.get_by_test_id("marc-view").inner_text()
    # and searching without diacritics finds it, with copies on the shelf
    page.goto(f"{live_server.url}/catalog/?q=dat+rung+doan+gioi")
    assert "Đất rừng phương Nam" in page.locator("table.records").inner_text()
    assert "3/3 bản trên giá" in page.locator("table.records").inner_text()


def test_import_upload_shows_progress_and_the_report(page, live_server):
    sign_in(page, live_server.url, "librarian")
    page.goto(f"{live_server.url}/catalog/import")
    page.set_input_files("#file", str(shared_path("data", "marc", "bad_input", "pymarc_bad_records_9.mrc")))
    page.get_by_role("button", name="Tải lên và nhập").click()
    page.wait_for_url("**/catalog/import/*")
    assert page.locator("progress").count() == 1
    page.wait_for_selector("text=Biểu ghi bị bỏ qua hoặc nhập kèm lưu ý", timeout=30_000)
    report = page.locator("table.list").last.inner_text()
    assert "381" in report and "637" in report
    assert "Đã xong" in page.locator(".import-progress").inner_text()
