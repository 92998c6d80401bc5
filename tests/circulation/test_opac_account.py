"""The reader's own account in the OPAC: sign-in with card and PIN, throttling, renewals, holds, the
reading list, and the id-walk (no page or action ever reaches another reader's records)."""
import datetime as dt
import re

import pytest
import sqlalchemy as sa

from ilms.circulation import services as circ
from ilms.circulation.models import Hold, HoldStatus, Loan, ReadingHistoryEntry
from ilms.common.permissions import SYSTEM
from ilms.common.privacy import anonymisers
from ilms.common.time import local_today, utcnow
from ilms.extensions import db
from ilms.patrons import signin
from tests.conftest import csrf_from, login

PIN = "482915"


@pytest.fixture
def account(net, reader):
    """A reader of TVT with a PIN set by the desk."""
    def make(pin=PIN, **fields):
        patron = reader(**fields)
        signin.set_pin(patron, actor=SYSTEM, pin=pin)
        db.session.commit()
        return patron
    return make


def reader_login(client, card, pin=PIN, follow=False):
    token = csrf_from(client.get("/opac/account/login").get_data(as_text=True))
    return client.post("/opac/account/login", data={"csrf_token": token, "card": card, "pin": pin},
                       follow_redirects=follow)


def post(client, url, data=None, page="/opac/account/"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def lend(patron, item, net, days_ago=3):
    loan = circ.checkout(patron, item, institution=net.tvt, actor=SYSTEM, at=utcnow() - dt.timedelta(days=days_ago))
    db.session.commit()
    return loan


def test_reader_signs_in_with_card_and_pin_and_sees_own_loans(app, net, account, copy):
    me = account()
    item = copy(title="Truyện Kiều")
    loan = lend(me, item, net)
    client = app.test_client()
    assert client.get("/opac/account/").headers["Location"].startswith("/opac/account/login")

    answer = reader_login(client, me.barcode.lower(), "000000")
    assert answer.status_code == 401
    assert "Sai số thẻ hoặc mã PIN" in answer.get_data(as_text=True)

    assert reader_login(client, me.barcode).status_code == 302
    page = client.get("/opac/account/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Truyện Kiều" in html and me.name in html
    assert loan.due_date.strftime("%d/%m/%Y") in html

    assert post(client, "/opac/account/logout").status_code == 302
    assert client.get("/opac/account/").status_code == 302


def test_a_card_without_pin_cannot_sign_in_and_the_pin_is_stored_hashed(app, net, reader, account):
    no_pin = reader()
    assert reader_login(app.test_client(), no_pin.barcode, "").status_code in (400, 401)
    assert reader_login(app.test_client(), no_pin.barcode, "123123").status_code == 401
    me = account()
    assert PIN not in me.pin_hash and me.pin_hash.startswith("pbkdf2:")


def test_pin_rules_refuse_easy_pins(app, net, reader):
    patron = reader()
    for bad in ("12", "abcd", "1111", "1234", "98765", "1234567890123"):
        with pytest.raises(signin.DomainError):
            signin.set_pin(patron, actor=SYSTEM, pin=bad)
    pin = signin.set_pin(patron, actor=SYSTEM)          # the slip's random PIN
    assert re.fullmatch(r"\d{6}", pin)


def test_wrong_pins_are_throttled_per_card_even_with_the_right_pin_afterwards(app, net, account):
    app.config.update(READER_LOGIN_MAX_FAILURES=3, READER_LOGIN_WINDOW_SECONDS=300)
    me = account()
    client = app.test_client()
    for n in range(3):
        assert reader_login(client, me.barcode, f"90817{n}").status_code == 401
    refused = reader_login(client, me.barcode, PIN)
    assert refused.status_code == 429
    assert "Quá nhiều lần thử sai" in refused.get_data(as_text=True)
    # the failures are in the database, so another worker (another client) is refused too
    assert reader_login(app.test_client(), me.barcode, PIN).status_code == 429
    # once the window has passed, the right PIN works again
    db.session.execute(sa.update(signin.ReaderLoginFailure).values(at=utcnow() - dt.timedelta(minutes=6)))
    db.session.commit()
    assert reader_login(app.test_client(), me.barcode, PIN).status_code == 302


def test_reader_throttle_is_apart_from_staff_sign_in(app, net, account):
    app.config.update(READER_LOGIN_MAX_FAILURES=2)
    me = account()
    client = app.test_client()
    for _n in range(2):
        reader_login(client, me.barcode, "555000")
    assert reader_login(client, me.barcode, PIN).status_code == 429
    # the same address can still sign in as staff: reader failures never lock staff accounts
    assert login(client, "desk.tvt").status_code == 302


def test_staff_and_reader_sessions_grant_each_other_nothing(app, net, account):
    me = account()
    staff = app.test_client()
    assert login(staff, "lib.tvt").status_code == 302
    assert staff.get("/opac/account/").status_code == 302            # a librarian is not a reader
    assert staff.get("/readers/").status_code == 200

    reader = app.test_client()
    assert reader_login(reader, me.barcode).status_code == 302
    answer = reader.get(f"/readers/{me.id}")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert reader.get("/circulation/desk").status_code == 302

    # both in one browser: signing out of the reader account leaves the staff session alone
    assert reader_login(staff, me.barcode).status_code == 302
    assert staff.get("/opac/account/").status_code == 200
    post(staff, "/opac/account/logout")
    assert staff.get("/readers/").status_code == 200


def test_reader_renews_under_the_desk_rules(app, net, account, copy, reader):
    me = account()
    loan = lend(me, copy(title="Số đỏ"), net)
    before = loan.due_date
    client = app.test_client()
    reader_login(client, me.barcode)
    answer = post(client, f"/opac/account/loans/{loan.id}/renew")
    assert answer.status_code == 302
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    assert loan.renewals == 1 and loan.due_date > before
    assert loan.renewal_events[0].by_id is None
    assert "Đã gia hạn" in client.get("/opac/account/").get_data(as_text=True)

    # another reader waits for the title: the desk would refuse, so does the account
    other = reader()
    circ.place_hold(other, loan.item.record, pickup=net.tvt, institution=net.tvt, actor=SYSTEM)
    db.session.commit()
    post(client, f"/opac/account/loans/{loan.id}/renew")
    html = client.get("/opac/account/").get_data(as_text=True)
    assert "đang chờ" in html or "waiting" in html
    db.session.expire_all()
    assert db.session.get(Loan, loan.id).renewals == 1


def test_reader_places_and_cancels_a_hold_with_a_chosen_pickup_library(app, net, account, copy, reader):
    me = account()
    item = copy(title="Dế mèn phiêu lưu ký")
    lend(reader(), item, net)
    client = app.test_client()
    reader_login(client, me.barcode)
    page = client.get(f"/opac/account/hold/{item.record_id}")
    assert page.status_code == 200 and net.td.name in page.get_data(as_text=True)
    answer = post(client, f"/opac/account/hold/{item.record_id}", {"pickup": str(net.td.id)},
                  page=f"/opac/account/hold/{item.record_id}")
    assert answer.status_code == 302
    hold = db.session.scalar(sa.select(Hold).where(Hold.patron_id == me.id))
    assert hold.pickup_institution_id == net.td.id and hold.status == HoldStatus.WAITING
    assert hold.placed_by_id is None
    html = client.get("/opac/account/").get_data(as_text=True)
    assert "Dế mèn phiêu lưu ký" in html and net.td.name in html

    # a second hold on the same title is refused with the desk's message, on the form
    again = post(client, f"/opac/account/hold/{item.record_id}", {"pickup": str(net.tvt.id)},
                 page=f"/opac/account/hold/{item.record_id}")
    assert again.status_code == 200 and "đã đặt trước" in again.get_data(as_text=True)
    # a pickup place that is not a library is refused
    bad = post(client, f"/opac/account/hold/{item.record_id}", {"pickup": "999999"},
               page=f"/opac/account/hold/{item.record_id}")
    assert bad.status_code == 200

    assert post(client, f"/opac/account/holds/{hold.id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Hold, hold.id).status == HoldStatus.CANCELLED


def test_the_id_walk_reaches_no_other_readers_loans_or_holds(app, net, account, copy):
    me, other = account(), account(pin="739204")
    mine = lend(me, copy(title="Sách của tôi"), net)
    theirs = lend(other, copy(title="Sách bí mật của người khác"), net)
    held = copy(title="Sách người khác đặt")
    lend(me, copy(record=held.record), net)
    their_hold = circ.place_hold(other, held.record, pickup=net.tvt, institution=net.tvt, actor=SYSTEM)
    db.session.commit()
    client = app.test_client()
    reader_login(client, me.barcode)

    for loan_id in range(1, theirs.id + 3):
        if loan_id == mine.id or db.session.get(Loan, loan_id) and db.session.get(Loan, loan_id).patron_id == me.id:
            continue
        assert post(client, f"/opac/account/loans/{loan_id}/renew").status_code == 404
    for hold_id in range(1, their_hold.id + 3):
        assert post(client, f"/opac/account/holds/{hold_id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(Loan, theirs.id).renewals == 0
    assert db.session.get(Hold, their_hold.id).status == HoldStatus.WAITING

    for url in ("/opac/account/", "/opac/account/history", "/opac/account/data", "/opac/account/settings",
                "/opac/account/pin"):
        html = client.get(url).get_data(as_text=True)
        assert other.name not in html and other.barcode not in html
        assert "Sách bí mật của người khác" not in html
    # a patron id in the URL or the query string changes nothing: there is no such parameter
    html = client.get(f"/opac/account/data?patron_id={other.id}&reader={other.id}").get_data(as_text=True)
    assert me.name in html and other.name not in html


def test_reading_list_is_off_by_default_kept_on_request_and_survives_anonymising(app, net, account, copy):
    me = account()
    first = lend(me, copy(title="Chưa bật lịch sử"), net, days_ago=10)
    circ.check_in(first.item, institution=net.tvt, actor=SYSTEM, at=utcnow() - dt.timedelta(days=9))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReadingHistoryEntry)) == 0

    client = app.test_client()
    reader_login(client, me.barcode)
    assert 'data-testid="history-off"' in client.get("/opac/account/history").get_data(as_text=True)
    post(client, "/opac/account/settings", {"notice_channel": "auto", "email": "", "phone": "",
                                            "keep_history": "y"}, page="/opac/account/settings")
    db.session.expire_all()
    assert db.session.get(type(me), me.id).keep_history

    second = lend(me, copy(title="Đã bật lịch sử"), net, days_ago=5)
    circ.check_in(second.item, institution=net.tvt, actor=SYSTEM, at=utcnow() - dt.timedelta(days=4))
    db.session.commit()
    html = client.get("/opac/account/history").get_data(as_text=True)
    assert "Đã bật lịch sử" in html and "Chưa bật lịch sử" not in html

    # anonymising still detaches the loans from the reader (figures keep the reader key)...
    cutoff = utcnow() - dt.timedelta(days=1)
    for fn in anonymisers().values():
        fn(cutoff)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Loan, second.id).patron_id is None and db.session.get(Loan, second.id).reader_key
    # ...while the list the reader asked for stays theirs, in the account and in "my data"
    assert "Đã bật lịch sử" in client.get("/opac/account/history").get_data(as_text=True)
    assert "Đã bật lịch sử" in client.get("/opac/account/data").get_data(as_text=True)

    # turning it off forgets the list
    post(client, "/opac/account/settings", {"notice_channel": "auto", "email": "", "phone": ""},
         page="/opac/account/settings")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReadingHistoryEntry)) == 0


def test_reader_changes_the_pin_and_other_sessions_end(app, net, account):
    me = account()
    phone, laptop = app.test_client(), app.test_client()
    reader_login(phone, me.barcode)
    reader_login(laptop, me.barcode)
    wrong = post(phone, "/opac/account/pin", {"current_pin": "111999", "new_pin": "275931", "confirm": "275931"},
                 page="/opac/account/pin")
    assert wrong.status_code == 200 and "Mã PIN hiện tại không đúng" in wrong.get_data(as_text=True)
    assert post(phone, "/opac/account/pin", {"current_pin": PIN, "new_pin": "275931", "confirm": "275931"},
                page="/opac/account/pin").status_code == 302
    assert phone.get("/opac/account/").status_code == 200
    assert laptop.get("/opac/account/").status_code == 302
    assert reader_login(app.test_client(), me.barcode, "275931").status_code == 302


def test_desk_sets_a_pin_and_prints_the_slip_for_own_readers_only(app, net, reader):
    mine, theirs = reader(), reader(institution=net.td)
    client = app.test_client()
    login(client, "lib.tvt")
    page = f"/readers/{mine.id}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    slip = client.post(f"/readers/{mine.id}/pin", data={"csrf_token": token})
    html = slip.get_data(as_text=True)
    pin = re.search(r'data-testid="pin">(\d+)<', html).group(1)
    assert slip.status_code == 200 and mine.barcode in html
    assert reader_login(app.test_client(), mine.barcode, pin).status_code == 302
    assert client.post(f"/readers/{theirs.id}/pin", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(type(theirs), theirs.id).pin_hash == ""


def test_my_data_page_is_the_staff_export(app, net, account, copy):
    me = account()
    lend(me, copy(title="Nhật ký trong tù"), net)
    client = app.test_client()
    reader_login(client, me.barcode)
    html = client.get("/opac/account/data").get_data(as_text=True)
    assert 'data-testid="reader-data"' in html and "Nhật ký trong tù" in html and me.barcode in html
    assert local_today().strftime("%d/%m/%Y") in html
