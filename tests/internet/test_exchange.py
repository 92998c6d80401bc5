"""The station, session, training and connectivity lines of shared/spec/exchange.md, through the services."""
import datetime as dt
import json

import sqlalchemy as sa

from ilms.common.time import Period, parse_iso_datetime
from ilms.extensions import db
from ilms.internet import services
from ilms.internet.models import ConnectivityRecord, InternetSession, Station, Training
from ilms.ops.services import export_lines, import_lines
from ilms.stats import registry

from .conftest import make_patron


def lines(*objects):
    return [json.dumps(o, ensure_ascii=False) for o in objects]


STATIONS = [
    {"type": "station", "id": "s1", "code": "TD-PC7", "institution": "TVH-TD", "in_service_from": "2023-01-01"},
    {"type": "station", "id": "s2", "code": "BL-PC7", "institution": "BD-TD-BL", "in_service_from": "2023-01-01",
     "in_service_to": "2024-12-31"},
]
SESSIONS = [
    {"type": "session", "id": "x1", "station": "TD-PC7", "patron": "HTD000001",
     "start": "2024-03-02T08:15:00+07:00", "end": "2024-03-02T09:00:00+07:00"},
    {"type": "session", "id": "x2", "station": "TD-PC7", "start": "2024-03-02T09:00:00+07:00",
     "end": "2024-03-02T09:30:00+07:00"},
    {"type": "session", "id": "x3", "station": "BL-PC7", "start": "2024-03-02T23:30:00+07:00",
     "end": "2024-03-03T00:10:00+07:00"},
]
TRAINING = {"type": "training", "id": "t1", "institution": "BD-TD-BL", "date": "2024-04-12",
            "topic": "Hướng dẫn dùng điện thoại tra cứu thông tin",
            "attendees": [{"ethnicity": "H'Mông", "sex": "F", "count": 6}, {"ethnicity": "Thái", "count": 3},
                          {"sex": "M", "count": 2}]}
CONNECTIVITY = [
    {"type": "connectivity", "id": "c1", "institution": "TVH-TD", "date": "2019-06-01", "connected": True},
    {"type": "connectivity", "id": "c2", "institution": "TVH-PT", "date": "2024-02-01", "connected": False},
]


def test_import_stations_sessions_trainings_and_connectivity(net):
    report = import_lines(lines(*STATIONS, *SESSIONS, TRAINING, *CONNECTIVITY))
    assert report.ok, [str(e) for e in report.errors]
    assert report.counts == {"station": 2, "session": 3, "training": 1, "connectivity": 2}
    assert services.station_by_code("BL-PC7").institution == net.point
    sessions = db.session.scalars(sa.select(InternetSession).order_by(InternetSession.started_at)).all()
    assert [s.patron_id for s in sessions] == [net.lan.id, None, None]
    assert sessions[0].duration_seconds == 45 * 60
    period = Period.year(2024)
    assert registry.get("NET.USERS").compute(period, [net.library.id]) == {net.library.id: 2}
    training = db.session.scalar(sa.select(Training))
    assert training.attendance == 11
    assert {(c.ethnicity, c.sex, c.count) for c in training.counts} == {("08", "F", 6), ("03", None, 3),
                                                                          (None, "M", 2)}
    assert registry.get("LIB.INTERNET_CONNECTED").compute(period, [net.library.id, net.other.id]) == {
        net.library.id: 100, net.other.id: 0}
    again = import_lines(lines(*STATIONS, *SESSIONS, TRAINING, *CONNECTIVITY))
    assert again.ok and again.already == 8 and again.applied == 0


def test_a_session_ending_before_it_starts_is_an_error_and_nothing_is_imported(net):
    bad = dict(SESSIONS[1], id="x9", start="2024-03-02T10:00:00+07:00", end="2024-03-02T09:00:00+07:00")
    report = import_lines(lines(*STATIONS, SESSIONS[0], bad))
    assert not report.committed
    assert [e.line for e in report.errors] == [4]
    assert "10:00" in report.errors[0].message and "09:00" in report.errors[0].message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Station)) == 4   # the fixture's own


def test_overlapping_and_unknown_references_are_reported_by_line(net):
    overlapping = dict(SESSIONS[1], id="x8", start="2024-03-02T08:30:00+07:00")
    same_reader = dict(SESSIONS[0], id="x7", station="BL-PC7")
    unknown_station = dict(SESSIONS[1], id="x6", station="NOPE-1")
    unknown_card = dict(SESSIONS[0], id="x5", patron="HTD999999", start="2024-03-05T08:00:00+07:00",
                        end="2024-03-05T09:00:00+07:00")
    no_offset = dict(SESSIONS[1], id="x4", start="2024-03-06T08:00:00")
    report = import_lines(lines(*STATIONS, SESSIONS[0], overlapping, same_reader, unknown_station, unknown_card,
                                no_offset), partial=True)
    assert [e.line for e in report.errors] == [4, 5, 6, 7, 8]
    messages = [e.message for e in report.errors]
    assert "TD-PC7" in messages[0]
    assert "Lò Thị Lan" in messages[1]
    assert "NOPE-1" in messages[2]
    assert "HTD999999" in messages[3]
    assert "offset" in messages[4]
    assert report.committed and report.applied == 3


def test_bad_training_and_connectivity_lines(net):
    bad_group = dict(TRAINING, id="t9", attendees=[{"ethnicity": "Martian", "count": 2}])
    bad_count = dict(TRAINING, id="t8", attendees=[{"ethnicity": "Dao", "count": 0}])
    bad_flag = dict(CONNECTIVITY[0], id="c9", connected="yes")
    future = dict(CONNECTIVITY[0], id="c8", date="2999-01-01")
    report = import_lines(lines(bad_group, bad_count, bad_flag, future))
    assert [e.line for e in report.errors] == [1, 2, 3, 4]
    assert "54" in report.errors[0].message and "item 1" in report.errors[0].message
    assert "at least 1" in report.errors[1].message
    assert "true or false" in report.errors[2].message
    assert "01/01/2999" in report.errors[3].message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConnectivityRecord)) == 0


def test_export_then_import_into_an_empty_server_gives_the_same_figures(net, app_factory, tmp_path):
    assert import_lines(lines(*STATIONS, *SESSIONS, TRAINING, *CONNECTIVITY)).ok
    attendee_training = services.create_training(actor=net.staff, institution=net.library,
                                                  date=dt.date(2024, 6, 1),
                                                  topic="Có thẻ", attendee_cards=["HTD000002"])
    voided = services.record_session(actor=net.staff, station=net.pc1, patron=None,
                                     start=parse_iso_datetime("2024-05-01T08:00:00+07:00"),
                                     end=parse_iso_datetime("2024-05-01T09:00:00+07:00"))
    services.void_session(voided, actor=net.staff, reason="Nhầm")
    db.session.commit()
    assert attendee_training.attendance == 1
    period = Period.year(2024)
    exported = list(export_lines(period))
    kinds = [json.loads(line)["type"] for line in exported]
    assert kinds.count("session") == 3 and kinds.count("training") == 2 and kinds.count("connectivity") == 1
    first_event = next(i for i, k in enumerate(kinds) if k in ("session", "training", "connectivity"))
    assert set(kinds[:first_event]) <= {"institution", "patron", "item", "station"}  # reference data first
    codes = ("NET.SESSIONS", "NET.HOURS", "NET.USERS", "NET.TRAININGS", "NET.TRAINEES", "NET.STATIONS")
    ids = {code: [i for i in (net.library.id, net.point.id)] for code in codes}
    before = {code: registry.get(code).compute(period, ids[code]) for code in codes}
    by_code = {net.library.id: "TVH-TD", net.point.id: "BD-TD-BL"}
    before = {code: {by_code[k]: v for k, v in values.items()} for code, values in before.items()}

    other = app_factory()
    with other.app_context():
        from ilms.org import services as org
        from tests import factories
        province = factories.institution("TVT", kind="provincial_library")
        library = factories.institution("TVH-TD", parent=province)
        factories.institution("TVH-PT", parent=province)
        point = factories.institution("BD-TD-BL", kind="postal_cultural_point", parent=library)
        make_patron("HTD000001", library, name="Lò Thị Lan", ethnicity="03", sex="F")
        make_patron("HTD000002", library, name="Giàng A Páo", ethnicity="08", sex="M")
        report = import_lines(exported)
        assert report.ok, [str(e) for e in report.errors]
        after = {code: registry.get(code).compute(period, [library.id, point.id]) for code in codes}
        by_code = {library.id: "TVH-TD", point.id: "BD-TD-BL"}
        after = {code: {by_code[k]: v for k, v in values.items()} for code, values in after.items()}
        assert after == before
        assert org.get_by_code("TVH-TD") is not None
        db.session.remove()
