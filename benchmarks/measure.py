"""Shared benchmark tools: timing samples, peak memory, and the table every benchmark prints.

Each benchmark compares ILMS with the raw library doing the same work in the
same run (bare pymarc, bare whoosh, bare SQL), so the table shows what ILMS
costs on top of it on this machine today.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import resource
import socket
import statistics
import threading
import time
import tracemalloc
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field


def percentile(samples, pct):
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


@dataclass
class Row:
    name: str
    samples: list = field(default_factory=list)   # seconds per operation
    items: int = 0                                  # units of work done (records, requests...)
    wall: float = 0.0                               # seconds for the whole run
    peak_mb: float | None = None
    note: str = ""

    @property
    def median_ms(self):
        return statistics.median(self.samples) * 1000 if self.samples else float("nan")

    @property
    def p95_ms(self):
        return percentile(self.samples, 95) * 1000 if self.samples else float("nan")

    @property
    def throughput(self):
        return self.items / self.wall if self.wall else float("nan")


def time_each(fn, inputs):
    """Call ``fn(x)`` for every input; return (per-call seconds, total seconds)."""
    samples = []
    start = time.perf_counter()
    for x in inputs:
        t0 = time.perf_counter()
        fn(x)
        samples.append(time.perf_counter() - t0)
    return samples, time.perf_counter() - start


class PeakRSS:
    """Peak resident memory of this process during a block, sampled every 20 ms (MB)."""

    def __init__(self):
        self.peak_mb = 0.0
        self._stop = threading.Event()

    @staticmethod
    def current_mb():
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / 2**20

    def _watch(self):
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.current_mb())
            self._stop.wait(0.02)

    def __enter__(self):
        self.peak_mb = self.current_mb()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self.current_mb())


@contextmanager
def python_peak():
    """Peak Python heap allocated inside the block (MB), via tracemalloc."""
    tracemalloc.start()
    box = {}
    try:
        yield box
    finally:
        box["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()


def print_table(title, rows, unit="ops"):
    """The table of every benchmark: median, p95, throughput, peak memory."""
    print(f"\n{title}")
    header = f"| {'what':<44} | {'median ms':>9} | {'p95 ms':>8} | {unit + '/s':>10} | {'peak MB':>8} | note"
    print(header)
    print("|" + "-" * 46 + "|" + "-" * 11 + "|" + "-" * 10 + "|" + "-" * 12 + "|" + "-" * 10 + "|------")
    for row in rows:
        peak = f"{row.peak_mb:8.1f}" if row.peak_mb is not None else f"{'':>8}"
        print(f"| {row.name:<44} | {row.median_ms:9.2f} | {row.p95_ms:8.2f} | {row.throughput:10.1f} | "
              f"{peak} | {row.note}")


# -- talking to a real server on loopback (gunicorn benchmarks) ----------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def csrf_token(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


class Browser:
    """One person at a browser (signed in when ``username`` is given): cookies, the CSRF token, requests."""

    def __init__(self, base, username=None, password=None):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = None
        if username:
            self.post("/login", {"csrf_token": csrf_token(self.get("/login")), "username": username,
                                 "password": password})

    def get(self, path):
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode("utf-8")

    def post(self, path, data, json_answer=False):
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode(),
                                         headers={"Accept": "application/json"} if json_answer else {})
        with self.opener.open(request, timeout=60) as response:
            body = response.read().decode("utf-8")
        return json.loads(body) if json_answer else body
