"""Copy cataloguing benchmark: 100 records copied from a second ILMS on loopback, beside a bare SRU fetch + pymarc.

    .venv/bin/python -m benchmarks.copy_cataloguing [--records 100] [--rounds 5] [--workdir DIR]

A source ILMS is loaded with the first ``--records`` real records of
``shared/data/marc/bib/loc_sru_386.utf8.mrc`` and served over HTTP on
127.0.0.1 (werkzeug, threaded) at its own ``/sru``. Each round copies them all
into a fresh, migrated destination database. Rows (one sample = one round,
throughput in records/s):

- bare SRU fetch + pymarc: ``urllib`` GETs of the searchRetrieve pages
  (50 records each) and ``pymarc.parse_xml_to_array`` over each answer
- ILMS search: ``copycat.search_target`` for the same pages (fetch, parse,
  MARCXML decoding to NFC, encoding rules)
- ILMS copy import, one batch: the search, then ``copycat.import_records``
  of all records in one transaction (matching, SQLite, search index)
- ILMS copy import, record by record: the search, then one
  ``import_records`` per record, as the page's "Import" button does
"""
from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.measure import PeakRSS, Row, print_table

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "marc" / "bib" / "loc_sru_386.utf8.mrc"
PAGE = 50
CQL = "cql.allRecords = 1"


def _config(db_path, data_dir):
    from ilms.config import TestConfig
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", DATA_DIR=str(data_dir))
    return config


def _template(workdir):
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.extensions import db
    path = workdir / "template.sqlite"
    app = create_app(_config(path, workdir / "template-data"))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return path


def _app(workdir, template, name):
    from ilms import create_app
    path = workdir / f"{name}.sqlite"
    shutil.copy(template, path)
    return create_app(_config(path, workdir / f"{name}-data"))


def _pages(records):
    return [(start, min(PAGE, records - start + 1)) for start in range(1, records + 1, PAGE)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ilms-copycat-"))
    workdir.mkdir(parents=True, exist_ok=True)

    import pymarc
    from werkzeug.serving import make_server

    from ilms.catalog import copycat, importer, marcio
    from ilms.common.permissions import SYSTEM
    from ilms.extensions import db

    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    template = _template(workdir)
    source = _app(workdir, template, "source")
    with source.app_context(), open(SOURCE, "rb") as fh:
        parsed = [p for _n, p in zip(range(args.records), marcio.read_file(fh))]
        importer.MarcImporter().run(parsed)
        db.session.remove()
    server = make_server("127.0.0.1", 0, source, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/sru"
    target = copycat.Target(name="ILMS nguồn", url=url, timeout=30)
    pages = _pages(args.records)

    def bare():
        count = 0
        for start, size in pages:
            query = urllib.parse.urlencode({"version": "1.2", "operation": "searchRetrieve", "query": CQL,
                                            "startRecord": start, "maximumRecords": size,
                                            "recordSchema": "marcxml"})
            with urllib.request.urlopen(f"{url}?{query}", timeout=30) as response:
                count += len(pymarc.parse_xml_to_array(io.BytesIO(response.read())))
        return count

    def fetch():
        hits = []
        for start, size in pages:
            result = copycat.search_target(target, CQL, maximum=size, start=start)
            if result.error:
                raise SystemExit(str(result.error))
            hits.extend(result.hits)
        return hits

    rows = []

    def measure(name, fn, note=""):
        row = Row(name, note=note)
        with PeakRSS() as peak:
            start = time.perf_counter()
            for number in range(args.rounds):
                t0 = time.perf_counter()
                row.items += fn(number)
                row.samples.append(time.perf_counter() - t0)
            row.wall = time.perf_counter() - start
        row.peak_mb = peak.peak_mb
        rows.append(row)

    measure("bare SRU fetch + pymarc.parse_xml_to_array", lambda _n: bare(), f"{len(pages)} pages")
    dest_template = _app(workdir, template, "warm")
    with dest_template.app_context():
        measure("ILMS copycat search (fetch, decode, NFC)", lambda _n: len(fetch()))

    def import_round(number, one_by_one):
        destination = _app(workdir, template, f"dest-{'one' if one_by_one else 'batch'}-{number}")
        with destination.app_context():
            hits = fetch()
            if one_by_one:
                for hit in hits:
                    copycat.import_records([hit.record], source_name=target.name, actor=SYSTEM)
                    db.session.commit()
            else:
                copycat.import_records([h.record for h in hits], source_name=target.name, actor=SYSTEM)
                db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return len(hits)

    measure("ILMS copy import, one batch", lambda n: import_round(n, False), "search + import + index")
    measure("ILMS copy import, record by record", lambda n: import_round(n, True), "as the Import button")
    server.shutdown()
    print_table(f"Copy cataloguing: {args.records} records from ILMS on loopback, {args.rounds} rounds "
                f"(one sample = one round)", rows, unit="records")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
