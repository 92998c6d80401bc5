"""Sign-in throttling holds across gunicorn workers: failures counted by one block the other."""
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from ilms.extensions import db
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 3


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One visitor: its own cookie, a new connection per request (so either worker may answer)."""

    def __init__(self, port):
        self.port = port
        self.cookie = ""

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Connection": "close"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie" and value.startswith("ilms_session="):
                    self.cookie = value.split(";")[0]
            return response.status, text
        finally:
            connection.close()

    def sign_in(self, username, password):
        _status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        status, _page = self.request("POST", "/login", {"csrf_token": token, "username": username,
                                                        "password": password})
        return status


@pytest.fixture
def gunicorn(app_factory, tmp_path):
    app = app_factory()
    with app.app_context():
        factories.user("thuthu")
        db.session.remove()
    port = _free_port()
    log = tmp_path / "access.log"
    env = dict(os.environ, ILMS_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               ILMS_DATA_DIR=str(tmp_path / "data"), ILMS_INSTANCE_DIR=str(tmp_path / "instance"),
               ILMS_LOGIN_MAX_FAILURES=str(LIMIT), ILMS_LOGIN_WINDOW_SECONDS="600")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "ilms:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start: {server.stderr.read() if server.poll() is not None else ''}")
            time.sleep(0.1)
        yield port, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        with app.app_context():
            db.engine.dispose()


def _served(log):
    """``[(worker pid, status)]`` of the sign-in POSTs, in order."""
    rows = []
    for line in log.read_text().splitlines():
        pid, method, path, status = line.split()
        if method == "POST" and path == "/login":
            rows.append((pid.strip("<>"), int(status)))
    return rows


def test_failures_counted_by_one_worker_block_sign_in_on_the_other(gunicorn):
    port, log = gunicorn
    for _ in range(LIMIT):
        assert Browser(port).sign_in("thuthu", "wrong-password") == 401

    statuses = []

    def attempt():
        statuses.append(Browser(port).sign_in("thuthu", "correct-horse-1"))

    for _round in range(30):  # pairs of simultaneous attempts, until both workers have answered
        threads = [threading.Thread(target=attempt) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        time.sleep(0.05)  # let gunicorn write its access log
        refusing = {pid for pid, status in _served(log) if status == 429}
        if len(refusing) == 2:
            break
    assert statuses and set(statuses) == {429}, "the right password is refused while throttled, by every worker"
    served = _served(log)
    workers = {pid for pid, _status in served}
    assert len(workers) == 2, f"both workers answered sign-ins: {served}"
    # Each worker refused sign-ins; at least one of them saw fewer than LIMIT failures itself,
    # so it can only know of them through the shared (database) counter.
    local_failures = {pid: sum(1 for p, s in served if p == pid and s == 401) for pid in workers}
    assert {pid for pid, s in served if s == 429} == workers
    assert min(local_failures.values()) < LIMIT
