"""Uploaded files: checked by content and name, stored under generated names in the data folder.

Any domain that accepts files uses this module::

    stored = uploads.store(request.files["image"], "artifacts", kinds=uploads.IMAGES, max_bytes=5 * MB)
    try:
        ...service call that records stored.name...
        db.session.commit()
    except DomainError:
        stored.discard()          # the file goes when the record is refused
        raise

- The content decides: the first bytes must be the signature of an allowed
  kind, and the file's extension must be one of that same kind's extensions
  (a ``.jpg`` holding a PNG, or an HTML page renamed ``.png``, is refused).
- Files are stored as ``DATA_DIR/uploads/<area>/<random hex>.<ext>``; the name
  the person gave is never used on disk, only kept (cleaned) for display.
- Every refusal is an ``UploadError`` (a ``DomainError``) saying what was
  wrong and what is accepted.
"""
from __future__ import annotations

import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from flask_babel import lazy_gettext as _l

from .errors import DomainError, NotFound
from .text import clean

KB = 1024
MB = 1024 * KB

_AREA = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,5}$")


class UploadError(DomainError):
    """An uploaded file was refused (empty, too large, wrong type)."""

    status_code = 400


@dataclass(frozen=True)
class FileKind:
    """One accepted type of file: how its content starts and the extensions it may carry."""

    name: str
    content_type: str
    extensions: tuple
    signatures: tuple           # (offset, bytes) pairs; all must match

    def matches(self, head: bytes) -> bool:
        return all(head[offset:offset + len(magic)] == magic for offset, magic in self.signatures)


JPEG = FileKind("JPEG", "image/jpeg", ("jpg", "jpeg"), ((0, b"\xff\xd8\xff"),))
PNG = FileKind("PNG", "image/png", ("png",), ((0, b"\x89PNG\r\n\x1a\n"),))
GIF87 = FileKind("GIF", "image/gif", ("gif",), ((0, b"GIF87a"),))
GIF89 = FileKind("GIF", "image/gif", ("gif",), ((0, b"GIF89a"),))
WEBP = FileKind("WebP", "image/webp", ("webp",), ((0, b"RIFF"), (8, b"WEBP")))
PDF = FileKind("PDF", "application/pdf", ("pdf",), ((0, b"%PDF-"),))

#: Photographs and scans shown in pages. SVG is not among them: it can carry scripts.
IMAGES = (JPEG, PNG, GIF87, GIF89, WEBP)
DOCUMENTS = (PDF,)

_HEAD_BYTES = 16


def clean_filename(name, *, limit=200):
    """The name a person gave, fit for display: no folders, no control characters, NFC, not too long."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = clean(name) or ""
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:limit - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:limit]
    return name


def _extension(name):
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _accepted(kinds):
    names = []
    for kind in kinds:
        if kind.name not in names:
            names.append(kind.name)
    extensions = sorted({f".{ext}" for kind in kinds for ext in kind.extensions})
    return ", ".join(names), " ".join(extensions)


def _human_size(size):
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / KB))} KB"


def _read_limited(file, max_bytes):
    stream = getattr(file, "stream", file)
    data = stream.read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise UploadError(_l("The file could not be read; choose it again."))
    return data


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    kind: FileKind
    original_name: str

    @property
    def size(self):
        return len(self.data)

    @property
    def extension(self):
        ext = _extension(self.original_name)
        return ext if ext in self.kind.extensions else self.kind.extensions[0]


def check(file, *, kinds=IMAGES, max_bytes=5 * MB) -> CheckedUpload:
    """Read ``file`` (a werkzeug ``FileStorage`` or a binary stream with ``filename``) and check it.

    Raises ``UploadError`` when there is no file, it is empty or larger than
    ``max_bytes``, its content is not one of ``kinds``, or its extension does
    not fit its content.
    """
    type_names, extensions = _accepted(kinds)
    original = clean_filename(getattr(file, "filename", "") or "")
    if file is None or not original:
        raise UploadError(_l("Choose a file to upload."), field="file")
    data = _read_limited(file, max_bytes)
    if not data:
        raise UploadError(_l("The file “%(name)s” is empty.", name=original), field="file")
    if len(data) > max_bytes:
        raise UploadError(_l("The file “%(name)s” is larger than %(limit)s; make it smaller and try again.",
                             name=original, limit=_human_size(max_bytes)), field="file")
    head = data[:_HEAD_BYTES]
    kind = next((k for k in kinds if k.matches(head)), None)
    if kind is None:
        raise UploadError(_l("The file “%(name)s” is not a %(types)s file. Accepted: %(extensions)s.",
                             name=original, types=type_names, extensions=extensions), field="file")
    ext = _extension(original)
    if ext not in kind.extensions:
        raise UploadError(_l("The file “%(name)s” holds a %(type)s file but its name ends in “.%(ext)s”; "
                             "rename it to end in .%(expected)s.", name=original, type=kind.name,
                             ext=ext or "", expected=kind.extensions[0]), field="file")
    return CheckedUpload(data=data, kind=kind, original_name=original)


def area_dir(area) -> Path:
    if not _AREA.match(area or ""):
        raise ValueError(f"upload area {area!r}: use lower-case letters, digits, - and _")
    return Path(current_app.config["DATA_DIR"]) / "uploads" / area


@dataclass(frozen=True)
class StoredFile:
    area: str
    name: str                  # the generated name on disk
    original_name: str
    content_type: str
    size: int

    @property
    def path(self) -> Path:
        return area_dir(self.area) / self.name

    def discard(self):
        """Remove the file again (its record was refused or rolled back)."""
        delete(self.area, self.name)


def save(checked: CheckedUpload, area) -> StoredFile:
    """Write a checked upload under a fresh random name; the write is atomic (temporary file, rename)."""
    folder = area_dir(area)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{checked.extension}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(checked.data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, folder / name)
    except OSError as error:
        # a full disk (or quota) is the server's trouble, not the user's: say so, keep nothing
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise UploadError(_l("The file “%(name)s” could not be stored: the server's disk is full or not "
                             "writable (%(error)s). Nothing was saved; tell the administrator.",
                             name=checked.original_name, error=error.strerror or error), field="file") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return StoredFile(area=area, name=name, original_name=checked.original_name,
                      content_type=checked.kind.content_type, size=checked.size)


def store(file, area, *, kinds=IMAGES, max_bytes=5 * MB) -> StoredFile:
    """``check`` then ``save``: the usual call of a view receiving a file."""
    return save(check(file, kinds=kinds, max_bytes=max_bytes), area)


def path_of(area, name) -> Path:
    """The path of a stored file; ``NotFound`` for a name ILMS did not generate or a missing file."""
    if not _STORED_NAME.match(name or ""):
        raise NotFound(_l("This file does not exist."))
    path = area_dir(area) / name
    if not path.is_file():
        raise NotFound(_l("This file does not exist."))
    return path


def delete(area, name):
    """Remove a stored file; a file already gone is not an error."""
    if _STORED_NAME.match(name or ""):
        try:
            (area_dir(area) / name).unlink()
        except FileNotFoundError:
            pass


def send(area, name, *, content_type, download_name=None, as_attachment=False):
    """A response with the stored file, typed as recorded (never guessed from the name)."""
    response = send_file(path_of(area, name), mimetype=content_type, as_attachment=as_attachment,
                         download_name=download_name or name, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
