"""``flask ops import`` of a province's history: lines/s on the demo export and on the same file four times
over with new ids (linear means the rate holds), peak RSS, beside a bare sqlite3 insert of the same rows.

Builds the demo province (or reuses ``--export``/``--marc`` files), exports the operations as JSON Lines
and the catalogue as MARCXML, then for each file: a new empty database, the catalogue imported, and the
import run in a child process (its own peak RSS and CPU time, from ``wait4``). ``--lines N`` cuts the
demo file to its first N lines (the 4x file is four such cuts).

    .venv/bin/python -m benchmarks.ops_import [--lines 20000] [--export demo.jsonl --marc demo.xml]
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import Row, print_table

CHUNK = 500   # lines per timing sample
#: Keys whose values name things a line creates or refers to; a repeated copy gets them prefixed.
RENAMED = ("barcode", "item", "patron", "crate", "station")
CODED_TYPES = ("club", "exhibition", "artifact", "crate", "station")


def env_for(workdir):
    return dict(os.environ, ILMS_DATABASE_URL=f"sqlite:///{workdir}/ilms.sqlite", ILMS_DATA_DIR=f"{workdir}/data",
                ILMS_SECRET_KEY="bench", FLASK_APP="ilms")


def flask(workdir, *args, stdout=None):
    subprocess.run([sys.executable, "-m", "flask", *args], env=env_for(workdir), check=True,
                   stdout=stdout or subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_source(root):
    source = root / "source"
    source.mkdir()
    flask(source, "db", "upgrade")
    flask(source, "demo", "load")
    with open(root / "demo.jsonl", "w") as out:
        flask(source, "ops", "export", "--from", "2000-01-01", "--to", "2030-12-31", stdout=out)
    flask(source, "catalog", "export-marc", "-o", str(root / "demo.xml"))
    return root / "demo.jsonl", root / "demo.xml"


def renamed(line, copy):
    """``line`` as the ``copy``-th repetition: every barcode and code it makes or names gets a prefix."""
    if copy == 0:
        return line
    if line["type"] in ("institution", "institution_change"):
        return None
    tag = f"R{copy}-"
    out = dict(line)
    for key in RENAMED:
        if isinstance(out.get(key), str):
            out[key] = tag + out[key]
    if out["type"] in CODED_TYPES and "code" in out:
        out["code"] = tag + out["code"]
    if isinstance(out.get("items"), list):
        out["items"] = [tag + b for b in out["items"]]
    if "id" in out:
        out["id"] = tag + out["id"]
    return out


def write_file(path, demo, lines, copies):
    count = 0
    with open(demo, encoding="utf-8") as src:
        head = [json.loads(raw) for _n, raw in zip(range(lines or 10**9), src)]
    with open(path, "w", encoding="utf-8") as out:
        for copy in range(copies):
            for line in head:
                line = renamed(line, copy)
                if line is not None:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                    count += 1
    return count


def fresh_database(root, name, template):
    workdir = root / name
    shutil.copytree(template, workdir)
    return workdir


def run_child(workdir, path):
    """Import ``path`` in a child process; its samples, counts, CPU seconds and peak RSS (MB)."""
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.ops_import", "--child", str(path)],
                               env=env_for(workdir), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"the import of {path} failed (status {status})")
    result = json.loads(output)
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def child(path):
    """In the child: import the file through ``ops.services.import_lines`` (what the command runs)."""
    from ilms import create_app
    from ilms.ops import services
    app = create_app()
    samples, marks = [], [time.perf_counter()]

    def progress(number):
        if number % CHUNK == 0:
            marks.append(time.perf_counter())
            samples.append((marks[-1] - marks[-2]) / CHUNK)

    with app.app_context(), open(path, encoding="utf-8") as fh:
        started = time.perf_counter()
        report = services.import_lines(fh, partial=True, progress=progress, description="benchmark")
        wall = time.perf_counter() - started
    print(json.dumps({"samples": samples, "wall": wall, "applied": report.applied, "refused": report.refused,
                      "overridden": report.overridden_lines}))


def bare_insert(path):
    """The same rows, parsed and inserted with sqlite3 into one table per type, one transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        connection = sqlite3.connect(Path(tmp) / "bare.sqlite")
        made = set()
        samples, wall_start = [], time.perf_counter()
        count, mark = 0, time.perf_counter()
        with open(path, encoding="utf-8") as fh:
            for raw in fh:
                line = json.loads(raw)
                table = line.pop("type")
                if table not in made:
                    connection.execute(f'create table "{table}" (id integer primary key, body text)')
                    made.add(table)
                connection.execute(f'insert into "{table}" (body) values (?)',
                                   (json.dumps(line, ensure_ascii=False),))
                count += 1
                if count % CHUNK == 0:
                    now = time.perf_counter()
                    samples.append((now - mark) / CHUNK)
                    mark = now
        connection.commit()
        connection.close()
        return samples, time.perf_counter() - wall_start, count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child")
    parser.add_argument("--lines", type=int, default=0, help="cut the demo file to its first N lines")
    parser.add_argument("--export", help="an ops export of the demo province (default: build one)")
    parser.add_argument("--marc", help="its catalogue as MARCXML (with --export)")
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.export:
            demo, marc = Path(args.export), Path(args.marc)
        else:
            print("building the demo province...", flush=True)
            demo, marc = build_source(root)
        template = root / "template"
        template.mkdir()
        flask(template, "db", "upgrade")
        flask(template, "catalog", "import-marc", str(marc))
        rows = []
        for copies in (1, 4):
            path = root / f"file{copies}.jsonl"
            count = write_file(path, demo, args.lines, copies)
            print(f"importing {count} lines ({copies}x)...", flush=True)
            result = run_child(fresh_database(root, f"import{copies}", template), path)
            row = Row(f"ops import, demo{' cut' if args.lines else ''} x{copies} ({count} lines)",
                      samples=result["samples"], items=count, wall=result["wall"], peak_mb=result["peak_mb"],
                      note=f"{count / result['cpu']:.0f} lines per CPU-s; {result['applied']} applied, "
                           f"{result['refused']} refused, {result['overridden']} past policy")
            rows.append(row)
            samples, wall, n = bare_insert(path)
            rows.append(Row(f"bare sqlite3 insert, same rows x{copies}", samples=samples, items=n, wall=wall))
        print_table("JSON Lines import (per line)", rows, unit="lines")


if __name__ == "__main__":
    main()
