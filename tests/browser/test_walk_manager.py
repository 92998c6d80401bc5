"""The manager at 1366x768: the indicator page opens in Vietnamese with figures, a figure opens its records, a
report page opens. Only what stays true while the indicator pages change is asserted."""
import datetime as dt

import pytest

from tests.browser.conftest import sign_in
from tests.browser.walk import DESK, Shots, open_window, sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def visits_this_year(live_app):
    """Real desk check-ins this year at the provincial library and Tam Đường's."""
    from ilms.circulation import services as circulation
    from ilms.common.permissions import SYSTEM
    from ilms.common.time import local_datetime, local_today
    from ilms.extensions import db
    from ilms.org import services as org
    from tests import factories
    today = local_today()
    day = today - dt.timedelta(days=1) if today.timetuple().tm_yday > 1 else today
    with live_app.app_context():
        for code, readers in (("TVT", 6), ("TVH-TD", 4)):
            inst = org.get_by_code(code)
            for n in range(readers):
                reader = factories.patron(inst, name=f"Bạn đọc {code} {n}")
                circulation.check_in_visit(reader, institution=inst, actor=SYSTEM, at=local_datetime(day, dt.time(9)))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def screen(browser):
    context = open_window(browser, DESK)
    yield context.new_page()
    context.close()


def test_the_managers_year(screen, live_server, visits_this_year):
    page, shots, base = screen, Shots("manager"), live_server.url
    sign_in(page, base, "manager")
    page.get_by_role("link", name="Chỉ số").first.click()
    page.wait_for_url("**/stats/**")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").first.inner_text().strip()
    figures = page.locator("a[href*='/stats/records/']")
    assert figures.count() > 0, "figures that open their records"
    shown = [text.strip() for text in figures.all_inner_texts()]
    assert any(text not in ("", "0") for text in shown), shown
    assert not sideways_scroll(page)
    shots(page, "indicators")

    # The desk visits of the libraries (the figure the test made): its records list the libraries' visits.
    visits = page.locator("a[href*='/stats/records/LIB.VISITS']")
    figure = next(visits.nth(n) for n in range(visits.count()) if visits.nth(n).inner_text().strip() not in ("", "0"))
    figure.click()
    page.wait_for_url("**/stats/records/LIB.VISITS**")
    records = page.locator("main").inner_text()
    assert "TVT" in records or "TVH-TD" in records
    assert "Bạn đọc TVT" not in page.content(), "no reader is named in a drill-down"
    shots(page, "drill-down")

    page.goto(f"{base}/stats/reports")
    assert page.locator("h1").first.inner_text().strip()
    report = page.locator("a[href*='/stats/reports/']").first
    report.click()
    page.wait_for_load_state()
    assert "/stats/reports/" in page.url and page.locator("h1").first.inner_text().strip()
    assert page.locator(".error-page").count() == 0
    shots(page, "report")
