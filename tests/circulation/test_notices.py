"""Notices to readers, sent for real: a local SMTP server (aiosmtpd) and a loopback HTTP SMS gateway,
started by the tests. Each notice is sent once however often the command runs; failures are logged and
retried; readers with neither e-mail nor phone get a letter."""
import datetime as dt
import http.server
import socket
import threading
import urllib.parse
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from ilms.circulation import services as circ
from ilms.circulation.notices import services as notices
from ilms.circulation.notices.models import Notice, NoticeKind, NoticeStatus, SendChannel
from ilms.common.permissions import SYSTEM
from ilms.common.time import local_today, utcnow
from ilms.extensions import db
from tests.conftest import csrf_from, login


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping every message; recipients listed in ``refuse`` get a 450."""

    def __init__(self):
        self.messages, self.refuse = [], set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "450 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos[0], message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"


@pytest.fixture
def smtp(app):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_FROM="thuvien@laichau.gov.vn")
    box.controller = controller
    yield box
    try:
        controller.stop()
    except Exception:       # already stopped by the test
        pass


class SmsGatewayServer(http.server.ThreadingHTTPServer):
    def __init__(self):
        self.received, self.fail = [], False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                if outer.fail:
                    self.send_response(503)
                else:
                    outer.received.append((query["to"][0], query["text"][0]))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def sms(app):
    server = SmsGatewayServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMS_GATEWAY="http",
                      SMS_URL=f"http://127.0.0.1:{server.server_address[1]}/send?to={{phone}}&text={{message}}")
    yield server
    server.shutdown()
    server.server_close()


def lent(net, patron, item, *, due):
    loan = circ.checkout(patron, item, institution=net.tvt, actor=SYSTEM, at=utcnow() - dt.timedelta(days=30))
    loan.due_date = due
    db.session.commit()
    return loan


def run(runner):
    result = runner.invoke(args=["circulation", "send-notices"])
    assert result.exit_code == 0, result.output
    return result.output


def test_each_notice_goes_once_by_the_readers_channel(app, runner, net, reader, copy, smtp, sms):
    today = local_today()
    by_mail = reader(name="Lò Văn Thành", email="thanh@example.vn", phone="0912345678")
    by_sms = reader(name="Tao Thị Hoa", phone="0987654321", notice_channel="sms")
    no_contact = reader(name="Vàng A Dơ")
    due_soon = lent(net, by_mail, copy(title="Truyện Kiều"), due=today + dt.timedelta(days=1))
    late = lent(net, by_sms, copy(title="Số đỏ"), due=today - dt.timedelta(days=3))
    very_late = lent(net, no_contact, copy(title="Vợ chồng A Phủ"), due=today - dt.timedelta(days=20))
    lent(net, by_mail, copy(title="Chưa đến hạn"), due=today + dt.timedelta(days=20))

    output = run(runner)
    assert "3 new notice(s); 2 sent, 0 failed" in output and "1 letter(s)" in output
    assert len(smtp.messages) == 1
    to, mail = smtp.messages[0]
    assert to == "thanh@example.vn"
    assert "Thư viện tỉnh Lai Châu" in mail["Subject"] and mail["From"].addresses[0].display_name == net.tvt.name
    body = mail.get_content()
    assert "Truyện Kiều" in body and due_soon.due_date.strftime("%d/%m/%Y") in body and "Lò Văn Thành" in body
    assert sms.received == [("0987654321", sms.received[0][1])]
    assert sms.received[0][1].startswith("Thu vien tinh Lai Chau: sach \"So do\"")
    assert "So do" in sms.received[0][1] and late.due_date.strftime("%d/%m/%Y") in sms.received[0][1]
    letter = db.session.scalar(sa.select(Notice).where(Notice.loan_id == very_late.id))
    assert (letter.kind, letter.channel, letter.status) == (NoticeKind.OVERDUE_2, SendChannel.LETTER,
                                                            NoticeStatus.LETTER)

    # the second run of the day sends nothing again
    assert "0 new notice(s); 0 sent" in run(runner)
    assert len(smtp.messages) == 1 and len(sms.received) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 3

    # a renewal moves the due date: the new date gets its own due-soon notice, once
    db.session.expire_all()
    due_soon = db.session.get(type(due_soon), due_soon.id)
    due_soon.due_date = today + dt.timedelta(days=2)
    db.session.commit()
    run(runner)
    run(runner)
    assert len(smtp.messages) == 2


def test_failures_are_logged_and_retried_next_run(app, runner, net, reader, copy, smtp, sms):
    today = local_today()
    busy = reader(email="busy@example.vn")
    texted = reader(phone="0911000111", notice_channel="sms")
    lent(net, busy, copy(), due=today - dt.timedelta(days=2))
    lent(net, texted, copy(), due=today - dt.timedelta(days=2))
    smtp.refuse.add("busy@example.vn")
    sms.fail = True

    assert "0 sent, 2 failed" in run(runner)
    failed = db.session.scalars(sa.select(Notice).order_by(Notice.id)).all()
    assert [n.status for n in failed] == [NoticeStatus.FAILED, NoticeStatus.FAILED]
    assert "refused" in failed[0].last_error and "503" in failed[1].last_error
    assert all(n.attempts == 1 for n in failed)

    # the log shows the failures to the desk, with the reason
    client = app.test_client()
    login(client, "desk.tvt")
    page = client.get("/circulation/notices/?status=failed").get_data(as_text=True)
    assert "busy@example.vn" in page and "503" in page

    smtp.refuse.clear()
    sms.fail = False
    assert "2 sent, 0 failed" in run(runner)
    assert [m[0] for m in smtp.messages] == ["busy@example.vn"] and len(sms.received) == 1
    db.session.expire_all()
    assert [(n.status, n.attempts, n.last_error) for n in db.session.scalars(sa.select(Notice).order_by(Notice.id))] \
        == [(NoticeStatus.SENT, 2, ""), (NoticeStatus.SENT, 2, "")]


def test_a_mail_server_that_is_down_is_a_logged_failure(app, runner, net, reader, copy, smtp):
    smtp.controller.stop()
    patron = reader(email="a@example.vn")
    lent(net, patron, copy(), due=local_today() - dt.timedelta(days=1))
    assert "1 failed" in run(runner)
    notice = db.session.scalar(sa.select(Notice))
    assert notice.status == NoticeStatus.FAILED and "cannot reach the mail server" in notice.last_error


def test_gives_up_after_the_last_attempt_and_staff_can_send_again(app, runner, net, reader, copy, smtp):
    app.config.update(NOTICE_MAX_ATTEMPTS=2)
    patron = reader(email="full@example.vn")
    lent(net, patron, copy(), due=local_today() - dt.timedelta(days=1))
    smtp.refuse.add("full@example.vn")
    run(runner)
    assert "1 given up" in run(runner)
    run(runner)
    notice = db.session.scalar(sa.select(Notice))
    assert notice.status == NoticeStatus.GAVE_UP and notice.attempts == 2

    client = app.test_client()
    login(client, "desk.tvt")
    token = csrf_from(client.get("/circulation/notices/").get_data(as_text=True))
    assert client.post(f"/circulation/notices/{notice.id}/retry", data={"csrf_token": token}).status_code == 302
    smtp.refuse.clear()
    assert "1 sent" in run(runner)
    # another library's desk cannot touch this library's notices
    other = app.test_client()
    login(other, "desk.td")
    token = csrf_from(other.get("/circulation/notices/").get_data(as_text=True))
    assert other.post(f"/circulation/notices/{notice.id}/retry", data={"csrf_token": token}).status_code == 404


def test_hold_ready_notice_names_the_pickup_library(app, runner, net, reader, copy, smtp):
    item = copy(title="Dế mèn phiêu lưu ký")
    waiting = reader(email="cho@example.vn")
    circ.place_hold(waiting, item.record, pickup=net.tvt, institution=net.tvt, actor=SYSTEM)
    circ.check_in(item, institution=net.tvt, actor=SYSTEM)        # trapped for the hold at once
    db.session.commit()
    run(runner)
    run(runner)
    assert len(smtp.messages) == 1
    body = smtp.messages[0][1].get_content()
    assert "Dế mèn phiêu lưu ký" in body and net.tvt.name in body and "sẵn sàng" in smtp.messages[0][1]["Subject"]


def test_a_librarian_edits_the_wording(app, runner, net, reader, copy, smtp):
    client = app.test_client()
    login(client, "lib.tvt")
    page = client.get("/circulation/notices/templates")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    answer = client.post("/circulation/notices/templates/overdue_1/email", data={
        "csrf_token": token, "overdue_1-email-subject": "{{ library }} nhắc trả sách",
        "overdue_1-email-body": "Chào {{ reader }}, “{{ title }}” đã quá hạn {{ days_late }} ngày."})
    assert answer.status_code == 302
    broken = client.post("/circulation/notices/templates/overdue_1/sms", data={
        "csrf_token": token, "overdue_1-sms-body": "{{ title "})
    assert broken.status_code == 302
    assert "không đọc được" in client.get("/circulation/notices/templates").get_data(as_text=True)
    # a desk clerk may read the log but not change the wording
    desk = app.test_client()
    login(desk, "desk.tvt")
    assert desk.get("/circulation/notices/templates").status_code == 403

    patron = reader(name="Lường Văn Bình", email="binh@example.vn")
    lent(net, patron, copy(title="Nhật ký trong tù"), due=local_today() - dt.timedelta(days=4))
    run(runner)
    mail = smtp.messages[0][1]
    assert mail["Subject"] == f"{net.tvt.name} nhắc trả sách"
    assert mail.get_content().strip() == "Chào Lường Văn Bình, “Nhật ký trong tù” đã quá hạn 4 ngày."


def test_two_runs_at_once_send_each_notice_once(app, net, reader, copy, smtp):
    today = local_today()
    for n in range(30):
        lent(net, reader(email=f"r{n}@example.vn"), copy(), due=today - dt.timedelta(days=1))
    notices.write_due_notices()
    notices.write_due_notices()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 30
    first = notices._claim(5)
    second = notices._claim(5)          # a parallel run finds nothing left to claim
    assert len(first) == 30 and second == []


def test_notices_are_anonymised_with_the_rest(app, runner, net, reader, copy, smtp):
    from ilms.common.privacy import anonymisers
    patron = reader(email="old@example.vn")
    lent(net, patron, copy(), due=local_today() - dt.timedelta(days=1))
    run(runner)
    anonymisers()["circulation.notices"](utcnow() + dt.timedelta(seconds=1))
    db.session.commit()
    notice = db.session.scalar(sa.select(Notice))
    assert notice.patron_id is None and notice.recipient == "" and notice.body == ""
    assert notice.status == NoticeStatus.SENT


def test_the_outbox_test_gateway_keeps_each_sms_in_a_file(app, runner, net, reader, copy, tmp_path):
    import json
    outbox = tmp_path / "sms.jsonl"
    app.config.update(SMS_GATEWAY="outbox", SMS_OUTBOX=str(outbox), SMTP_HOST="")
    patron = reader(phone="0912000333", email="ignored@example.vn")      # no mail server here: SMS it is
    lent(net, patron, copy(title="Đất rừng phương Nam"), due=local_today() - dt.timedelta(days=2))
    run(runner)
    run(runner)
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["phone"] == "0912000333"
    assert "Dat rung phuong Nam" in lines[0]["message"]
