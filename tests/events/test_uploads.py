"""common.uploads: content decides the type, generated names on disk, clear refusals; artifact photographs."""
import io
import struct
import zlib
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from ilms.common import uploads
from ilms.common.permissions import SYSTEM
from ilms.events import services
from ilms.extensions import db
from tests.conftest import csrf_token, login


def png_bytes(width=2, height=2):
    """A real, tiny PNG image."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def upload(data, name):
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_a_png_is_stored_under_a_generated_name_in_its_area(app):
    stored = uploads.store(upload(png_bytes(), "../../etc/ảnh khèn.PNG"), "artifacts")
    assert stored.content_type == "image/png" and stored.original_name == "ảnh khèn.PNG"
    assert stored.path.parent == Path(app.config["DATA_DIR"]) / "uploads" / "artifacts"
    assert stored.path.read_bytes() == png_bytes()
    assert stored.name.endswith(".png") and "khèn" not in stored.name and len(stored.name) == 36
    assert uploads.path_of("artifacts", stored.name) == stored.path
    stored.discard()
    assert not stored.path.exists()


@pytest.mark.parametrize("data, name, fragment", [
    (b"", "empty.png", "is empty"),
    (b"<html><script>alert(1)</script></html>", "trick.png", "is not a JPEG, PNG, GIF, WebP file"),
    (png_bytes(), "photo.jpg", "holds a PNG file but its name ends in “.jpg”"),
    (png_bytes(), "noextension", "rename it to end in .png"),
    (b"%PDF-1.7 ...", "scan.pdf", "Accepted: .gif .jpeg .jpg .png .webp"),
])
def test_bad_files_are_refused_with_the_reason(app, data, name, fragment):
    with pytest.raises(uploads.UploadError) as refused:
        uploads.check(upload(data, name))
    assert fragment in str(refused.value)
    assert not (Path(app.config["DATA_DIR"]) / "uploads").exists()


def test_size_limit_and_missing_file(app):
    with pytest.raises(uploads.UploadError, match="larger than 1 KB"):
        uploads.check(upload(png_bytes() + b"\0" * 2048, "big.png"), max_bytes=1024)
    with pytest.raises(uploads.UploadError, match="Choose a file"):
        uploads.check(upload(b"", ""))
    assert uploads.check(upload(b"%PDF-1.4\n", "a.pdf"), kinds=uploads.DOCUMENTS).kind is uploads.PDF


def test_only_generated_names_are_served(app):
    from ilms.common.errors import NotFound
    for name in ("../secret_key", "x.png", "0" * 32 + ".png"):
        with pytest.raises(NotFound):
            uploads.path_of("artifacts", name)
    with pytest.raises(ValueError):
        uploads.area_dir("../up")


@pytest.fixture
def artifact(network):
    made = services.create_artifact(actor=SYSTEM, institution=network["museum"], code="BTLC-2020.001",
                                    name="Khèn Mông", accessioned=__import__("datetime").date(2020, 5, 1))
    db.session.commit()
    return made


def test_staff_upload_a_photograph_and_its_name_is_escaped(client, factories, network, artifact):
    factories.user("events1", role="events", institution=network["museum"], locale="en")
    login(client, "events1")
    page = f"/events/artifacts/{artifact.id}"
    name = '<img src=x onerror=alert(1)>.png'
    response = client.post(f"/events/artifacts/{artifact.id}/images", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, page), "caption": "",
                                 "file": (io.BytesIO(png_bytes()), name)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;.png" in html
    db.session.refresh(artifact)
    (image,) = artifact.images
    served = client.get(f"/events/artifacts/images/{image.id}")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png_bytes()
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    refused = client.post(f"/events/artifacts/{artifact.id}/images", content_type="multipart/form-data",
                          data={"csrf_token": csrf_token(client, page),
                                "file": (io.BytesIO(b"GIF89a not really"), "fake.png")}, follow_redirects=True)
    assert "holds a GIF file" in refused.get_data(as_text=True)
    db.session.refresh(artifact)
    assert len(artifact.images) == 1
    folder = Path(client.application.config["DATA_DIR"]) / "uploads" / "artifacts"
    assert len(list(folder.iterdir())) == 1

    removed = client.post(f"/events/artifacts/images/{image.id}/delete",
                          data={"csrf_token": csrf_token(client, page)}, follow_redirects=True)
    assert removed.status_code == 200 and list(folder.iterdir()) == []


def test_another_institution_cannot_add_photographs(client, factories, network, artifact):
    factories.user("lib1", role="librarian", institution=network["library"])
    login(client, "lib1")
    response = client.post(f"/events/artifacts/{artifact.id}/images", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, f"/events/artifacts/{artifact.id}"),
                                 "file": (io.BytesIO(png_bytes()), "a.png")})
    assert response.status_code == 403
    assert not (Path(client.application.config["DATA_DIR"]) / "uploads" / "artifacts").exists() or not list(
        (Path(client.application.config["DATA_DIR"]) / "uploads" / "artifacts").iterdir())
