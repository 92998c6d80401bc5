"""The staff pages: the sessions screen and its JSON, starting and stopping, voiding, trainings, connectivity."""
import datetime as dt

import sqlalchemy as sa

from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.internet import services
from ilms.internet.models import ConnectivityRecord, InternetSession, SessionState, Training
from tests.conftest import csrf_token, login, post_form

from .conftest import at


def signed_in(app, username="mai"):
    client = app.test_client()
    login(client, username)
    return client


def test_the_screen_shows_every_public_computer_as_a_tile(app, net):
    services.create_station(actor=SYSTEM, institution=net.library, code="TD-LOP", training_only=True,
                            in_service_from=dt.date(2020, 1, 1))
    services.update_station(net.pc2, actor=SYSTEM, out_of_order=True)
    db.session.commit()
    client = signed_in(app)
    html = client.get("/internet/").get_data(as_text=True)
    assert "Thư viện huyện Tam Đường" in html
    assert 'data-testid="tile-TD-PC1"' in html and "tile-free" in html
    assert "tile-out_of_order" in html
    assert "TD-LOP" not in html                       # training machines are not public computers
    assert 'data-status-url="/internet/status.json?institution=' in html
    assert '<meta http-equiv="refresh" content="60">' in html   # refreshes itself without JavaScript too
    # the postal point under the library is offered, the other district's library is not
    assert "Điểm Bưu điện văn hóa xã Bình Lư" in html and "Phong Thổ" not in html


def test_start_with_a_card_then_guest_then_stop_through_the_forms(app, net):
    client = signed_in(app)
    response = post_form(client, "/internet/start", {"station": net.pc1.id, "card": "HTD000001"}, page="/internet/")
    assert response.status_code == 302
    token = csrf_token(client, "/internet/")
    client.post("/internet/start", data={"csrf_token": token, "station": net.pc2.id, "guest": "1", "age_band": "25_44",
                                         "sex": "F", "ethnicity": "09"})
    page = client.get("/internet/").get_data(as_text=True)
    assert "Lò Thị Lan" in page and page.count("data-started=") == 2
    status = client.get(f"/internet/status.json?institution={net.library.id}").get_json()
    states = {s["code"]: s for s in status["stations"]}
    assert states["TD-PC1"]["state"] == "busy" and states["TD-PC1"]["session"]["who"] == "Lò Thị Lan"
    assert states["TD-PC2"]["session"]["who"] == "Khách"
    assert states["TD-PC2"]["session"]["limit_minutes"] == 60
    guest = db.session.scalar(sa.select(InternetSession).where(InternetSession.is_guest.is_(True)))
    assert (guest.guest_age_band.value, guest.guest_sex, guest.guest_ethnicity) == ("25_44", "F", "09")
    response = post_form(client, f"/internet/sessions/{guest.id}/stop", page="/internet/")
    assert response.status_code == 302
    db.session.refresh(guest)
    assert guest.state == SessionState.ENDED
    changed = client.get(f"/internet/status.json?institution={net.library.id}").get_json()
    assert changed["signature"] != status["signature"]


def test_refusals_come_back_as_messages_not_errors(app, net):
    client = signed_in(app)
    post_form(client, "/internet/start", {"station": net.pc1.id, "card": "HTD000001"}, page="/internet/")
    response = post_form(client, "/internet/start", {"station": net.pc2.id, "card": "HTD000001"}, page="/internet/",
                         follow_redirects=True)
    assert response.status_code == 200
    assert "Lò Thị Lan" in response.get_data(as_text=True) and "flash-error" in response.get_data(as_text=True)
    response = post_form(client, "/internet/start", {"station": net.pc2.id, "card": "KHONGCO"}, page="/internet/",
                         follow_redirects=True)
    assert "KHONGCO" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession)) == 1


def test_the_scan_box_toggles(app, net):
    client = signed_in(app)
    data = {"institution": net.library.id, "card": "HTD000002"}
    post_form(client, "/internet/scan", data, page="/internet/")
    session = db.session.scalar(sa.select(InternetSession))
    assert session.state == SessionState.OPEN and session.station == net.pc1
    response = post_form(client, "/internet/scan", data, page="/internet/", follow_redirects=True)
    db.session.refresh(session)
    assert session.state == SessionState.ENDED
    assert "Giàng A Páo" in response.get_data(as_text=True)


def test_void_and_stop_at_from_the_session_page(app, net):
    session = services.start_session(net.pc1, actor=SYSTEM, card="HTD000001", at=at(8))
    db.session.commit()
    client = signed_in(app)
    url = f"/internet/sessions/{session.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Lò Thị Lan" in page
    response = post_form(client, url + "/stop-at", {"ended_at": "2024-03-05T07:00"}, page=url)
    assert response.status_code == 400
    assert "08:00" in response.get_data(as_text=True)
    response = post_form(client, url + "/stop-at", {"ended_at": "2024-03-05T09:15"}, page=url)
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.duration_seconds == 75 * 60
    response = post_form(client, url + "/void", {"reason": ""}, page=url)
    assert response.status_code == 400
    response = post_form(client, url + "/void", {"reason": "Nhập nhầm bạn đọc"}, page=url)
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.state == SessionState.VOIDED and session.void_reason == "Nhập nhầm bạn đọc"
    log = client.get("/internet/sessions").get_data(as_text=True)
    assert "Nhập nhầm bạn đọc" in log and "voided" in log


def test_other_institutions_are_out_of_reach(app, net):
    session = services.start_session(net.pc1, actor=SYSTEM, card="HTD000001", at=at(8))
    db.session.commit()
    client = signed_in(app, "phongtho")
    assert client.get(f"/internet/?institution={net.library.id}").status_code == 403
    assert client.get(f"/internet/status.json?institution={net.library.id}").status_code == 403
    assert client.get(f"/internet/sessions/{session.id}").status_code == 403
    response = post_form(client, f"/internet/sessions/{session.id}/stop", page="/internet/")
    assert response.status_code == 403
    response = post_form(client, "/internet/start", {"station": net.pc2.id, "card": "HTD000002"}, page="/internet/",
                         follow_redirects=True)
    assert "Thư viện huyện Tam Đường" in response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.state == SessionState.OPEN
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession)) == 1
    log = client.get("/internet/sessions").get_data(as_text=True)
    assert "Lò Thị Lan" not in log
    desk = app.test_client()
    from tests import factories
    factories.user("quay", role="desk", institution=net.library)
    login(desk, "quay")
    assert desk.get("/internet/").status_code == 403
    assert desk.get("/internet/connectivity").status_code == 403


def test_stations_pages(app, net):
    client = signed_in(app)
    assert "TD-PC1" in client.get("/internet/stations").get_data(as_text=True)
    response = post_form(client, "/internet/stations/new", {
        "institution": net.point.id, "code": "bl-pc2", "label": "Máy 2", "in_service_from": "2024-01-15"})
    assert response.status_code == 302
    station = services.station_by_code("BL-PC2")
    assert station.institution == net.point and station.label == "Máy 2"
    response = post_form(client, "/internet/stations/new", {
        "institution": net.other.id, "code": "PT-PC9", "in_service_from": "2024-01-15"})
    assert response.status_code == 403 or "PT-PC9" not in [s.code for s in services.stations_of(net.other.id)]
    response = post_form(client, f"/internet/stations/{station.id}", {
        "institution": net.point.id, "code": "BL-PC2", "label": "Máy 2", "in_service_from": "2024-01-15",
        "in_service_to": "2023-01-01"})
    assert response.status_code == 400
    response = post_form(client, f"/internet/stations/{station.id}/out-of-order", {"out_of_order": "1"},
                         page="/internet/stations")
    db.session.refresh(station)
    assert station.out_of_order


def test_settings_page_keeps_limits_and_opening_hours(app, net):
    client = signed_in(app)
    url = f"/internet/settings?institution={net.library.id}"
    assert "07:30-11:30, 13:30-17:00" in client.get(url).get_data(as_text=True)
    week = {f"day{d}": "07:00-11:00, 13:30-17:30" for d in range(5)}
    week.update(day5="07:00-11:00", day6="")
    response = post_form(client, "/internet/settings", dict(week, institution=net.library.id,
                                                            session_limit_minutes="45", daily_limit_minutes="120"),
                         page=url)
    assert response.status_code == 302
    assert services.settings_for(net.library.id).session_limit_minutes == 45
    schedule = services.schedules_for([net.library.id])[net.library.id]
    assert services.hours_open(schedule, 0) == 8 and services.hours_open(schedule, 6) == 0
    response = post_form(client, "/internet/settings", dict(week, institution=net.library.id, day2="17:00-08:00"),
                         page=url)
    assert response.status_code == 400 and "17:00-08:00" in response.get_data(as_text=True)


def test_record_a_training_with_counts_and_print_its_sheet(app, net):
    client = signed_in(app)
    data = {"institution": net.point.id, "date": "2024-03-20", "topic": "Dùng Internet tìm giống lúa",
            "place": "Nhà văn hóa bản Nà Khum", "trainer": "Vàng Thị Mai", "duration_minutes": "120",
            "counts-0-ethnicity": "03", "counts-0-sex": "F", "counts-0-count": "5",
            "counts-1-ethnicity": "08", "counts-1-sex": "M", "counts-1-count": "4",
            "counts-2-ethnicity": "09", "counts-2-sex": "F", "counts-2-count": "3",
            "cards": "HTD000001\n"}
    response = post_form(client, "/internet/trainings/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    training = db.session.scalar(sa.select(Training))
    assert training.attendance == 13 and training.institution == net.point
    page = client.get(f"/internet/trainings/{training.id}").get_data(as_text=True)
    assert "Thái" in page and "Mông" in page and "Dao" in page and "Lò Thị Lan" in page
    sheet = client.get(f"/internet/trainings/{training.id}/sheet").get_data(as_text=True)
    assert "Dùng Internet tìm giống lúa" in sheet and "20/03/2024" in sheet and "HTD000001" in sheet
    bad = dict(data, **{"counts-0-ethnicity": "77"})
    response = post_form(client, "/internet/trainings/new", bad)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Training)) == 1


def test_connectivity_pages(app, net, factories):
    client = signed_in(app)
    url = f"/internet/connectivity/{net.library.id}"
    response = post_form(client, url, {"date": "2024-01-10", "connected": "1", "link_type": "fibre",
                                       "speed_mbps": "30,5", "note": "VNPT"})
    assert response.status_code == 302
    record = db.session.scalar(sa.select(ConnectivityRecord))
    assert record.speed_mbps == 30.5 and record.connected
    province = client.get("/internet/connectivity").get_data(as_text=True)
    assert "1 / 2" not in province
    assert "Thư viện huyện Tam Đường" in province and "Thư viện huyện Phong Thổ" in province
    outsider = signed_in(app, "phongtho")
    assert outsider.get("/internet/connectivity").status_code == 200
    response = post_form(outsider, url, {"date": "2024-01-11", "connected": "0"})
    assert response.status_code == 403
    manager = app.test_client()
    factories.user("giamdoc", role="manager")
    login(manager, "giamdoc")
    assert manager.get("/internet/connectivity").status_code == 200
    assert manager.get("/internet/utilisation?year=2024").status_code == 200


def test_utilisation_divides_hours_used_by_computers_and_opening_hours(app, net):
    # March 2024 at TVH-TD: 2 public computers; default week: 7.5 h Monday-Friday, 4 h Saturday
    services.record_session(actor=SYSTEM, station=net.pc1, patron=None, start=at(8), end=at(11))
    services.record_session(actor=SYSTEM, station=net.pc2, patron=None, start=at(8), end=at(9, 30))
    db.session.commit()
    table = services.utilisation([net.library.id], 2024)
    used, available = table[net.library.id][3]
    weekdays = sum(1 for d in range(1, 32) if dt.date(2024, 3, d).weekday() < 5)
    saturdays = sum(1 for d in range(1, 32) if dt.date(2024, 3, d).weekday() == 5)
    assert used == 4.5
    assert available == 2 * (weekdays * 7.5 + saturdays * 4)
    client = signed_in(app)
    page = client.get("/internet/utilisation?year=2024").get_data(as_text=True)
    assert "Thư viện huyện Tam Đường" in page and "4,5 / " in page or "4.5 / " in page


def test_the_statistics_pages_open_internet_figures_without_reader_names(app, net, factories, runner):
    from tests.conftest import shared_path
    assert runner.invoke(args=["plan", "load", str(shared_path("plan", "lai-chau-1133-2015.yaml"))]).exit_code == 0
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9, 30))
    services.record_session(actor=SYSTEM, station=net.pc2, patron=None, guest={"sex": "F", "ethnicity": "08"},
                            start=at(8), end=at(9))
    services.create_training(actor=SYSTEM, institution=net.point, date=dt.date(2020, 3, 20),
                             topic="Dùng Internet tìm giống lúa", place="Nhà văn hóa bản Nà Khum",
                             counts=[("03", "F", 5), ("08", "M", 4), ("09", "F", 3)])
    db.session.commit()
    factories.user("giamdoc", role="manager")
    manager = app.test_client()
    login(manager, "giamdoc")
    page = manager.get("/stats/records/NET.SESSIONS?year=2024&scope=inst:TVH-TD")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "TD-PC1" in html and "05/03/2024 08:00" in html and "1.5" in html
    assert "Lò Thị Lan" not in html and "HTD000001" not in html
    assert "Bạn đọc có thẻ" in html and "Khách" in html
    csv_text = manager.get("/stats/records/NET.SESSIONS?year=2024&scope=inst:TVH-TD&format=csv").get_data(as_text=True)
    assert "Lò Thị Lan" not in csv_text and "TD-PC1" in csv_text
    trainings = manager.get("/stats/records/NET.TRAINEES?year=2020&scope=inst:BD-TD-BL").get_data(as_text=True)
    assert "Dùng Internet tìm giống lúa" in trainings and "Nhà văn hóa bản Nà Khum" in trainings
    connected = manager.get("/stats/records/LIB.INTERNET_CONNECTED?year=2024&scope=kind:district_library")
    assert connected.status_code == 200 and "Chưa kết nối" in connected.get_data(as_text=True)
    from ilms.stats.models import Plan
    plan = db.session.scalar(sa.select(Plan))
    # the plan runs 2016-2020: its annual report lists the trainings held
    report = manager.get(f"/stats/reports/{plan.id}/annual/2020?scope=inst:BD-TD-BL").get_data(as_text=True)
    assert "Các lớp hướng dẫn sử dụng máy tính và Internet" in report and "Dùng Internet tìm giống lúa" in report
