"""Internet staff at a district library: two sessions on two tiles, the clock, stopping, and a training class."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.internet import services
from ilms.org import services as org
from ilms.patrons.models import Patron, Sex

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def internet_server(live_app):
    """The demo network plus two public computers at Thư viện huyện Tam Đường and one reader."""
    from .conftest import LiveServer
    live_app.config["INTERNET_POLL_SECONDS"] = 1
    with live_app.app_context():
        library = org.get_by_code("TVH-TD")
        for n in (1, 2):
            services.create_station(actor=SYSTEM, institution=library, code=f"TVH-TD-PC0{n}", label=f"Máy {n}",
                                    in_service_from=dt.date(2015, 1, 1))
        db.session.add(Patron(barcode="HTD000123", name="Lò Thị Lan", institution_id=library.id, ethnicity="03",
                              sex=Sex.FEMALE))
        db.session.commit()
        db.session.remove()
    with LiveServer(live_app) as server:
        yield server


def test_guest_and_reader_sessions_then_a_training(internet_server, page):
    base = internet_server.url
    sign_in(page, base, "internet")
    page.goto(f"{base}/internet/")
    first, second = page.get_by_test_id("tile-TVH-TD-PC01"), page.get_by_test_id("tile-TVH-TD-PC02")
    expect(first).to_have_class(re.compile("tile-free"))

    # a reader's card scanned into the first tile
    page.get_by_test_id("card-TVH-TD-PC01").fill("htd000123")
    first.get_by_role("button", name="Bắt đầu", exact=True).click()
    expect(first).to_have_class(re.compile("tile-busy"))
    expect(first).to_contain_text("Lò Thị Lan")

    # a guest without a card on the second tile, with sex and ethnic group
    second.locator("summary").click()
    second.get_by_test_id("guest-age_band").get_by_label("Chưa hỏi").check()
    second.get_by_test_id("guest-sex").get_by_label("Nữ").check()
    second.get_by_test_id("guest-ethnicity").get_by_label("Mông").check()
    page.get_by_test_id("guest-TVH-TD-PC02").click()
    expect(second).to_have_class(re.compile("tile-busy"))
    expect(second).to_contain_text("Khách")

    # the elapsed time is shown and ticks in the page
    clock = first.get_by_test_id("elapsed")
    expect(clock).to_have_text(re.compile(r"^0:00:\d\d$"))
    before = clock.text_content()
    page.wait_for_timeout(2200)
    assert clock.text_content() != before

    # stop the reader's session with one click
    first.get_by_role("button", name="Kết thúc lượt").click()
    expect(page.locator(".flash-success")).to_contain_text("Lò Thị Lan")
    expect(first).to_have_class(re.compile("tile-free"))
    expect(second).to_have_class(re.compile("tile-busy"))

    # a training of 12 attendees of three ethnic groups
    page.get_by_role("link", name="Lớp hướng dẫn").first.click()
    page.get_by_role("link", name="Ghi lớp hướng dẫn").click()
    page.get_by_label("Ngày").fill("2024-03-20")
    page.get_by_label("Chủ đề lớp học").fill("Dùng Internet tra cứu giá nông sản")
    page.get_by_label("Địa điểm").fill("Nhà văn hóa bản Nà Khum")
    rows = [("Thái", "Nữ", "5"), ("Mông", "Nam", "4"), ("Dao", "Nữ", "3")]
    for index, (group, sex, number) in enumerate(rows):
        page.get_by_test_id(f"count-ethnicity-{index}").select_option(label=group)
        page.get_by_test_id(f"count-sex-{index}").select_option(label=sex)
        page.get_by_test_id(f"count-n-{index}").fill(number)
    expect(page.locator("[data-count-total]")).to_have_text("12")
    page.get_by_test_id("save-training").click()
    expect(page.get_by_test_id("attendance")).to_have_text("12")
    table = page.locator("table.attendance")
    for group in ("Thái", "Mông", "Dao"):
        expect(table).to_contain_text(group)
    page.get_by_role("link", name="Danh sách người dự").click()
    expect(page.locator("h1")).to_contain_text("Danh sách người dự")
    expect(page.locator("table.signlist tbody tr")).to_have_count(25)


def test_the_screen_follows_another_desk_on_a_tablet(internet_server, browser):
    context = browser.new_context(viewport={"width": 800, "height": 1100}, is_mobile=True, has_touch=True,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    tablet = context.new_page()
    base = internet_server.url
    sign_in(tablet, base, "internet")
    tablet.goto(f"{base}/internet/")
    tile = tablet.get_by_test_id("tile-TVH-TD-PC02")
    expect(tile).to_have_class(re.compile("tile-free"))
    # another desk starts a session on the second computer: this screen notices without a touch
    with internet_server.app.app_context():
        services.start_session(services.station_by_code("TVH-TD-PC02"), actor=SYSTEM, card="HTD000123")
        db.session.commit()
        db.session.remove()
    expect(tile).to_have_class(re.compile("tile-busy"), timeout=8000)
    expect(tile).to_contain_text("Lò Thị Lan")
    stop = tile.get_by_role("button", name="Kết thúc lượt").bounding_box()
    assert stop["height"] >= 40 and tile.bounding_box()["width"] >= 200     # big enough for a finger
    context.close()
