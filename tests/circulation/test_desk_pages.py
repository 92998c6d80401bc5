"""The desk through HTTP: plain forms without JavaScript, the JSON answers the script uses, every page, privacy."""
import datetime as dt
import re

import pytest

from ilms.catalog.models import ItemStatus
from ilms.circulation import services as circ
from ilms.circulation.models import Loan, Tally, Visit
from ilms.common.time import local_today
from ilms.extensions import db
from tests.conftest import csrf_from, login, post_form

JSON = {"Accept": "application/json"}


def scan(client, code, mode="checkout", reader="", json=True):
    token = csrf_from(client.get(f"/circulation/desk?mode={mode}").get_data(as_text=True))
    return client.post("/circulation/desk/scan", data={"csrf_token": token, "code": code, "mode": mode,
                                                       "reader": reader}, headers=JSON if json else {})


@pytest.fixture
def desk(app, net):
    client = app.test_client()
    login(client, "desk.tvt")
    return client


def test_without_javascript_each_scan_is_a_form_and_the_answer_shows_after_the_redirect(desk, net, reader, copy):
    patron, item = reader(name="Lò Thị Đào"), copy(title="Truyện Kiều")
    response = scan(desk, patron.barcode, json=False)
    assert response.status_code == 303 and f"reader={patron.id}" in response.headers["Location"]
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lò Thị Đào" in page and "level-ok" in page
    response = scan(desk, item.barcode.lower(), reader=str(patron.id), json=False)
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã cho mượn" in page and "Truyện Kiều" in page and item.barcode in page
    assert item.status == ItemStatus.ON_LOAN


def test_json_answers_carry_the_result_and_the_new_panel(desk, net, reader, copy):
    patron, item = reader(name="Giàng A Páo"), copy(title="Sổ tay nhà nông")
    data = scan(desk, patron.barcode).get_json()
    assert data["level"] == "ok" and data["reader_id"] == patron.id and "Giàng A Páo" in data["panel_html"]
    data = scan(desk, item.barcode, reader=str(patron.id)).get_json()
    assert data["level"] == "ok" and data["code"] == "checkout"
    assert item.barcode in data["panel_html"] and "Sổ tay nhà nông" in data["result_html"]
    again = scan(desk, item.barcode, reader=str(patron.id)).get_json()
    assert again["level"] == "error" and again["code"] == "already_yours"
    assert "level-error" in again["result_html"]


def test_scanning_a_copy_before_a_card_and_unknown_codes_are_explained(desk, net, copy):
    item = copy()
    data = scan(desk, item.barcode).get_json()
    assert data["level"] == "error" and data["code"] == "no_reader" and "thẻ bạn đọc" in data["message"]
    data = scan(desk, "KHONGCO999").get_json()
    assert data["level"] == "error" and "KHONGCO999" in data["message"]
    data = scan(desk, "   ").get_json()
    assert data["level"] == "error" and data["code"] == "empty"


def test_a_replaced_card_is_explained_at_the_desk(desk, net, reader):
    from ilms.patrons import services as patrons
    patron = reader()
    old = patron.barcode
    patrons.replace_card(patron, actor=net.desk_tvt)
    db.session.commit()
    data = scan(desk, old).get_json()
    assert data["level"] == "error" and data["code"] == "replaced_card" and "thẻ mới" in data["message"]
    data = scan(desk, old, mode="visit").get_json()
    assert data["level"] == "error" and data["code"] == "replaced_card"


def test_return_mode_says_what_to_do_next(desk, net, reader, copy):
    patron, ours, theirs = reader(), copy(title="Sách của tỉnh"), copy(net.td, title="Sách của huyện")
    circ.checkout(patron, ours, institution=net.tvt, actor=net.desk_tvt)
    circ.checkout(patron, theirs, institution=net.td, actor=net.desk_td)
    db.session.commit()
    data = scan(desk, ours.barcode, mode="return").get_json()
    assert data["action"] == "shelve" and data["level"] == "ok" and "Xếp" in data["instruction"]
    data = scan(desk, theirs.barcode, mode="return").get_json()
    assert data["action"] == "transit_owner" and net.td.name in data["instruction"]
    assert data["level"] == "warn"
    assert "Sách của tỉnh" in data["panel_html"] and "Sách của huyện" in data["panel_html"]
    data = scan(desk, ours.barcode, mode="return").get_json()          # scanned again: nothing to close
    assert data["code"] == "return" and data["action"] == "shelve" and len(data["details"]) == 1


def test_a_card_scanned_in_return_mode_opens_the_reader(desk, net, reader):
    patron = reader()
    data = scan(desk, patron.barcode, mode="return").get_json()
    assert data["redirect"].endswith(f"mode=checkout&reader={patron.id}")


def test_renew_mode_and_the_renew_button(desk, net, reader, copy):
    patron, item = reader(), copy()
    loan = circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt,
                         at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10))
    db.session.commit()
    old_due = loan.due_date
    data = scan(desk, item.barcode, mode="renew").get_json()
    assert data["level"] == "ok" and data["code"] == "renew"
    db.session.refresh(loan)
    assert loan.due_date > old_due and loan.renewals == 1
    token = csrf_from(desk.get(f"/circulation/desk?reader={patron.id}").get_data(as_text=True))
    data = desk.post(f"/circulation/loans/{loan.id}/renew", data={"csrf_token": token, "reader": patron.id,
                                                                  "mode": "checkout"}, headers=JSON).get_json()
    assert data["level"] == "ok" and "Đã gia hạn" in data["message"] and data["reader_id"] == patron.id
    data = scan(desk, item.barcode, mode="renew").get_json()          # the default rule allows two renewals
    assert data["level"] == "error" and data["code"] == "max_renewals" and "đủ mức tối đa" in data["message"]
    db.session.refresh(loan)
    assert loan.renewals == 2


def test_undo_a_loan_from_the_desk(desk, net, reader, copy):
    patron, item = reader(), copy()
    scan(desk, patron.barcode)
    scan(desk, item.barcode, reader=str(patron.id))
    loan = db.session.scalar(db.select(Loan).where(Loan.item_id == item.id))
    page = desk.get(f"/circulation/desk?reader={patron.id}").get_data(as_text=True)
    assert f"/circulation/loans/{loan.id}/undo" in page
    data = desk.post(f"/circulation/loans/{loan.id}/undo", data={"csrf_token": csrf_from(page), "reader": patron.id},
                     headers=JSON).get_json()
    assert data["level"] == "ok"
    db.session.refresh(loan)
    assert loan.voided_at is not None and item.status == ItemStatus.AVAILABLE


def test_visit_mode_counts_a_reader_once_a_day(desk, net, reader):
    patron = reader(name="Tẩn Láo Sành")
    first = scan(desk, patron.barcode, mode="visit").get_json()
    second = scan(desk, patron.barcode, mode="visit").get_json()
    assert first["code"] == "visit" and "Tẩn Láo Sành" in first["message"]
    assert second["code"] == "visit_again"
    assert db.session.scalar(db.select(db.func.count()).select_from(Visit)) == 1
    assert "Tẩn Láo Sành" in first["panel_html"]


def test_tally_form_adds_and_deletes_entries(desk, net):
    today = local_today().isoformat()
    response = post_form(desk, "/circulation/visits", {"date": today, "kind": "visits", "count": "12",
                                                        "note": "lần đếm thứ nhất"})
    assert response.status_code == 302
    post_form(desk, "/circulation/visits", {"date": today, "kind": "visits", "count": "8"})
    page = desk.get("/circulation/visits").get_data(as_text=True)
    assert "lần đếm thứ nhất" in page and ">20<" in page
    bad = post_form(desk, "/circulation/visits", {"date": "2999-01-01", "kind": "visits", "count": "3"})
    assert bad.status_code == 200 and "chưa đến" in bad.get_data(as_text=True)
    tally_id = db.session.scalar(db.select(Tally.id).where(Tally.note == "lần đếm thứ nhất"))
    assert f"/circulation/tallies/{tally_id}/delete" in page
    post_form(desk, f"/circulation/tallies/{tally_id}/delete", {}, page="/circulation/visits")
    assert "lần đếm thứ nhất" not in desk.get("/circulation/visits").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/circulation/desk", "/circulation/desk?mode=return", "/circulation/desk?mode=renew",
                                  "/circulation/desk?mode=visit", "/circulation/holds", "/circulation/holds/new",
                                  "/circulation/transits", "/circulation/visits", "/circulation/overdues",
                                  "/circulation/overdues/letters", "/circulation/rules", "/readers/", "/readers/new",
                                  "/"])
def test_every_desk_page_opens(app, net, reader, copy, path):
    patron = reader()
    item = copy()
    circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt,
                  at=dt.datetime(2024, 1, 2, 3, tzinfo=dt.timezone.utc))
    circ.place_hold(reader(), item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt)
    db.session.commit()
    client = app.test_client()
    login(client, "lib.tvt")
    response = client.get(path)
    assert response.status_code == 200, path


def test_overdue_list_and_letters(app, net, reader, copy):
    patron = reader(name="Vàng Thị Mai", address="bản Nà Khum, xã Bình Lư", phone="0912345678")
    item = copy(title="Kỹ thuật trồng chè")
    circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt,
                  at=dt.datetime(2024, 1, 2, 3, tzinfo=dt.timezone.utc))
    db.session.commit()
    client = app.test_client()
    login(client, "desk.tvt")
    page = client.get("/circulation/overdues").get_data(as_text=True)
    assert "Vàng Thị Mai" in page and "Kỹ thuật trồng chè" in page and "0912345678" in page
    letters = client.get("/circulation/overdues/letters").get_data(as_text=True)
    assert "bản Nà Khum" in letters and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in letters
    post_form(client, "/circulation/overdues/reminded", {"loan": str(item.id and circ.open_loan_of(item).id)},
              page="/circulation/overdues")
    assert circ.open_loan_of(item).reminders_sent == 1


def test_another_librarys_desk_sees_only_what_it_needs(app, net, reader, copy):
    """A reader of Tam Đường at the provincial desk: name, card, blocks, loans here; no address or phone."""
    patron = reader(net.td, name="Lò Văn Tiến", address="bản Hon, xã Bản Bo", phone="0988111222", birth_year=1990)
    there = copy(net.td, title="Sách mượn ở huyện")
    circ.checkout(patron, there, institution=net.td, actor=net.desk_td)
    db.session.commit()
    client = app.test_client()
    login(client, "desk.tvt")
    data = scan(client, patron.barcode).get_json()
    panel = data["panel_html"]
    assert "Lò Văn Tiến" in panel and patron.barcode in panel
    assert "0988111222" not in panel and "bản Hon" not in panel and "1990" not in panel
    assert "Sách mượn ở huyện" not in panel          # a loan of another desk
    page = client.get(f"/readers/{patron.id}").get_data(as_text=True)
    assert "Lò Văn Tiến" in page and "0988111222" not in page and "bản Hon" not in page
    assert "Sách mượn ở huyện" not in page
    assert client.get(f"/readers/{patron.id}/edit").status_code == 403
    assert client.get(f"/readers/{patron.id}/card").status_code == 403
    assert "Lò Văn Tiến" not in client.get("/readers/?q=tien").get_data(as_text=True)
    refused = post_form(client, f"/readers/{patron.id}/blocks", {"kind": "manual", "reason": "x"},
                        page=f"/readers/{patron.id}")
    assert refused.status_code == 403 and not patron.blocks
    # Its own library sees everything.
    home = app.test_client()
    login(home, "desk.td")
    page = home.get(f"/readers/{patron.id}").get_data(as_text=True)
    assert "0988111222" in page and "bản Hon" in page and "Sách mượn ở huyện" in page
    assert home.get("/readers/?q=lo van tien").headers["Location"] == f"/readers/{patron.id}"


def test_desk_staff_cannot_work_another_librarys_desk(app, net):
    client = app.test_client()
    login(client, "desk.tvt")
    response = post_form(client, "/circulation/desk/institution", {"institution": str(net.td.id)},
                         page="/circulation/desk")
    assert response.status_code == 403


def test_register_edit_and_print_a_reader(app, net):
    client = app.test_client()
    login(client, "desk.tvt")
    response = post_form(client, "/readers/new", {
        "name": "  Lý  Thị Xé ", "category": "student", "ethnicity": "35", "sex": "F", "birth_year": "2008",
        "address": "bản Nậm Cha", "phone": "", "institution": str(net.tvt.id), "barcode": "", "card_issued": "",
        "card_expires": "", "note": ""})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lý Thị Xé" in page and "Hà Nhì" in page and "BDTVT000001" in page
    patron_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    card = client.get(f"/readers/{patron_id}/card").get_data(as_text=True)
    assert "<svg" in card and "BDTVT000001" in card
    found = client.get("/readers/?q=ly thi xe")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/readers/{patron_id}")
    bad = post_form(client, "/readers/new", {"name": "Người thứ hai", "category": "adult", "institution":
                                             str(net.tvt.id), "barcode": "BDTVT000001"})
    assert bad.status_code == 200 and "BDTVT000001" in bad.get_data(as_text=True)


def test_place_a_hold_from_the_desk(desk, net, reader, copy):
    from ilms.catalog import services as catalog
    patron = reader(name="Hạng A Sình")
    item = copy(title="Địa chí Lai Châu")
    circ.checkout(reader(), item, institution=net.tvt, actor=net.desk_tvt)
    db.session.commit()
    form = desk.get(f"/circulation/holds/new?reader={patron.id}").get_data(as_text=True)
    assert patron.barcode in form
    response = post_form(desk, "/circulation/holds/new", {"reader": patron.barcode, "title": item.barcode,
                                                          "pickup": str(net.tvt.id), "note": ""},
                         page="/circulation/holds/new")
    assert response.status_code == 302 and f"reader={patron.id}" in response.headers["Location"]
    holds = desk.get("/circulation/holds").get_data(as_text=True)
    assert "Hạng A Sình" in holds and "Địa chí Lai Châu" in holds
    # Several titles match the words typed: the desk chooses one.
    first = catalog.create_minimal_record(title="Truyện cổ dân tộc Thái")
    catalog.create_minimal_record(title="Truyện cổ dân tộc Mông")
    copy(record=first)
    other = reader()
    page = post_form(desk, "/circulation/holds/new", {"reader": other.barcode, "title": "Truyện cổ dân tộc",
                                                      "pickup": str(net.td.id)}, page="/circulation/holds/new")
    assert page.status_code == 200 and "Truyện cổ dân tộc Mông" in page.get_data(as_text=True)
    response = post_form(desk, "/circulation/holds/new", {"reader": other.barcode, "title": "Truyện cổ dân tộc",
                                                          "record": str(first.id), "pickup": str(net.td.id)},
                         page="/circulation/holds/new")
    assert response.status_code == 302
    hold = db.session.scalar(db.select(circ.Hold).where(circ.Hold.record_id == first.id))
    assert hold.patron_id == other.id and hold.pickup_institution_id == net.td.id


def test_loan_rules_settings_and_closed_days_on_their_screen(app, net):
    librarian = app.test_client()
    login(librarian, "lib.tvt")
    response = post_form(librarian, "/circulation/rules", {"institution": str(net.tvt.id), "category": "child",
                                                           "material_type": "", "loan_days": "10", "max_loans": "2",
                                                           "max_renewals": "1", "holds_allowed": "y"})
    assert response.status_code == 302
    page = librarian.get("/circulation/rules").get_data(as_text=True)
    assert "Thiếu nhi" in page and "Đã lưu quy định mượn" in page
    from ilms.circulation import policy
    assert policy.rule_for(net.tvt.id, "child", "book").loan_days == 10
    post_form(librarian, "/circulation/rules/settings", {"institution": str(net.tvt.id), "closed_weekdays": "67",
                                                         "hold_pickup_days": "5", "overdue_block_days": "",
                                                         "fine_per_day": "500"}, page="/circulation/rules")
    settings = policy.settings_for(net.tvt.id)
    assert settings.closed_weekdays == "67" and settings.hold_pickup_days == 5
    assert settings.overdue_block_days is None and not settings.fines_enabled
    post_form(librarian, "/circulation/closed-days", {"institution": str(net.tvt.id), "date": "2030-06-03",
                                                      "name": "Kiểm kê kho"}, page="/circulation/rules")
    assert dt.date(2030, 6, 3) in policy.closed_dates(net.tvt.id, dt.date(2030, 6, 1), dt.date(2030, 6, 30))
    refused = post_form(librarian, "/circulation/closed-days/holidays", {"year": "2025"}, page="/circulation/rules")
    assert refused.status_code == 302                    # public holidays are the administrators' to add
    assert "flash-error" in librarian.get("/circulation/rules").get_data(as_text=True)
    assert not policy.closed_dates(net.td.id, dt.date(2025, 1, 1), dt.date(2025, 1, 1))
    desk = app.test_client()
    login(desk, "desk.tvt")
    assert post_form(desk, "/circulation/rules", {"institution": str(net.tvt.id), "loan_days": "1", "max_loans": "1",
                                                  "max_renewals": "1"}, page="/circulation/rules").status_code == 403
    admin = app.test_client()
    login(admin, "admin.net")
    post_form(admin, "/circulation/closed-days/holidays", {"year": "2025"}, page="/circulation/rules")
    assert dt.date(2025, 1, 1) in policy.closed_dates(net.td.id, dt.date(2025, 1, 1), dt.date(2025, 1, 1))


def test_the_session_cookie_never_carries_the_scanned_readers_name_or_card(app, desk, net, reader):
    """The probe: the signed (readable, not encrypted) cookie held the last scanned reader's name and card.
    The answer is kept on the server; the cookie holds a one-time key; the page still shows it, once."""
    patron = reader(name="Hoàng Thị Bí Mật")
    response = scan(desk, patron.barcode, json=False)
    cookie = desk.get_cookie("ilms_session") or desk.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    content = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert "Bí Mật" not in str(content) and patron.barcode not in str(content)
    location = response.headers["Location"]
    assert "Hoàng Thị Bí Mật" in desk.get(location).get_data(as_text=True).split("<main", 1)[-1]
    assert "level-ok" not in desk.get(location).get_data(as_text=True)   # shown once


def test_two_presses_of_renew_renew_once(app, desk, net, reader, copy):
    """The probe: two simultaneous renew POSTs on one loan renewed it twice. The button carries the
    renewals the page saw; the second press finds the loan renewed since and is refused, saying so."""
    from ilms.circulation import policy

    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, loan_days=14, max_loans=5, max_renewals=3)
    patron, item = reader(), copy(title="Truyện Kiều")
    loan = circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt)
    db.session.commit()
    page = desk.get(f"/circulation/desk?reader={patron.id}").get_data(as_text=True)
    assert 'name="seen" value="0"' in page
    token = csrf_from(page)
    form = {"csrf_token": token, "mode": "checkout", "reader": str(patron.id), "seen": "0"}
    first = desk.post(f"/circulation/loans/{loan.id}/renew", data=form, headers=JSON).get_json()
    second = desk.post(f"/circulation/loans/{loan.id}/renew", data=form, headers=JSON).get_json()
    assert first["level"] == "ok"
    assert second["level"] == "error" and second["code"] == "already_renewed"
    db.session.expire_all()
    assert db.session.get(Loan, loan.id).renewals == 1


def test_the_same_registration_page_sent_twice_registers_one_reader(app, net):
    """The probe: registering the same reader twice at once made two readers. The page's one-time key
    makes the second submit go to the first one's reader."""
    from ilms.patrons.models import Patron

    client = app.test_client()
    login(client, "desk.tvt")
    page = client.get("/readers/new").get_data(as_text=True)
    key = re.search(r'name="submission" type="hidden" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf_from(page), "submission": key, "name": "Lò Văn Hai Lần", "category": "adult",
            "ethnicity": "01", "sex": "M", "birth_year": "1990", "address": "", "phone": "",
            "institution": str(net.tvt.id), "barcode": "", "card_issued": "", "card_expires": "", "note": ""}
    first = client.post("/readers/new", data=form)
    second = client.post("/readers/new", data=form)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.query(Patron).filter_by(name="Lò Văn Hai Lần").count() == 1
    other = client.get("/readers/new").get_data(as_text=True)   # a new page, a new key: a new reader
    assert key not in other
