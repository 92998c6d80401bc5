"""The follow-up pages: the Department writes, the inspected library answers with evidence, others see nothing."""
import datetime as dt
import io
import re

import sqlalchemy as sa

from ilms.common.time import local_today
from ilms.department.models import FundingReceipt, Inspection, MediaItem, RecommendationStatus
from ilms.extensions import db
from tests.conftest import login, post_form

D = dt.date


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def record_visit(app, network):
    department = signed_in(app, "so.vhttdl")
    today = local_today()
    visit_day = today - dt.timedelta(days=40)
    response = post_form(department, "/department/inspections/new", data={
        "institution": network["district"].id, "kind": "check", "date": visit_day.isoformat(),
        "inspectors": "Đoàn kiểm tra Sở VHTTDL", "scope": "Luân chuyển sách", "findings": "Kho sách ẩm"})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    inspection = db.session.scalar(sa.select(Inspection))
    page = f"/department/inspections/{inspection.id}"
    for text, deadline in (("Chống ẩm kho sách", today + dt.timedelta(days=10)),
                           ("Lập sổ đăng ký cá biệt", today - dt.timedelta(days=5))):
        response = post_form(department, f"{page}/recommendations", page=page, data={
            "text": text, "responsible": "Lò Thị Mai", "deadline": deadline.isoformat()})
        assert response.status_code == 302
    return department, inspection


def test_the_department_records_and_the_library_answers_with_evidence(app, network, people):
    department, inspection = record_visit(app, network)
    page = f"/department/inspections/{inspection.id}"
    first, second = inspection.recommendations
    # a deadline before the visit comes back on the form, nothing stored
    response = post_form(department, f"{page}/recommendations", page=page, data={
        "text": "X", "responsible": "Y", "deadline": (inspection.date - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "trước ngày kiểm tra" in response.get_data(as_text=True)
    assert len(inspection.recommendations) == 2

    library = signed_in(app, "tv.tamduong")
    home = library.get("/").get_data(as_text=True)
    assert 'data-testid="overdue-recommendation"' in home and "Lập sổ đăng ký cá biệt" in home
    answer = f"/department/recommendations/{first.id}/answer"
    # a web page renamed .pdf is refused, the recommendation stays open
    response = post_form(library, answer, page=page, content_type="multipart/form-data", data={
        f"r{first.id}-note": "Đã lắp máy hút ẩm",
        f"r{first.id}-file": (io.BytesIO(b"<html>hi</html>"), "bien-ban.pdf")})
    assert response.status_code == 400 and "không phải tệp PDF" in response.get_data(as_text=True)
    db.session.expire_all()
    assert first.status == RecommendationStatus.OPEN
    response = post_form(library, answer, page=page, content_type="multipart/form-data", data={
        f"r{first.id}-note": "Đã lắp máy hút ẩm",
        f"r{first.id}-file": (io.BytesIO(b"%PDF-1.4 bien ban"), "bien-ban.pdf")})
    assert response.status_code == 302
    db.session.expire_all()
    assert first.status == RecommendationStatus.DONE and first.done_on == local_today() and first.on_time
    evidence = library.get(f"/department/recommendations/{first.id}/evidence")
    assert evidence.status_code == 200 and evidence.data.startswith(b"%PDF-")
    assert evidence.headers["Content-Type"] == "application/pdf"
    # the Department sees the answer and the overdue one
    body = department.get(page).get_data(as_text=True)
    assert "Đã lắp máy hút ẩm" in body and 'data-testid="evidence"' in body
    overdue = department.get("/department/overdue").get_data(as_text=True)
    assert "Lập sổ đăng ký cá biệt" in overdue and "Chống ẩm kho sách" not in overdue
    assert second.status == RecommendationStatus.OPEN


def test_other_institutions_and_roles_are_kept_out(app, network, people):
    _department, inspection = record_visit(app, network)
    rec = inspection.recommendations[0]
    page = f"/department/inspections/{inspection.id}"
    other = signed_in(app, "tv.phongtho")
    assert other.get(page).status_code == 404
    assert other.get(f"/department/recommendations/{rec.id}/evidence").status_code == 404
    response = post_form(other, f"/department/recommendations/{rec.id}/answer", page="/department/",
                         data={f"r{rec.id}-note": "Không phải của tôi"})
    assert response.status_code == 404
    assert "Chống ẩm" not in other.get("/department/").get_data(as_text=True)
    assert "Chống ẩm" not in other.get("/").get_data(as_text=True)
    # the library cannot record an inspection or funding; the Department cannot answer for the library
    library = signed_in(app, "tv.tamduong")
    assert library.get("/department/inspections/new").status_code == 403
    assert library.get("/department/funding/new").status_code == 403
    department = signed_in(app, "so.vhttdl")
    response = post_form(department, f"/department/recommendations/{rec.id}/answer", page="/department/",
                         data={f"r{rec.id}-note": "Sở trả lời thay"})
    assert response.status_code == 403
    desk = signed_in(app, "quay.tamduong")
    assert desk.get("/department/").status_code == 403
    db.session.expire_all()
    assert rec.status == RecommendationStatus.OPEN


def test_publicity_funding_and_exchange_forms(app, network, people):
    library = signed_in(app, "tv.tamduong")
    day = (local_today() - dt.timedelta(days=3)).isoformat()
    # the library may only choose itself (and the units under it)
    form = library.get("/department/media/new").get_data(as_text=True)
    assert "Thư viện huyện Tam Đường" in form and "Thư viện huyện Phong Thổ" not in form
    response = post_form(library, "/department/media/new", content_type="multipart/form-data", data={
        "institution": network["district"].id, "medium": "press", "date": day, "title": "Ngày hội đọc sách",
        "made_by": "Báo Lai Châu", "link": "https://baolaichau.vn/1",
        "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 50), "bao.png")})
    assert response.status_code == 302
    item = db.session.scalar(sa.select(MediaItem))
    assert item.scan_content_type == "image/png"
    assert library.get(f"/department/media/{item.id}/scan").status_code == 200
    response = post_form(library, "/department/media/new", data={
        "institution": network["other_district"].id, "medium": "press", "date": day, "title": "Không phải của tôi"})
    assert response.status_code == 400
    response = post_form(library, "/department/exchanges/new", data={
        "institution": network["district"].id, "direction": "made", "date": day, "title": "Học tập",
        "partners": "Thư viện tỉnh Lào Cai", "out_of_province": "y", "participants": "4"})
    assert response.status_code == 302
    department = signed_in(app, "so.vhttdl")
    response = post_form(department, "/department/funding/new", data={
        "institution": network["museum"].id, "source": "socialisation", "date": day, "amount": "25000000",
        "purpose": "Trưng bày ngoài trời", "donor": "Công ty Thủy điện"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(FundingReceipt.amount)) == 25_000_000
    overview = department.get(f"/department/?year={local_today().year}").get_data(as_text=True)
    assert "Ngày hội đọc sách" in overview and "25.000.000" in overview and "Thư viện tỉnh Lào Cai" in overview


def test_programme_and_display_pages(app, network, people):
    museum = signed_in(app, "bt.canbo")
    day = (local_today() - dt.timedelta(days=3)).isoformat()
    response = post_form(museum, "/department/programmes/new", data={
        "institution": network["museum"].id, "title": "Di sản trong trường học", "agreement": "73/HD-BGDĐT-BVHTTDL",
        "start": (local_today() - dt.timedelta(days=30)).isoformat()})
    assert response.status_code == 302
    programme_page = response.headers["Location"]
    response = post_form(museum, programme_page, data={"school": "Trường THCS Đoàn Kết", "commune": "Đoàn Kết",
                                                       "date": day, "place": "museum", "students": "42"})
    assert response.status_code == 302
    assert "Trường THCS Đoàn Kết" in museum.get(programme_page).get_data(as_text=True)
    response = post_form(museum, "/department/displays/new", data={
        "institution": network["museum"].id, "kind": "outdoor", "code": "TB-NT-01", "title": "Không gian nhà sàn",
        "opened_on": day})
    assert response.status_code == 302
    display_page = response.headers["Location"]
    display_id = int(re.search(r"/displays/(\d+)", display_page).group(1))
    response = post_form(museum, f"/department/displays/{display_id}/sections", page=display_page,
                         data={"title": "Nhà sàn Thái"})
    assert response.status_code == 302
    section_id = int(re.search(r"/sections/(\d+)/complete", museum.get(display_page).get_data(as_text=True)).group(1))
    response = post_form(museum, f"/department/displays/{display_id}/sections/{section_id}/complete",
                         page=display_page, data={"completed_on": day})
    assert response.status_code == 302
    assert "100 %" in museum.get(display_page).get_data(as_text=True)
    response = post_form(museum, f"/department/displays/{display_id}/artifacts", page=display_page,
                         data={"code": "KHONG-CO"})
    assert response.status_code == 400
