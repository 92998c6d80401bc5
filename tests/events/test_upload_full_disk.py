"""A full disk during an upload: a clear message, no partial file, nothing in the database (issue 10).

The uploads folder is a real 64 KiB tmpfs mounted for the test (the suite runs as root, as CI does), so the
write really fails with "No space left on device"; nothing is simulated.
"""
import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest

from ilms.common.permissions import SYSTEM
from ilms.events import services
from ilms.extensions import db
from tests.conftest import csrf_token, login
from tests.events.test_uploads import png_bytes


@pytest.fixture
def tiny_disk(app):
    uploads = Path(app.config["DATA_DIR"]) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(uploads)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail("cannot mount a small tmpfs for the full-disk test (the suite needs root, as scripts/test "
                    f"has): {mounted.stderr.strip()}")
    yield uploads
    subprocess.run(["umount", "-l", str(uploads)], check=True)


def test_a_photograph_on_a_full_disk_is_refused_plainly_and_leaves_nothing(client, factories, network, tiny_disk):
    artifact = services.create_artifact(actor=SYSTEM, institution=network["museum"], code="BTLC-2020.002",
                                        name="Váy thổ cẩm Thái", accessioned=dt.date(2020, 5, 1))
    factories.user("events2", role="events", institution=network["museum"], locale="en")
    db.session.commit()
    login(client, "events2")
    page = f"/events/artifacts/{artifact.id}"
    big = png_bytes(width=300, height=300) + bytes(120 * 1024)          # a real PNG, larger than the disk
    response = client.post(f"/events/artifacts/{artifact.id}/images", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, page), "caption": "",
                                 "file": (io.BytesIO(big), "vay-tho-cam.png")}, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "could not be stored" in html and "vay-tho-cam.png" in html and "administrator" in html
    db.session.refresh(artifact)
    assert artifact.images == []
    leftovers = [p.name for p in tiny_disk.rglob("*") if p.is_file()]
    assert leftovers == []
    # a small photograph still fits: the disk, not the form, was the trouble
    small = client.post(f"/events/artifacts/{artifact.id}/images", content_type="multipart/form-data",
                        data={"csrf_token": csrf_token(client, page), "caption": "",
                              "file": (io.BytesIO(png_bytes()), "nho.png")}, follow_redirects=True)
    assert "was added" in small.get_data(as_text=True)
    db.session.refresh(artifact)
    assert len(artifact.images) == 1
