"""The museum's events person at 1366x768, in a browser set to English (a district PC): the home card, planning
an exhibition with dates typed day/month/year, a hall typed with another dash, a typo in a venue, a bad count."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.walk import DESK, Shots, focused, in_view, open_window

pytestmark = pytest.mark.browser

HALL = "Nhà trưng bày – tầng 1"


@pytest.fixture
def museum(live_app):
    """An exhibition running since five days in the museum's hall, another opening next week elsewhere."""
    from ilms.common.permissions import SYSTEM
    from ilms.common.time import local_today
    from ilms.events import services
    from ilms.extensions import db
    from ilms.org import services as org
    today = local_today()
    with live_app.app_context():
        btt = org.get_by_code("BTT")
        services.create_exhibition(actor=SYSTEM, institution=btt, kind="thematic", title="Trang phục các dân tộc",
                                   start=today - dt.timedelta(days=5), end=today + dt.timedelta(days=20), venue=HALL)
        services.create_exhibition(actor=SYSTEM, institution=btt, kind="thematic", title="Nhạc cụ dân tộc Thái",
                                   start=today + dt.timedelta(days=7), end=today + dt.timedelta(days=12),
                                   venue="Sân Bảo tàng")
        db.session.commit()
        db.session.remove()
    return today


@pytest.fixture
def screen(browser):
    context = open_window(browser, DESK, locale="en-US")
    yield context.new_page()
    context.close()


def test_the_events_day(screen, live_server, museum):
    page, shots, base, today = screen, Shots("events"), live_server.url, museum
    sign_in(page, base, "events")

    # Home: what began five days ago is running, not "coming up" under a past date.
    upcoming, running = page.get_by_test_id("events-upcoming"), page.get_by_test_id("events-running")
    assert "Nhạc cụ dân tộc Thái" in upcoming.inner_text()
    assert "Trang phục các dân tộc" not in upcoming.inner_text()
    assert "Trang phục các dân tộc" in running.inner_text() and "đến " in running.inner_text()
    shots(page, "home")

    page.get_by_role("link", name="Lên kế hoạch trưng bày").first.click()
    assert page.locator("#kind").input_value() == "thematic", "a museum plans an exhibition, not a book display"
    start = page.locator("#start")
    assert start.get_attribute("type") == "text" and start.get_attribute("placeholder") == "dd/mm/yyyy"
    shots(page, "new-exhibition-form")

    # The hall typed with "-" instead of "–" is the same hall: refused at the top (focused) and beside the field.
    day = (today + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    page.fill("#title", "Ảnh tư liệu Lai Châu xưa")
    page.fill("#start", day)
    page.fill("#end", (today + dt.timedelta(days=10)).strftime("%d/%m/%Y"))
    page.fill("#venue", "Nhà trưng bày - tầng 1")
    page.get_by_role("button", name="Lưu", exact=True).click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("Trang phục các dân tộc")
    assert in_view(page, summary) and focused(page) == "error-summary"
    assert "Trang phục các dân tộc" in page.locator(".field.has-error", has=page.locator("#venue")).inner_text()
    shots(page, "hall-already-booked")

    # A venue not on the list is refused, with the nearest names; a new one is added only when ticked.
    page.fill("#venue", "Nhà trưng bày tầng 1")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("Không có địa điểm nào tên “Nhà trưng bày tầng 1”")
    assert HALL in page.get_by_test_id("error-summary").inner_text()
    shots(page, "unknown-venue")

    # Dates typed day/month/year in an English browser are read as such: 12 August, not 8 December.
    year = today.year + 1
    page.fill("#start", f"12/08/{year}")
    page.fill("#end", f"30/08/{year}")
    page.fill("#venue", "Sảnh tầng 2")
    page.check("#new_venue")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Ảnh tư liệu Lai Châu xưa")
    main = page.locator("main").inner_text()
    assert f"12/08/{year}" in main and f"08/12/{year}" not in main
    shots(page, "planned")

    # A count with more students than visitors: the refusal is at the top, in view, with the focus.
    page.fill("#visit-visitors", "10")
    page.fill("#visit-students", "20")
    page.get_by_role("button", name="Ghi nhận").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    assert in_view(page, summary) and focused(page) == "error-summary"
    shots(page, "bad-visitor-count")
