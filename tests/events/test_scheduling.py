"""Scheduling rules: one exhibition per venue at a time, travelling stops, visitors, states, staff scope."""
import datetime as dt

import pytest

from ilms.common.errors import Conflict, DomainError, InvalidTransition, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.events import services
from ilms.events.models import ExhibitionStatus, LocationKind
from ilms.extensions import db

D = dt.date


def test_overlapping_dates_at_a_venue_are_refused_naming_the_conflict(exhibit):
    first = exhibit("Trang phục các dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31))
    with pytest.raises(Conflict) as refused:
        exhibit("Nhạc cụ dân tộc", start=D(2024, 3, 31), end=D(2024, 4, 20), venue="nha trung bay – TANG 1")
    message = str(refused.value)
    assert "Trang phục các dân tộc" in message and first.code in message
    assert "01/03/2024" in message and "31/03/2024" in message
    db.session.rollback()
    assert services.exhibition_by_code(first.code) is not None
    assert len(services.venue_bookings(first.venue)) == 1


def test_adjacent_dates_at_the_same_venue_are_accepted(exhibit):
    first = exhibit("Trang phục các dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31))
    before = exhibit("Tết cổ truyền", start=D(2024, 2, 1), end=D(2024, 2, 29))
    after = exhibit("Nhạc cụ dân tộc", start=D(2024, 4, 1), end=D(2024, 4, 20))
    assert before.venue_id == first.venue_id == after.venue_id
    assert [row[0].title for row in services.venue_bookings(first.venue)] == [
        "Tết cổ truyền", "Trang phục các dân tộc", "Nhạc cụ dân tộc"]


def test_a_cancelled_exhibition_frees_its_venue_and_heritage_events_do_not_block(exhibit):
    first = exhibit(start=D(2024, 3, 1), end=D(2024, 3, 31))
    talk = exhibit("Giới thiệu nghề dệt cho học sinh", kind="heritage_event", start=D(2024, 3, 10), end=D(2024, 3, 10))
    assert talk.venue_id == first.venue_id
    services.set_exhibition_status(first, "cancelled", actor=SYSTEM)
    db.session.commit()
    second = exhibit("Nhạc cụ dân tộc", start=D(2024, 3, 5), end=D(2024, 3, 25))
    assert second.venue_id == first.venue_id


def test_moving_an_exhibition_onto_a_booked_venue_is_refused(exhibit):
    exhibit("Trang phục các dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31))
    other = exhibit("Nhạc cụ dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31), venue="Tầng 2")
    with pytest.raises(Conflict, match="Trang phục các dân tộc"):
        services.update_exhibition(other, actor=SYSTEM, venue="Nhà trưng bày – tầng 1")
    db.session.rollback()
    assert services.get_exhibition(other.id).venue.name == "Tầng 2"
    services.update_exhibition(other, actor=SYSTEM, start=D(2024, 4, 1), end=D(2024, 4, 30))
    services.update_exhibition(other, actor=SYSTEM, venue="Nhà trưng bày – tầng 1")
    db.session.commit()


def test_travelling_stops_have_their_own_venues_and_dates_and_cannot_clash(exhibit):
    booked = exhibit("Trưng bày ở trường", start=D(2024, 4, 1), end=D(2024, 4, 10), venue="Hội trường trường PTDTNT")
    tour = exhibit("Văn hóa các dân tộc – lưu động", kind="mobile", start=D(2024, 3, 1), end=D(2024, 5, 31), venue=None)
    services.add_stop(tour, actor=SYSTEM, venue="Nhà văn hóa huyện Sìn Hồ", host="Trung tâm VHTT Sìn Hồ",
                      start=D(2024, 3, 1), end=D(2024, 3, 10))
    db.session.commit()
    with pytest.raises(Conflict, match=booked.code):
        services.add_stop(tour, actor=SYSTEM, venue="Hội trường trường PTDTNT", start=D(2024, 4, 5),
                          end=D(2024, 4, 15))
    db.session.rollback()
    services.add_stop(tour, actor=SYSTEM, venue="Hội trường trường PTDTNT", start=D(2024, 4, 11), end=D(2024, 4, 15))
    db.session.commit()
    with pytest.raises(DomainError, match="within the exhibition"):
        services.add_stop(tour, actor=SYSTEM, venue="Trường Bum Nưa", start=D(2024, 5, 25), end=D(2024, 6, 5))
    db.session.rollback()
    tour = services.get_exhibition(tour.id)
    assert [(s.venue.name, s.start) for s in tour.stops] == [
        ("Nhà văn hóa huyện Sìn Hồ", D(2024, 3, 1)), ("Hội trường trường PTDTNT", D(2024, 4, 11))]


def test_a_stop_only_belongs_to_a_travelling_exhibition(exhibit):
    exhibition = exhibit()
    with pytest.raises(DomainError, match="travelling"):
        services.add_stop(exhibition, actor=SYSTEM, venue="Trường", start=D(2024, 3, 2), end=D(2024, 3, 3))


def test_visitors_count_students_apart_and_refuse_impossible_numbers(exhibit):
    exhibition = exhibit(start=D(2024, 3, 1), end=D(2024, 3, 31))
    services.record_visitors(exhibition, actor=SYSTEM, date=D(2024, 3, 5), visitors=120, students=95,
                             school="Trường THCS Đoàn Kết")
    services.record_visitors(exhibition, actor=SYSTEM, date=D(2024, 3, 6), visitors=30, students=0)
    db.session.commit()
    assert (exhibition.total_visitors, exhibition.total_students) == (150, 95)
    assert services.schools_of(exhibition) == [("Trường THCS Đoàn Kết", 1, 95)]
    with pytest.raises(DomainError, match="Students"):
        services.record_visitors(exhibition, actor=SYSTEM, date=D(2024, 3, 7), visitors=10, students=11)
    with pytest.raises(DomainError, match="not a day of this exhibition"):
        services.record_visitors(exhibition, actor=SYSTEM, date=D(2024, 4, 1), visitors=10)
    future = exhibit("Sắp mở", start=dt.date.today() + dt.timedelta(days=30), venue="Sảnh")
    with pytest.raises(DomainError, match="has not come yet"):
        services.record_visitors(future, actor=SYSTEM, date=future.start, visitors=10)


def test_visitors_of_a_travelling_exhibition_are_recorded_per_stop(exhibit):
    tour = exhibit("Lưu động", kind="mobile", start=D(2024, 3, 1), end=D(2024, 4, 30), venue=None)
    first = services.add_stop(tour, actor=SYSTEM, venue="Trường A", start=D(2024, 3, 1), end=D(2024, 3, 10))
    services.add_stop(tour, actor=SYSTEM, venue="Trường B", start=D(2024, 4, 1), end=D(2024, 4, 10))
    with pytest.raises(DomainError, match="Choose the stop"):
        services.record_visitors(tour, actor=SYSTEM, date=D(2024, 3, 2), visitors=10)
    with pytest.raises(DomainError, match="not a day"):
        services.record_visitors(tour, actor=SYSTEM, date=D(2024, 4, 2), visitors=10, stop=first)
    services.record_visitors(tour, actor=SYSTEM, date=D(2024, 3, 2), visitors=200, students=180, stop=first)
    db.session.commit()
    assert (first.total_visitors, first.total_students) == (200, 180)
    with pytest.raises(Conflict, match="delete those counts first"):
        services.remove_stop(first, actor=SYSTEM)


def test_states_follow_the_transition_table(exhibit):
    exhibition = exhibit()
    with pytest.raises(InvalidTransition):
        services.set_exhibition_status(exhibition, "closed", actor=SYSTEM)
    services.set_exhibition_status(exhibition, "open", actor=SYSTEM)
    services.set_exhibition_status(exhibition, "closed", actor=SYSTEM)
    assert exhibition.status == ExhibitionStatus.CLOSED
    with pytest.raises(InvalidTransition):
        services.set_exhibition_status(exhibition, "open", actor=SYSTEM)


def test_events_staff_change_only_their_institution_and_its_dependent_units(network, factories, exhibit):
    museum_staff = factories.user("events1", role="events", institution=network["museum"])
    centre_staff = factories.user("events2", role="events", institution=network["district_a"])
    display = exhibit("Sách mùa xuân", kind="library_display", institution=network["library"], venue="Phòng đọc")
    with pytest.raises(PermissionDenied, match="Thư viện tỉnh Lai Châu"):
        services.update_exhibition(display, actor=museum_staff, title="Đổi tên")
    with pytest.raises(PermissionDenied):
        services.create_festival(actor=museum_staff, institution=network["commune"], title="Ngày hội",
                                 date=D(2024, 11, 18))
    festival = services.create_festival(actor=centre_staff, institution=network["commune"],
                                        title="Ngày hội Đại đoàn kết", date=D(2024, 11, 18))
    assert festival.institution.code == "NVH-TD-BL"
    with pytest.raises(PermissionDenied):
        services.create_course(actor=centre_staff, institution=network["district_b"], title="Tập huấn",
                               start=D(2024, 5, 1), trainees=10)


def test_closing_an_exhibition_brings_its_artifacts_back_to_the_store(network, exhibit):
    artifact = services.create_artifact(actor=SYSTEM, institution=network["museum"], code="BTLC-2020.001",
                                        name="Khèn Mông", accessioned=D(2020, 5, 1), ethnicity="Mông")
    exhibition = exhibit(start=D(2024, 3, 1), end=D(2024, 3, 31))
    services.feature_artifact(exhibition, artifact, actor=SYSTEM)
    assert services.current_location(artifact, on=D(2024, 3, 15)).exhibition_id == exhibition.id
    assert services.current_location(artifact, on=D(2024, 2, 1)).kind == LocationKind.STORE
    services.set_exhibition_status(exhibition, "open", actor=SYSTEM, on=D(2024, 3, 1))
    services.set_exhibition_status(exhibition, "closed", actor=SYSTEM, on=D(2024, 4, 1))
    services.move_artifact(artifact, actor=SYSTEM, kind="loan", date=D(2024, 5, 1), place="Bảo tàng tỉnh Điện Biên")
    db.session.commit()
    kinds = [(m.date, m.kind) for m in artifact.movements]
    assert kinds == [(D(2020, 5, 1), LocationKind.STORE), (D(2024, 3, 1), LocationKind.DISPLAY),
                     (D(2024, 4, 1), LocationKind.STORE), (D(2024, 5, 1), LocationKind.LOAN)]
    assert services.current_location(artifact, on=D(2024, 6, 1)).place == "Bảo tàng tỉnh Điện Biên"
    with pytest.raises(DomainError, match="borrows"):
        services.move_artifact(artifact, actor=SYSTEM, kind="loan", date=D(2024, 6, 1))
    assert artifact.ethnicity == "08"


def test_record_picker_matches_titles_without_diacritics_and_isbns(app):
    from ilms.catalog import services as catalog
    catalog.create_minimal_record(title="Văn hóa dân gian dân tộc Thái", isbn="9786040000011")
    catalog.create_minimal_record(title="Điện Biên Phủ – 56 ngày đêm")
    catalog.create_minimal_record(title="Sổ tay 100% người đọc")
    db.session.commit()
    assert [r.title for r in services.search_records("van hoa dan gian")] == ["Văn hóa dân gian dân tộc Thái"]
    assert [r.title for r in services.search_records("dien bien")] == ["Điện Biên Phủ – 56 ngày đêm"]
    assert [r.title for r in services.search_records("978-604-0000-01-1")] == ["Văn hóa dân gian dân tộc Thái"]
    assert [r.title for r in services.search_records("100%")] == ["Sổ tay 100% người đọc"]
    assert services.search_records("khong co") == []


def test_a_monthly_story_hour_is_scheduled_once_for_the_year(network):
    made = services.schedule_activity(actor=SYSTEM, institution=network["library"], kind="recreation",
                                      title="Giờ kể chuyện", date=D(2024, 1, 13), repeat="monthly_weekday",
                                      until=D(2024, 12, 31), starts_at=dt.time(9), ends_at=dt.time(10, 30))
    db.session.commit()
    days = [a.date for a in made]
    assert len(days) == 12 and all(d.weekday() == 5 and 8 <= d.day <= 14 for d in days)
    assert len({a.series_id for a in made}) == 1
    made[5].participants = 30
    assert services.cancel_rest_of_series(made[4], actor=SYSTEM) == 7
    db.session.commit()
    from ilms.events.models import Activity
    remaining = db.session.query(Activity).order_by(Activity.date).all()
    assert [a.date.month for a in remaining] == [1, 2, 3, 4, 6]


def test_recurrence_rules():
    from ilms.events.recurrence import occurrences
    assert occurrences(D(2024, 1, 31), "monthly_day", D(2024, 5, 31)) == [
        D(2024, 1, 31), D(2024, 3, 31), D(2024, 5, 31)]
    assert occurrences(D(2024, 3, 30), "monthly_weekday", D(2024, 6, 30)) == [
        D(2024, 3, 30), D(2024, 4, 27), D(2024, 5, 25), D(2024, 6, 29)]
    assert occurrences(D(2024, 1, 1), "weekly", D(2024, 1, 29)) == [D(2024, 1, d) for d in (1, 8, 15, 22, 29)]
