"""Notices: ``send-notices`` for 10,000 due loans into a local SMTP sink, beside raw smtplib.

One SQLite database built by the migrations with the demo network, then (bulk SQL) 10,000 readers with
an e-mail address and 10,000 open loans: a third due tomorrow (due soon), a third a few days late (first
overdue notice), a third long late (second notice). An aiosmtpd server on loopback accepts and drops
every message. Measured, in one run:

1. step 1 of ``send_notices``: writing the 10,000 notice rows (templates rendered, keys checked);
2. step 2: sending them, per message (the time of each SMTP hand-over, one connection kept open) and
   overall (with the status writes);
3. the whole command a second time the same day: nothing new, nothing sent (the unique keys);
4. the raw library: ``smtplib`` sending the same number of similar messages on one connection, and
   on a new connection per message (what a naive loop would do), to the same sink.

    .venv/bin/python -m benchmarks.notices [--loans 10000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import smtplib
import sqlite3
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from benchmarks.measure import PeakRSS, Row, free_port, print_table, time_each


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def build(workdir: Path, loans: int):
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.catalog import marc
    from ilms.common.privacy import reader_key
    from ilms.common.text import fold, sort_key
    from ilms.common.time import local_today
    from ilms.demo.network import load_network
    from ilms.extensions import db
    from ilms.org.services import get_by_code
    import random

    db_path = workdir / "notices.sqlite"
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "DATA_DIR": str(workdir / "data"),
              "SECRET_KEY": "benchmark", "READER_KEY_SECRET": "benchmark-readers"}
    app = create_app(config)
    with app.app_context():
        upgrade()
        load_network(random.Random(21))
        db.session.commit()
        tvt = get_by_code("TVT").id
        marc_json = marc.to_json(marc.build_minimal(title="Sách", isbn=None, authors=(), publisher=None, place=None,
                                                    year=2020, language="vie", classification=None))
        keys = [reader_key(i) for i in range(1, loans + 1)]
        today = local_today()
        db.session.remove()
        db.engine.dispose()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode = WAL")
    now = "2026-01-01 00:00:00.000000"
    titles = max(1, loans // 5)
    con.executemany(
        "INSERT INTO records (id, title, title_sort, responsibility, authors, publisher, place, edition, language,"
        " classification, call_number, subjects, physical, material_type, marc, needs_reindex, created_at,"
        " updated_at) VALUES (?, ?, ?, '', '', '', '', '', 'vie', '', '', '', '', 'book', ?, 0, ?, ?)",
        ((i, f"Truyện dân gian số {i}", sort_key(f"Truyện dân gian số {i}"), marc_json, now, now)
         for i in range(1, titles + 1)))
    con.executemany(
        "INSERT INTO items (id, barcode, record_id, institution_id, shelf, call_number, status, accessioned, source,"
        " note, created_at, updated_at) VALUES (?, ?, ?, ?, '', '', 'on_loan', '2020-01-01', 'purchase', '', ?, ?)",
        ((i, f"BK{i:07d}", 1 + i % titles, tvt, now, now) for i in range(1, loans + 1)))
    con.executemany(
        "INSERT INTO patrons (id, barcode, name, name_folded, name_sort, category, address, phone, institution_id,"
        " note, email, notice_channel, keep_history, pin_hash, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'adult', '', '', ?, '', ?, 'auto', 0, '', ?, ?)",
        ((i, f"BDB{i:06d}", f"Lò Thị Mai {i}", fold(f"Lò Thị Mai {i}"), sort_key(f"Lò Thị Mai {i}"), tvt,
          f"reader{i}@example.vn", now, now) for i in range(1, loans + 1)))
    offsets = (1, -4, -20)          # due soon, first overdue, second overdue

    def loan_rows():
        for i in range(1, loans + 1):
            due = today + dt.timedelta(days=offsets[i % 3])
            yield (i, i, keys[i - 1], tvt, "2026-01-01 02:00:00.000000", due.isoformat())

    con.executemany(
        "INSERT INTO loans (item_id, patron_id, reader_key, institution_id, checked_out_at, due_date, renewals,"
        " from_rotation, reminders_sent, void_reason) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, '')", loan_rows())
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return config


def ilms_rows(config, port, loans, sink):
    from ilms import create_app
    from ilms.circulation.notices import gateways, services

    app = create_app(dict(config, SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="thuvien@laichau.gov.vn"))
    samples = []

    class TimedSender(gateways.MailSender):
        def send(self, **kwargs):
            t0 = time.perf_counter()
            super().send(**kwargs)
            samples.append(time.perf_counter() - t0)

    from ilms.audit import bulk
    with app.app_context(), PeakRSS() as peak:
        # the two steps of send_notices, timed apart, inside the same audit summary the command uses
        with bulk("circulation send-notices"):
            t0 = time.perf_counter()
            made = services.write_due_notices(can_mail=True, can_sms=False)
            write_wall = time.perf_counter() - t0
            mailer = TimedSender(host="127.0.0.1", port=port, sender="thuvien@laichau.gov.vn")
            t0 = time.perf_counter()
            counts = services.send_waiting(mailer=mailer, sms=None, max_attempts=5)
            send_wall = time.perf_counter() - t0
            mailer.close()
        t0 = time.perf_counter()
        again = services.send_notices()
        again_wall = time.perf_counter() - t0
    assert made == loans and counts["sent"] == loans and sink.count == loans, (made, counts, sink.count)
    assert again["new"] == 0 and again["sent"] == 0, again
    return [
        Row("ILMS step 1: write notices (render, key check)", [write_wall], made, write_wall, peak.peak_mb,
            note="one call; median = whole step"),
        Row("ILMS step 2: send, per message (1 connection)", samples, counts["sent"], send_wall, peak.peak_mb,
            note="throughput includes status writes"),
        Row("ILMS send-notices again the same day", [again_wall], loans, again_wall, peak.peak_mb,
            note="0 new, 0 sent: throughput = loans checked/s"),
    ]


def raw_rows(port, loans):
    def message(n):
        msg = EmailMessage()
        msg["From"], msg["To"] = "thuvien@laichau.gov.vn", f"reader{n}@example.vn"
        msg["Subject"] = "Thư viện tỉnh Lai Châu: sách đã quá hạn trả"
        msg.set_content(f"Kính gửi bạn đọc Lò Thị Mai {n},\n\nCuốn “Truyện dân gian số {n}” đã quá hạn trả.\n")
        return msg

    with PeakRSS() as peak:
        smtp = smtplib.SMTP("127.0.0.1", port)
        one_samples, one_wall = time_each(lambda n: smtp.send_message(message(n)), range(loans))
        smtp.quit()

        def fresh(n):
            with smtplib.SMTP("127.0.0.1", port) as conn:
                conn.send_message(message(n))

        few = min(loans, 2000)
        new_samples, new_wall = time_each(fresh, range(few))
    return [Row("raw smtplib, 1 connection", one_samples, loans, one_wall, peak.peak_mb),
            Row("raw smtplib, a connection per message", new_samples, few, new_wall, peak.peak_mb,
                note=f"{few} messages")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ilms-notices-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        config = build(workdir, args.loans)
        print(f"built {args.loans} readers and due loans in {time.perf_counter() - t0:.1f} s")
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            rows = ilms_rows(config, controller.port, args.loans, sink)
            rows += raw_rows(controller.port, args.loans)
        finally:
            controller.stop()
    print_table(f"send-notices: {args.loans} due loans to a local SMTP sink (aiosmtpd), SQLite", rows,
                unit="msgs")


if __name__ == "__main__":
    main()
