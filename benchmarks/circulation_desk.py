"""The checkout desk at province scale: 100,000 copies, 20,000 readers, 1,000,000 past loans in SQLite.

Measures, in one run on one database file:

1. checkout and return of a copy through the Flask test client (the JSON the
   desk's script uses: one scan, one answer with the re-rendered panel),
   median and p95 (target p95 under 25 ms);
2. sustained checkouts per second from 4 concurrent desks against gunicorn
   with 2 workers on loopback (every answer must be a loan: errors zero);
3. the raw library: a bare SQL insert of a loan (and the copy's status)
   with sqlite3, one transaction per loan, on the same file.

The data are written with bulk SQL, not through the services, at the start.

    .venv/bin/python -m benchmarks.circulation_desk [--loans 1000000] [--samples 400] [--seconds 20]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks.measure import Browser, PeakRSS, Row, csrf_token, free_port, print_table, time_each

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "desk-benchmark-1"
LIBRARIES = ["TVT", "TVH-TP", "TVH-TD", "TVH-PT", "TVH-SH", "TVH-MT", "TVH-THU", "TVH-TNU", "TVH-NN"]


def build(workdir: Path, *, copies, readers, loans, seed=1133):
    """Migrate a fresh database, load the demo network, then bulk-write the collection and its history."""
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.accounts import services as accounts
    from ilms.catalog import marc
    from ilms.common.permissions import SYSTEM
    from ilms.common.privacy import reader_key
    from ilms.common.text import fold, sort_key
    from ilms.demo.circulation import MIX, reader_name
    from ilms.demo.network import load_network
    from ilms.extensions import db
    from ilms.org.services import get_by_code

    db_path = workdir / "desk.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "DATA_DIR": str(workdir / "data"),
                      "SECRET_KEY": "benchmark", "READER_KEY_SECRET": "benchmark-readers",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    rng = random.Random(seed)
    with app.app_context():
        upgrade()
        load_network(rng)
        libs = {code: get_by_code(code).id for code in LIBRARIES}
        for n, code in enumerate(LIBRARIES):
            accounts.create_user(actor=SYSTEM, username=f"bench{n}", full_name=f"Quầy {code}", password=PASSWORD,
                                 role="desk", institution=get_by_code(code))
        db.session.commit()
        marc_json = marc.to_json(marc.build_minimal(title="Sách", isbn=None, authors=(), publisher=None, place=None,
                                                    year=2020, language="vie", classification=None))
        keys = [reader_key(i) for i in range(1, readers + 1)]
        db.session.remove()
        db.engine.dispose()

    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    now = "2026-01-01 00:00:00.000000"
    titles = max(1, copies // 5)
    con.executemany(
        "INSERT INTO records (id, title, title_sort, responsibility, authors, publisher, place, edition, language,"
        " classification, call_number, subjects, physical, material_type, marc, needs_reindex, created_at,"
        " updated_at) VALUES (?, ?, ?, '', '', '', '', '', 'vie', '', '', '', '', 'book', ?, 0, ?, ?)",
        ((i, f"Sách số {i}", sort_key(f"Sách số {i}"), marc_json, now, now) for i in range(1, titles + 1)))
    owners = [libs[code] for code in LIBRARIES]
    weights = [3] + [1] * (len(LIBRARIES) - 1)
    item_owner = {i: rng.choices(owners, weights)[0] for i in range(1, copies + 1)}
    con.executemany(
        "INSERT INTO items (id, barcode, record_id, institution_id, shelf, call_number, status, accessioned, source,"
        " note, created_at, updated_at) VALUES (?, ?, ?, ?, '', '', 'available', '2020-01-01', 'purchase', '', ?, ?)",
        ((i, f"BK{i:07d}", rng.randint(1, titles), item_owner[i], now, now) for i in range(1, copies + 1)))
    reader_home = {}
    rows = []
    for i in range(1, readers + 1):
        home = rng.choices(LIBRARIES, weights)[0]
        reader_home[i] = libs[home]
        name = reader_name(rng, rng.choices(list(MIX[home]), list(MIX[home].values()))[0], rng.choice("MF"))
        rows.append((i, f"BDB{i:06d}", name, fold(name), sort_key(name), libs[home], now, now))
    con.executemany(
        "INSERT INTO patrons (id, barcode, name, name_folded, name_sort, category, address, phone, institution_id,"
        " note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'adult', '', '', ?, '', ?, ?)", rows)
    con.commit()
    start = dt.datetime(2023, 1, 2)
    span = (dt.datetime(2025, 12, 20) - start).total_seconds()

    def loan_rows():
        for n in range(loans):
            item = rng.randint(1, copies)
            reader = rng.randint(1, readers)
            out = start + dt.timedelta(seconds=rng.random() * span)
            back = out + dt.timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 8))
            yield (item, reader, keys[reader - 1], item_owner[item], out.strftime("%Y-%m-%d %H:%M:%S.%f"),
                   (out + dt.timedelta(days=21)).strftime("%Y-%m-%d"), back.strftime("%Y-%m-%d %H:%M:%S.%f"),
                   item_owner[item])

    con.executemany(
        "INSERT INTO loans (item_id, patron_id, reader_key, institution_id, checked_out_at, due_date, renewals,"
        " returned_at, return_institution_id, from_rotation, reminders_sent, void_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 0, 0, '')", loan_rows())
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return db_path, libs, item_owner, reader_home


# -- 1. through the Flask test client ---------------------------------------------------------

def test_client_rows(db_path, workdir, libs, item_owner, reader_home, samples, rng):
    from ilms import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "DATA_DIR": str(workdir / "data"),
                      "SECRET_KEY": "benchmark", "READER_KEY_SECRET": "benchmark-readers"})
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "username": "bench0", "password": PASSWORD})
    token = csrf_token(client.get("/circulation/desk").get_data(as_text=True))
    tvt = libs["TVT"]
    items = [i for i, owner in item_owner.items() if owner == tvt]
    rng.shuffle(items)
    readers = list(reader_home)
    rng.shuffle(readers)
    pairs = [(f"BK{items[n]:07d}", readers[n % len(readers)]) for n in range(samples)]
    failures = []

    def post(data):
        response = client.post("/circulation/desk/scan", data=dict(data, csrf_token=token),
                               headers={"Accept": "application/json"})
        answer = response.get_json()
        if answer["level"] == "error":
            failures.append(answer["message"])
        return answer

    def card(pair):
        post({"code": f"BDB{pair[1]:06d}", "mode": "checkout", "reader": ""})

    def checkout(pair):
        post({"code": pair[0], "mode": "checkout", "reader": str(pair[1])})

    def give_back(pair):
        post({"code": pair[0], "mode": "return", "reader": ""})

    with PeakRSS() as peak:
        card_samples, card_wall = time_each(card, pairs)
        out_samples, out_wall = time_each(checkout, pairs)
        back_samples, back_wall = time_each(give_back, pairs)
    rows = [Row("scan a reader card (test client)", card_samples, len(pairs), card_wall, peak.peak_mb),
            Row("checkout (test client, JSON + panel)", out_samples, len(pairs), out_wall, peak.peak_mb,
                note="target p95 < 25 ms"),
            Row("return (test client, JSON + panel)", back_samples, len(pairs), back_wall, peak.peak_mb,
                note="target p95 < 25 ms")]
    return rows, failures


# -- 2. four desks against gunicorn ----------------------------------------------------------------

class Desk(Browser):
    """A desk: signed in, with the desk page's CSRF token."""

    def __init__(self, base, username):
        super().__init__(base, username, PASSWORD)
        self.token = csrf_token(self.get("/circulation/desk"))


def gunicorn_row(db_path, workdir, libs, item_owner, reader_home, seconds, used):
    port = free_port()
    env = dict(os.environ, ILMS_DATABASE_URL=f"sqlite:///{db_path}", ILMS_DATA_DIR=str(workdir / "data"),
               ILMS_SECRET_KEY="benchmark", ILMS_READER_KEY_SECRET="benchmark-readers")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "ilms:create_app()"], cwd=ROOT, env=env,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        desks = [Desk(base, f"bench{n}") for n in range(4)]           # TVT and three district desks
        codes = [LIBRARIES[n] for n in range(4)]
        stop = time.perf_counter() + seconds
        results = [dict(ok=0, errors=[], samples=[]) for _ in desks]

        def work(n):
            inst = libs[codes[n]]
            items = [i for i, owner in item_owner.items() if owner == inst and i not in used]
            readers = [r for r, _home in reader_home.items()]
            random.Random(n).shuffle(readers)
            k = 0
            while time.perf_counter() < stop and k < len(items):
                t0 = time.perf_counter()
                try:
                    answer = desks[n].post("/circulation/desk/scan",
                                           {"csrf_token": desks[n].token, "code": f"BK{items[k]:07d}",
                                            "mode": "checkout", "reader": str(readers[k // 4 % len(readers)])},
                                           json_answer=True)
                    if answer.get("code") == "checkout":
                        results[n]["ok"] += 1
                    else:
                        results[n]["errors"].append(answer.get("message"))
                except Exception as error:  # an HTTP error is counted and reported, not hidden
                    results[n]["errors"].append(repr(error))
                results[n]["samples"].append(time.perf_counter() - t0)
                k += 1

        threads = [threading.Thread(target=work, args=(n,)) for n in range(len(desks))]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    ok = sum(r["ok"] for r in results)
    errors = [e for r in results for e in r["errors"]]
    samples = [s for r in results for s in r["samples"]]
    return Row("checkouts, 4 desks, gunicorn 2 workers", samples, ok, wall,
               note=f"errors: {len(errors)}"), errors


# -- 3. the raw library ------------------------------------------------------------------------------

def bare_sql_row(db_path, item_owner, reader_home, samples, used):
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA synchronous = NORMAL")
    free = [i for i in item_owner if i not in used][-samples:]
    readers = list(reader_home)
    at = dt.datetime(2026, 1, 5, 3).strftime("%Y-%m-%d %H:%M:%S.%f")

    def insert(n):
        item = free[n]
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO loans (item_id, patron_id, reader_key, institution_id, checked_out_at, due_date,"
                    " renewals, from_rotation, reminders_sent, void_reason) VALUES (?, ?, 'k', ?, ?, '2026-01-26',"
                    " 0, 0, 0, '')", (item, readers[n % len(readers)], item_owner[item], at))
        con.execute("UPDATE items SET status = 'on_loan' WHERE id = ?", (item,))
        con.execute("COMMIT")

    with PeakRSS() as peak:
        sample_times, wall = time_each(insert, range(len(free)))
    con.close()
    return Row("bare SQL insert of a loan (sqlite3)", sample_times, len(free), wall, peak.peak_mb,
               note="one transaction per loan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--readers", type=int, default=20_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database folder")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ilms-desk-bench-"))
    rng = random.Random(7)
    try:
        t0 = time.perf_counter()
        db_path, libs, item_owner, reader_home = build(workdir, copies=args.copies, readers=args.readers,
                                                       loans=args.loans)
        built = time.perf_counter() - t0
        print(f"built {args.copies:,} copies, {args.readers:,} readers, {args.loans:,} past loans "
              f"in {built:.0f} s ({db_path.stat().st_size / 2**20:.0f} MB)")
        rows, failures = test_client_rows(db_path, workdir, libs, item_owner, reader_home, args.samples, rng)
        con = sqlite3.connect(db_path)
        used = {row[0] for row in con.execute("SELECT item_id FROM loans WHERE checked_out_at >= '2026-01-01'")}
        con.close()
        served, errors = gunicorn_row(db_path, workdir, libs, item_owner, reader_home, args.seconds, used)
        con = sqlite3.connect(db_path)
        used |= {row[0] for row in con.execute("SELECT item_id FROM loans WHERE returned_at IS NULL")}
        con.close()
        rows.append(served)
        rows.append(bare_sql_row(db_path, item_owner, reader_home, args.samples, used))
        print_table("Checkout desk (SQLite, WAL; the machine may be shared)", rows, unit="ops")
        if failures:
            print(f"\nrefusals through the test client: {len(failures)} (first: {failures[0]})")
        if errors:
            print(f"\ngunicorn desk errors: {len(errors)} (first: {errors[0]})")
        return 1 if errors or failures else 0
    finally:
        if args.keep:
            print(f"database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
