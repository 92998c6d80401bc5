"""Backups: consistent under write load, restorable into a fresh installation, refused where unsafe.

These tests build their own apps and run commands through each app's CLI
runner, so they never use the ``app`` fixture: a pushed app context would
make every runner act on that app instead.
"""
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ilms.common.checks import exclude_from_backup
from ilms.common.privacy import reader_key
from ilms.extensions import db
from ilms.maintenance.backup import read_manifest
from ilms.org.models import Institution
from tests import factories
from tests.conftest import login
from tests.maintenance.conftest import row_counts, scalar

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = sa.select(sa.func.count()).select_from(Institution).where(Institution.code.like("W%"))


def _wait_for(condition, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _archive_of(output):
    path = Path(output.strip().splitlines()[0].split(": ")[0])
    assert path.is_file(), output
    return path


def test_backup_taken_while_another_process_writes_restores_with_identical_counts(
        app_factory, installation, empty_database, tmp_path):
    source = app_factory(INSTANCE_DIR=str(tmp_path / "source-instance"), SECRET_KEY=None, READER_KEY_SECRET=None)
    with source.app_context():
        factories.user("quantri", role="admin")
        db.session.remove()
    stop = tmp_path / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.maintenance.writer", source.config["SQLALCHEMY_DATABASE_URI"],
         source.config["DATA_DIR"], source.instance_path, str(stop), "120"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: scalar(source, WRITTEN) >= 20, "the writer's first rows")
        result = source.test_cli_runner().invoke(args=["backup", "create"])
        assert result.exit_code == 0, result.output
        after_backup = scalar(source, WRITTEN)
        _wait_for(lambda: scalar(source, WRITTEN) >= after_backup + 20, "rows written after the backup")
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err

    archive = _archive_of(result.output)
    assert archive.parent == Path(source.config["DATA_DIR"]) / "backups"
    assert archive.stat().st_mode & 0o077 == 0, "backups hold personal data and secrets: owner only"
    manifest = read_manifest(archive)
    written_total = scalar(source, WRITTEN)
    assert 20 <= manifest["counts"]["institutions"] < written_total, "the writer kept writing during the backup"

    restored = installation(empty_database(), "restored")
    result = restored.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "ok database integrity" in result.output
    assert row_counts(restored) == manifest["counts"]
    check = restored.test_cli_runner().invoke(args=["check"])
    assert check.exit_code == 0, check.output
    assert "all checks passed" in check.output

    # A consistent snapshot: exactly the first k rows the writer committed, each with its audit entry and file.
    with restored.app_context():
        codes = list(db.session.scalars(sa.select(Institution.code).where(Institution.code.like("W%"))
                                        .order_by(Institution.code)))
        audited = db.session.scalar(sa.text(
            "SELECT count(*) FROM audit_entries WHERE table_name = 'institutions' AND action = 'insert'"))
        db.session.remove()
    assert codes == [f"W{n:05d}" for n in range(1, len(codes) + 1)]
    assert len(codes) == manifest["counts"]["institutions"] == audited
    uploads = Path(restored.config["DATA_DIR"]) / "uploads"
    for code in codes:
        number = int(code[1:])
        assert (uploads / f"{code}.txt").read_text(encoding="utf-8") == f"biên bản số {number}"
    assert not (Path(restored.config["DATA_DIR"]) / "backups").exists(), "backups are not inside backups"


def test_restored_installation_keeps_its_secrets_sessions_and_reader_keys(
        app_factory, installation, empty_database, tmp_path):
    source = app_factory(INSTANCE_DIR=str(tmp_path / "source-instance"), SECRET_KEY=None, READER_KEY_SECRET=None)
    with source.app_context():
        factories.user("thuthu")
        key_before = reader_key(42)
        db.session.remove()
    desk = source.test_client()
    login(desk, "thuthu")
    assert desk.get("/").status_code == 200
    result = source.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path / "copy.tar.gz")])
    assert result.exit_code == 0, result.output

    restored = installation(empty_database(), "restored")
    assert restored.config["SECRET_KEY"] != source.config["SECRET_KEY"]  # a new installation made its own
    result = restored.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "copy.tar.gz")])
    assert result.exit_code == 0, result.output
    again = installation(restored.config["SQLALCHEMY_DATABASE_URI"], "restored")  # restarted after the restore
    assert again.config["SECRET_KEY"] == source.config["SECRET_KEY"]
    with again.app_context():
        assert reader_key(42) == key_before
    same_browser = again.test_client()
    same_browser.set_cookie("ilms_session", desk.get_cookie("ilms_session").value)
    assert same_browser.get("/").status_code == 200, "a signed-in desk keeps working after the move"


def test_restore_into_a_migrated_but_empty_database(app_factory, tmp_path):
    source = app_factory()
    with source.app_context():
        factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
        db.session.remove()
    result = source.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = app_factory(INSTANCE_DIR=str(tmp_path / "target-instance"))
    result = target.test_cli_runner().invoke(args=["backup", "restore", str(_archive_of(result.output))])
    assert result.exit_code == 0, result.output
    assert scalar(target, sa.select(Institution.name).where(Institution.code == "TVT")) == "Thư viện tỉnh Lai Châu"


def test_restore_refuses_a_database_in_use_and_changes_nothing(app_factory, tmp_path):
    source = app_factory()
    result = source.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path)])
    archive = _archive_of(result.output)
    busy = app_factory(INSTANCE_DIR=str(tmp_path / "busy-instance"))
    with busy.app_context():
        factories.institution("TD", name="Thư viện huyện Tam Đường")
        db.session.remove()
    before = row_counts(busy)
    result = busy.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code == 1
    assert "the database is not empty" in result.output and "institutions (1)" in result.output
    assert "Traceback" not in result.output
    assert row_counts(busy) == before


def test_restore_refuses_a_data_folder_in_use(app_factory, tmp_path):
    source = app_factory()
    archive = _archive_of(source.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path)]).output)
    target = app_factory(INSTANCE_DIR=str(tmp_path / "target-instance"))
    upload = Path(target.config["DATA_DIR"]) / "uploads" / "anh.jpg"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"\xff\xd8 an existing photo")
    result = target.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code == 1
    assert "is not empty" in result.output and "anh.jpg" in result.output
    assert upload.read_bytes() == b"\xff\xd8 an existing photo"


def test_a_damaged_or_foreign_archive_gets_a_clear_error(app_factory, tmp_path):
    source = app_factory()
    archive = _archive_of(source.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path)]).output)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = tmp_path / "photos.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(__file__, arcname="photo.jpg")
    target = app_factory(INSTANCE_DIR=str(tmp_path / "target-instance"))
    runner = target.test_cli_runner()
    for bad, message in [(cut, "cannot be read"), (foreign, "is not an ILMS backup archive"),
                         (tmp_path / "missing.tar.gz", "no such file")]:
        result = runner.invoke(args=["backup", "restore", str(bad)])
        assert result.exit_code == 1, bad
        assert message in result.output and "Traceback" not in result.output, result.output


def test_backup_leaves_out_rebuildable_folders_and_older_backups(app_factory, tmp_path):
    source = app_factory()
    data = Path(source.config["DATA_DIR"])
    (data / "uploads").mkdir(parents=True)
    (data / "uploads" / "bia-sach.png").write_bytes(b"\x89PNG cover")
    (data / "test-search-index").mkdir()
    (data / "test-search-index" / "MAIN_1.seg").write_bytes(b"index data")
    exclude_from_backup("test-search-index")
    runner = source.test_cli_runner()
    first = _archive_of(runner.invoke(args=["backup", "create"]).output)
    second = _archive_of(runner.invoke(args=["backup", "create", "--keep", "1"]).output)
    assert not first.exists() and second.exists(), "--keep 1 keeps only the newest"
    with tarfile.open(second) as tar:
        names = tar.getnames()
    assert "data/uploads/bia-sach.png" in names
    assert not any("test-search-index" in name or "backups" in name for name in names)
    assert {"manifest.json", "secrets/secret_key", "secrets/reader_key_secret"} <= set(names)
