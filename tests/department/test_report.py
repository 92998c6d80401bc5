"""The report paragraphs drafted from the records, in Vietnamese through the translation machinery."""
import datetime as dt

from flask_babel import force_locale

from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.department import services
from ilms.department.report import department_sections
from ilms.extensions import db
from tests.conftest import login

D = dt.date
H1 = Period.half_year(2026)
TODAY = D(2026, 12, 31)


def fill(network):
    district, museum, other = network["district"], network["museum"], network["other_district"]
    for n in range(24):
        medium = "press" if n < 10 else "radio" if n < 15 else "website"
        services.record_media_item(actor=SYSTEM, institution=district if n % 2 else museum, medium=medium,
                                   date=D(2026, 1 + n % 6, 5), title=f"Tin {n}", today=TODAY)
    services.record_media_item(actor=SYSTEM, institution=other, medium="tv", date=D(2026, 7, 1), title="Sau kỳ",
                               today=TODAY)
    services.record_funding(actor=SYSTEM, institution=district, date=D(2026, 2, 1), source="state_budget",
                            amount=150_000_000, purpose="Sách", today=TODAY)
    services.record_funding(actor=SYSTEM, institution=museum, date=D(2026, 3, 1), source="socialisation",
                            amount=50_000_000, purpose="Trưng bày", today=TODAY)
    visit = services.record_inspection(actor=SYSTEM, institution=district, kind="check", date=D(2026, 3, 2),
                                       inspectors="Sở VHTTDL", today=TODAY)
    done = services.add_recommendation(visit, actor=SYSTEM, text="A", responsible="X", deadline=D(2026, 4, 1))
    services.add_recommendation(visit, actor=SYSTEM, text="B", responsible="X", deadline=D(2026, 5, 1))
    services.answer_recommendation(done, actor=SYSTEM, note="Xong", done_on=D(2026, 3, 30), today=TODAY)
    programme = services.create_programme(actor=SYSTEM, institution=museum, title="Di sản", start=D(2026, 1, 1))
    for school, students in (("Trường A", 40), ("Trường B", 35), ("Trường A", 38)):
        services.record_session(programme, actor=SYSTEM, school=school, date=D(2026, 4, 2), place="school",
                                students=students, today=TODAY)
    display = services.create_display(actor=SYSTEM, institution=museum, kind="permanent", code="TB-1",
                                      title="Trưng bày cố định", opened_on=D(2025, 1, 1))
    services.add_section(display, actor=SYSTEM, title="1", completed_on=D(2025, 1, 1))
    services.add_section(display, actor=SYSTEM, title="2", completed_on=D(2026, 8, 1))
    services.add_section(display, actor=SYSTEM, title="3")
    services.add_section(display, actor=SYSTEM, title="4", completed_on=D(2026, 6, 30))
    services.record_exchange(actor=SYSTEM, institution=district, direction="made", date=D(2026, 5, 5),
                             out_of_province=True, title="Học tập", partners="Thư viện tỉnh Lào Cai", today=TODAY)
    services.record_exchange(actor=SYSTEM, institution=museum, direction="received", date=D(2026, 6, 5),
                             title="Đón đoàn", partners="Bảo tàng Điện Biên", today=TODAY)
    db.session.commit()


def test_each_paragraph_is_drafted_from_the_records_in_vietnamese(network):
    fill(network)
    with force_locale("vi"):
        sections = {s["key"]: s for s in department_sections(H1)}
    assert sections["media"]["heading"] == "Công tác tuyên truyền"
    assert sections["media"]["text"] == ("Công tác tuyên truyền: 24 tin, bài về học tập suốt đời "
                                         "(10 bài báo in; 5 chương trình phát thanh; 9 tin trên cổng thông tin).")
    assert ["Bài báo in", "10"] in sections["media"]["rows"]
    assert sections["funding"]["text"] == ("Kinh phí: huy động 200.000.000 đồng, trong đó ngân sách nhà nước "
                                           "150.000.000, xã hội hóa 50.000.000 (25%), nguồn hợp pháp khác 0.")
    assert sections["inspections"]["text"] == (
        "Công tác thanh tra, kiểm tra, giám sát: 1 cuộc tại 1 đơn vị; đưa ra 2 kiến nghị, trong đó 1 đã thực hiện "
        "đúng hạn, 0 thực hiện chậm và 1 chưa thực hiện (1 đã quá hạn).")
    assert sections["schools"]["text"] == (
        "Đưa di sản, thư viện vào dạy học: tổ chức 3 buổi với 2 trường và 113 học sinh, theo các chương trình "
        "phối hợp với Sở Giáo dục và Đào tạo.")
    # sections completed by 30 June: 1 and 4 of 4
    assert sections["displays"]["text"] == ("Hệ thống trưng bày cố định, ngoài trời: 1 hệ thống trưng bày đang mở "
                                            "cửa, đã hoàn thành 2/4 phần theo kế hoạch (50%).")
    assert sections["exchanges"]["text"] == ("Học tập, trao đổi kinh nghiệm: 2 cuộc (1 đoàn đi, 1 đoàn đến; "
                                             "1 ngoài tỉnh).")
    assert [row[1] for row in sections["exchanges"]["rows"]] == ["Thư viện huyện Tam Đường", "Bảo tàng tỉnh Lai Châu"]


def test_paragraphs_follow_the_institutions_chosen_and_say_when_there_is_nothing(network):
    fill(network)
    with force_locale("vi"):
        sections = {s["key"]: s for s in department_sections(H1, [network["other_district"].id])}
    assert sections["media"]["text"] == "Công tác tuyên truyền: chưa ghi nhận tin, bài nào trong kỳ."
    assert sections["funding"]["text"] == "Kinh phí: chưa ghi nhận khoản kinh phí nào trong kỳ."
    assert sections["inspections"]["rows"] == []
    with force_locale("en"):
        sections = {s["key"]: s for s in department_sections(Period.year(2026), [network["other_district"].id])}
    assert sections["media"]["text"] == "Publicity: 1 news item or article about lifelong learning (1 tv segment)."


def test_the_report_page_shows_the_paragraphs_in_a_block_of_their_own(app, network, factories):
    from ilms.stats import services as stats
    from tests.stats.test_agreement import TEST_PLAN
    fill(network)
    plan = stats.load_plan(TEST_PLAN.read_text(encoding="utf-8").replace("2021", "2026").replace("2025", "2030"))
    factories.user("giamdoc.so", role="manager")
    db.session.commit()
    client = app.test_client()
    login(client, "giamdoc.so")
    page = client.get(f"/stats/reports/{plan.id}/half_year/2026?scope=province")
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:500]
    assert 'data-testid="department-sections"' in body
    assert "Công tác tuyên truyền: 24 tin, bài về học tập suốt đời" in body
