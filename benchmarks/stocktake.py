"""The stocktake at province scale: one scan (and one scanner file) on a library of 100,000 copies in SQLite.

Measures, in one run on one database file:

1. opening the stocktake of the whole library (the snapshot of the expected copies), once;
2. a scan through the Flask test client, as the page's script sends it (JSON answer with the live
   figures and the rendered result): median and p95 per scan;
3. the service alone (``record_scan`` and a commit, no HTTP), and the live figures alone (``counts``);
4. a handheld scanner's file of 10,000 barcodes through the upload route (barcodes per second);
5. the raw library: a bare indexed ``SELECT ... WHERE barcode = ?`` with sqlite3 on the same file.

The copies are written with bulk SQL at the start, not through the services.

    .venv/bin/python -m benchmarks.stocktake [--copies 100000] [--samples 1000] [--upload 10000]
"""
from __future__ import annotations

import argparse
import io
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.measure import PeakRSS, Row, csrf_token, print_table, time_each

PASSWORD = "stocktake-benchmark-1"


def build(workdir: Path, *, copies, seed=1133):
    """Migrate a fresh database, load the demo network and a librarian, then bulk-write the collection."""
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.accounts import services as accounts
    from ilms.catalog import marc
    from ilms.common.permissions import SYSTEM
    from ilms.common.text import sort_key
    from ilms.demo.network import load_network
    from ilms.extensions import db
    from ilms.org.services import get_by_code

    db_path = workdir / "stocktake.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "DATA_DIR": str(workdir / "data"),
                      "SECRET_KEY": "benchmark", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    rng = random.Random(seed)
    with app.app_context():
        upgrade()
        load_network(rng)
        tvt, td = get_by_code("TVT").id, get_by_code("TVH-TD").id
        accounts.create_user(actor=SYSTEM, username="bench", full_name="Thủ thư kiểm kê", password=PASSWORD,
                             role="librarian", institution=get_by_code("TVT"))
        db.session.commit()
        marc_json = marc.to_json(marc.build_minimal(title="Sách", isbn=None, authors=(), publisher=None, place=None,
                                                    year=2020, language="vie", classification=None))
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
    statuses = ["available"] * 90 + ["on_loan"] * 7 + ["withdrawn"] * 2 + ["in_rotation"]

    def items():
        for i in range(1, copies + 1):
            owner = tvt if i % 20 else td             # one copy in twenty belongs to Tam Đường
            yield (i, f"BK{i:07d}", rng.randint(1, titles), owner, f"Kho {chr(65 + i % 6)}",
                   f"{rng.randint(0, 999):03d}.{rng.randint(0, 99):02d}", rng.choice(statuses), now, now)

    con.executemany(
        "INSERT INTO items (id, barcode, record_id, institution_id, shelf, call_number, status, accessioned, source,"
        " note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '2020-01-01', 'purchase', '', ?, ?)", items())
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return db_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--upload", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(21)
    workdir = Path(tempfile.mkdtemp(prefix="ilms-stocktake-"))
    try:
        t0 = time.perf_counter()
        db_path = build(workdir, copies=args.copies)
        print(f"built {args.copies} copies in {time.perf_counter() - t0:.1f} s ({db_path})")

        from ilms import create_app
        from ilms.accounts.models import User
        from ilms.catalog import stocktake as st
        from ilms.extensions import db
        from ilms.org.services import get_by_code

        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "DATA_DIR": str(workdir / "data"),
                          "SECRET_KEY": "benchmark"})
        rows = []
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == "bench"))
            with PeakRSS() as peak:
                start = time.perf_counter()
                stocktake = st.open_stocktake(get_by_code("TVT"), actor=user, name="Benchmark")
                db.session.commit()
                took = time.perf_counter() - start
            rows.append(Row(f"open: snapshot of {stocktake.expected_count} expected copies", [took], 1, took,
                            peak.peak_mb, note="once"))
            stocktake_id = stocktake.id
            db.session.remove()

        barcodes = [f"BK{i:07d}" for i in range(1, args.copies + 1)]
        rng.shuffle(barcodes)
        # mostly the library's own copies, some twice, some unknown: what a day of shelf-reading looks like
        http_codes = barcodes[:args.samples]
        http_codes[::25] = [f"XX{n:07d}" for n in range(len(http_codes[::25]))]
        http_codes[1::50] = http_codes[2::50][:len(http_codes[1::50])]
        client = app.test_client()
        token = csrf_token(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"csrf_token": token, "username": "bench", "password": PASSWORD})
        page = f"/catalog/stocktakes/{stocktake_id}"
        token = csrf_token(client.get(page).get_data(as_text=True))
        failures = []

        def scan_http(code):
            response = client.post(f"{page}/scan", data={"csrf_token": token, "code": code},
                                   headers={"Accept": "application/json"})
            if response.status_code != 200 or response.get_json()["kind"] not in {k.value for k in st.SeenAs}:
                failures.append(code)

        with PeakRSS() as peak:
            samples, wall = time_each(scan_http, http_codes)
        rows.append(Row("scan (test client: JSON, live figures, result)", samples, len(http_codes), wall,
                        peak.peak_mb, note="what the page's script waits for"))

        service_codes = barcodes[args.samples:2 * args.samples]
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == "bench"))
            stocktake = db.session.get(st.Stocktake, stocktake_id)

            def scan_service(code):
                st.record_scan(stocktake, code, actor=user)
                db.session.commit()

            with PeakRSS() as peak:
                samples, wall = time_each(scan_service, service_codes)
            rows.append(Row("scan (service record_scan + commit)", samples, len(service_codes), wall, peak.peak_mb))
            with PeakRSS() as peak:
                samples, wall = time_each(lambda _: st.counts(stocktake), range(200))
            rows.append(Row("live figures alone (counts)", samples, 200, wall, peak.peak_mb))
            db.session.remove()

        upload_codes = barcodes[2 * args.samples:2 * args.samples + args.upload]
        content = "\n".join(upload_codes).encode()
        token = csrf_token(client.get(page).get_data(as_text=True))
        with PeakRSS() as peak:
            start = time.perf_counter()
            response = client.post(f"{page}/upload", data={"csrf_token": token,
                                                            "file": (io.BytesIO(content), "scanner.txt")})
            took = time.perf_counter() - start
        if response.status_code != 302:
            failures.append("upload")
        rows.append(Row(f"scanner file of {len(upload_codes)} barcodes (upload route)", [took / len(upload_codes)],
                        len(upload_codes), took, peak.peak_mb, note="per barcode; one request"))

        con = sqlite3.connect(db_path)
        select_codes = barcodes[:args.samples]
        with PeakRSS() as peak:
            samples, wall = time_each(lambda code: con.execute(
                "SELECT id, institution_id, status, shelf, call_number FROM items WHERE barcode = ?",
                (code,)).fetchone(), select_codes)
        rows.append(Row("raw: sqlite3 SELECT by barcode (unique index)", samples, len(select_codes), wall,
                        peak.peak_mb, note="the floor"))
        con.close()
        print_table(f"Stocktake on {args.copies} copies (SQLite, one process)", rows, unit="scans")
        if failures:
            print(f"FAILURES: {len(failures)} (first: {failures[:3]})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
