"""The public calendar and the iCalendar feeds: no sign-in, no reader data, correct local times."""
import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest

from ilms.common.permissions import SYSTEM
from ilms.common.time import local_today
from ilms.events import ical, services
from ilms.extensions import db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = dt.date.today()


def soon(days):
    return local_today() + dt.timedelta(days=days)


@pytest.fixture
def programme(network, exhibit):
    """Upcoming things at the museum and a cultural house, and a staff course."""
    talk = exhibit("Hát Then – đàn Tính; giới thiệu, trình diễn", kind="heritage_event", start=soon(10), end=soon(10),
                   venue="Sân Bảo tàng tỉnh", opens_at=dt.time(8, 0), closes_at=dt.time(11, 30),
                   description="Nghệ nhân trình diễn.\nHọc sinh được hướng dẫn.")
    hall = exhibit("Trang phục truyền thống các dân tộc Lai Châu", start=soon(3), end=soon(40))
    tour = exhibit("Văn hóa các dân tộc – lưu động", kind="mobile", start=soon(5), end=soon(60), venue=None)
    services.add_stop(tour, actor=SYSTEM, venue="Trường PTDTNT tỉnh", host="Trường PTDTNT", start=soon(5), end=soon(9))
    services.add_stop(tour, actor=SYSTEM, venue="Nhà văn hóa huyện Sìn Hồ", start=soon(20), end=soon(25))
    services.schedule_activity(actor=SYSTEM, institution=network["commune"], kind="arts", title="Sinh hoạt văn nghệ",
                               date=soon(7), starts_at=dt.time(19, 30), ends_at=dt.time(21, 0), place="Nhà văn hóa xã")
    services.create_course(actor=SYSTEM, institution=network["centre"], title="Tập huấn nội bộ cán bộ",
                           start=soon(8), trainees=20)
    cancelled = exhibit("Trưng bày đã hủy", start=soon(12), end=soon(14), venue="Tầng 2")
    services.set_exhibition_status(cancelled, "cancelled", actor=SYSTEM)
    db.session.commit()
    return {"talk": talk, "hall": hall, "tour": tour, "cancelled": cancelled}


def parse(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.data)


def events_of(calendar):
    return {str(e["SUMMARY"]) + ("@" + str(e["LOCATION"]) if "LOCATION" in e else ""): e
            for e in calendar.walk("VEVENT")}


def test_province_feed_parses_with_local_times(client, programme):
    cal = parse(client.get("/calendar/province.ics"))
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Ho_Chi_Minh"
    events = events_of(cal)
    talk = next(e for key, e in events.items() if key.startswith("Hát Then"))
    start, end = talk.decoded("DTSTART"), talk.decoded("DTEND")
    assert start == dt.datetime.combine(soon(10), dt.time(8, 0), HCM)
    assert start.utcoffset() == dt.timedelta(hours=7)
    assert start.astimezone(dt.timezone.utc).hour == 1           # 08:00 in Lai Châu is 01:00 UTC
    assert end == dt.datetime.combine(soon(10), dt.time(11, 30), HCM)
    assert str(talk["SUMMARY"]) == "Hát Then – đàn Tính; giới thiệu, trình diễn"
    assert "Học sinh được hướng dẫn." in str(talk["DESCRIPTION"])
    assert str(talk["STATUS"]) == "TENTATIVE"
    assert str(talk["URL"]).endswith(f"/calendar/exhibitions/{programme['talk'].id}")

    evening = next(e for key, e in events.items() if key.startswith("Sinh hoạt văn nghệ"))
    assert evening.decoded("DTSTART") == dt.datetime.combine(soon(7), dt.time(19, 30), HCM)
    assert evening.decoded("DTEND") == dt.datetime.combine(soon(7), dt.time(21, 0), HCM)


def test_all_day_exhibitions_and_each_stop_of_a_travelling_one(client, programme):
    events = events_of(parse(client.get("/calendar/province.ics")))
    hall = next(e for key, e in events.items() if key.startswith("Trang phục truyền thống"))
    assert hall.decoded("DTSTART") == soon(3)
    assert hall.decoded("DTEND") == soon(41)                    # the exclusive end of an all-day event
    stops = sorted((e.decoded("DTSTART"), str(e["LOCATION"])) for key, e in events.items()
                   if key.startswith("Văn hóa các dân tộc"))
    assert stops == [(soon(5), "Trường PTDTNT tỉnh (Trường PTDTNT)"), (soon(20), "Nhà văn hóa huyện Sìn Hồ")]
    cancelled = next(e for key, e in events.items() if key.startswith("Trưng bày đã hủy"))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert not any(key.startswith("Tập huấn") for key in events), "staff training is not for the public"
    uids = [str(e["UID"]) for e in events.values()]
    assert len(uids) == len(set(uids))


def test_institution_feed_holds_only_its_events(client, programme, network):
    museum = events_of(parse(client.get("/calendar/BTT.ics")))
    assert any(key.startswith("Trang phục truyền thống") for key in museum)
    assert not any(key.startswith("Sinh hoạt văn nghệ") for key in museum)
    centre = events_of(parse(client.get("/calendar/TTVH-TD.ics")))   # its dependent houses are included
    assert [key.split("@")[0] for key in centre] == ["Sinh hoạt văn nghệ"]
    assert client.get("/calendar/NOPE.ics").status_code == 404


def test_feed_lines_are_folded_without_breaking_characters():
    line = "SUMMARY:" + "Trưng bày chuyên đề Văn hóa các dân tộc tỉnh Lai Châu " * 4
    folded = ical.fold_line(line)
    parts = folded.split("\r\n ")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert "".join(parts) == line
    assert ical.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_public_calendar_needs_no_sign_in_and_shows_no_staff_data(client, programme, network):
    services.record_visitors(programme["hall"], actor=SYSTEM, date=programme["hall"].start, visitors=4321,
                             students=1234, school="Trường Bí Mật", allow_future=True)
    db.session.commit()
    response = client.get("/calendar/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Trang phục truyền thống các dân tộc Lai Châu" in html
    assert "Sinh hoạt văn nghệ" in html and "19:30" in html
    assert "Tập huấn nội bộ" not in html
    assert "4321" not in html and "4.321" not in html and "Trường Bí Mật" not in html
    detail = client.get(f"/calendar/exhibitions/{programme['tour'].id}").get_data(as_text=True)
    assert "Trường PTDTNT tỉnh" in detail and "Nhà văn hóa huyện Sìn Hồ" in detail
    page = client.get(f"/calendar/exhibitions/{programme['hall'].id}").get_data(as_text=True)
    assert "4321" not in page and "Trường Bí Mật" not in page
    only = client.get("/calendar/?institution=BTT").get_data(as_text=True)
    assert "Sinh hoạt văn nghệ" not in only and "Trang phục truyền thống" in only


def test_staff_calendar_month_and_list(client, factories, programme, network):
    from tests.conftest import login
    factories.user("events1", role="events", institution=network["museum"], locale="en")
    login(client, "events1")
    month = soon(3).strftime("%Y-%m")
    html = client.get(f"/events/?scope=province&month={month}").get_data(as_text=True)
    assert "Trang phục truyền thống các dân tộc Lai Châu" in html
    listing = client.get(f"/events/?scope=province&month={month}&view=list").get_data(as_text=True)
    assert "Trang phục truyền thống các dân tộc Lai Châu" in listing
    mine = client.get(f"/events/?month={soon(7).strftime('%Y-%m')}&view=list").get_data(as_text=True)
    assert "Sinh hoạt văn nghệ" not in mine      # the museum's own calendar by default


def test_command_line_compliance_and_feed(runner, network):
    services.create_festival(actor=SYSTEM, institution=network["district_b"], title="Hội diễn",
                             date=dt.date(2023, 6, 1))
    db.session.commit()
    result = runner.invoke(args=["events", "compliance", "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert "district: 1/2 held a festival between 2023-01-01 and 2024-12-31" in result.output
    assert "-- " in result.output and "TTVH-TD" in result.output
    feed = runner.invoke(args=["events", "feed", "--institution", "BTT"])
    assert feed.exit_code == 0 and icalendar.Calendar.from_ical(feed.output)["X-WR-CALNAME"] == "Bảo tàng tỉnh Lai Châu"
    assert runner.invoke(args=["events", "feed", "--institution", "NOPE"]).exit_code != 0
