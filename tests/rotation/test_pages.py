"""The rotation pages as staff use them (in Vietnamese): packing by scanning, dispatch, receipt, the return check,
missing copies, the point's page and desk, and who may see what."""
import datetime as dt
import re

import pytest
from flask_babel import force_locale

from ilms.catalog.models import ItemStatus
from ilms.common.time import local_datetime, local_today, utcnow
from ilms.extensions import db
from ilms.rotation import services as rot
from ilms.rotation.models import CrateState, Outcome
from tests.conftest import csrf_token, login, post_form


@pytest.fixture(autouse=True)
def english():
    """Pages are read in Vietnamese here (overrides the English of the service tests)."""
    with force_locale("vi"):
        yield


def signed_in(app, user):
    client = app.test_client()
    login(client, user.username)
    return client


def test_packing_a_crate_by_scanning_without_javascript(app, net, copies):
    client = signed_in(app, net.staff)
    token = csrf_token(client, "/rotation/crates/new")
    response = client.post("/rotation/crates/new", data={"csrf_token": token, "institution": str(net.td.id),
                                                         "code": "", "theme": "children", "title": "Tủ sách thiếu nhi",
                                                         "note": ""})
    assert response.status_code == 302
    crate = rot.crate_by_code("TS-HTD-001")
    page = f"/rotation/crates/{crate.id}"
    items = copies(2)
    for item in items:
        scanned = post_form(client, f"{page}/pack", {"barcode": item.barcode}, page=page, follow_redirects=True)
        assert scanned.status_code == 200
    html = client.get(page).get_data(as_text=True)
    assert all(item.barcode in html for item in items)
    assert "Đang đóng thùng" in html and "<svg" in html               # state in Vietnamese, printed barcode
    refused = post_form(client, f"{page}/pack", {"barcode": items[0].barcode}, page=page, follow_redirects=True)
    assert "đã ở trong thùng này" in refused.get_data(as_text=True)


def test_the_scan_box_answers_in_json_for_the_script(app, net, copies):
    client = signed_in(app, net.staff)
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    db.session.commit()
    page = f"/rotation/crates/{crate.id}"
    (item,) = copies(1)
    token = csrf_token(client, page)
    answer = client.post(f"{page}/pack", data={"csrf_token": token, "barcode": item.barcode},
                         headers={"Accept": "application/json"}).get_json()
    assert answer["level"] == "ok" and answer["count"] == 1 and item.barcode in answer["html"]
    again = client.post(f"{page}/pack", data={"csrf_token": token, "barcode": "KHONGCO"},
                        headers={"Accept": "application/json"}).get_json()
    assert again["level"] == "error" and "KHONGCO" in again["message"]
    empty = client.post(f"{page}/pack", data={"csrf_token": token, "barcode": " "},
                        headers={"Accept": "application/json"}).get_json()
    assert empty["level"] == "error"


def test_dispatch_receipt_and_return_through_the_pages(app, net, packed):
    crate, items = packed(3)
    staff, point = signed_in(app, net.staff), signed_in(app, net.point_staff)
    page = f"/rotation/crates/{crate.id}"
    form = staff.get(f"{page}/dispatch").get_data(as_text=True)
    assert "Điểm Bưu điện văn hóa xã Bình Lư" in form
    due = (local_today() + dt.timedelta(days=60)).isoformat()
    response = post_form(staff, f"{page}/dispatch", {"point": str(net.bl.id), "due_back": due, "note": ""},
                         follow_redirects=True)
    assert "đang trên đường tới Điểm Bưu điện văn hóa xã Bình Lư" in response.get_data(as_text=True)
    db.session.refresh(crate)
    assert crate.state == CrateState.DISPATCHED
    # The point confirms on its own page.
    home = point.get("/rotation/", follow_redirects=True).get_data(as_text=True)
    assert "Thùng sách đang trên đường tới" in home and crate.code in home
    post_form(point, f"{page}/receive", {"next": f"/rotation/points/{net.bl.id}"}, page=f"/rotation/points/{net.bl.id}")
    db.session.refresh(crate)
    assert crate.state == CrateState.RECEIVED
    # Back at the library: two copies scanned, then finish; the third is missing.
    check = f"{page}/return"
    assert staff.get(check).status_code == 200
    for item in items[:2]:
        post_form(staff, f"{check}/scan", {"barcode": item.barcode}, page=check)
    listed = staff.get(check).get_data(as_text=True)
    assert "Đã quét 2 trên 3" in listed
    done = post_form(staff, f"{check}/finish", {"note": ""}, page=check, follow_redirects=True)
    assert "1 bản báo thiếu" in done.get_data(as_text=True)
    db.session.refresh(crate)
    assert crate.state == CrateState.RETURNED and items[2].status == ItemStatus.MISSING
    # Settle the missing copy from the missing copies page: found.
    trip = rot.last_dispatch(crate)
    line = next(line for line in trip.lines if line.outcome == Outcome.MISSING)
    missing_page = staff.get("/rotation/missing").get_data(as_text=True)
    assert items[2].barcode in missing_page
    post_form(staff, f"/rotation/missing/{line.id}", {"resolution": "found", "into_crate": "y"},
              page="/rotation/missing")
    db.session.refresh(items[2])
    assert items[2].status == ItemStatus.AVAILABLE
    settled = staff.get("/rotation/missing").get_data(as_text=True)
    assert f"({items[2].barcode}): Đã tìm thấy." in settled and "Không có sách thất lạc." in settled


def test_printed_slip_and_checklist(app, net, packed):
    crate, items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, due_back=dt.date(2024, 6, 4),
                 at=local_datetime(dt.date(2024, 3, 4), dt.time(9)))
    db.session.commit()
    client = signed_in(app, net.staff)
    slip = client.get(f"/rotation/crates/{crate.id}/slip").get_data(as_text=True)
    checklist = client.get(f"/rotation/crates/{crate.id}/checklist").get_data(as_text=True)
    for html in (slip, checklist):
        assert crate.code in html and "<svg" in html and "Điểm Bưu điện văn hóa xã Bình Lư" in html
        assert all(item.barcode in html for item in items) and "04/06/2024" in html


def test_staff_see_and_change_only_their_own_crates_and_points(app, net, packed):
    crate, _items = packed(1)
    other = signed_in(app, net.staff_pt)
    page = f"/rotation/crates/{crate.id}"
    assert other.get(page).status_code == 403
    assert post_form(other, f"{page}/pack", {"barcode": "X"}, page="/rotation/").status_code == 403
    assert other.get(f"/rotation/points/{net.bl.id}").status_code == 403
    assert crate.code not in other.get("/rotation/crates").get_data(as_text=True)
    # A point's staff see a crate while it is at (or coming to) their point, and never change it.
    point = signed_in(app, net.point_staff)
    assert point.get(page).status_code == 403
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=utcnow())
    db.session.commit()
    assert point.get(page).status_code == 200
    assert post_form(point, f"{page}/cancel", {}, page=f"/rotation/points/{net.bl.id}").status_code == 403
    assert point.get(f"/rotation/points/{net.bb.id}").status_code == 403
    desk = signed_in(app, net.desk)
    assert desk.get("/rotation/").status_code == 403


def test_the_point_page_lends_takes_back_and_keeps_tallies(app, net, packed, reader):
    crate, items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=utcnow())
    db.session.commit()
    patron = reader()
    client = signed_in(app, net.point_staff)
    page = f"/rotation/points/{net.bl.id}"
    lent = post_form(client, f"{page}/lend", {"card": patron.barcode, "barcode": items[0].barcode},
                     follow_redirects=True).get_data(as_text=True)
    assert "Đã cho mượn" in lent and patron.name in lent
    refused = post_form(client, f"{page}/lend", {"card": "BDKHONGCO", "barcode": items[1].barcode}).get_data(
        as_text=True)
    assert "BDKHONGCO" in refused                                   # the reason next to the form, not a 500
    back = post_form(client, f"{page}/back", {"barcode": items[0].barcode}, follow_redirects=True)
    assert "thùng sách luân chuyển" in back.get_data(as_text=True)
    db.session.refresh(items[0])
    assert items[0].status == ItemStatus.IN_ROTATION
    today = local_today().isoformat()
    post_form(client, f"{page}/tally", {"date": today, "kind": "visits", "count": "9", "note": "buổi chiều"})
    html = client.get(page).get_data(as_text=True)
    assert re.search(r">\s*9\s*<", html)
    visit = post_form(client, f"{page}/visit", {"card": patron.barcode}, follow_redirects=True)
    assert patron.name in visit.get_data(as_text=True)


def test_dashboard_copy_history_and_where_every_copy_is(app, net, packed):
    crate, items = packed(2)
    rot.set_route(crate, [(net.bl, 3), (net.bb, 3)], actor=net.staff)
    rot.dispatch(crate, point=net.bl, actor=net.staff, due_back=dt.date(2024, 1, 31),
                 at=local_datetime(dt.date(2024, 1, 2), dt.time(9)))
    db.session.commit()
    client = signed_in(app, net.staff)
    html = client.get("/rotation/").get_data(as_text=True)
    assert crate.code in html and "31/01/2024" in html                        # overdue, listed first
    assert "Điểm Bưu điện văn hóa xã Bản Bo" in html                          # then on to the next stop
    copy_page = client.get(f"/rotation/copies/{items[0].id}").get_data(as_text=True)
    assert "Điểm Bưu điện văn hóa xã Bình Lư" in copy_page
    title_page = client.get(f"/rotation/titles/{items[0].record_id}").get_data(as_text=True)
    assert "Điểm Bưu điện văn hóa xã Bình Lư" in title_page and items[0].barcode in title_page
    assert client.get(f"/rotation/find?q={crate.code}").headers["Location"].endswith(f"/rotation/crates/{crate.id}")
    assert client.get(f"/rotation/find?q={items[0].barcode}").headers["Location"].endswith(
        f"/rotation/copies/{items[0].id}")


def test_bad_input_on_forms_is_shown_not_a_500(app, net, packed):
    crate, _items = packed(1)
    client = signed_in(app, net.staff)
    page = f"/rotation/crates/{crate.id}/dispatch"
    response = post_form(client, page, {"point": str(net.bl.id), "due_back": "2020-01-01"})
    assert response.status_code == 200 and "phải sau ngày gửi" in response.get_data(as_text=True)
    response = post_form(client, page, {"point": str(net.td.id), "due_back": "2030-01-01"})
    assert response.status_code == 200
    route = post_form(client, f"/rotation/crates/{crate.id}/route",
                      {"stops-0-point": str(net.bl.id), "stops-0-months": "40"})
    assert route.status_code == 200
    assert client.get("/rotation/crates/999999").status_code == 404
    assert client.get(f"/rotation/crates/{crate.id}/checklist").status_code == 404


def test_start_page_panels_for_library_and_point_staff(app, net, packed):
    crate, _items = packed(1)
    rot.dispatch(crate, point=net.bl, actor=net.staff, due_back=dt.date(2024, 2, 1),
                 at=local_datetime(dt.date(2024, 1, 2), dt.time(9)))
    db.session.commit()
    library = signed_in(app, net.staff).get("/").get_data(as_text=True)
    assert 'data-testid="rotation-panel"' in library and "Mở trang luân chuyển sách" in library
    point = signed_in(app, net.point_staff).get("/").get_data(as_text=True)
    assert "Mở trang của điểm" in point and f"/rotation/points/{net.bl.id}" in point


def test_overdue_command_lists_late_crates(app, net, packed, runner):
    assert runner.invoke(args=["rotation", "overdue"]).exit_code == 0
    crate, _items = packed(1)
    rot.dispatch(crate, point=net.bl, actor=net.staff, due_back=dt.date(2024, 2, 1),
                 at=local_datetime(dt.date(2024, 1, 2), dt.time(9)))
    db.session.commit()
    result = runner.invoke(args=["rotation", "overdue"])
    assert result.exit_code == 1
    assert result.output.startswith(f"{crate.code}\tTVH-TD\tBD-TD-BL\t01/02/2024\t")
