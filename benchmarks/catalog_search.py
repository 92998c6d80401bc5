"""Search benchmark: 200 varied queries on a 100,000-record catalogue, staff and OPAC pages, beside bare whoosh.

    .venv/bin/python -m benchmarks.catalog_search [--workdir DIR] [--records 100000] [--queries 200]

``--workdir`` reuses what ``benchmarks.catalog_import --keep`` left (SQLite
file and index); otherwise the catalogue is imported first. Copies are then
given to a quarter of the records (so availability and library facets have
something to count) and the index is rebuilt with ``catalog reindex``.

Rows (each query once to warm up, then timed):
- bare whoosh: the same index and the same parsed query (whoosh's
  MultifieldParser over the same fields), ``searcher.search(q, limit=20)``
  and the hits' stored ids
- ILMS backend: ``WhooshBackend.search`` (parse, hit mask, facets, filters,
  the page of ids)
- staff search page: ``GET /catalog/?q=...`` through the Flask test client,
  signed in (database reads, availability per library, facets, HTML)
- OPAC search page: ``GET /opac/?q=...`` through the Flask test client
- ILMS search re-ranked: the backend's first 100 hits re-ordered by ``catalog.ranking`` (what both pages
  now call), to set beside "ILMS backend search"
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.measure import Row, percentile, print_table, time_each

ROOT = Path(__file__).resolve().parents[1]


def make_queries(records, count, rng):
    """Varied queries people type, drawn from the catalogue's own records."""
    from ilms.catalog.search import fold

    def words(text):
        return [w for w in re.findall(r"\w+", text) if len(w) > 2]

    queries = []
    with_title = [r for r in records if len(words(r.title)) >= 2]
    with_author = [r for r in records if r.authors]
    with_subject = [r for r in records if r.subjects]
    with_isbn = [r for r in records if r.isbn]
    for _ in range(count * 30 // 100):
        r = rng.choice(with_title)
        w = words(r.title)
        i = rng.randrange(len(w) - 1)
        text = " ".join(w[i:i + 2])
        queries.append({"q": fold(text) if rng.random() < 0.5 else text})
    for _ in range(count * 15 // 100):
        queries.append({"q": words(rng.choice(with_author).authors)[0]})
    for _ in range(count * 10 // 100):
        subject = words(rng.choice(with_subject).subjects)
        queries.append({"q": " ".join(subject[:2]) if subject else "history"})
    for _ in range(count * 8 // 100):
        isbn = rng.choice(with_isbn).isbn
        queries.append({"q": isbn if rng.random() < 0.5 else "-".join((isbn[:3], isbn[3:6], isbn[6:]))})
    for _ in range(count * 7 // 100):
        w = words(rng.choice(with_title).title)
        queries.append({"q": f'"{w[0]} {w[1]}"'})
    for _ in range(count * 7 // 100):
        queries.append({"q": f"tacgia:{words(rng.choice(with_author).authors)[0]}"})
    for word in ("history", "music", "jazz", "new zealand", "the", "poems", "france", "histoire", "war",
                 "python")[:count * 5 // 100]:
        queries.append({"q": word})
    for _ in range(count * 5 // 100):
        w = list(fold(rng.choice(words(rng.choice(with_title).title))))
        if len(w) > 3:
            w[1], w[2] = w[2], w[1]
        queries.append({"q": "".join(w) + "x"})
    filters = [{"lang": "eng"}, {"avail": "1"}, {"lib": "TVT"}, {"from": "1990", "to": "1999"}, {"type": "audio"},
               {"sort": "title"}, {"sort": "year"}]
    while len(queries) < count:
        r = rng.choice(with_title)
        queries.append({"q": words(r.title)[0], **rng.choice(filters)})
    rng.shuffle(queries)
    return queries[:count]


def give_copies(app, rng):
    """A quarter of the records get one or two copies at the demo libraries (a bulk insert: setup, not measured)."""
    import sqlalchemy as sa

    from ilms.catalog.models import Accession, Item, Record
    from ilms.demo.cli import load_all
    from ilms.extensions import db
    from ilms.org.models import Institution
    with app.app_context():
        load_all(echo=lambda *_: None, only={"network"})
        if db.session.scalar(sa.select(sa.func.count(Item.id))):
            return
        libraries = list(db.session.scalars(sa.select(Institution).where(
            Institution.kind.in_(["provincial_library", "district_library"]))))
        ids = list(db.session.scalars(sa.select(Record.id)))
        items, number = [], 0
        for record_id in rng.sample(ids, len(ids) // 4):
            for inst in rng.sample(libraries, rng.choice([1, 1, 2])):
                number += 1
                items.append({"barcode": f"B{number:08d}", "record_id": record_id, "institution_id": inst.id,
                              "status": "available" if rng.random() < 0.8 else "on_loan",
                              "accessioned": dt.date(2020, 1, 1), "source": "purchase", "shelf": "", "call_number": "",
                              "note": ""})
        db.session.execute(sa.insert(Item.__table__), items)
        rows = db.session.execute(sa.select(Item.id, Item.institution_id)).all()
        db.session.execute(sa.insert(Accession.__table__), [
            {"item_id": i, "institution_id": inst, "date": dt.date(2020, 1, 1), "source": "purchase"}
            for i, inst in rows])
        db.session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ilms-bench-search-"))
    if not (workdir / "ilms.sqlite").exists():
        print("importing the catalogue first (benchmarks.catalog_import)…", flush=True)
        subprocess.run([sys.executable, "-m", "benchmarks.catalog_import", "--records", str(args.records),
                        "--workdir", str(workdir), "--keep"], cwd=ROOT, check=True)
    os.environ["ILMS_DATABASE_URL"] = f"sqlite:///{workdir / 'ilms.sqlite'}"
    os.environ["ILMS_DATA_DIR"] = str(workdir / "data")
    os.environ.setdefault("ILMS_SECRET_KEY", "benchmark")

    import sqlalchemy as sa
    from whoosh import index as whoosh_index
    from whoosh import query as wq

    from ilms import create_app
    from ilms.catalog import indexing
    from ilms.catalog.models import Record
    from ilms.catalog.search import clean_query, parse_query
    from ilms.extensions import db
    from tests.conftest import Client, login

    rng = random.Random(1133)
    app = create_app()
    app.test_client_class = Client
    give_copies(app, rng)
    with app.app_context():
        started = time.perf_counter()
        count = indexing.reindex_all()
        reindex_seconds = time.perf_counter() - started
        records = db.session.scalars(sa.select(Record).order_by(sa.func.random()).limit(5000)).all()
        queries = make_queries(records, args.queries, rng)
        for r in records:
            db.session.expunge(r)
        index_dir = indexing.backend()._current_dir()
        from ilms.accounts import services as accounts
        from ilms.accounts.models import User
        if db.session.scalar(sa.select(User).where(User.username == "bench")) is None:
            from ilms.common.permissions import SYSTEM
            from ilms.org import services as org
            accounts.create_user(actor=SYSTEM, username="bench", full_name="Benchmark", password="bench-pass-1",
                                 role="librarian", institution=org.get_by_code("TVT"))
            db.session.commit()
        db.session.remove()
    print(f"{count} records indexed (reindex {reindex_seconds:.1f} s); {len(queries)} queries; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    # bare whoosh on the same index, with the same parsed query (whoosh's MultifieldParser over the same
    # fields; a phrase on a field without positions becomes its words, as whoosh cannot search it otherwise)
    ix = whoosh_index.open_dir(str(index_dir))
    searcher = ix.searcher()

    def bare(query):
        text = clean_query(query.get("q", ""))
        parsed = parse_query(text, ix.schema) if text else wq.Every()
        return [hit["id"] for hit in searcher.search(parsed, limit=20)]

    backend_app = app

    def ilms_backend(query):
        from ilms.catalog import services
        with backend_app.app_context():
            return indexing.backend().search(services.query_from_args(query))

    def ilms_reranked(query):
        """What the pages call: the backend's first 100 hits re-ranked (diacritics as typed, adjacent syllables)."""
        from ilms.catalog import ranking, services
        with backend_app.app_context():
            return ranking.search(indexing.backend(), services.query_from_args(query))

    staff = app.test_client()
    with app.app_context():
        login(staff, "bench", "bench-pass-1")
    opac = app.test_client()

    def page(client, path):
        def get(query):
            response = client.get(f"{path}?{urlencode(query)}")
            assert response.status_code == 200, (query, response.status_code)
        return get

    rows = []
    cold_samples, cold_wall = time_each(ilms_backend, queries)   # first time each query is seen in this process
    for name, fn in (("bare whoosh (MultifieldParser, top 20)", bare),
                     ("ILMS backend search (facets, filters)", ilms_backend),
                     ("staff search page /catalog/ (test client)", page(staff, "/catalog/")),
                     ("OPAC search page /opac/ (test client)", page(opac, "/opac/")),
                     ("ILMS search re-ranked (catalog.ranking)", ilms_reranked)):
        for query in queries:   # warm up: caches, facet masks, compiled templates
            fn(query)
        samples, wall = time_each(fn, queries)
        rows.append(Row(name, samples=samples, items=len(queries), wall=wall))
    rows.append(Row("ILMS backend search, cold (first sight)", samples=cold_samples, items=len(queries),
                    wall=cold_wall, note="each query's words read from disk for the first time"))
    print_table(f"Search: {len(queries)} varied queries on {count} records", rows, unit="queries")
    bare_p95 = rows[0].p95_ms
    for row in rows[2:4]:
        print(f"{row.name}: p95 {row.p95_ms:.1f} ms = {row.p95_ms / bare_p95:.2f} x bare whoosh p95 "
              f"({bare_p95:.1f} ms); targets: <= 2 x and < 30 ms")
    slow = sorted(zip(rows[2].samples, queries), key=lambda sq: -sq[0])[:5]
    print("slowest staff queries:", ", ".join(f"{q} {s * 1000:.0f} ms" for s, q in slow))
    print(f"p50/p95 check: {percentile(rows[2].samples, 50) * 1000:.1f} / {percentile(rows[2].samples, 95) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
