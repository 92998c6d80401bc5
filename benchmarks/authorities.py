"""Authority linking during a MARC import: the import rate with linking beside the rate without it.

    .venv/bin/python -m benchmarks.authorities [--records 100000] [--workdir DIR]

The corpus is ``catalog_corpus`` (the real records of ``shared/data/marc`` repeated, each with a new 001).
Authorities: the 1,216 real records of ``shared/data/marc/auth`` (``flask catalog import-authorities``)
plus one authority for every second distinct 1XX/6XX/7XX heading of the corpus's source records (made from
those headings, with a see-from variant each), so that about half the headings link, as in a catalogue
under partial authority control. Each measured import is its own process on a fresh SQLite database.

Rows:
- bare pymarc: ``MARCReader`` over the file (parse only), the raw library
- ILMS import, no linking: ``MarcImporter(link_authorities=False)``
- ILMS import, linking: the same with the authorities loaded (``link_authorities=True``, the default)
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


def _app(workdir, name):
    """The app on its own SQLite file (the environment is read when ``ilms.config`` is first imported)."""
    if "ilms.config" in sys.modules:
        raise RuntimeError("set the database before importing ilms")
    os.environ["ILMS_DATABASE_URL"] = f"sqlite:///{Path(workdir) / (name + '.sqlite')}"
    os.environ["ILMS_DATA_DIR"] = str(Path(workdir) / ("data-" + name))
    os.environ.setdefault("ILMS_SECRET_KEY", "benchmark")
    from ilms import create_app
    return create_app()


def _load_authorities(sources):
    """The real authority files, then authorities made from every second distinct heading of the corpus."""
    import sqlalchemy as sa

    from benchmarks.catalog_corpus import SHARED
    from ilms.catalog import authorities, marc, marcio
    from ilms.catalog.models import Authority
    from ilms.common.text import sort_key
    from ilms.extensions import db
    for path in sorted((SHARED / "data" / "marc" / "auth").glob("*.mrc")):
        with open(path, "rb") as fh:
            authorities.import_authorities(fh)
    seen, rows = set(), []
    for data in sources:
        parsed = marcio.decode_iso2709(data)[0]
        for tag, _occurrence, text, keys in authorities.record_headings(parsed):
            key = (authorities.BIB_TAGS[tag], keys[-1])
            if key in seen:
                continue
            seen.add(key)
            if len(seen) % 2:
                continue
            rows.append({"heading_type": key[0], "heading": text, "heading_sort": sort_key(text)[:600],
                         "folded": key[1], "variants": "Variant of " + text, "marc": marc.to_json(parsed)})
    if rows:
        db.session.execute(sa.insert(Authority.__table__), rows)
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count(Authority.id)))


def phase_import(args, link):
    app = _app(args.workdir, "linked" if link else "plain")
    from flask_migrate import upgrade

    from benchmarks.catalog_corpus import source_records
    from benchmarks.measure import PeakRSS
    from ilms.catalog import authorities, importer, marcio
    with app.app_context():
        upgrade()
        count_auth = _load_authorities(source_records()) if link else 0
        with PeakRSS() as peak, open(args.file, "rb") as fh:
            start = time.perf_counter()
            summary = importer.MarcImporter(link_authorities=link, parallel=True).run(marcio.read_file(fh))
            wall = time.perf_counter() - start
        from ilms.catalog.models import RecordHeading
        from ilms.extensions import db
        import sqlalchemy as sa
        headings = db.session.scalar(sa.select(sa.func.count(RecordHeading.id)))
        unlinked = authorities.count_unlinked()
    return {"count": summary.read, "created": summary.created, "wall": wall, "peak_mb": peak.peak_mb,
            "authorities": count_auth, "headings": headings, "linked": headings - unlinked}


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


def run_phase(name, args):
    command = [sys.executable, "-m", "benchmarks.authorities", "--phase", name, "--file", args.file,
               "--records", str(args.records), "--workdir", args.workdir]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"phase {name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workdir")
    parser.add_argument("--phase", choices=["pymarc", "plain", "linked"])
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.phase:
        result = {"pymarc": phase_pymarc, "plain": lambda a: phase_import(a, False),
                  "linked": lambda a: phase_import(a, True)}[args.phase](args)
        result["rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(result))
        return

    from benchmarks.catalog_corpus import build
    given = args.workdir is not None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="ilms-bench-auth-")
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    args.file = str(Path(args.workdir) / f"corpus-{args.records}.mrc")
    sources = build(args.file, args.records)
    print(f"corpus: {args.records} records built from {sources} real records; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    for phase, label in (("pymarc", "bare pymarc MARCReader (parse only)"),
                         ("plain", "ILMS import, no authority linking"),
                         ("linked", "ILMS import, linking to authorities")):
        result = run_phase(phase, args)
        note = ""
        peak = result.get("peak_mb")
        if phase != "pymarc":
            peak = result["peak_mb"] + result["rss_children_mb"]
            note = f"created {result['created']}; headings {result['headings']}, linked {result['linked']}"
            if phase == "linked":
                note += f"; {result['authorities']} authorities"
        row = Row(label, samples=[result["wall"] / max(result["count"], 1)], items=result["count"],
                  wall=result["wall"], peak_mb=peak, note=note)
        rows.append(row)
        print(f"  {label}: {row.throughput:.0f} records/s", flush=True)
    print_table(f"Import of {args.records} MARC records with and without authority linking "
                "(median/p95 = seconds per record x 1000)", rows, unit="records")
    print(f"\nlinking / no linking: {rows[2].throughput / rows[1].throughput:.2f}")
    if not given:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
