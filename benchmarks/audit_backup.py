"""What the audit trail costs a write, and what a backup costs, beside the raw library.

    .venv/bin/python -m benchmarks.audit_backup [--rows 400] [--backup-rows 20000] [--url URL]

Writes: one institution created through the service and committed, per
operation, with the trail off, on (one entry per row) and in ``bulk`` mode
(one summary entry), beside a bare SQL insert and commit of the same row;
then an import-like run (2000 rows, a commit every 200; time per row) with
the trail on and inside ``bulk``.
Backups: ``backup create`` of a database with ``--backup-rows`` institutions
(and their audit entries), beside the bare SQLite online backup API copying
the same file (SQLite only). ``--url`` runs against another empty database
(e.g. PostgreSQL; it is migrated first).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from benchmarks.measure import PeakRSS, Row, print_table, time_each
from ilms import create_app
from ilms.audit import bulk
from ilms.common.permissions import SYSTEM
from ilms.config import TestConfig
from ilms.extensions import db
from ilms.org import services as org


def make_app(url, data_dir, **extra):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, DATA_DIR=str(data_dir), TESTING=False, **extra)
    return create_app(config)


def create_one(prefix):
    def run(n):
        org.create_institution(actor=SYSTEM, code=f"{prefix}{n:06d}", name=f"Nhà văn hoá bản số {n}",
                               kind="cultural_house", level="village")
        db.session.commit()
    return run


def bench_writes(url, rows, scratch):
    results = []
    app_off = make_app(url, scratch / "off", AUDIT_ENABLED=False)
    with app_off.app_context():
        upgrade()
        db.session.remove()
        # Bare SQL: the same row through the same engine, one transaction each.
        table = db.metadata.tables["institutions"]
        now = dt.datetime.now(dt.timezone.utc)

        def raw(n):
            with db.engine.begin() as connection:
                connection.execute(table.insert().values(
                    code=f"R{n:06d}", name=f"Nhà văn hoá bản số {n}", name_sort="x", kind="cultural_house",
                    level="village", address="", phone="", email="", active=True, created_at=now,
                    updated_at=now))
        samples, wall = time_each(raw, range(rows))
        results.append(Row("bare SQL insert + commit (raw)", samples, rows, wall))
        samples, wall = time_each(create_one("A"), range(rows))
        results.append(Row("service create + commit, audit off", samples, rows, wall))
        db.session.remove()
    app_on = make_app(url, scratch / "on")
    with app_on.app_context():
        samples, wall = time_each(create_one("B"), range(rows))
        results.append(Row("service create + commit, audit on", samples, rows, wall,
                           note="one audit entry per row"))
        with bulk("benchmark"):
            samples, wall = time_each(create_one("C"), range(rows))
        results.append(Row("service create + commit, inside bulk()", samples, rows, wall,
                           note="one summary entry"))
        entries = db.session.scalar(sa.text("SELECT count(*) FROM audit_entries"))
        results[-2].note += f"; {entries} entries in all"
        for label, audited in (("audit on", True), ("inside bulk()", False)):
            app_on.extensions["ilms_audit"] = True
            before = db.session.scalar(sa.text("SELECT count(*) FROM audit_entries"))
            prefix = "E" if audited else "F"
            t0 = time.perf_counter()
            samples = []
            with (bulk("benchmark import") if not audited else _nothing()):
                for start in range(0, IMPORT_ROWS, IMPORT_BATCH):
                    b0 = time.perf_counter()
                    for n in range(start, start + IMPORT_BATCH):
                        org.create_institution(actor=SYSTEM, code=f"{prefix}{n:06d}", name=f"Bản số {n}",
                                               kind="cultural_house", level="village")
                    db.session.commit()
                    samples.append((time.perf_counter() - b0) / IMPORT_BATCH)
            wall = time.perf_counter() - t0
            made = db.session.scalar(sa.text("SELECT count(*) FROM audit_entries")) - before
            results.append(Row(f"import {IMPORT_ROWS} rows, commit per {IMPORT_BATCH}, {label}", samples,
                               IMPORT_ROWS, wall, note=f"{made} audit entries"))
        db.session.remove()
        db.engine.dispose()
    return results


IMPORT_ROWS, IMPORT_BATCH = 2000, 200


@contextlib.contextmanager
def _nothing():
    yield


def bench_backup(url, rows, scratch):
    app = make_app(url, scratch / "backup-data")
    results = []
    with app.app_context():
        with bulk("benchmark fill"):
            for n in range(rows):
                org.create_institution(actor=SYSTEM, code=f"D{n:06d}", name=f"Điểm bưu điện văn hoá số {n}",
                                       kind="postal_cultural_point", level="commune")
                if n % 1000 == 999:
                    db.session.commit()
            db.session.commit()
        db.session.remove()
        runner = app.test_cli_runner()
        with PeakRSS() as peak:
            t0 = time.perf_counter()
            result = runner.invoke(args=["backup", "create", "--to", str(scratch / "archives")])
            wall = time.perf_counter() - t0
        assert result.exit_code == 0, result.output
        archive = Path(result.output.split(": ")[0])
        size = archive.stat().st_size / 2**20
        results.append(Row(f"backup create ({rows} rows)", [wall], 1, wall, peak.peak_mb,
                           note=f"archive {size:.1f} MB"))
        if db.engine.dialect.name == "sqlite":
            source_path = db.engine.url.database
            t0 = time.perf_counter()
            source, copy = sqlite3.connect(source_path), sqlite3.connect(scratch / "raw-copy.sqlite")
            source.backup(copy)
            copy.close()
            source.close()
            wall = time.perf_counter() - t0
            raw_size = Path(scratch / "raw-copy.sqlite").stat().st_size / 2**20
            results.append(Row("sqlite3 online backup API (raw)", [wall], 1, wall,
                               note=f"file {raw_size:.1f} MB, uncompressed"))
        db.engine.dispose()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--backup-rows", type=int, default=20000)
    parser.add_argument("--url", default=None, help="an empty database to use instead of a SQLite file")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ilms-bench-audit-"))
    try:
        url = args.url or f"sqlite:///{scratch / 'bench.sqlite'}"
        rows = bench_writes(url, args.rows, scratch)
        print_table(f"Writes with the audit trail ({sa.engine.make_url(url).get_backend_name()}, "
                    f"{args.rows} rows each)", rows, unit="rows")
        print_table("Backups", bench_backup(url, args.backup_rows, scratch), unit="backups")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
