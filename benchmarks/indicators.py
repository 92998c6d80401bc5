"""How long the indicator document and page take on a province-year of operational records.

    .venv/bin/python -m benchmarks.indicators [--records 1000000] [--runs 5] [--keep DIR]

Builds a scratch SQLite database with the demo network and generated
operational records (``GENERATORS``: one function per table; a domain adds
its own, e.g. loans or visits, when its tables exist), then times, median of
several runs:

- the whole indicator document (``flask indicators --json``) for the province
  and for one district library, computed fresh (no cache), as the CLI and API do;
- the indicator page for the province for the year, cold (empty cache), warm, and warm after a change
  at one district library (what the page costs on a working day);
- the bare SQL: the very statements the document ran, captured and replayed
  on a raw ``sqlite3`` connection, i.e. the aggregate queries alone;
- the page of a current year (projections by the go-live rules) cold, beside
  its bare SQL, and warm; ``flask indicators-prepare`` (the night's job) and
  the first page of the morning in a worker that has computed nothing but
  merges the prepared figures (target: under 1.5 s; warm under 50 ms).

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


def _instant(rng, year):
    """A UTC instant inside opening hours (07:00–20:00 local) on a random day of ``year``."""
    local = dt.datetime(year, 1, 1, 7) + dt.timedelta(days=rng.randrange(365), seconds=rng.randrange(13 * 3600))
    return local - dt.timedelta(hours=7)


def _stamp(instant):
    return instant.strftime("%Y-%m-%d %H:%M:%S.%f")


def _year(rng):
    """Most events fall in the benchmark year; a fifth in the year before (the page compares with it)."""
    return YEAR if rng.random() < 0.8 else YEAR - 1


PATRONS = 20_000


def fill_patrons(conn, network, rng, count):
    """The readers the loans, visits and sessions belong to (a fixed 20,000, each at a library)."""
    libraries = _libraries(network)
    now = "2024-01-01 00:00:00.000000"
    groups = ["01", "03", "08", "25", "09", "35"]
    conn.executemany(
        "INSERT INTO patrons (id, barcode, name, name_folded, name_sort, category, ethnicity, sex, birth_year,"
        " address, phone, institution_id, note, created_at, updated_at, email, notice_channel, keep_history,"
        " pin_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, '', ?, ?, '', 'auto', 0, '')",
        ((n, f"BD{n:07d}", f"Bạn đọc {n}", f"ban doc {n}", f"ban doc {n:08d}",
          rng.choice(["adult", "student", "child"]), rng.choice(groups), rng.choice("FM"),
          rng.randrange(1950, 2018), rng.choice(libraries)["id"], now, now) for n in range(1, PATRONS + 1)))
    return PATRONS


def _reader_key(patron):
    return f"k{patron:09d}"


def fill_loans(conn, network, rng, count):
    """Checkouts (all returned, some at another library, 1% voided) and a renewal for one loan in ten."""
    libraries = _libraries(network)
    items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] or 1
    loans, renewals = [], []
    loan_count = int(count / 1.1)
    for n in range(1, loan_count + 1):
        inst = rng.choice(libraries)["id"]
        patron = rng.randrange(1, PATRONS + 1)
        out = _instant(rng, _year(rng))
        back = out + dt.timedelta(days=rng.randrange(1, 40), hours=rng.randrange(0, 5))
        returned_at = rng.choice(libraries)["id"] if rng.random() < 0.05 else inst
        voided = _stamp(out + dt.timedelta(minutes=2)) if rng.random() < 0.01 else None
        loans.append((n, rng.randrange(1, items + 1), patron, _reader_key(patron), inst, _stamp(out),
                      (out + dt.timedelta(days=21)).date().isoformat(), _stamp(back), returned_at, voided))
        if rng.random() < 0.1:
            at = out + dt.timedelta(days=rng.randrange(1, 20))
            renewals.append((n, inst, _stamp(at), (out + dt.timedelta(days=21)).date().isoformat(),
                             (out + dt.timedelta(days=42)).date().isoformat()))
    conn.executemany(
        "INSERT INTO loans (id, item_id, patron_id, reader_key, institution_id, checked_out_at, due_date, renewals,"
        " returned_at, return_institution_id, from_rotation, reminders_sent, voided_at, void_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, 0, ?, '')", loans)
    conn.executemany("INSERT INTO renewals (loan_id, institution_id, at, previous_due, new_due)"
                     " VALUES (?, ?, ?, ?, ?)", renewals)
    return len(loans) + len(renewals)


def fill_visits(conn, network, rng, count):
    """Desk check-ins (card scanned at the entrance or reading room)."""
    libraries = _libraries(network)
    rows = []
    for _ in range(count):
        patron = rng.randrange(1, PATRONS + 1)
        rows.append((patron, _reader_key(patron), rng.choice(libraries)["id"], _stamp(_instant(rng, _year(rng)))))
    conn.executemany("INSERT INTO visits (patron_id, reader_key, institution_id, at) VALUES (?, ?, ?, ?)", rows)
    return len(rows)


def fill_tallies(conn, network, rng, count):
    """Paper counts: anonymous visitors and loans at libraries and postal cultural points."""
    places = [i for i in network if i["kind"] in ("provincial_library", "district_library",
                                                  "postal_cultural_point")]
    rows = [(rng.choice(places)["id"], (dt.date(_year(rng), 1, 1) + dt.timedelta(days=rng.randrange(365))).isoformat(),
             rng.choice(["visits", "loans"]), rng.randrange(1, 40), "2024-01-01 00:00:00.000000")
            for _ in range(count)]
    conn.executemany("INSERT INTO tallies (institution_id, date, kind, count, note, created_at)"
                     " VALUES (?, ?, ?, ?, '', ?)", rows)
    return len(rows)


def fill_sessions(conn, network, rng, count):
    """Public computers (four per library, one per point) and their sessions: a third by guests, 1% voided."""
    hosts = [i for i in network if i["kind"] in ("provincial_library", "district_library",
                                                 "postal_cultural_point", "internet_point")]
    stations = []
    for host in hosts:
        for k in range(4 if "library" in host["kind"] else 1):
            stations.append((len(stations) + 1, f"BENCH-{host['code']}-{k}", host["id"]))
    conn.executemany("INSERT INTO internet_stations (id, code, institution_id, label, in_service_from, training_only,"
                     " out_of_order, notes, created_at, updated_at) VALUES (?, ?, ?, '', '2015-01-01', 0, 0, '',"
                     " '2015-01-01 00:00:00.000000', '2015-01-01 00:00:00.000000')", stations)
    rows = []
    for _ in range(count):
        station, _code, host = rng.choice(stations)
        start = _instant(rng, _year(rng))
        seconds = rng.randrange(300, 7200)
        guest = rng.random() < 0.33
        patron = None if guest else rng.randrange(1, PATRONS + 1)
        voided = rng.random() < 0.01
        rows.append((station, host, patron, _reader_key(patron) if patron else "", int(guest),
                     "voided" if voided else "ended", _stamp(start), _stamp(start + dt.timedelta(seconds=seconds)),
                     seconds, _stamp(start + dt.timedelta(seconds=seconds)) if voided else None,
                     "2024-01-01 00:00:00.000000"))
    conn.executemany(
        "INSERT INTO internet_sessions (station_id, institution_id, patron_id, reader_key, is_guest, state,"
        " started_at, ended_at, duration_seconds, voided_at, void_reason, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)", rows)
    return len(stations) + len(rows)


#: Every table the benchmark fills, with its share of ``--records``: about a fifth catalogue (records,
#: copies, accession entries), the rest the year's operational events.
GENERATORS = [
    Generator("catalogue: records, items, accessions", fill_catalogue, 0.2),
    Generator("readers", fill_patrons, 0.0),
    Generator("loans and renewals", fill_loans, 0.38),
    Generator("desk check-ins", fill_visits, 0.25),
    Generator("internet sessions", fill_sessions, 0.13),
    Generator("tallies", fill_tallies, 0.02),
]


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

        from ilms.signals import data_changed

        def page_after_a_loan():
            # What a checkout at one district library sends: only that library's figures are recomputed.
            data_changed.send("circulation", institution_ids=[district.id])
            pages.build_page(period, PROVINCE, user=manager, today=dt.date(YEAR + 1, 1, 15))

        timed("page, province, year, after a loan at TVH-TD", page_after_a_loan,
              note="cache: that library's figures renewed")

        current_day = dt.date(YEAR, 9, 15)

        def page_current():
            cache.clear(app)
            pages.build_page(period, PROVINCE, user=manager, today=current_day)

        captured.clear()
        timed("page for a current year (projections), cold", page_current, note="go-live years, 3 at most",
              capture_sql=True)
        current_sql = [c for c in captured if c[0].lstrip().upper().startswith("SELECT")]
        timed(f"bare SQL of the current-year page ({len(current_sql)} q)", lambda: replay(current_sql),
              note="raw sqlite3")

        def page_current_warm():
            pages.build_page(period, PROVINCE, user=manager, today=current_day)

        page_current_warm()
        timed("page for a current year (projections), warm", page_current_warm)

        from ilms.stats.prepare import prepare

        def prepare_night():
            # a night with nothing prepared yet: no cache in memory, no file from the night before
            app.extensions.pop("ilms_stats_cache", None)
            Path(cache.prepared_path(app)).unlink(missing_ok=True)
            prepare(today=current_day)

        timed("indicators-prepare: province + 8 areas (night)", prepare_night, note="after the night's data")

        def first_page_of_the_morning():
            # a web worker that has computed nothing: it merges the prepared file, then builds the page
            app.extensions.pop("ilms_stats_cache", None)
            pages.build_page(period, PROVINCE, user=manager, today=current_day)

        timed("first page of the morning, prepared (new worker)", first_page_of_the_morning,
              note="cold process, prepared figures")

        # issue 25: the same province-year document once the network changed inside the year
        # (the district libraries become branches of the provincial library on 1 July, the district
        # cultural centres' houses stay): every figure is read by segment, under each one's structure
        timed("document, province, year, no change (again, beside the next row)",
              lambda: services.indicator_document(period), note="the same moment, warm disk")
        from ilms.common.permissions import SYSTEM
        from ilms.org import history
        from ilms.org.models import Institution, InstitutionKind
        provincial = get_by_code("TVT")
        district_libraries = db.session.scalars(sa.select(Institution).where(
            Institution.kind == InstitutionKind.DISTRICT_LIBRARY)).all()
        batch = ([{"code": i.code, "parent": provincial.code}
                  for i in district_libraries if i.parent_id != provincial.id]
                 or [{"code": i.code, "name": i.name + " – chi nhánh"} for i in district_libraries])
        history.apply_batch(dt.date(YEAR, 7, 1), batch, actor=SYSTEM, today=dt.date(YEAR, 6, 30))
        db.session.commit()
        timed("document, province, year, one reorganisation on 1 July", lambda: services.indicator_document(period),
              note="2 segments, each under its structure")
        raw.close()
        db.session.remove()
        db.engine.dispose()

    print_table(f"Indicator document and page, SQLite, {sum(written.values()):,} records, "
                f"median of {args.runs} runs", rows, unit="runs")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
