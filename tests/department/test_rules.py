"""The rules of each follow-up record: deadlines, who may write what, scope by institution."""
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from ilms.common import uploads
from ilms.common.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.department import services
from ilms.department.models import FundingReceipt, Inspection, RecommendationStatus
from ilms.extensions import db

D = dt.date
TODAY = D(2026, 6, 30)


def visit(network, people, **fields):
    data = dict(actor=people["department"], institution=network["district"], kind="check", date=D(2026, 3, 10),
                inspectors="Đoàn kiểm tra Sở VHTTDL", scope="Phục vụ bạn đọc, luân chuyển sách", today=TODAY)
    data.update(fields)
    inspection = services.record_inspection(**data)
    db.session.commit()
    return inspection


def recommend(inspection, people, deadline=D(2026, 4, 30), text="Bổ sung sổ đăng ký cá biệt"):
    rec = services.add_recommendation(inspection, actor=people["department"], text=text,
                                      responsible="Nguyễn Thị Hoa", deadline=deadline)
    db.session.commit()
    return rec


def test_only_the_department_records_inspections_and_funding(network, people):
    inspection = visit(network, people)
    assert inspection.code == "TT-2026-001" and inspection.institution.code == "TVH-TD"
    assert visit(network, people, date=D(2026, 5, 2)).code == "TT-2026-002"
    for who in ("librarian", "museum", "manager", "desk"):
        with pytest.raises(PermissionDenied):
            services.record_inspection(actor=people[who], institution=network["district"], kind="check",
                                       date=D(2026, 3, 1), inspectors="X", today=TODAY)
        with pytest.raises(PermissionDenied):
            services.add_recommendation(inspection, actor=people[who], text="T", responsible="R",
                                        deadline=D(2026, 4, 1))
        with pytest.raises(PermissionDenied):
            services.record_funding(actor=people[who], institution=network["district"], date=D(2026, 3, 1),
                                    source="state_budget", amount=1_000_000, purpose="Mua sách", today=TODAY)
    db.session.rollback()
    receipt = services.record_funding(actor=people["department"], institution=network["museum"], date=D(2026, 2, 1),
                                      source="socialisation", amount=25_000_000, purpose="Trưng bày ngoài trời",
                                      donor="Công ty Thủy điện Lai Châu", today=TODAY)
    db.session.commit()
    assert receipt.institution.code == "BTT"
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 2


def test_inspection_dates_and_values_are_checked(network, people):
    with pytest.raises(DomainError, match="in the future"):
        visit(network, people, date=D(2026, 7, 1))
    with pytest.raises(DomainError, match="inspectors"):
        visit(network, people, inspectors="  ")
    with pytest.raises(DomainError, match="Unknown value"):
        visit(network, people, kind="raid")
    db.session.rollback()
    inspection = visit(network, people, code="TT-TD-01")
    with pytest.raises(DomainError, match="already used"):
        visit(network, people, code="TT-TD-01")
    db.session.rollback()
    with pytest.raises(DomainError, match="before the visit of 10/03/2026") as refused:
        services.add_recommendation(inspection, actor=people["department"], text="Sửa kho", responsible="A",
                                    deadline=D(2026, 3, 9))
    assert refused.value.field == "deadline"
    with pytest.raises(DomainError, match="person responsible"):
        services.add_recommendation(inspection, actor=people["department"], text="Sửa kho", responsible="",
                                    deadline=D(2026, 3, 30))
    with pytest.raises(DomainError, match="Write the recommendation"):
        services.add_recommendation(inspection, actor=people["department"], text=" ", responsible="A",
                                    deadline=D(2026, 3, 30))
    with pytest.raises(DomainError, match="whole number above 0"):
        services.record_funding(actor=people["department"], institution=network["district"], date=D(2026, 3, 1),
                                source="state_budget", amount=0, purpose="Mua sách", today=TODAY)
    with pytest.raises(DomainError, match="too large"):
        services.record_funding(actor=people["department"], institution=network["district"], date=D(2026, 3, 1),
                                source="state_budget", amount=10 ** 14, purpose="Mua sách", today=TODAY)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(FundingReceipt.id))) == 0


def test_the_inspected_institution_answers_its_own_recommendations(network, people):
    inspection = visit(network, people)
    first, second = recommend(inspection, people), recommend(inspection, people, text="Lập kế hoạch luân chuyển")
    assert (first.position, second.position) == (1, 2)
    # another library's staff, the Department and the desk cannot answer for it
    for who in ("other_librarian", "department", "desk"):
        with pytest.raises(PermissionDenied):
            services.answer_recommendation(first, actor=people[who], note="Đã làm", today=TODAY)
    with pytest.raises(NotFound):
        services.get_recommendation(first.id, actor=people["other_librarian"])
    with pytest.raises(DomainError, match="Say what was done"):
        services.answer_recommendation(first, actor=people["librarian"], note=" ", today=TODAY)
    with pytest.raises(DomainError, match="before the visit"):
        services.answer_recommendation(first, actor=people["librarian"], note="Đã làm", done_on=D(2026, 3, 1),
                                       today=TODAY)
    with pytest.raises(DomainError, match="in the future"):
        services.answer_recommendation(first, actor=people["librarian"], note="Đã làm", done_on=D(2026, 7, 1),
                                       today=TODAY)
    db.session.rollback()
    services.answer_recommendation(first, actor=people["librarian"], note="Đã bổ sung sổ", done_on=D(2026, 4, 20),
                                   today=TODAY)
    db.session.commit()
    assert first.status == RecommendationStatus.DONE and first.on_time and first.answered_by_id == people["librarian"].id
    with pytest.raises(InvalidTransition):
        services.answer_recommendation(first, actor=people["librarian"], note="Lại", today=TODAY)
    db.session.rollback()
    # the second is overdue on 30 June; the Department sees it, so does the library, not the other one
    overdue = services.overdue_recommendations(actor=people["department"], today=TODAY)
    assert [r.id for r in overdue] == [second.id]
    assert [r.id for r in services.overdue_recommendations(actor=people["librarian"], today=TODAY)] == [second.id]
    assert services.overdue_recommendations(actor=people["other_librarian"], today=TODAY) == []
    assert services.overdue_recommendations(actor=people["department"], today=D(2026, 4, 30)) == []
    # a late answer is done, but not on time
    services.answer_recommendation(second, actor=people["librarian"], note="Đã lập", today=TODAY)
    db.session.commit()
    assert second.status == RecommendationStatus.DONE and not second.on_time


def test_the_department_reopens_an_answer_that_does_not_convince(network, people):
    rec = recommend(visit(network, people), people)
    services.answer_recommendation(rec, actor=people["librarian"], note="Đã làm", done_on=D(2026, 4, 1), today=TODAY)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.reopen_recommendation(rec, actor=people["librarian"], reason="Tự mở lại")
    with pytest.raises(DomainError, match="Say why"):
        services.reopen_recommendation(rec, actor=people["department"], reason="")
    services.reopen_recommendation(rec, actor=people["department"], reason="Chưa có sổ kèm theo")
    db.session.commit()
    assert rec.status == RecommendationStatus.OPEN and rec.done_on is None
    assert "Chưa có sổ kèm theo" in rec.answer_note
    assert [r.id for r in services.overdue_recommendations(today=TODAY)] == [rec.id]


def test_evidence_is_a_bounded_upload(app, network, people):
    rec = recommend(visit(network, people), people)
    pdf = FileStorage(io.BytesIO(b"%PDF-1.4\n" + b"0" * 100), filename="bien-ban.pdf")
    stored = uploads.store(pdf, "department", kinds=uploads.DOCUMENTS + uploads.IMAGES, max_bytes=5 * uploads.MB)
    services.answer_recommendation(rec, actor=people["librarian"], note="Biên bản kèm theo", evidence=stored,
                                   today=TODAY)
    db.session.commit()
    assert rec.evidence_original_name == "bien-ban.pdf" and rec.evidence_content_type == "application/pdf"
    assert uploads.path_of("department", rec.evidence_name).read_bytes().startswith(b"%PDF-")
    page = FileStorage(io.BytesIO(b"<html><script>alert(1)</script>"), filename="bien-ban.pdf")
    with pytest.raises(uploads.UploadError, match="not a PDF"):
        uploads.store(page, "department", kinds=uploads.DOCUMENTS + uploads.IMAGES, max_bytes=5 * uploads.MB)


def test_institution_staff_record_publicity_sessions_displays_and_exchanges_for_their_own(network, people):
    item = services.record_media_item(actor=people["librarian"], institution=network["district"], medium="radio",
                                      date=D(2026, 3, 8), title="Ngày hội đọc sách", made_by="Đài PT-TH tỉnh",
                                      link="https://laichau.gov.vn/tin/1", today=TODAY)
    assert item.medium.value == "radio"
    with pytest.raises(PermissionDenied):
        services.record_media_item(actor=people["librarian"], institution=network["other_district"], medium="press",
                                   date=D(2026, 3, 8), title="T", today=TODAY)
    with pytest.raises(DomainError, match="http"):
        services.record_media_item(actor=people["librarian"], institution=network["district"], medium="press",
                                   date=D(2026, 3, 8), title="T", link="javascript:alert(1)", today=TODAY)
    # the Department may record for any institution
    services.record_media_item(actor=people["department"], institution=network["museum"], medium="tv",
                               date=D(2026, 3, 9), title="Phóng sự", today=TODAY)
    with pytest.raises(PermissionDenied):
        services.record_exchange(actor=people["museum"], institution=network["district"], direction="made",
                                 date=D(2026, 3, 1), title="T", partners="Thư viện tỉnh Điện Biên", today=TODAY)
    with pytest.raises(DomainError, match="other institutions"):
        services.record_exchange(actor=people["librarian"], institution=network["district"], direction="made",
                                 date=D(2026, 3, 1), title="Học tập", partners=" \n ", today=TODAY)
    visit_made = services.record_exchange(actor=people["librarian"], institution=network["district"],
                                          direction="made", date=D(2026, 3, 1), title="Học tập mô hình",
                                          partners="Thư viện tỉnh Điện Biên\n\n Thư viện huyện Mường Chà ",
                                          out_of_province=True, participants=6, today=TODAY)
    assert visit_made.partner_list == ["Thư viện tỉnh Điện Biên", "Thư viện huyện Mường Chà"]
    programme = services.create_programme(actor=people["museum"], institution=network["museum"],
                                          title="Di sản trong trường học", start=D(2026, 1, 1), end=D(2026, 5, 31),
                                          agreement="73/HD-BGDĐT-BVHTTDL")
    assert programme.code == "CT-2026-001"
    with pytest.raises(DomainError, match="outside the programme"):
        services.record_session(programme, actor=people["museum"], school="Trường THCS Đoàn Kết", date=D(2026, 6, 2),
                                place="museum", students=40, today=TODAY)
    with pytest.raises(PermissionDenied):
        services.record_session(programme, actor=people["librarian"], school="Trường THCS Đoàn Kết",
                                date=D(2026, 3, 2), place="museum", students=40, today=TODAY)
    with pytest.raises(DomainError, match="below 1"):
        services.record_session(programme, actor=people["museum"], school="Trường THCS Đoàn Kết", date=D(2026, 3, 2),
                                place="museum", students=0, today=TODAY)
    first = services.record_session(programme, actor=people["museum"], school="Trường THCS Đoàn Kết",
                                    commune="Đoàn Kết", date=D(2026, 3, 2), place="museum", students=40, today=TODAY)
    again = services.record_session(programme, actor=people["museum"], school="trường thcs đoàn kết",
                                    date=D(2026, 4, 2), place="school", students=35, today=TODAY)
    assert first.school_id == again.school_id and first.school.commune == "Đoàn Kết"
    with pytest.raises(DomainError, match="belong to the museum"):
        services.create_display(actor=people["librarian"], institution=network["district"], kind="permanent",
                                title="T", code="TB-1")
    db.session.rollback()


def test_displays_take_the_museums_own_artifacts(network, people, factories):
    from ilms.events import services as events
    own = events.create_artifact(actor=SYSTEM, institution=network["museum"], code="BTLC.001", name="Khèn Mông",
                                 accessioned=D(2025, 1, 1))
    other_museum = factories.institution("BT2", kind="museum", name="Nhà trưng bày khác")
    foreign = events.create_artifact(actor=SYSTEM, institution=other_museum, code="BT2.001", name="Trống đồng",
                                     accessioned=D(2025, 1, 1))
    display = services.create_display(actor=people["museum"], institution=network["museum"], kind="outdoor",
                                      title="Không gian nhà sàn", code="TB-NT-01", opened_on=D(2025, 9, 2))
    services.add_display_artifact(display, actor=people["museum"], artifact="BTLC.001")
    with pytest.raises(DomainError, match="another institution"):
        services.add_display_artifact(display, actor=people["museum"], artifact=foreign)
    with pytest.raises(DomainError, match="No artifact"):
        services.add_display_artifact(display, actor=people["museum"], artifact="NOPE")
    section = services.add_section(display, actor=people["museum"], title="Nhà sàn Thái", planned_by=D(2026, 6, 30))
    services.complete_section(section, actor=people["museum"], on=D(2026, 5, 1), today=TODAY)
    services.add_section(display, actor=people["museum"], title="Nhà trình tường Hà Nhì")
    db.session.commit()
    assert [a.code for a in display.artifacts] == [own.code]
    assert display.completed_share(D(2026, 6, 30)) == 50.0 and display.completed_share(D(2026, 4, 30)) == 0.0
    with pytest.raises(PermissionDenied):
        services.add_section(display, actor=people["librarian"], title="X")


def test_school_sessions_for_the_edu_programme_share(network, people):
    museum_programme = services.create_programme(actor=SYSTEM, institution=network["museum"], title="Di sản",
                                                 start=D(2026, 1, 1))
    centre_programme = services.create_programme(actor=SYSTEM, institution=network["centre"], title="Văn nghệ",
                                                 start=D(2026, 1, 1))
    library_programme = services.create_programme(actor=SYSTEM, institution=network["district"], title="Tiết đọc",
                                                  start=D(2025, 9, 1))
    services.record_session(museum_programme, actor=SYSTEM, school="Trường A", date=D(2026, 2, 1), place="school",
                            students=30, today=TODAY)
    services.record_session(centre_programme, actor=SYSTEM, school="Trường B", date=D(2026, 2, 1), place="school",
                            students=30, today=TODAY)
    services.record_session(library_programme, actor=SYSTEM, school="Trường C", date=D(2025, 12, 1),
                            place="library", students=30, today=TODAY)
    db.session.commit()
    # the centre is neither the museum nor a library; the library's session was the year before
    assert services.institutions_with_school_sessions(Period.year(2026)) == {network["museum"].id}
    assert services.institutions_with_school_sessions(Period.year(2025)) == {network["district"].id}
    assert services.institutions_with_school_sessions(Period(D(2025, 12, 2), D(2026, 1, 31))) == set()
    assert services.institutions_with_school_sessions(Period(D(2025, 1, 1), D(2026, 12, 31)),
                                                      [network["district"].id]) == {network["district"].id}


def test_the_overdue_command_lists_open_recommendations_past_their_deadline(runner, network, people):
    inspection = visit(network, people, date=D(2025, 3, 10))
    recommend(inspection, people, deadline=D(2025, 4, 30), text="Bổ sung sổ đăng ký cá biệt")
    answered = recommend(inspection, people, deadline=D(2025, 4, 30), text="Sửa mái kho")
    services.answer_recommendation(answered, actor=SYSTEM, note="Đã sửa", done_on=D(2025, 4, 1), today=TODAY)
    db.session.commit()
    result = runner.invoke(args=["department", "overdue"])
    assert result.exit_code == 0, result.output
    assert "TVH-TD" in result.output and "Bổ sung sổ đăng ký cá biệt" in result.output
    assert "Sửa mái kho" not in result.output and result.output.strip().endswith("1 overdue")
