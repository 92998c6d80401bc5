"""Load test: everyone at once against gunicorn with 2 workers on loopback, for a bounded time.

    .venv/bin/python -m benchmarks.load.run [--duration 180] [--workdir DIR]

A scratch data folder gets the migrated schema and the demo province (or
``--workdir`` reuses one). Then, all at the same time, for ``--duration``
seconds:

- four checkout desks (the provincial library's two desks and two district
  libraries), each lending its own copies to its own readers and taking them
  back, one scan per request as the desk's script sends them;
- the provincial library's two desks also race, again and again, for the
  same copy at the same instant: exactly one loan may come of each race;
- a librarian searching the staff catalogue;
- a crawler walking the public OPAC (searches, then the records they list);
- internet point staff starting and stopping sessions by scanning cards.

Each of them does at least one round, however loaded the machine, so a short run still
exercises every operation.

Printed: a table per operation (count, median, p95, throughput; peak memory
of the two gunicorn workers), the errors (any failed request, 5xx, or an
answer that is neither the expected one nor a refusal a librarian can read),
and the copies with more than one open loan in the database afterwards.
Exit status 1 when there are errors or duplicate loans.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

from benchmarks import measure
from benchmarks.measure import Row, free_port, print_table
from benchmarks.measure import csrf_token as _token

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "laichau2016"
DESKS = [("desk", "TVT"), ("librarian", "TVT"), ("librarian.td", "TVH-TD"), ("librarian.tp", "TVH-TP")]
WORDS = ["lai chau", "truyen", "lich su", "dan toc", "thai", "mong", "nong nghiep", "van hoa", "tieng viet",
         "history", "music", "jazz", "python", "kim dong", "tho", "dien bien", "ho chi minh", "khoa hoc"]
ACCEPTED_REFUSALS = {"already_on_loan", "on_loan", "not_on_loan", "unknown", "limit", "blocked", "expired",
                     "on_hold", "not_available", "invalid_transition", "over_limit"}


class Browser(measure.Browser):
    """A demo user (all share the demo password), or an anonymous visitor."""

    def __init__(self, base, username=None):
        super().__init__(base, username, PASSWORD)


class Tally:
    """Latencies, counts and errors per operation, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = defaultdict(list)
        self.refused = defaultdict(int)
        self.errors = []

    def timed(self, name, call):
        started = time.perf_counter()
        try:
            outcome = call()
        except Exception as error:              # counted and shown, never hidden
            outcome = f"error: {error!r}"[:300]
        elapsed = time.perf_counter() - started
        with self.lock:
            self.samples[name].append(elapsed)
            if outcome == "refused":
                self.refused[name] += 1
            elif outcome not in (None, "ok"):
                self.errors.append(f"{name}: {outcome}")
        return outcome


def prepare(workdir: Path, only=None):
    """The migrated database and the demo province in ``workdir`` (kept when it is there already)."""
    db_path = workdir / "ilms.sqlite"
    env = _env(workdir)
    if not db_path.exists():
        subprocess.run([sys.executable, "-m", "flask", "--app", "ilms", "db", "upgrade"], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        load = [sys.executable, "-m", "flask", "--app", "ilms", "demo", "load"]
        subprocess.run(load, env=env, cwd=ROOT, check=True, capture_output=True)
    return db_path


def _env(workdir):
    return dict(os.environ, ILMS_DATABASE_URL=f"sqlite:///{workdir / 'ilms.sqlite'}",
                ILMS_DATA_DIR=str(workdir / "data"), ILMS_SECRET_KEY="load-test",
                ILMS_READER_KEY_SECRET="load-test-readers", ILMS_LOGIN_MAX_FAILURES="1000")


def _work_lists(db_path):
    """Per desk library: copies on the shelf that no reader is waiting for (a return would send them to the
    reader's library), and readers with a valid card and no block."""
    conn = sqlite3.connect(db_path)
    libs = dict(conn.execute("select code, id from institutions"))
    today = time.strftime("%Y-%m-%d")
    lists = {}
    for _user, code in DESKS:
        items = [b for (b,) in conn.execute(
            "select barcode from items where institution_id = ? and status = 'available'"
            " and location_institution_id is null and not exists (select 1 from holds h"
            " where h.record_id = items.record_id and h.ended_at is null) order by id", (libs[code],))]
        readers = [b for (b,) in conn.execute(
            "select p.barcode from patrons p where p.institution_id = ?"
            " and (p.card_expires is null or p.card_expires >= ?) and (p.card_issued is null or p.card_issued <= ?)"
            " and not exists (select 1 from patron_blocks b where b.patron_id = p.id and b.lifted_at is null)"
            " and not exists (select 1 from loans l where l.patron_id = p.id and l.returned_at is null"
            "                 and l.voided_at is null) order by p.id", (libs[code], today, today))]
        lists[code] = (items, readers)
    internet_cards = [b for (b,) in conn.execute(
        "select p.barcode from patrons p where p.institution_id = ? and (p.card_expires is null or"
        " p.card_expires >= ?) order by p.id desc limit 40", (libs["TVH-TD"], today))]
    conn.close()
    return libs, lists, internet_cards


def _scan(browser, code, mode, reader=None):
    data = {"csrf_token": browser.token, "code": code, "mode": mode}
    if reader:
        data["reader"] = reader
    return browser.post("/circulation/desk/scan", data, json_answer=True)


def _desk_answer(answer, expected):
    if answer.get("code") == expected:
        return "ok"
    if answer.get("level") == "error" and answer.get("message"):
        return "refused"                       # a clear refusal a librarian can act on
    return f"unexpected answer {answer.get('code')!r}: {answer.get('message')!r}"


def run(duration, workdir: Path):
    db_path = prepare(workdir)
    libs, lists, internet_cards = _work_lists(db_path)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "ilms:create_app()"], cwd=ROOT, env=_env(workdir),
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    tally, stop, peak = Tally(), threading.Event(), [0.0]
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)

        def desk(user, code, contested):
            browser = Browser(base, user)
            browser.post("/circulation/desk/institution", {"csrf_token": _token(browser.get("/circulation/desk")),
                                                         "institution": libs[code]})
            browser.token = _token(browser.get("/circulation/desk"))
            items, readers = lists[code]
            items = [i for i in items if i not in contested]
            rng = random.Random(user)
            k = 0
            while items and readers and (k == 0 or not stop.is_set()):
                reader = readers[k % len(readers)]
                item = items[k % len(items)]
                k += 1
                picked = {}

                def choose_reader():
                    answer = _scan(browser, reader, "checkout")
                    picked["id"] = answer.get("reader_id")
                    return _desk_answer(answer, "reader")
                if tally.timed("desk: scan a reader card", choose_reader) != "ok":
                    continue
                outcome = tally.timed("desk: checkout", lambda: _desk_answer(
                    _scan(browser, item, "checkout", picked["id"]), "checkout"))
                if outcome == "ok":
                    tally.timed("desk: return", lambda: _desk_answer(_scan(browser, item, "return"), "return"))
                time.sleep(rng.uniform(0.05, 0.2))

        def race(pair, copies, readers):
            browsers = []
            for user in pair:
                b = Browser(base, user)
                b.post("/circulation/desk/institution", {"csrf_token": _token(b.get("/circulation/desk")),
                                                       "institution": libs["TVT"]})
                b.token = _token(b.get("/circulation/desk"))
                browsers.append(b)
            n = 0
            while copies and (n == 0 or not stop.is_set()):
                copy = copies[n % len(copies)]
                n += 1
                ids = []
                for b, reader in zip(browsers, readers):
                    ids.append(_scan(b, reader, "checkout").get("reader_id"))
                gate, answers = threading.Barrier(2), [None, None]

                def shoot(i):
                    gate.wait()
                    answers[i] = tally.timed("race: two desks, one copy", lambda: _desk_answer(
                        _scan(browsers[i], copy, "checkout", ids[i]), "checkout"))
                shooters = [threading.Thread(target=shoot, args=(i,)) for i in range(2)]
                for t in shooters:
                    t.start()
                for t in shooters:
                    t.join()
                wins = answers.count("ok")
                if wins != 1:
                    with tally.lock:
                        tally.errors.append(f"race for {copy}: {wins} loans from two desks ({answers})")
                tally.timed("desk: return", lambda: _desk_answer(_scan(browsers[0], copy, "return"), "return"))

        def searcher():
            browser = Browser(base, "librarian.pt")
            rng = random.Random("search")
            first = True
            while first or not stop.is_set():
                first = False
                word = urllib.parse.quote_plus(rng.choice(WORDS))
                tally.timed("staff catalogue search",
                            lambda: None if "</html>" in browser.get(f"/catalog/?q={word}") else "no result page")

        def crawler():
            browser = Browser(base)
            rng = random.Random("crawl")
            first = True
            while first or not stop.is_set():
                first = False
                word = urllib.parse.quote_plus(rng.choice(WORDS))
                page = {}

                def search():
                    page["html"] = browser.get(f"/opac/?q={word}")
                tally.timed("OPAC crawler: search", search)
                for record in re.findall(r'href="(/opac/record/\d+)"', page.get("html", ""))[:5]:
                    if stop.is_set():
                        break
                    tally.timed("OPAC crawler: record page", lambda: None if browser.get(record) else "empty")

        def internet_staff():
            browser = Browser(base, "internet")
            token = _token(browser.get(f"/internet/?institution={libs['TVH-TD']}"))
            k = 0
            while internet_cards and (k == 0 or not stop.is_set()):
                card = internet_cards[k % len(internet_cards)]
                k += 1
                for name in ("internet: start a session", "internet: stop the session"):
                    def scan():
                        html = browser.post("/internet/scan", {"csrf_token": token, "card": card,
                                                               "institution": libs["TVH-TD"]})
                        return "refused" if "flash-error" in html else "ok"
                    tally.timed(name, scan)
                time.sleep(0.2)

        def watch_memory():
            while not stop.is_set():
                peak[0] = max(peak[0], _server_rss_mb(server.pid))
                time.sleep(0.5)

        contested = lists["TVT"][0][-20:]
        threads = [threading.Thread(target=desk, args=(user, code, set(contested))) for user, code in DESKS]
        threads += [threading.Thread(target=race, args=(("desk", "librarian"), contested, lists["TVT"][1][-2:])),
                    threading.Thread(target=searcher), threading.Thread(target=crawler),
                    threading.Thread(target=internet_staff), threading.Thread(target=watch_memory)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(duration)
        stop.set()
        for thread in threads:
            thread.join(120)
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    conn = sqlite3.connect(db_path)
    duplicates = conn.execute("select count(*) from (select item_id from loans where returned_at is null and"
                              " voided_at is null group by item_id having count(*) > 1)").fetchone()[0]
    conn.close()
    rows = [Row(name, samples, len(samples), wall, peak_mb=peak[0] if name == "desk: checkout" else None,
                note=f"refused {tally.refused[name]}" if tally.refused[name] else "")
            for name, samples in sorted(tally.samples.items())]
    return rows, tally.errors, duplicates, wall


def _server_rss_mb(pid):
    """Resident memory of gunicorn's master and workers (the process group), in MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:                    # process group id
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return total / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--workdir", help="data folder to use (made and filled with the demo when empty)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="ilms-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows, errors, duplicates, wall = run(args.duration, workdir)
    print_table(f"Load test: gunicorn 2 workers, SQLite, {wall:.0f} s, 4 desks + a race of two desks, a searcher, "
                f"an OPAC crawler, internet staff (peak MB: gunicorn master and workers)", rows, unit="req")
    checkout = next((r for r in rows if r.name == "desk: checkout"), None)
    print(f"\nerrors: {len(errors)}   duplicate open loans: {duplicates}   "
          f"checkout p95: {checkout.p95_ms if checkout else float('nan'):.1f} ms (target < 100 ms)")
    for error in errors[:20]:
        print("  " + error)
    return 1 if errors or duplicates else 0


if __name__ == "__main__":
    sys.exit(main())
