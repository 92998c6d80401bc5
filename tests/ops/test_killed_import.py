"""A JSON Lines import killed with SIGKILL half way leaves the database as it was; running it again gives what
one clean run gives (issue 10, fault tests).

The file carries copies, readers, a crate of 600 copies, its dispatch to a
postal cultural point and its return with 30 copies missing, so the crate
return is inside the import the kill interrupts. The import is one
transaction with a savepoint per line: a kill leaves nothing of it.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from ilms.extensions import db
from tests.conftest import subprocess_env

TABLES = ("institutions", "records", "items", "accessions", "patrons", "crates", "crate_items", "dispatches")


def _lines(copies=2000, in_crate=600, missing=30):
    yield {"type": "institution", "code": "TVT", "name": "Thư viện tỉnh Lai Châu", "kind": "provincial_library",
           "level": "province"}
    yield {"type": "institution", "code": "TVH-TD", "name": "Thư viện huyện Tam Đường", "kind": "district_library",
           "level": "district", "parent": "TVT"}
    yield {"type": "institution", "code": "BD-TD-BL", "name": "Điểm Bưu điện văn hóa xã Bình Lư",
           "kind": "postal_cultural_point", "level": "commune", "parent": "TVH-TD"}
    for n in range(copies):
        yield {"type": "item", "barcode": f"HTD{n:06d}", "institution": "TVH-TD", "accessioned": "2024-01-15",
               "source": "purchase", "title": f"Sách luân chuyển số {n % 400}", "id": f"item-{n}"}
    for n in range(200):
        yield {"type": "patron", "barcode": f"BD{n:05d}", "name": f"Bạn đọc {n}", "institution": "TVH-TD",
               "category": "adult", "ethnicity": "Thái", "sex": "F" if n % 2 else "M"}
    crate = [f"HTD{n:06d}" for n in range(in_crate)]
    yield {"type": "crate", "code": "TD-T01", "institution": "TVH-TD", "items": crate}
    yield {"type": "dispatch", "crate": "TD-T01", "point": "BD-TD-BL", "at": "2024-03-01T08:00:00+07:00"}
    yield {"type": "crate_return", "crate": "TD-T01", "at": "2024-06-01T09:00:00+07:00",
           "items": crate[missing:]}


def _cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _counts(app):
    with app.app_context():
        counts = {t: db.session.scalar(sa.text(f"select count(*) from {t}")) for t in TABLES}
        counts["missing"] = db.session.scalar(sa.text("select count(*) from items where status = 'missing'"))
        counts["at the point"] = db.session.scalar(sa.text(
            "select count(*) from items where location_institution_id is not null"))
        db.session.remove()
    return counts


def test_a_killed_jsonl_import_leaves_nothing_and_a_rerun_completes_it(app_factory, tmp_path):
    source = tmp_path / "province.jsonl"
    source.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in _lines()) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "flask", "ops", "import", str(source)]

    killed = app_factory()
    before = _counts(killed)
    process = subprocess.Popen(command, env=subprocess_env(killed), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and _cpu_seconds(process.pid) < 2.0:
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed; make the file bigger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _counts(killed) == before                      # nothing half-applied
    check = subprocess.run([sys.executable, "-m", "flask", "check"], env=subprocess_env(killed),
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    rerun = subprocess.run(command, env=subprocess_env(killed), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    clean = app_factory()
    run = subprocess.run(command, env=subprocess_env(clean), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    after = _counts(killed)
    assert after == _counts(clean)
    assert after["items"] == 2000 and after["patrons"] == 200 and after["crates"] == 1
    assert after["missing"] == 30
