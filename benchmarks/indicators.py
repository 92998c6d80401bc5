"""How long the indicator document and page take on a province-year of operational records.

    .venv/bin/python -m benchmarks.indicators [--records 1000000] [--runs 5] [--keep DIR]

Builds a scratch SQLite database with the demo network and generated
operational records (``GENERATORS``: one function per table; a domain adds
its own, e.g. loans or visits, when its tables exist), then times, median of
several runs:

- the whole indicator document (``flask indicators --json``) for the province
  and for one district library, computed fresh (no cache), as the CLI and API do;
- the indicator page for the province for the year, cold (empty cache) and warm;
- the bare SQL: the very statements the document ran, captured and replayed
  on a raw ``sqlite3`` connection, i.e. the aggregate queries alone.

Indicators: whatever the domains have registered; the catalogue's four
(LIB.COPIES_ADDED, TITLES_ADDED, COPIES_WITHDRAWN, HOLDINGS) get stand-ins
written to the spec's definitions when they are not registered yet, so the
benchmark always measures real aggregate queries over the generated rows.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from benchmarks.measure import PeakRSS, Row, print_table

YEAR = 2024


@dataclass
class Generator:
    """Fills one table: ``fill(conn, network, rng, count) -> rows written``; ``share`` of the records."""

    name: str
    fill: Callable
    share: float


def _libraries(network):
    return [i for i in network if i["kind"] in ("provincial_library", "district_library")]


def fill_catalogue(conn, network, rng, count):
    """Records, copies and accession entries: about one record per ten copies, 5% of copies transferred."""
    libraries = _libraries(network)
    items = int(count * 0.47)
    records = max(1, count // 20)
    now = "2024-01-01 00:00:00"
    conn.executemany(
        "INSERT INTO records (id, title, title_sort, responsibility, authors, publisher, place, edition, language,"
        " classification, call_number, subjects, physical, material_type, marc, needs_reindex, created_at,"
        " updated_at) VALUES (?, ?, ?, '', '', '', '', '', 'vie', '', '', '', '', 'book', '{}', 0, ?, ?)",
        ((n, f"Sách {n}", f"sach {n:08d}", now, now) for n in range(1, records + 1)))
    sources = ["purchase"] * 6 + ["donation"] * 3 + ["legal_deposit", "exchange"]
    item_rows, accession_rows, transfers = [], [], 0
    for n in range(1, items + 1):
        owner = rng.choice(libraries)
        # copies accumulate since 2010; the benchmark year gets its share plus a bit
        year = rng.choice(list(range(2010, YEAR + 1)) + [YEAR] * 3)
        accessioned = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        source = rng.choice(sources)
        withdrawn = None
        if rng.random() < 0.06:
            withdrawn = (accessioned + dt.timedelta(days=rng.randrange(30, 3000))).isoformat()
            if withdrawn > f"{YEAR}-12-31":
                withdrawn = None
        item_rows.append((n, f"BC{n:08d}", rng.randrange(1, records + 1), owner["id"], "available",
                          accessioned.isoformat(), source, withdrawn, "worn" if withdrawn else None, now, now))
        accession_rows.append((n, owner["id"], accessioned.isoformat(), source, now))
        if rng.random() < 0.05:
            target = rng.choice(libraries)
            accession_rows.append((n, target["id"], (accessioned + dt.timedelta(days=200)).isoformat(),
                                   "transfer", now))
            transfers += 1
    conn.executemany(
        "INSERT INTO items (id, barcode, record_id, institution_id, status, accessioned, source, withdrawn_on,"
        " withdrawal_reason, shelf, call_number, note, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?)", item_rows)
    conn.executemany("INSERT INTO accessions (item_id, institution_id, date, source, created_at)"
                     " VALUES (?, ?, ?, ?, ?)", accession_rows)
    return records + len(item_rows) + len(accession_rows)


#: Every table the benchmark fills; domains append theirs (loans, visits, sessions...).
GENERATORS = [Generator("catalogue: records, items, accessions", fill_catalogue, 1.0)]


# -- stand-in indicators (only for codes no domain has registered yet) -----------------

def _standins():
    from ilms.catalog.models import ACQUIRING_SOURCES, Item
    from ilms.extensions import db
    from ilms.stats import registry

    libraries = frozenset({"provincial_library", "district_library"})

    def added(period, ids):
        return (Item.institution_id.in_(list(ids)), Item.accessioned >= period.start,
                Item.accessioned <= period.end, Item.source.in_(ACQUIRING_SOURCES))

    def monthly(column, where):
        def series(period, ids):
            year, month = sa.extract("year", column), sa.extract("month", column)
            rows = db.session.execute(sa.select(Item.institution_id, year, month, sa.func.count(Item.id))
                                      .where(*where(period, ids)).group_by(Item.institution_id, year, month))
            return {(inst, f"{int(y):04d}-{int(m):02d}"): n for inst, y, m, n in rows}
        return series

    def withdrawn_where(period, ids):
        return (Item.institution_id.in_(list(ids)), Item.withdrawn_on >= period.start,
                Item.withdrawn_on <= period.end)

    def per_inst(select):
        return {inst: value for inst, value in db.session.execute(select)}

    def copies_added(period, ids):
        return per_inst(sa.select(Item.institution_id, sa.func.count(Item.id)).where(*added(period, ids))
                        .group_by(Item.institution_id))

    def titles_added(period, ids):
        return per_inst(sa.select(Item.institution_id, sa.func.count(sa.distinct(Item.record_id)))
                        .where(*added(period, ids)).group_by(Item.institution_id))

    def titles_group(period, ids):
        return db.session.scalar(sa.select(sa.func.count(sa.distinct(Item.record_id))).where(*added(period, ids)))

    def withdrawn(period, ids):
        return per_inst(sa.select(Item.institution_id, sa.func.count(Item.id)).where(*withdrawn_where(period, ids))
                        .group_by(Item.institution_id))

    def holdings(period, ids):
        return per_inst(sa.select(Item.institution_id, sa.func.count(Item.id)).where(
            Item.institution_id.in_(list(ids)), Item.accessioned <= period.end,
            sa.or_(Item.withdrawn_on.is_(None), Item.withdrawn_on > period.end)).group_by(Item.institution_id))

    made = [
        registry.Indicator("LIB.COPIES_ADDED", "Bản sách bổ sung", "Copies acquired", libraries, copies_added,
                           series=monthly(Item.accessioned, added)),
        registry.Indicator("LIB.TITLES_ADDED", "Tên sách bổ sung", "Titles acquired", libraries, titles_added,
                           group=titles_group, distinct=True),
        registry.Indicator("LIB.COPIES_WITHDRAWN", "Bản sách thanh lọc", "Copies withdrawn", libraries, withdrawn,
                           series=monthly(Item.withdrawn_on, withdrawn_where)),
        registry.Indicator("LIB.HOLDINGS", "Vốn tài liệu", "Holdings", libraries, holdings),
    ]
    added_codes = []
    for indicator in made:
        if registry.get(indicator.code) is None:
            registry.register(indicator)
            added_codes.append(indicator.code)
    return added_codes


# -- the run ---------------------------------------------------------------------------

def build(workdir: Path, total: int, seed: int):
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.demo.cli import load_all
    from ilms.extensions import db
    from tests.conftest import make_config

    db_path = workdir / "bench.sqlite"
    app = create_app(make_config(db_path, workdir / "data"))
    with app.app_context():
        upgrade()
        load_all(echo=lambda *_: None, only={"network", "plan"})
        db.session.remove()
        db.engine.dispose()
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    network = [dict(r) for r in conn.execute("SELECT id, code, kind, level FROM institutions WHERE active = 1")]
    rng = random.Random(seed)
    written = {}
    conn.execute("BEGIN")
    for generator in GENERATORS:
        written[generator.name] = generator.fill(conn, network, rng, int(total * generator.share))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return app, db_path, written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="operational records to generate")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each measurement")
    parser.add_argument("--seed", type=int, default=1133)
    parser.add_argument("--keep", help="keep the scratch database in this folder")
    args = parser.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ilms-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    app, db_path, written = build(workdir, args.records, args.seed)
    print(f"generated {sum(written.values()):,} records in {time.perf_counter() - t0:.1f} s: "
          + ", ".join(f"{name} {count:,}" for name, count in written.items()))

    from ilms.accounts.models import User
    from ilms.common.time import Period
    from ilms.extensions import db
    from ilms.org.services import get_by_code
    from ilms.stats import cache, pages, registry, services
    from ilms.stats.scope import PROVINCE

    period = Period.year(YEAR)
    rows = []
    with app.app_context():
        standins = _standins()
        print(f"indicators: {len(registry.all_indicators())} registered"
              + (f" (stand-ins for {', '.join(standins)})" if standins else ""))
        district = get_by_code("TVH-TD")
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))

        captured = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        def timed(name, fn, note="", capture_sql=False):
            """Run ``fn`` ``--runs`` times; with ``capture_sql`` keep the statements of the first run."""
            samples = []
            with PeakRSS() as peak:
                start = time.perf_counter()
                for run in range(args.runs):
                    db.session.remove()
                    if capture_sql and run == 0:
                        sa.event.listen(db.engine, "before_cursor_execute", capture)
                    t = time.perf_counter()
                    fn()
                    samples.append(time.perf_counter() - t)
                    if capture_sql and run == 0:
                        sa.event.remove(db.engine, "before_cursor_execute", capture)
                wall = time.perf_counter() - start
            rows.append(Row(name, samples, items=args.runs, wall=wall, peak_mb=peak.peak_mb, note=note))

        timed("document, province, year (fresh, as CLI/API)",
              lambda: services.indicator_document(period), capture_sql=True)
        province_sql = [c for c in captured if c[0].lstrip().upper().startswith("SELECT")]
        captured.clear()
        timed("document, one district library (TVH-TD)",
              lambda: services.indicator_document(period, district), capture_sql=True)
        district_sql = [c for c in captured if c[0].lstrip().upper().startswith("SELECT")]

        raw = sqlite3.connect(db_path)

        def replay(statements):
            for statement, parameters in statements:
                raw.execute(statement, parameters).fetchall()

        timed(f"bare SQL of the province document ({len(province_sql)} q)", lambda: replay(province_sql),
              note="raw sqlite3")
        timed(f"bare SQL of the district document ({len(district_sql)} q)", lambda: replay(district_sql),
              note="raw sqlite3")

        def page_cold():
            cache.clear(app)
            pages.build_page(period, PROVINCE, user=manager, today=dt.date(YEAR + 1, 1, 15))

        def page_warm():
            pages.build_page(period, PROVINCE, user=manager, today=dt.date(YEAR + 1, 1, 15))

        timed("indicator page, province, year, empty cache", page_cold, note="+ last year, months")
        page_warm()
        timed("indicator page, province, year, warm cache", page_warm)

        def page_current():
            cache.clear(app)
            pages.build_page(period, PROVINCE, user=manager, today=dt.date(YEAR, 9, 15))

        timed("page for a current year (projections), cold", page_current, note="3 earlier years")
        raw.close()
        db.session.remove()
        db.engine.dispose()

    print_table(f"Indicator document and page, SQLite, {sum(written.values()):,} records, "
                f"median of {args.runs} runs", rows, unit="runs")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
