"""Import benchmark: a 100,000-record MARC file into SQLite and the search index, beside bare pymarc and bare whoosh.

    .venv/bin/python -m benchmarks.catalog_import [--records 100000] [--workdir DIR] [--keep]

The file is built at run time from the real records of ``shared/data/marc``
(``catalog_corpus``). Each measured run is its own process, so its peak
memory is its own: the import's parent (parse, match, SQLite) and its child
(the search index writer) are reported separately and summed.

Rows:
- bare pymarc: ``MARCReader`` over the file (to_unicode, permissive)
- bare whoosh: the documents the import indexes (prepared beforehand, not
  timed), added to a fresh index with a plain whoosh writer and committed
- bare whoosh, 2 processes: the same with whoosh's own multiprocessing writer
- ILMS import: ``importer.import_path`` end to end (read, decode MARC-8/UTF-8,
  NFC, match, store in batches, index after each commit), as
  ``flask catalog import-marc`` runs it
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import Row, print_table

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024


def phase_pymarc(args):
    import contextlib
    import io

    import pymarc
    start = time.perf_counter()
    count = 0
    with open(args.file, "rb") as fh, contextlib.redirect_stderr(io.StringIO()):
        for record in pymarc.MARCReader(fh, to_unicode=True, permissive=True):
            count += record is not None
    return {"count": count, "wall": time.perf_counter() - start}


def _source_documents():
    """The search documents of the distinct source records (the corpus repeats them)."""
    from ilms.catalog import indexing, marc, marcio
    docs = []
    with open(args_global.file, "rb") as fh:
        for parsed in marcio.read_file(fh):
            if parsed.ok:
                docs.append(indexing.document(0, parsed.record, marc.extract(parsed.record)))
            if len(docs) >= args_global.sources:
                break
    return docs


def phase_whoosh(args, procs=1):
    from whoosh import index

    from ilms.catalog.search import SCHEMA, _whoosh_fields
    docs = [_whoosh_fields(d) for d in _source_documents()]
    target = Path(args.workdir) / f"bare-whoosh-{procs}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    ix = index.create_in(str(target), SCHEMA)
    start = time.perf_counter()
    writer = ix.writer(procs=procs, multisegment=procs > 1) if procs > 1 else ix.writer()
    for n in range(args.records):
        doc = dict(docs[n % len(docs)])
        doc["id"] = str(n + 1)
        writer.add_document(**doc)
    writer.commit()
    return {"count": args.records, "wall": time.perf_counter() - start}


def phase_import(args):
    os.environ["ILMS_DATABASE_URL"] = f"sqlite:///{Path(args.workdir) / 'ilms.sqlite'}"
    os.environ["ILMS_DATA_DIR"] = str(Path(args.workdir) / "data")
    os.environ.setdefault("ILMS_SECRET_KEY", "benchmark")
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.catalog import importer
    from benchmarks.measure import PeakRSS
    app = create_app()
    with app.app_context():
        upgrade()
        with PeakRSS() as peak:
            start = time.perf_counter()
            summary = importer.import_path(args.file)
            wall = time.perf_counter() - start
        # counted afterwards: opening the index maps its files, which is not the import's memory
        from ilms.catalog import indexing
        indexed = indexing.backend().count()
    return {"count": summary.read, "created": summary.created, "skipped": summary.skipped, "indexed": indexed,
            "wall": wall, "peak_during_mb": peak.peak_mb}


def run_phase(name, args):
    command = [sys.executable, "-m", "benchmarks.catalog_import", "--phase", name, "--file", args.file,
               "--records", str(args.records), "--workdir", args.workdir, "--sources", str(args.sources)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"phase {name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


args_global = None


def main():
    global args_global
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (the search benchmark can use it)")
    parser.add_argument("--phase", choices=["pymarc", "whoosh", "whoosh2", "import"])
    parser.add_argument("--file")
    parser.add_argument("--sources", type=int, default=0)
    args = args_global = parser.parse_args()

    if args.phase:
        result = {"pymarc": phase_pymarc, "whoosh": phase_whoosh, "whoosh2": lambda a: phase_whoosh(a, 2),
                  "import": phase_import}[args.phase](args)
        result["rss_self_mb"] = _rss_mb(resource.RUSAGE_SELF)
        result["rss_children_mb"] = _rss_mb(resource.RUSAGE_CHILDREN)
        for who, key in ((resource.RUSAGE_SELF, "cpu_self"), (resource.RUSAGE_CHILDREN, "cpu_children")):
            usage = resource.getrusage(who)
            result[key] = usage.ru_utime + usage.ru_stime
        print(json.dumps(result))
        return

    from benchmarks.catalog_corpus import build
    given = args.workdir is not None
    workdir = args.workdir or tempfile.mkdtemp(prefix="ilms-bench-import-")
    args.workdir = workdir
    Path(workdir).mkdir(parents=True, exist_ok=True)
    args.file = str(Path(workdir) / f"corpus-{args.records}.mrc")
    args.sources = build(args.file, args.records)
    size_mb = Path(args.file).stat().st_size / 2**20
    print(f"corpus: {args.records} records ({size_mb:.0f} MB) built from {args.sources} real records; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}", flush=True)

    rows = []
    for phase, label in (("pymarc", "bare pymarc MARCReader (parse only)"),
                         ("whoosh", "bare whoosh indexing (1 writer)"),
                         ("whoosh2", "bare whoosh indexing (procs=2)"),
                         ("import", "ILMS import-marc (SQLite + index)")):
        result = run_phase(phase, args)
        peak = result["rss_self_mb"] + (result["rss_children_mb"] if phase == "whoosh2" else 0)
        note = ""
        if phase == "import":
            peak = result["peak_during_mb"] + result["rss_children_mb"]
            note = (f"created {result['created']}, skipped {result['skipped']}, indexed {result['indexed']}; "
                    f"peak = parent {result['peak_during_mb']:.0f} + index writer {result['rss_children_mb']:.0f} MB; "
                    f"CPU s: parent {result['cpu_self']:.0f}, index writer {result['cpu_children']:.0f}")
        elif phase.startswith("whoosh"):
            note = f"CPU s: {result['cpu_self'] + result['cpu_children']:.0f}"
        row = Row(label, samples=[result["wall"] / max(result["count"], 1)], items=result["count"],
                  wall=result["wall"], peak_mb=peak, note=note)
        rows.append(row)
        print(f"  {label}: {row.throughput:.0f} records/s", flush=True)
    print_table(f"Import of {args.records} MARC records (median/p95 = seconds per record x 1000)", rows,
                unit="records")
    bare, bare2, ilms = rows[1], rows[2], rows[3]
    print(f"\nILMS / bare whoosh (1 writer): {ilms.throughput / bare.throughput:.2f}   "
          f"ILMS / bare whoosh (procs=2): {ilms.throughput / bare2.throughput:.2f}   "
          f"targets: >= 0.6 and >= 1500 records/s, peak < 300 MB")
    if not args.keep and not given:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"work directory kept: {workdir}")


if __name__ == "__main__":
    main()
