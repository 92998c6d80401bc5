"""An inspection with two recommendations: the inspected library answers one on time with its evidence,
the other is overdue and shown on the library's home page and on the Department's list."""
import datetime as dt

from ilms.common.time import local_today
from tests.browser.conftest import DESKTOP, sign_in

PDF = b"%PDF-1.4\n% bien ban kiem tra\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_inspection_answered_on_time_and_one_overdue(live_server, page, browser, tmp_path):
    base = live_server.url
    today = local_today()
    visit = today - dt.timedelta(days=40)

    # The Department records the visit to the Tam Đường library and its two recommendations.
    sign_in(page, base, "department")
    page.goto(f"{base}/department/inspections/new")
    page.select_option("#institution", label="Thư viện huyện Tam Đường")
    page.select_option("#kind", "check")
    page.fill("#date", visit.isoformat())
    page.fill("#inspectors", "Đoàn kiểm tra Sở Văn hóa, Thể thao và Du lịch")
    page.fill("#scope", "Luân chuyển sách, phục vụ bạn đọc")
    page.fill("#findings", "Kho sách ẩm; sổ đăng ký cá biệt chưa cập nhật.")
    page.click("[data-testid=save]")
    page.wait_for_url("**/department/inspections/*")
    inspection_url = page.url
    for text, deadline in (("Chống ẩm cho kho sách", today + dt.timedelta(days=10)),
                           ("Cập nhật sổ đăng ký cá biệt", today - dt.timedelta(days=5))):
        form = page.locator("[data-testid=add-recommendation]")
        form.locator("#text").fill(text)
        form.locator("#responsible").fill("Lò Thị Mai")
        form.locator("#deadline").fill(deadline.isoformat())
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
    assert page.locator("[data-testid=recommendation-1]").is_visible()
    assert page.locator("[data-testid=recommendation-2] [data-testid=state]").inner_text() == "Quá hạn"

    # The library's librarian, in another browser, sees both on the home page, the second marked overdue.
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    library = context.new_page()
    sign_in(library, base, "librarian.td")
    library.goto(f"{base}/")
    panel = library.locator("[data-testid=recommendations-panel]")
    assert "Chống ẩm cho kho sách" in panel.inner_text()
    overdue = panel.locator("[data-testid=overdue-recommendation]")
    assert overdue.count() == 1 and "Cập nhật sổ đăng ký cá biệt" in overdue.inner_text()

    # It answers the first one with a note and the signed minutes as a PDF.
    evidence = tmp_path / "bien-ban-khac-phuc.pdf"
    evidence.write_bytes(PDF)
    panel.get_by_text("Chống ẩm cho kho sách").click()
    library.wait_for_url(inspection_url)
    answer = library.locator("[data-testid=answer-1]")
    answer.locator("textarea").fill("Đã lắp máy hút ẩm và kệ cách tường.")
    answer.locator("input[type=file]").set_input_files(str(evidence))
    answer.locator("button[type=submit]").click()
    library.wait_for_load_state()
    first = library.locator("[data-testid=recommendation-1]")
    assert first.get_attribute("data-status") == "done"
    assert "(đúng hạn)" in first.locator("[data-testid=state]").inner_text()
    assert "bien-ban-khac-phuc.pdf" in first.locator("[data-testid=evidence]").inner_text()
    download = library.request.get(base + first.locator("[data-testid=evidence]").get_attribute("href"))
    assert download.ok and download.body().startswith(b"%PDF-")

    # The home page now lists only the overdue one; the Department sees the answer and the overdue list.
    library.goto(f"{base}/")
    panel = library.locator("[data-testid=recommendations-panel]")
    assert "Chống ẩm cho kho sách" not in panel.inner_text()
    assert "Cập nhật sổ đăng ký cá biệt" in panel.locator("[data-testid=overdue-recommendation]").inner_text()
    context.close()

    page.goto(inspection_url)
    assert "Đã lắp máy hút ẩm" in page.locator("[data-testid=recommendation-1]").inner_text()
    page.goto(f"{base}/department/overdue")
    table = page.locator("[data-testid=overdue-table]").inner_text()
    assert "Cập nhật sổ đăng ký cá biệt" in table and "Chống ẩm cho kho sách" not in table
