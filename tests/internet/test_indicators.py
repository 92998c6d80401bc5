"""NET.* and LIB.INTERNET_CONNECTED as indicators.md defines them, and internet sessions as reader visits."""
import datetime as dt

import pytest
import sqlalchemy as sa

from ilms.common.permissions import SYSTEM
from ilms.common.privacy import anonymisers, reader_key
from ilms.common.time import Period
from ilms.extensions import db
from ilms.internet import services
from ilms.internet.models import InternetSession, LinkState, UserKind
from ilms.stats import registry
from ilms.stats.services import indicator_document

from .conftest import DAY, at, make_patron

YEAR = Period.year(2024)


def value(code, period=YEAR, ids=None, institution=None):
    indicator = registry.get(code)
    return indicator.compute(period, ids or [institution.id]).get(institution.id, 0)


@pytest.fixture
def day_of_sessions(net):
    """At TVH-TD on 5 March 2024: Lan twice, Páo once, two guests, one voided guest, one still running."""
    s = services.record_session
    s(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9))
    s(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(14), end=at(14, 30))
    s(actor=SYSTEM, station=net.pc2, patron=net.pao, start=at(8), end=at(8, 45))
    s(actor=SYSTEM, station=net.pc2, patron=None, start=at(9), end=at(10))
    s(actor=SYSTEM, station=net.pc2, patron=None, start=at(10), end=at(10, 15))
    voided = s(actor=SYSTEM, station=net.pc2, patron=None, start=at(11), end=at(12))
    services.void_session(voided, actor=SYSTEM, reason="Nhập trùng")
    voided_reader = s(actor=SYSTEM, station=net.pc1, patron=net.pao, start=at(15), end=at(16))
    services.void_session(voided_reader, actor=SYSTEM, reason="Nhập nhầm bạn đọc")
    services.start_session(net.pc3, actor=SYSTEM, card="HTD000001",
                           at=services.utcnow() - dt.timedelta(minutes=5))  # running now: not counted yet
    db.session.commit()
    return net


def test_sessions_hours_and_users(day_of_sessions):
    net = day_of_sessions
    assert value("NET.SESSIONS", institution=net.library) == 5
    # 60 + 30 + 45 + 60 + 15 minutes = 3.5 hours
    assert registry.get("NET.HOURS").rounded(value("NET.HOURS", institution=net.library)) == 3.5
    # Lan and Páo once each, plus one per guest session: 2 + 2
    assert value("NET.USERS", institution=net.library) == 4


def test_each_guest_session_counts_one_user(net):
    for hour in (8, 9, 10):
        services.record_session(actor=SYSTEM, station=net.pc1, patron=None, start=at(hour), end=at(hour, 30))
    assert value("NET.USERS", institution=net.library) == 3
    assert value("NET.SESSIONS", institution=net.library) == 3


def test_voided_sessions_count_nowhere(net):
    session = services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9))
    guest = services.record_session(actor=SYSTEM, station=net.pc2, patron=None, start=at(8), end=at(9))
    period = Period(DAY, DAY)
    assert value("NET.SESSIONS", period, institution=net.library) == 2
    assert len(_visits(period, [net.library.id])) == 1
    services.void_session(session, actor=net.staff, reason="Nhập nhầm")
    services.void_session(guest, actor=net.staff, reason="Nhập nhầm")
    for code in ("NET.SESSIONS", "NET.HOURS", "NET.USERS"):
        assert value(code, period, institution=net.library) == 0, code
        assert registry.get(code).series(period, [net.library.id]) == {}, code
        assert db.session.execute(registry.get(code).drilldown(period, [net.library.id])).all() == [], code
    assert registry.get("NET.USERS").group(period, [net.library.id]) == 0
    assert _visits(period, [net.library.id]) == []


def test_group_users_are_distinct_across_institutions(net):
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9))
    services.record_session(actor=SYSTEM, station=net.pc3, patron=net.lan, start=at(10), end=at(11))
    services.record_session(actor=SYSTEM, station=net.pc3, patron=None, start=at(12), end=at(13))
    ids = [net.library.id, net.point.id]
    per = registry.get("NET.USERS").compute(YEAR, ids)
    assert per == {net.library.id: 1, net.point.id: 2}
    assert registry.get("NET.USERS").group(YEAR, ids) == 2


def test_a_session_belongs_to_the_local_date_it_started(net):
    """23:30 local on 31 December 2023 is 16:30 UTC: the session counts in 2023, not 2024."""
    eve = dt.date(2023, 12, 31)
    services.update_station(net.pc1, actor=SYSTEM, in_service_from=dt.date(2020, 1, 1))
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(23, 30, day=eve),
                            end=at(23, 50, day=eve))
    assert value("NET.SESSIONS", Period.year(2023), institution=net.library) == 1
    assert value("NET.SESSIONS", Period.year(2024), institution=net.library) == 0
    series = registry.get("NET.SESSIONS").series(Period.year(2023), [net.library.id])
    assert series == {(net.library.id, "2023-12"): 1}
    visits = _visits(Period.year(2023), [net.library.id])
    assert [str(day)[:10] for _key, _inst, day in visits] == ["2023-12-31"]


def test_series_by_month_and_drilldown_without_reader_names(day_of_sessions):
    net = day_of_sessions
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.pao, start=at(9, day=dt.date(2024, 4, 2)),
                            end=at(10, day=dt.date(2024, 4, 2)))
    ids = [net.library.id]
    assert registry.get("NET.SESSIONS").series(YEAR, ids) == {(net.library.id, "2024-03"): 5,
                                                              (net.library.id, "2024-04"): 1}
    assert registry.get("NET.USERS").series(YEAR, ids) == {(net.library.id, "2024-03"): 4,
                                                           (net.library.id, "2024-04"): 1}
    hours = registry.get("NET.HOURS").series(YEAR, ids)
    assert round(hours[(net.library.id, "2024-03")], 1) == 3.5
    rows = db.session.execute(registry.get("NET.SESSIONS").drilldown(YEAR, ids)).mappings().all()
    assert len(rows) == 6
    assert {row["category"] for row in rows} == {UserKind.READER, UserKind.GUEST}
    assert {row["reader_key"] for row in rows} == {"", reader_key(net.lan.id), reader_key(net.pao.id)}
    text = repr(rows)
    for secret in ("Lò Thị Lan", "Giàng A Páo", "HTD000001", "HTD000002"):
        assert secret not in text


def test_anonymising_keeps_every_figure(day_of_sessions, app):
    net = day_of_sessions
    training = services.create_training(actor=SYSTEM, institution=net.library, date=DAY, topic="Tra cứu",
                                        counts=[("03", "F", 4)], attendee_cards=["HTD000001", "HTD000002"])
    db.session.commit()
    codes = ("NET.SESSIONS", "NET.HOURS", "NET.USERS", "NET.TRAINEES")
    before = {code: value(code, institution=net.library) for code in codes}
    visits_before = sorted(_visits(YEAR, [net.library.id]))
    detached = anonymisers()["internet"](at(0, day=dt.date(2024, 6, 1)))
    db.session.commit()
    # 4 ended reader sessions (the voided one included) and 2 named attendees; the running one is kept
    assert detached == 6
    remaining = db.session.scalars(sa.select(InternetSession.patron_id).where(InternetSession.patron_id.is_not(None)))
    assert list(remaining) == [net.lan.id]
    assert all(a.patron_id is None for a in training.attendees)
    assert {code: value(code, institution=net.library) for code in codes} == before
    assert sorted(_visits(YEAR, [net.library.id])) == visits_before
    assert registry.get("NET.TRAINEES").breakdowns["ethnicity"](YEAR, [net.library.id]) == {"03": 5, "08": 1}


# -- trainings --------------------------------------------------------------------

def test_trainings_and_trainees_with_ethnic_group_and_sex(net):
    services.create_training(actor=net.staff, institution=net.library, date=DAY, topic="Tra cứu giá nông sản",
                             counts=[("03", "F", 5), ("08", "M", 4), ("09", "F", 2), ("09", None, 1),
                                     (None, "M", 2)], attendee_cards=["HTD000001"])
    services.create_training(actor=net.staff, institution=net.point, date=dt.date(2024, 5, 2), topic="Email",
                             counts=[("08", "F", 3)])
    services.create_training(actor=net.staff, institution=net.library, date=dt.date(2024, 12, 20),
                             topic="Kế hoạch tháng 12 (chưa học)")   # planned, no attendance yet
    services.create_training(actor=net.staff, institution=net.library, date=dt.date(2023, 12, 31), topic="Cũ",
                             counts=[("01", "M", 9)])
    ids = [net.library.id, net.point.id]
    trainings, trainees = registry.get("NET.TRAININGS"), registry.get("NET.TRAINEES")
    assert trainings.compute(YEAR, ids) == {net.library.id: 1, net.point.id: 1}
    assert trainees.compute(YEAR, ids) == {net.library.id: 15, net.point.id: 3}
    assert trainees.breakdowns["ethnicity"](YEAR, ids) == {"03": 6, "08": 7, "09": 3, "unknown": 2}
    assert trainees.breakdowns["sex"](YEAR, ids) == {"F": 11, "M": 6, "unknown": 1}
    assert trainees.breakdowns["minority"](YEAR, ids) == {"minority": 16, "unknown": 2}
    assert trainees.series(YEAR, ids) == {(net.library.id, "2024-03"): 15, (net.point.id, "2024-05"): 3}
    rows = db.session.execute(trainings.drilldown(YEAR, ids)).mappings().all()
    assert [(r["institution_id"], r["attendees"]) for r in rows] == [(net.library.id, 15), (net.point.id, 3)]
    assert "Lò Thị Lan" not in repr(rows)


def test_training_counts_are_checked(net):
    from ilms.common.errors import DomainError
    with pytest.raises(DomainError, match="Dòng 2: không có dân tộc “99”") as refused:
        services.create_training(actor=net.staff, institution=net.library, date=DAY, topic="X",
                                 counts=[("03", "F", 2), ("99", "F", 1)])
    assert refused.value.field == "counts"
    with pytest.raises(DomainError, match="Dòng 1"):
        services.create_training(actor=net.staff, institution=net.library, date=DAY, topic="X",
                                 counts=[("03", "F", -1)])
    merged = services.create_training(actor=net.staff, institution=net.library, date=DAY, topic="X",
                                      counts=[("03", "F", 2), ("03", "F", 3), ("08", "M", 0)])
    assert [(c.ethnicity, c.sex, c.count) for c in merged.counts] == [("03", "F", 5)]
    from ilms.common.errors import Conflict
    services.add_attendee(merged, "HTD000002", actor=net.staff)
    with pytest.raises(Conflict):
        services.add_attendee(merged, "htd000002", actor=net.staff)
    assert merged.attendance == 6


# -- stations and connectivity ---------------------------------------------------

def test_stations_in_service_at_period_end_without_training_machines(net):
    services.create_station(actor=SYSTEM, institution=net.library, code="TD-PC3", in_service_from=dt.date(2024, 6, 1))
    services.create_station(actor=SYSTEM, institution=net.library, code="TD-OLD", in_service_from=dt.date(2019, 1, 1),
                            in_service_to=dt.date(2024, 8, 31))
    services.create_station(actor=SYSTEM, institution=net.library, code="TD-LOP", in_service_from=dt.date(2019, 1, 1),
                            training_only=True)
    services.update_station(net.pc2, actor=SYSTEM, out_of_order=True)   # broken, still in service
    indicator = registry.get("NET.STATIONS")
    assert value("NET.STATIONS", institution=net.library) == 3          # PC1, PC2, PC3
    assert value("NET.STATIONS", Period(dt.date(2024, 1, 1), dt.date(2024, 5, 31)), institution=net.library) == 3
    assert value("NET.STATIONS", Period.year(2019), institution=net.library) == 1   # TD-OLD only
    series = indicator.series(YEAR, [net.library.id])
    assert series[(net.library.id, "2024-05")] == 3 and series[(net.library.id, "2024-06")] == 4
    assert series[(net.library.id, "2024-09")] == 3
    codes = [r["station"] for r in db.session.execute(indicator.drilldown(YEAR, [net.library.id])).mappings()]
    assert codes == ["TD-PC1", "TD-PC2", "TD-PC3"]


def test_internet_connected_libraries(net, factories):
    third = factories.institution("TVH-SH", parent=net.province)
    services.record_connectivity(actor=SYSTEM, institution=net.library, date=dt.date(2018, 5, 1), connected=True)
    services.record_connectivity(actor=SYSTEM, institution=net.library, date=dt.date(2020, 3, 1), connected=False,
                                 note="Đứt cáp")
    services.record_connectivity(actor=SYSTEM, institution=net.library, date=dt.date(2020, 4, 10), connected=True)
    services.record_connectivity(actor=SYSTEM, institution=net.other, date=dt.date(2020, 12, 31), connected=True)
    services.record_connectivity(actor=SYSTEM, institution=net.other, date=dt.date(2021, 1, 1), connected=False)
    indicator = registry.get("LIB.INTERNET_CONNECTED")
    ids = [net.library.id, net.other.id, third.id]
    assert indicator.compute(Period.year(2020), ids) == {net.library.id: 100, net.other.id: 100}
    assert indicator.group(Period.year(2020), ids) == pytest.approx(200 / 3)
    march = Period(dt.date(2020, 3, 1), dt.date(2020, 3, 31))
    assert indicator.compute(march, ids) == {net.library.id: 0}
    assert indicator.group(Period.year(2021), ids) == pytest.approx(100 / 3)
    assert indicator.group(Period.year(2017), ids) == 0
    series = indicator.series(Period.year(2020), ids)
    assert series.get((net.library.id, "2020-03")) is None and series[(net.library.id, "2020-04")] == 100
    assert series[(net.other.id, "2020-12")] == 100 and (net.other.id, "2020-11") not in series
    rows = db.session.execute(indicator.drilldown(Period.year(2020), ids)).mappings().all()
    assert [(r["institution_id"], r["status"]) for r in rows] == [
        (net.other.id, LinkState.CONNECTED), (third.id, LinkState.NOT_CONNECTED), (net.library.id, LinkState.CONNECTED)]


def test_the_plan_target_for_connected_district_libraries(net, runner):
    from tests.conftest import shared_path
    assert runner.invoke(args=["plan", "load", str(shared_path("plan", "lai-chau-1133-2015.yaml"))]).exit_code == 0
    services.record_connectivity(actor=SYSTEM, institution=net.library, date=dt.date(2019, 1, 1), connected=True)
    services.record_connectivity(actor=SYSTEM, institution=net.other, date=dt.date(2020, 6, 1), connected=True)
    document = indicator_document(Period.year(2020))
    target = next(t for t in document["targets"] if t["indicator"] == "LIB.INTERNET_CONNECTED")
    assert target["value"] == 100 and target["status"] == "within"
    figures = {(f["indicator"], f["institution"]): f["value"] for f in document["figures"]}
    assert figures[("LIB.INTERNET_CONNECTED", "TVT")] == 0
    assert ("LIB.INTERNET_CONNECTED", "BD-TD-BL") not in figures     # points are not libraries
    assert figures[("NET.STATIONS", "BD-TD-BL")] == 1                 # but they host public computers
    groups = {(g["indicator"], g.get("group")): g["value"] for g in document["groups"]}
    assert groups[("LIB.INTERNET_CONNECTED", "district_library")] == 100
    assert groups[("LIB.INTERNET_CONNECTED", "provincial_library")] == 0


# -- visits ----------------------------------------------------------------------------

def _visits(period, ids):
    """Distinct (reader, institution, local date) over every registered visit source: LIB.VISITS' identified part."""
    events = registry.visit_events(period, ids)
    rows = db.session.execute(sa.select(events.c.reader_key, events.c.institution_id, events.c.day).distinct()).all()
    return [tuple(row) for row in rows]


def test_reader_sessions_are_visits_at_the_stations_institution(day_of_sessions):
    net = day_of_sessions
    at_library = _visits(YEAR, [net.library.id])
    assert sorted(key for key, _inst, _day in at_library) == sorted([reader_key(net.lan.id), reader_key(net.pao.id)])
    # the running session at the point is a visit there already; guests never are
    today = services.local_date(services.utcnow())
    at_point = _visits(Period(today - dt.timedelta(days=1), today), [net.point.id])
    assert [(key, inst) for key, inst, _day in at_point] == [(reader_key(net.lan.id), net.point.id)]


def test_a_reader_who_borrowed_the_same_day_is_one_visit(net, factories):
    """A real checkout at the desk and two internet sessions on the same day: one visit."""
    from ilms.circulation import services as circulation
    copy = factories.item(net.library, title="Kỹ thuật trồng chè Tam Đường", accessioned=dt.date(2024, 1, 2))
    circulation.checkout(net.lan, copy, institution=net.library, actor=SYSTEM, at=at(9))
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(15), end=at(16))
    services.record_session(actor=SYSTEM, station=net.pc2, patron=net.lan, start=at(16), end=at(16, 30))
    db.session.commit()
    period = Period(DAY, DAY)
    events = registry.visit_events(period, [net.library.id])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(events)) == 3   # three events...
    assert len(_visits(period, [net.library.id])) == 1                               # ...one visit
    visits = registry.get("LIB.VISITS").compute(period, [net.library.id])
    assert visits[net.library.id] == 1
    # a session on another day is another visit
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(9, day=DAY + dt.timedelta(days=1)),
                            end=at(10, day=DAY + dt.timedelta(days=1)))
    assert len(_visits(Period(DAY, DAY + dt.timedelta(days=1)), [net.library.id])) == 2
    assert registry.get("LIB.VISITS").compute(Period(DAY, DAY + dt.timedelta(days=1)),
                                              [net.library.id])[net.library.id] == 2


def test_internet_indicators_apply_to_hosts_of_public_computers():
    net_kinds = registry.get("NET.SESSIONS").kinds
    assert "museum" not in net_kinds
    assert {"postal_cultural_point", "internet_point", "cultural_house", "district_library"} <= net_kinds
    assert registry.get("LIB.INTERNET_CONNECTED").kinds == {"provincial_library", "district_library"}
    assert registry.get("NET.HOURS").decimals == 1
    assert registry.get("NET.USERS").distinct
