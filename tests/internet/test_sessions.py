"""Sessions: one open session per computer and per reader, limits, stopping, voiding, scope, the database guard."""
import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from ilms.common.errors import Conflict, DomainError, InvalidTransition, NotFound, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.common.privacy import reader_key
from ilms.extensions import db
from ilms.internet import services
from ilms.internet.models import InternetSession, SessionState

from .conftest import DAY, at, make_patron


def test_reader_and_guest_sessions_start_and_stop(net):
    reader = services.start_session(net.pc1, actor=net.staff, card=" htd000001\r", at=at(8))
    guest = services.start_session(net.pc2, actor=net.staff, guest={"age_band": "15_24", "sex": "M",
                                                                   "ethnicity": "08"}, at=at(8, 5))
    assert reader.patron == net.lan and reader.reader_key == reader_key(net.lan.id) and not reader.is_guest
    assert guest.is_guest and guest.reader_key == "" and guest.guest_ethnicity == "08"
    assert reader.limit_minutes == services.DEFAULT_SESSION_LIMIT
    services.stop_session(reader, actor=net.staff, at=at(8, 50))
    assert reader.state == SessionState.ENDED and reader.duration_seconds == 50 * 60
    assert [s.id for s in services.open_sessions(net.library.id)] == [guest.id]


def test_a_station_cannot_hold_two_sessions(net):
    services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(9))
    with pytest.raises(Conflict, match="Máy 1 đang có người dùng từ 09:00") as refused:
        services.start_session(net.pc1, actor=net.staff, card="HTD000002", at=at(9, 10))
    assert refused.value.code == "station_busy"
    with pytest.raises(Conflict):
        services.start_session(net.pc1, actor=net.staff, guest={}, at=at(9, 11))
    assert len(services.open_sessions(net.library.id)) == 1


def test_a_reader_cannot_hold_two_stations_even_at_another_institution(net):
    services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(9))
    with pytest.raises(Conflict, match="Lò Thị Lan đang dùng Máy 1") as refused:
        services.start_session(net.pc2, actor=net.staff, card="HTD000001", at=at(9, 5))
    assert refused.value.code == "reader_busy"
    with pytest.raises(Conflict, match="Máy 1"):
        services.start_session(net.pt1, actor=net.outsider, card="HTD000001", at=at(9, 6))


def test_recorded_sessions_may_not_overlap_on_a_station_or_for_a_reader(net):
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9))
    with pytest.raises(Conflict, match="trùng thời gian .* Máy 1 .TVH-TD. từ 05/03/2024 08:00 đến 09:00"):
        services.record_session(actor=SYSTEM, station=net.pc1, patron=None, start=at(8, 30), end=at(9, 30))
    with pytest.raises(Conflict, match="Lò Thị Lan đã có một lượt dùng máy khác"):
        services.record_session(actor=SYSTEM, station=net.pc2, patron=net.lan, start=at(7, 30), end=at(8, 1))
    # touching intervals are fine: one ends when the next begins
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(9), end=at(10))
    services.record_session(actor=SYSTEM, station=net.pc1, patron=None, start=at(7), end=at(8))
    # a live session cannot start inside a finished one recorded later in the day
    with pytest.raises(Conflict, match="trùng thời gian"):
        services.start_session(net.pc1, actor=net.staff, guest={}, at=at(9, 30))


def test_a_voided_session_does_not_block_the_station_or_reader(net):
    first = services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9))
    services.void_session(first, actor=net.staff, reason="Nhập nhầm máy")
    again = services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9))
    assert again.state == SessionState.ENDED


@pytest.mark.parametrize("start, end", [((10, 0), (9, 0)), ((10, 0), (10, 0))])
def test_a_session_ending_before_it_starts_is_refused(net, start, end):
    with pytest.raises(DomainError, match="không thể kết thúc trước khi bắt đầu") as refused:
        services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(*start), end=at(*end))
    assert refused.value.code == "ends_before_start"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession)) == 0


def test_stopping_before_the_start_is_refused_and_the_session_stays_open(net):
    session = services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(10))
    db.session.commit()
    with pytest.raises(DomainError, match="không thể kết thúc trước khi bắt đầu"):
        services.stop_session(session, actor=net.staff, at=at(9, 59))
    db.session.rollback()
    assert session.state == SessionState.OPEN and session.ended_at is None
    with pytest.raises(DomainError, match="chưa đến"):
        services.stop_session(session, actor=net.staff, at=services.utcnow() + dt.timedelta(hours=1))


def test_stop_and_void_follow_the_transition_table(net):
    session = services.start_session(net.pc1, actor=net.staff, guest={}, at=at(10))
    services.stop_session(session, actor=net.staff, at=at(10, 30))
    with pytest.raises(InvalidTransition):
        services.stop_session(session, actor=net.staff, at=at(10, 40))
    with pytest.raises(DomainError, match="Hãy ghi lý do"):
        services.void_session(session, actor=net.staff, reason="  ")
    services.void_session(session, actor=net.staff, reason="Khách bấm nhầm")
    with pytest.raises(InvalidTransition):
        services.void_session(session, actor=net.staff, reason="again")


def test_voiding_an_open_session_frees_its_computer(net):
    session = services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(10))
    services.void_session(session, actor=net.staff, reason="Sai máy")
    services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(10, 1))


def test_scanning_a_card_starts_on_the_first_free_computer_and_scanning_again_stops(net):
    first = services.scan_card("HTD000001", actor=net.staff, institution=net.library, at=at(14))
    assert first.action == "started" and first.session.station == net.pc1
    second = services.scan_card("HTD000002", actor=net.staff, institution=net.library, at=at(14, 1))
    assert second.session.station == net.pc2
    make_patron("HTD000003", net.library)
    with pytest.raises(Conflict, match="Tất cả máy của Thư viện huyện Tam Đường đều đang có người dùng"):
        services.scan_card("HTD000003", actor=net.staff, institution=net.library, at=at(14, 2))
    again = services.scan_card("HTD000001", actor=net.staff, institution=net.library, at=at(14, 40))
    assert again.action == "stopped" and again.session.id == first.session.id
    assert again.session.duration_seconds == 40 * 60
    with pytest.raises(NotFound, match="NOPE"):
        services.scan_card("nope", actor=net.staff, institution=net.library, at=at(14, 41))


def test_scanning_at_another_library_does_not_stop_a_session_there(net):
    running = services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(14))
    with pytest.raises(Conflict, match="Lò Thị Lan đang dùng Máy 1 .TVH-TD.") as refused:
        services.scan_card("HTD000001", actor=net.outsider, institution=net.other, at=at(14, 5))
    assert refused.value.code == "reader_busy"
    assert running.state == SessionState.OPEN


def test_an_anonymised_session_still_keeps_its_readers_time(net):
    services.record_session(actor=SYSTEM, station=net.pc1, patron=net.lan, start=at(8), end=at(9))
    services.anonymise(at(12))
    with pytest.raises(Conflict) as refused:
        services.record_session(actor=SYSTEM, station=net.pc2, patron=net.lan, start=at(8, 30), end=at(9, 30))
    assert refused.value.code == "reader_busy"


def test_the_session_limit_turns_the_tile_red(net):
    services.update_settings(net.library, actor=net.staff, session_limit_minutes=30, daily_limit_minutes=None)
    session = services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(15))
    assert session.limit_minutes == 30
    tiles = {t.station.code: t for t in services.screen(net.library, now=at(15, 29))}
    assert tiles["TD-PC1"].state == "busy" and tiles["TD-PC2"].state == "free"
    tiles = {t.station.code: t for t in services.screen(net.library, now=at(15, 31))}
    assert tiles["TD-PC1"].state == "over" and tiles["TD-PC1"].elapsed == 31 * 60


def test_the_daily_limit_shortens_the_last_session_and_then_refuses(net):
    services.update_settings(net.library, actor=net.staff, session_limit_minutes=60, daily_limit_minutes=90)
    services.record_session(actor=net.staff, station=net.pc1, patron=net.lan, start=at(8), end=at(9, 10))
    later = services.start_session(net.pc2, actor=net.staff, card="HTD000001", at=at(13))
    assert later.limit_minutes == 20
    services.stop_session(later, actor=net.staff, at=at(13, 20))
    with pytest.raises(Conflict, match="Lò Thị Lan đã dùng hết 90 phút") as refused:
        services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(16))
    assert refused.value.code == "daily_limit"
    # another day starts afresh, and guests have no daily limit
    services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(8, day=DAY + dt.timedelta(days=1)))
    services.start_session(net.pc2, actor=net.staff, guest={}, at=at(16))


def test_limits_are_checked(net):
    with pytest.raises(DomainError, match="từ 5 đến 1440 phút"):
        services.update_settings(net.library, actor=net.staff, session_limit_minutes=2, daily_limit_minutes=None)
    with pytest.raises(DomainError, match="không thể ngắn hơn một lượt"):
        services.update_settings(net.library, actor=net.staff, session_limit_minutes=60, daily_limit_minutes=30)
    with pytest.raises(PermissionDenied):
        services.update_settings(net.library, actor=net.outsider, session_limit_minutes=60, daily_limit_minutes=None)


def test_computers_that_cannot_take_a_session(net):
    services.update_station(net.pc1, actor=net.staff, out_of_order=True)
    with pytest.raises(DomainError, match="Máy 1 đang bị đánh dấu hỏng"):
        services.start_session(net.pc1, actor=net.staff, guest={}, at=at(9))
    services.update_station(net.pc2, actor=net.staff, training_only=True)
    with pytest.raises(DomainError, match="Máy 2 là máy dành cho lớp hướng dẫn"):
        services.start_session(net.pc2, actor=net.staff, guest={}, at=at(9))
    services.update_station(net.pc3, actor=net.staff, in_service_to=dt.date(2023, 12, 31))
    with pytest.raises(DomainError, match="BL-PC1 không phục vụ vào ngày 05/03/2024"):
        services.start_session(net.pc3, actor=net.staff, guest={}, at=at(9))
    # an old paper log on a computer now broken is still accepted: out of order is today's state
    services.record_session(actor=net.staff, station=net.pc1, patron=None, start=at(9), end=at(10))


def test_an_expired_card_is_refused(net):
    expired = make_patron("HTD000009", net.library, card_expires=dt.date(2024, 1, 31))
    with pytest.raises(DomainError, match="Thẻ HTD000009 của .* không còn hiệu lực vào ngày 05/03/2024") as refused:
        services.start_session(net.pc1, actor=net.staff, patron=expired, at=at(9))
    assert refused.value.code == "card_not_valid"


def test_staff_manage_their_library_and_its_points_only(net):
    services.start_session(net.pc3, actor=net.staff, guest={}, at=at(9))  # the postal point under the library
    with pytest.raises(PermissionDenied, match="Thư viện huyện Tam Đường không thuộc đơn vị của bạn"):
        services.start_session(net.pc1, actor=net.outsider, guest={}, at=at(9))
    with pytest.raises(PermissionDenied):
        services.create_station(actor=net.outsider, institution=net.library, code="X-1",
                                in_service_from=dt.date(2024, 1, 1))
    session = services.start_session(net.pc1, actor=net.staff, guest={}, at=at(9))
    with pytest.raises(PermissionDenied):
        services.void_session(session, actor=net.outsider, reason="x")


def test_station_rules(net):
    with pytest.raises(Conflict, match="Mã TD-PC1 đã được dùng cho một máy của TVH-TD"):
        services.create_station(actor=net.staff, institution=net.point, code="td-pc1",
                                in_service_from=dt.date(2024, 1, 1))
    with pytest.raises(DomainError, match="không thể ngừng phục vụ"):
        services.create_station(actor=net.staff, institution=net.point, code="BL-PC9",
                                in_service_from=dt.date(2024, 1, 1), in_service_to=dt.date(2023, 1, 1))
    services.record_session(actor=net.staff, station=net.pc1, patron=None, start=at(9), end=at(10))
    db.session.commit()
    with pytest.raises(Conflict, match="bắt đầu sau ngày 31/12/2023"):
        services.update_station(net.pc1, actor=net.staff, in_service_to=dt.date(2023, 12, 31))
    db.session.rollback()
    with pytest.raises(Conflict, match="bắt đầu trước ngày 06/03/2024"):
        services.update_station(net.pc1, actor=net.staff, in_service_from=dt.date(2024, 3, 6))


def test_the_database_keeps_one_open_session_per_station_and_per_reader(net):
    """The partial unique indexes hold even when the service checks are bypassed."""
    def raw(station, patron, minute):
        db.session.execute(sa.insert(InternetSession).values(
            station_id=station.id, institution_id=station.institution_id,
            patron_id=patron.id if patron else None, reader_key=reader_key(patron.id) if patron else "",
            is_guest=patron is None, state="open", started_at=at(9, minute), void_reason="",
            created_at=at(9, minute)))
        db.session.flush()

    raw(net.pc1, net.lan, 0)
    savepoint = db.session.begin_nested()
    with pytest.raises(sa.exc.IntegrityError):
        raw(net.pc1, None, 1)        # same station
    savepoint.rollback()
    savepoint = db.session.begin_nested()
    with pytest.raises(sa.exc.IntegrityError):
        raw(net.pc2, net.lan, 2)     # same reader
    savepoint.rollback()
    raw(net.pc2, None, 3)            # guests never clash with each other
    raw(net.pc3, None, 4)
    db.session.execute(sa.update(InternetSession).values(state="ended"))
    raw(net.pc1, net.lan, 5)         # closed sessions do not count


def test_two_desks_starting_on_one_computer_at_once(app, net):
    """Two requests racing for the same computer: exactly one session starts, the other is told why."""
    station_id, library_id = net.pc1.id, net.library.id
    staff_id = net.staff.id
    barrier = threading.Barrier(2)
    outcomes = []

    def desk(card):
        with app.app_context():
            from ilms.accounts.models import User
            barrier.wait()  # both requests arrive together; SQLite serialises their write transactions
            actor = db.session.get(User, staff_id)
            station = services.get_station(station_id)
            try:
                services.start_session(station, actor=actor, card=card)
                db.session.commit()
                outcomes.append("started")
            except Conflict as error:
                db.session.rollback()
                outcomes.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=desk, args=(card,)) for card in ("HTD000001", "HTD000002")]
    db.session.commit()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["started", "station_busy"]
    assert len(services.open_sessions(library_id)) == 1


def test_the_same_reader_at_two_desks_at_once(app, net):
    ids = (net.pc1.id, net.pt1.id)
    actors = (net.staff.id, net.outsider.id)
    barrier = threading.Barrier(2)
    outcomes = []

    def desk(station_id, user_id):
        with app.app_context():
            from ilms.accounts.models import User
            barrier.wait()
            actor = db.session.get(User, user_id)
            station = services.get_station(station_id)
            try:
                services.start_session(station, actor=actor, card="HTD000001")
                db.session.commit()
                outcomes.append("started")
            except Conflict as error:
                db.session.rollback()
                outcomes.append(error.code)
            finally:
                db.session.remove()

    db.session.commit()
    threads = [threading.Thread(target=desk, args=pair) for pair in zip(ids, actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["reader_busy", "started"]
    open_rows = db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession)
                                  .where(InternetSession.state == SessionState.OPEN))
    assert open_rows == 1


def test_sessions_left_running_overnight_are_stopped_at_closing_time(app, net, runner):
    services.start_session(net.pc1, actor=net.staff, card="HTD000001", at=at(16))     # Tuesday: closes 17:00
    services.start_session(net.pc2, actor=net.staff, guest={}, at=at(18))             # after closing: its limit
    db.session.commit()
    result = runner.invoke(args=["internet", "stop-forgotten"])
    assert result.exit_code == 0, result.output
    assert "2 session(s)" in result.output
    rows = {s.station.code: s for s in db.session.scalars(sa.select(InternetSession))}
    assert rows["TD-PC1"].ended_at == at(17) and rows["TD-PC1"].duration_seconds == 3600
    assert rows["TD-PC2"].ended_at == at(19)
