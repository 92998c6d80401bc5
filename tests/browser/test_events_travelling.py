"""Events staff schedule a travelling exhibition with two stops, record visitors with students apart,
and readers find it on the public calendar (no sign-in), on a desktop and on a phone."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from ilms.common.time import local_today
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def iso(days):
    return (local_today() + dt.timedelta(days=days)).isoformat()


def vn(days):
    return (local_today() + dt.timedelta(days=days)).strftime("%d/%m/%Y")


def test_travelling_exhibition_from_planning_to_the_public_calendar(page, phone, live_server):
    sign_in(page, live_server.url, "events")
    page.get_by_role("link", name="Sự kiện").first.click()
    page.get_by_role("link", name="Lên kế hoạch trưng bày").first.click()

    page.select_option("#kind", "mobile")
    # A travelling exhibition has stops, not one venue (events.js is deferred: wait for it, do not race it).
    expect(page.locator("#venue")).to_be_hidden()
    page.fill("#title", "Văn hóa các dân tộc Lai Châu – lưu động")
    page.fill("#theme", "Trang phục và nhạc cụ")
    page.fill("#start", iso(-5))
    page.fill("#end", iso(40))
    page.fill("#opens_at", "08:00")
    page.fill("#closes_at", "16:30")
    page.fill("#partners", "Trường PTDT Nội trú tỉnh\nTrung tâm VH-TT-TT huyện Sìn Hồ")
    page.get_by_role("button", name="Lưu").click()
    assert "Đã lên kế hoạch" in page.locator(".flash-success").inner_text()
    exhibition_url = page.url

    for venue, host, first, last in [("Hội trường Trường PTDT Nội trú tỉnh", "Trường PTDT Nội trú tỉnh", -5, 2),
                                     ("Nhà văn hóa huyện Sìn Hồ", "Trung tâm VH-TT-TT huyện Sìn Hồ", 10, 20)]:
        page.fill("#stop-venue", venue)
        page.check("#stop-new_venue")  # a venue not yet on the list is added deliberately
        page.fill("#stop-host", host)
        page.fill("#stop-start", iso(first))
        page.fill("#stop-end", iso(last))
        page.get_by_role("button", name="Thêm điểm").click()
        assert f"Đã thêm điểm trưng bày tại {venue}" in page.locator(".flash-success").inner_text()
    assert page.get_by_test_id("stop").count() == 2

    # A stop at the same hall on overlapping days is refused, naming the exhibition that holds it.
    page.fill("#stop-venue", "Nhà văn hóa huyện Sìn Hồ")
    page.fill("#stop-start", iso(15))
    page.fill("#stop-end", iso(25))
    page.get_by_role("button", name="Thêm điểm").click()
    assert "Văn hóa các dân tộc Lai Châu – lưu động" in page.locator("#stop-form .error").inner_text()
    assert page.get_by_test_id("stop").count() == 2

    page.fill("#visit-date", iso(-1))
    page.select_option("#visit-stop", label=f"Hội trường Trường PTDT Nội trú tỉnh ({vn(-5)}–{vn(2)})")
    page.fill("#visit-visitors", "185")
    page.fill("#visit-students", "160")
    page.fill("#visit-school", "Trường PTDT Nội trú tỉnh")
    page.get_by_role("button", name="Ghi nhận").click()
    assert "160 học sinh" in page.locator(".flash-success").inner_text()
    assert page.get_by_test_id("total-visitors").inner_text() == "185"
    assert page.get_by_test_id("total-students").inner_text() == "160"
    page.get_by_role("button", name="Khai mạc").click()
    assert "Đang mở cửa" in page.locator("h1").inner_text()

    # A reader, not signed in, on a phone.
    phone.goto(f"{live_server.url}/calendar/")
    entries = phone.locator(".cal-item", has_text="Văn hóa các dân tộc Lai Châu – lưu động")
    assert entries.count() == 2
    text = " ".join(entries.all_inner_texts())
    assert "Hội trường Trường PTDT Nội trú tỉnh" in text and "Nhà văn hóa huyện Sìn Hồ" in text
    assert f"{vn(10)} – {vn(20)}" in text and "08:00–16:30" in text
    assert "185" not in phone.content() and "160" not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391, "the calendar scrolls sideways"
    entries.first.get_by_role("link").click()
    assert phone.locator("h1").inner_text() == "Văn hóa các dân tộc Lai Châu – lưu động"
    assert phone.locator("ul.stops li").count() == 2
    assert "/login" not in phone.url

    # The staff calendar shows the stop in its month.
    page.goto(exhibition_url.split("/events/")[0] + "/events/?view=list&month=" + iso(10)[:7])
    assert page.locator(".cal-item", has_text="Nhà văn hóa huyện Sìn Hồ").count() == 1
