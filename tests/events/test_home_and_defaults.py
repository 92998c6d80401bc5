"""The events person's home card and the exhibition form's first guess."""
import datetime as dt
import re

from ilms.common.time import local_today
from tests.conftest import login


def test_the_home_card_never_lists_a_past_day_as_coming_up(client, factories, network, exhibit):
    today = local_today()
    exhibit("Đang mở từ tuần trước", start=today - dt.timedelta(days=5), end=today + dt.timedelta(days=20))
    exhibit("Khai mạc tuần sau", start=today + dt.timedelta(days=7), end=today + dt.timedelta(days=30),
            venue="Sân Bảo tàng")
    factories.user("events1", role="events", institution=network["museum"], locale="en")
    login(client, "events1")
    home = client.get("/").get_data(as_text=True)
    upcoming = re.search(r'data-testid="events-upcoming">(.*?)</ul>', home, re.S).group(1)
    running = re.search(r'data-testid="events-running">(.*?)</ul>', home, re.S).group(1)
    assert "Khai mạc tuần sau" in upcoming and "Đang mở từ tuần trước" not in upcoming
    assert "Đang mở từ tuần trước" in running
    assert (today + dt.timedelta(days=20)).strftime("%d/%m/%Y") in running
    for day in re.findall(r"\d\d/\d\d/\d{4}", upcoming):
        assert dt.datetime.strptime(day, "%d/%m/%Y").date() >= today, day


def test_a_museum_plans_an_exhibition_and_a_library_a_book_display_by_default(client, factories, network):
    def chosen(html):
        select = re.search(r'<select[^>]*id="kind"[^>]*>(.*?)</select>', html, re.S).group(1)
        return re.findall(r'<option selected value="([^"]+)"|<option value="([^"]+)" selected', select)

    factories.user("museum1", role="events", institution=network["museum"], locale="en")
    factories.user("lib1", role="librarian", institution=network["library"], locale="en")
    login(client, "museum1")
    assert [a or b for a, b in chosen(client.get("/events/exhibitions/new").get_data(as_text=True))] == ["thematic"]
    other = client.application.test_client()
    login(other, "lib1")
    assert [a or b for a, b in chosen(other.get("/events/exhibitions/new").get_data(as_text=True))] == \
        ["library_display"]
