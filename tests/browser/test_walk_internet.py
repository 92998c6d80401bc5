"""Internet staff at a district library, 1366x768: a guest's questions answered with one tap each (or "not asked"
on purpose), and the sessions list filtered by days typed day/month/year."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.walk import DESK, Shots, in_view, open_window

pytestmark = pytest.mark.browser


@pytest.fixture
def computers(live_app):
    from ilms.common.permissions import SYSTEM
    from ilms.extensions import db
    from ilms.internet import services
    from ilms.org import services as org
    with live_app.app_context():
        library = org.get_by_code("TVH-TD")
        for n in (1, 2):
            services.create_station(actor=SYSTEM, institution=library, code=f"TVH-TD-PC0{n}", label=f"Máy {n}",
                                    in_service_from=dt.date(2015, 1, 1))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def screen(browser):
    context = open_window(browser, DESK)
    yield context.new_page()
    context.close()


def test_the_internet_day(screen, live_server, computers):
    page, shots, base = screen, Shots("internet"), live_server.url
    sign_in(page, base, "internet")
    page.goto(f"{base}/internet/")
    second = page.get_by_test_id("tile-TVH-TD-PC02")
    second.locator("summary").click()
    ethnic = second.get_by_test_id("guest-ethnicity")
    quick = [label.strip() for label in ethnic.locator("label.chip").all_inner_texts()]
    assert quick == ["Thái", "Mông", "Kinh", "Dao", "Hà Nhì", "Giáy", "Chưa hỏi"]
    shots(page, "guest-questions")

    # Nothing answered: the browser asks for the age first; nothing starts.
    page.get_by_test_id("guest-TVH-TD-PC02").click()
    assert second.locator("input[name=age_band]").first.evaluate("e => e.validity.valueMissing")
    expect(second).to_have_class(re.compile("tile-free"))

    second.get_by_test_id("guest-age_band").get_by_label("15–24").check()
    second.get_by_test_id("guest-sex").get_by_label("Nam", exact=True).check()
    second.get_by_test_id("guest-ethnicity").get_by_label("Mông").check()
    shots(page, "guest-answered")
    page.get_by_test_id("guest-TVH-TD-PC02").click()
    expect(page.get_by_test_id("tile-TVH-TD-PC02")).to_have_class(re.compile("tile-busy"))
    message = page.locator(".flash-success")
    assert in_view(page, message)
    shots(page, "guest-started")

    # "Not asked" is a deliberate answer for each question.
    first = page.get_by_test_id("tile-TVH-TD-PC01")
    first.locator("summary").click()
    for question in ("age_band", "sex", "ethnicity"):
        first.get_by_test_id(f"guest-{question}").get_by_label("Chưa hỏi").check()
    page.get_by_test_id("guest-TVH-TD-PC01").click()
    expect(page.get_by_test_id("tile-TVH-TD-PC01")).to_have_class(re.compile("tile-busy"))

    from ilms.extensions import db
    from ilms.internet.models import InternetSession
    with live_server.app.app_context():
        rows = db.session.execute(db.select(InternetSession.guest_age_band, InternetSession.guest_sex,
                                            InternetSession.guest_ethnicity).order_by(InternetSession.id)).all()
        assert [(a.value if a else None, s, e) for a, s, e in rows] == [("15_24", "M", "08"), (None, None, None)]
        db.session.remove()

    # The sessions list: days typed day/month/year, shown back the same way.
    today = dt.date.today().strftime("%d/%m/%Y")
    page.goto(f"{base}/internet/sessions")
    day_box = page.locator("#from")
    assert day_box.get_attribute("type") == "text" and day_box.get_attribute("placeholder") == "dd/mm/yyyy"
    day_box.fill(today)
    page.locator("#to").fill(today)
    page.get_by_role("button", name="Xem").click()
    assert page.locator("#from").input_value() == today
    assert page.locator(".flash-error").count() == 0
    shots(page, "sessions-by-day")
