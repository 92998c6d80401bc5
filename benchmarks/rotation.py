"""Book rotation: a packing scan, a return scan, finishing a return, the dashboard, the ROT.* figures.

Builds a scratch database with the demo network and a year of rotation (32 crates in 8 districts), adds a
large crate of a district library, then compares each ILMS operation with the bare SQL doing the same
work on the same file.

    .venv/bin/python -m benchmarks.rotation [--copies 300]
"""
import argparse
import datetime as dt
import re
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.measure import PeakRSS, Row, print_table, time_each
from ilms.catalog import services as catalog
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period, local_today
from ilms.extensions import db
from ilms.org import services as org
from ilms.rotation import services as rotation
from ilms.stats import registry


def build(workdir):
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.config import TestConfig
    from ilms.demo.cli import load_all
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    db_path = Path(workdir) / "bench.sqlite"
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", DATA_DIR=str(Path(workdir) / "data"))
    app = create_app(config)
    with app.app_context():
        upgrade()
        load_all(echo=lambda *_: None, only={"network", "rotation"})
    return app, db_path


def signed_in(app, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "username": username, "password": "laichau2016"})
    return client, token


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=300, help="copies scanned into the big crate")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        app, db_path = build(workdir)
        with app.app_context():
            library = org.get_by_code("TVH-TD")
            point = org.get_by_code("BD-TD-BL")
            record = catalog.create_minimal_record(title="Sổ tay khuyến nông")
            barcodes = [i.barcode for i in catalog.add_copies(record, institution=library, actor=SYSTEM,
                                                              source="purchase", accessioned=dt.date(2022, 1, 1),
                                                              count=args.copies * 2)]
            crate = rotation.create_crate(actor=SYSTEM, institution=library, title="Thùng lớn")
            spare = rotation.create_crate(actor=SYSTEM, institution=library, title="Thùng so sánh")
            db.session.commit()
            crate_id, spare_id, point_id = crate.id, spare.id, point.id
        print(f"built in {time.perf_counter() - started:.0f} s")

        # 1. packing scans through the page (JSON answer with the re-drawn contents), as the script sends them
        client, _token = signed_in(app, "rotation")
        page = client.get(f"/rotation/crates/{crate_id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        scans = barcodes[:args.copies]

        def pack(code):
            answer = client.post(f"/rotation/crates/{crate_id}/pack", data={"csrf_token": token, "barcode": code},
                                 headers={"Accept": "application/json"}).get_json()
            assert answer["level"] == "ok", answer["message"]

        with PeakRSS() as peak:
            samples, wall = time_each(pack, scans)
        rows.append(Row("pack scan (page, JSON + contents)", samples, len(scans), wall, peak.peak_mb,
                        f"crate grows to {len(scans)} copies"))

        with app.app_context():
            others = barcodes[args.copies:]
            spare = rotation.get_crate(spare_id)
            samples, wall = time_each(lambda code: (rotation.pack(spare, code, actor=SYSTEM), db.session.commit()),
                                      others[:100])
        rows.append(Row("  pack (service, one commit each)", samples, 100, wall))

        raw = sqlite3.connect(db_path)
        raw.execute("PRAGMA synchronous = NORMAL")
        raw_codes = others[100:200]

        def bare(code):
            item_id, status = raw.execute("SELECT id, status FROM items WHERE barcode = ?", (code,)).fetchone()
            raw.execute("SELECT 1 FROM crate_items WHERE item_id = ?", (item_id,)).fetchone()
            raw.execute("SELECT 1 FROM loans WHERE item_id = ? AND returned_at IS NULL AND voided_at IS NULL",
                        (item_id,)).fetchone()
            raw.execute("INSERT INTO crate_items (crate_id, item_id, added_at) VALUES (?, ?, ?)",
                        (spare_id, item_id, "2024-01-01 00:00:00"))
            raw.commit()

        samples, wall = time_each(bare, raw_codes)
        rows.append(Row("  bare SQL: look up, check, insert, commit", samples, len(raw_codes), wall))

        # 2. dispatch, then the return check: scans, then finishing the return
        with app.app_context():
            crate = rotation.get_crate(crate_id)
            started = time.perf_counter()
            rotation.dispatch(crate, point=db.session.get(type(point), point_id), actor=SYSTEM)
            db.session.commit()
            dispatch_s = time.perf_counter() - started
        rows.append(Row(f"dispatch a crate of {len(scans)} copies", [dispatch_s], 1, dispatch_s))
        page = client.get(f"/rotation/crates/{crate_id}/return").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        back = scans[:-5]

        def check(code):
            answer = client.post(f"/rotation/crates/{crate_id}/return/scan",
                                 data={"csrf_token": token, "barcode": code},
                                 headers={"Accept": "application/json"}).get_json()
            assert answer["level"] == "ok", answer["message"]

        with PeakRSS() as peak:
            samples, wall = time_each(check, back)
        rows.append(Row("return scan (page, JSON + checklist)", samples, len(back), wall, peak.peak_mb))
        with app.app_context():
            crate = rotation.get_crate(crate_id)
            started = time.perf_counter()
            rotation.return_crate(crate, actor=SYSTEM)
            db.session.commit()
            finish_s = time.perf_counter() - started
        rows.append(Row("finish the return (5 missing)", [finish_s], 1, finish_s))

        # 3. pages and figures
        admin, _token = signed_in(app, "admin")
        samples, wall = time_each(lambda _: admin.get("/rotation/"), range(20))
        rows.append(Row("dashboard, whole province (admin)", samples, 20, wall))
        with app.app_context():
            today = local_today()
            year = Period(today - dt.timedelta(days=365), today)
            libraries = [i.id for i in org.all_institutions(kinds=["district_library", "provincial_library"])]
            points = [i.id for i in org.all_institutions(kinds=["postal_cultural_point"])]
            for code in ("ROT.CRATES_SENT", "ROT.COPIES_SENT", "ROT.POINTS_SERVED", "ROT.COPIES_MISSING",
                         "ROT.POINT_VISITS", "ROT.POINT_LOANS"):
                indicator = registry.get(code)
                ids = points if code.startswith("ROT.POINT_") else libraries
                samples, wall = time_each(lambda _: indicator.compute(year, ids), range(20))
                rows.append(Row(f"{code} for {len(ids)} institutions", samples, 20, wall))
            trips = db.session.scalar(sa.text("SELECT count(*) FROM dispatch_items"))
        samples, wall = time_each(lambda _: raw.execute(
            "SELECT d.institution_id, count(*) FROM dispatch_items i JOIN dispatches d ON d.id = i.dispatch_id "
            "WHERE d.cancelled_at IS NULL GROUP BY d.institution_id").fetchall(), range(20))
        rows.append(Row("  bare SQL: copies sent per library", samples, 20, wall, note=f"{trips} copies sent"))
        raw.close()
    print_table("Book rotation (SQLite, demo province + one large crate)", rows)


if __name__ == "__main__":
    main()
