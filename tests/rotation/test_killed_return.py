"""Killing the application in the middle of a crate return (issue 10, fault tests).

Staff scan the copies back one by one (each scan is kept at once), then
finish the return: copies back become available, the rest are reported
missing, the crate is home. Here the process finishing the return is killed
with SIGKILL while it works. Nothing of the return may stay half done: the
crate is still out with every scan kept, ``flask check`` finds nothing wrong,
and finishing again gives what one uninterrupted return gives.
"""
import json
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from ilms.extensions import db
from tests.conftest import subprocess_env
from tests.ops.test_killed_import import _cpu_seconds

COPIES, MISSING = 2500, 40

#: The child: the same service call and commit the "finish the return" page makes, announced on stdout.
FINISH = """
import sys
from ilms import create_app
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.rotation import services
app = create_app()
with app.app_context():
    crate = services.crate_by_code("TD-T01")
    print("returning", flush=True)
    services.return_crate(crate, actor=SYSTEM)
    db.session.commit()
    print("returned", flush=True)
"""


def _province(path):
    lines = [
        {"type": "institution", "code": "TVT", "name": "Thư viện tỉnh Lai Châu", "kind": "provincial_library",
         "level": "province"},
        {"type": "institution", "code": "TVH-TD", "name": "Thư viện huyện Tam Đường", "kind": "district_library",
         "level": "district", "parent": "TVT"},
        {"type": "institution", "code": "BD-TD-BL", "name": "Điểm Bưu điện văn hóa xã Bình Lư",
         "kind": "postal_cultural_point", "level": "commune", "parent": "TVH-TD"},
    ]
    lines += [{"type": "item", "barcode": f"HTD{n:06d}", "institution": "TVH-TD", "accessioned": "2024-01-15",
               "source": "purchase", "title": f"Sách luân chuyển số {n % 300}", "id": f"item-{n}"}
              for n in range(COPIES)]
    lines.append({"type": "crate", "code": "TD-T01", "institution": "TVH-TD",
                  "items": [f"HTD{n:06d}" for n in range(COPIES)]})
    lines.append({"type": "dispatch", "crate": "TD-T01", "point": "BD-TD-BL", "at": "2024-03-01T08:00:00+07:00"})
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")


def _sent_back(app, tmp_path):
    """The crate out at the point, and every copy but the last ``MISSING`` scanned back (committed)."""
    from ilms.common.permissions import SYSTEM
    from ilms.rotation import services
    source = tmp_path / f"{id(app)}.jsonl"
    _province(source)
    done = subprocess.run([sys.executable, "-m", "flask", "ops", "import", str(source)], env=subprocess_env(app),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    with app.app_context():
        crate = services.crate_by_code("TD-T01")
        for n in range(COPIES - MISSING):
            services.check_back(crate, f"HTD{n:06d}", actor=SYSTEM)
        db.session.commit()
        db.session.remove()


def _state(app):
    with app.app_context():
        def q(sql):
            return db.session.execute(sa.text(sql)).all()

        state = {
            "crate": q("select state from crates"),
            "trip returned": q("select count(*) from dispatches where returned_at is not null"),
            "scanned": q("select count(*) from dispatch_items where checked_at is not null"),
            "outcomes": q("select outcome, count(*) from dispatch_items group by outcome order by 1"),
            "items": q("select status, count(*) from items group by status order by 1"),
            "in the crate": q("select count(*) from crate_items"),
        }
        db.session.remove()
    return state


def _finish(app):
    return subprocess.Popen([sys.executable, "-c", FINISH], env=subprocess_env(app), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_crate_return_killed_half_way_leaves_the_crate_out_and_finishing_again_completes_it(app_factory,
                                                                                              tmp_path):
    killed = app_factory()
    _sent_back(killed, tmp_path)
    before = _state(killed)
    assert before["crate"] == [("dispatched",)] and before["scanned"] == [(COPIES - MISSING,)]

    child = _finish(killed)
    assert child.stdout.readline().strip() == "returning", child.stderr.read()[-2000:]
    start = _cpu_seconds(child.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None and _cpu_seconds(child.pid) < start + 0.3:
        time.sleep(0.02)
    assert child.poll() is None, "the return finished before it could be killed; make the crate bigger"
    child.send_signal(signal.SIGKILL)
    child.wait()

    assert _state(killed) == before                     # nothing half done, every scan kept
    check = subprocess.run([sys.executable, "-m", "flask", "check"], env=subprocess_env(killed),
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    again = _finish(killed)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0 and out.split() == ["returning", "returned"], err[-2000:]
    clean = app_factory()
    _sent_back(clean, tmp_path)
    once = _finish(clean)
    out, err = once.communicate(timeout=300)
    assert once.returncode == 0, err[-2000:]

    after = _state(killed)
    assert after == _state(clean)
    assert after["crate"] == [("returned",)] and after["trip returned"] == [(1,)]
    assert dict(after["outcomes"]) == {"back": COPIES - MISSING, "missing": MISSING}
    assert dict(after["items"]) == {"available": COPIES - MISSING, "missing": MISSING}
