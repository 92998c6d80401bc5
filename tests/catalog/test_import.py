"""Importing MARC files: the real files, broken files, matching, re-runs, a killed import, copies, CLI, upload."""
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymarc
import pytest
import sqlalchemy as sa

from ilms.catalog import importer, indexing, marc, marcio, services
from ilms.catalog.models import ImportJob, Item, Record
from ilms.catalog.search import SearchQuery
from ilms.extensions import db
from tests.catalog.conftest import BIB_FILES, MARCXML_FILES, marc_path
from tests.conftest import login, post_form, subprocess_env



def record_count():
    return db.session.scalar(sa.select(sa.func.count(Record.id)))


def distinct_keys(path):
    """How many records a file makes in an empty catalogue under the matching rule, restated over pymarc's
    reading: the same 001 is the same record; a record without 001 joins the first earlier record with
    its ISBN, or else an identical earlier record; a record with a new 001 is new."""
    groups = []
    for record in _pymarc_records(path):
        number = record.get("001").data.strip() if record.get("001") else None
        first = next((marc.normalise_isbn(v) for f in record.get_fields("020") for v in f.get_subfields("a")
                      if marc.normalise_isbn(v)), None)
        keys = set(marc.isbn_variants(first)) if first else set()
        content = record.as_marc()
        if number:
            match = next((g for g in groups if g["number"] == number), None)
        else:
            match = next((g for g in groups if g["keys"] & keys), None)
            match = match or next((g for g in groups if not g["number"] and g["content"] == content), None)
        if match is None:
            groups.append({"number": number, "keys": keys, "content": content})
    return len(groups)


def _pymarc_records(path):
    import contextlib
    if str(path).endswith(".xml"):
        return pymarc.parse_xml_to_array(str(path))
    with open(path, "rb") as fh, contextlib.redirect_stderr(io.StringIO()):
        return [r for r in pymarc.MARCReader(fh, to_unicode=True, permissive=True) if r is not None]


@pytest.mark.parametrize("folder,name,count", sorted([("bib", n, c) for n, c in BIB_FILES.items()] +
                                                     [("marcxml", n, c) for n, c in MARCXML_FILES.items()]))
def test_every_good_file_imports_with_the_expected_counts(app, folder, name, count):
    path = marc_path(folder, name)
    summary = importer.import_path(str(path))
    assert summary.read == count and summary.skipped == 0
    assert summary.created + summary.repeated == count and summary.updated == summary.unchanged == 0
    assert record_count() == summary.created == distinct_keys(path)
    assert summary.indexed and indexing.backend().count() == record_count()
    # and a second run changes nothing
    again = importer.import_path(str(path))
    assert (again.created, again.updated, again.unchanged, again.repeated) == (0, 0, summary.created,
                                                                              summary.repeated)
    assert record_count() == summary.created


@pytest.mark.parametrize("name", sorted(p.name for p in marc_path("bad_input").iterdir()))
def test_broken_files_import_what_can_be_read_and_report_the_rest(app, name):
    path = marc_path("bad_input", name)
    with open(path, "rb") as fh:
        parsed = list(marcio.read_file(fh))
    summary = importer.import_path(str(path))
    readable = sum(p.ok for p in parsed)
    assert summary.read == len(parsed)
    assert summary.skipped == len(parsed) - readable
    skipped = [p for p in summary.problems if p.kind == "skipped"]
    assert [(p.number, p.offset) for p in skipped] == [(p.number, p.offset) for p in parsed if not p.ok]
    assert all(p.text for p in skipped)
    # no half record: every stored record is whole MARC with its columns
    for record in db.session.scalars(sa.select(Record)):
        parsed_back = marc.from_json(record.marc)
        assert parsed_back.fields and record.title and record.fingerprint == marc.fingerprint(record.marc)
    assert record_count() == summary.created


def test_matching_by_control_number_then_isbn(app):
    minimal = services.create_minimal_record(title="Pride and prejudice", isbn="0-14-143951-3")
    db.session.commit()
    incoming = pymarc.Record()
    incoming.add_field(pymarc.Field(tag="001", data="PP-1"))
    incoming.add_field(pymarc.Field(tag="020", indicators=[" ", " "],
                                    subfields=[pymarc.Subfield("a", "9780141439518 (pbk.)")]))
    incoming.add_field(pymarc.Field(tag="245", indicators=["1", "0"],
                                    subfields=[pymarc.Subfield("a", "Pride and prejudice /"),
                                               pymarc.Subfield("c", "Jane Austen.")]))
    summary = importer.MarcImporter().run([marcio.ParsedRecord(1, 0, record=incoming)])
    assert summary.updated == 1 and summary.created == 0
    db.session.expire_all()
    updated = db.session.get(Record, minimal.id)
    assert updated.control_number == "PP-1" and updated.responsibility == "Jane Austen"
    # the same ISBN with another 001 is another record (another edition or source)
    other = pymarc.Record()
    other.add_field(pymarc.Field(tag="001", data="PP-2"))
    for fld in incoming.get_fields("020", "245"):
        other.add_field(fld)
    assert importer.MarcImporter().run([marcio.ParsedRecord(1, 0, record=other)]).created == 1
    # no 001: the ISBN finds the record, which keeps its control number
    bare = pymarc.Record()
    bare.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", "0141439513")]))
    bare.add_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=[pymarc.Subfield("a", "Pride")]))
    assert importer.MarcImporter().run([marcio.ParsedRecord(1, 0, record=bare)]).updated == 1
    db.session.expire_all()
    assert db.session.get(Record, minimal.id).title == "Pride" and db.session.get(Record, minimal.id).control_number == "PP-1"
    assert indexing.backend().search(SearchQuery(text="pride")).total == 2


def _catalogue(app):
    """The catalogue's content, independent of ids: every record's MARC, and some searches' titles."""
    with app.app_context():
        records = sorted(db.session.scalars(sa.select(Record.marc)))
        searches = {}
        for text in ("jazz", "new zealand", "history", "maori", "music", "virginia"):
            result, found, ok = services.search(SearchQuery(text=text, per_page=50, sort="title"))
            searches[text] = (result.total, [r.marc for r in found])
        flagged = db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.needs_reindex.is_(True)))
        db.session.remove()
    return records, searches, flagged


def test_a_killed_import_rerun_gives_the_same_catalogue_as_one_clean_run(app_factory, tmp_path):
    big = tmp_path / "three-files.mrc"
    big.write_bytes(b"".join(marc_path("bib", n).read_bytes() for n in
                             ("uva_2000.marc8.mrc", "nlnz_1001.utf8.mrc", "evergreen_jazz_1000.marc8.mrc")))
    command = [sys.executable, "-m", "flask", "catalog", "import-marc", str(big), "--batch-size", "100"]

    killed = app_factory()
    watcher = sa.create_engine(killed.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)

    def stored():
        try:
            with watcher.connect() as connection:
                return connection.execute(sa.text("select count(*) from records")).scalar()
        except sa.exc.OperationalError:   # busy: the import is writing
            return 0

    process = subprocess.Popen(command, env=subprocess_env(killed), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and stored() < 1000:
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed; make the file bigger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    at_kill = stored()
    watcher.dispose()
    assert 0 < at_kill < 4001
    rerun = subprocess.run(command, env=subprocess_env(killed), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]

    clean = app_factory()
    run = subprocess.run(command, env=subprocess_env(clean), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    killed_view, clean_view = _catalogue(killed), _catalogue(clean)
    assert killed_view[0] == clean_view[0] and len(clean_view[0]) == 4001
    assert killed_view[1] == clean_view[1] and clean_view[1]["jazz"][0] > 0
    assert killed_view[2] == clean_view[2] == 0


def _with_holdings(tmp_path):
    """Real records, each given Koha 952 holdings the way a library's own export carries them."""
    records = [p.record for p in marcio.read_file(open(marc_path("bib", "pymarc_python_books_20.marc8.mrc"), "rb"))]
    for n, record in enumerate(records):
        sub = pymarc.Subfield
        record.add_field(pymarc.Field(tag="952", indicators=[" ", " "], subfields=[
            sub("a", "TVH-TD"), sub("b", "TVH-TD"), sub("p", f"HTD9{n:05d}"), sub("o", "005.133 PYT"),
            sub("c", "Kho mở"), sub("d", "2023-05-0" + str(1 + n % 9)), sub("g", "120000"),
            sub("e", "Tặng" if n % 2 else "Mua")]))
        if n % 5 == 0:  # a second copy at a library that is not in the network: the default owner gets it
            record.add_field(pymarc.Field(tag="952", indicators=[" ", " "], subfields=[
                sub("a", "CPL"), sub("p", f"CPL{n:05d}")]))
        if n == 3:      # a copy withdrawn in the old system is not imported
            record.add_field(pymarc.Field(tag="952", indicators=[" ", " "], subfields=[
                sub("a", "TVH-TD"), sub("p", "HTD-OLD"), sub("0", "1")]))
    path = tmp_path / "with-holdings.mrc"
    path.write_bytes(b"".join(marcio.write_iso2709(records)))
    return path


def test_copies_from_holdings_fields(app, network, tmp_path):
    path = _with_holdings(tmp_path)
    summary = importer.import_path(str(path), items=True, institution=network.tvt)
    assert summary.created == 20 and summary.copies_created == 24 and summary.copies_skipped == 1
    items = {i.barcode: i for i in db.session.scalars(sa.select(Item))}
    assert len(items) == 24 and "HTD-OLD" not in items
    first = items["HTD900000"]
    assert first.institution_id == network.td.id and first.call_number == "005.133 PYT" and first.shelf == "Kho mở"
    assert first.price == 120000 and first.accessioned.isoformat() == "2023-05-01" and first.source.value == "purchase"
    assert items["HTD900001"].source.value == "donation"
    assert items["CPL00000"].institution_id == network.tvt.id
    assert all(len(i.accessions) == 1 for i in items.values())
    again = importer.import_path(str(path), items=True, institution=network.tvt)
    assert again.copies_created == 0 and len(db.session.scalars(sa.select(Item)).all()) == 24
    assert indexing.backend().search(SearchQuery(text="", library="TVH-TD")).total == 20
    assert indexing.backend().search(SearchQuery(text="python", available=True)).total > 0


def test_copies_need_an_owner(app, tmp_path):
    summary = importer.import_path(str(_with_holdings(tmp_path)), items=True)
    copy_problems = [p for p in summary.problems if p.kind == "copy"]
    assert summary.copies_created == 0 and len(copy_problems) == summary.copies_skipped == 25
    assert any("--institution" in p.text for p in copy_problems)
    assert summary.created == 20


def test_cli_reports_problems_with_record_number_and_offset(app, runner):
    result = runner.invoke(args=["catalog", "import-marc", str(marc_path("bad_input", "pymarc_bad_records_9.mrc"))])
    assert result.exit_code == 1
    assert "381" in result.output and "637" in result.output  # byte offsets of records 4 and 6
    assert "Traceback" not in result.output
    ok = runner.invoke(args=["catalog", "import-marc", str(marc_path("bib", "pymarc_python_books_20.marc8.mrc"))])
    assert ok.exit_code == 0 and "20" in ok.output
    missing = runner.invoke(args=["catalog", "import-marc", "/no/such/file.mrc"])
    assert missing.exit_code != 0 and "Traceback" not in missing.output


def test_upload_screen_imports_in_the_background_and_reports(app, client, network):
    login(client, "thuthu.tvt")
    page = client.get("/catalog/import")
    assert page.status_code == 200
    data = marc_path("bad_input", "marc4j_pride_prejudice_errors_383.mrc").read_bytes()
    response = post_form(client, "/catalog/import", data={"file": (io.BytesIO(data), "sach-cu.mrc")},
                         page="/catalog/import", content_type="multipart/form-data")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = int(job_url.rstrip("/").split("/")[-1])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get(f"/catalog/import/{job_id}/status").get_json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert status["status"] == "done", status
    assert status["read"] == 383 and status["skipped"] == 16
    report = client.get(job_url).get_data(as_text=True)
    assert "<progress" in report and "90472" in report  # byte offset of the first unreadable record
    job = db.session.get(ImportJob, job_id)
    assert job.created + job.repeated == 367
    assert not (Path(app.config["DATA_DIR"]) / "uploads" / "catalog" / job.stored_name).exists()


def test_upload_refuses_a_file_that_is_not_marc(app, client, network):
    login(client, "thuthu.tvt")
    response = post_form(client, "/catalog/import", data={"file": (io.BytesIO(b"name,title\n1,2\n"), "list.csv")},
                         page="/catalog/import", content_type="multipart/form-data")
    assert response.status_code == 200
    assert "list.csv" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_desk_staff_cannot_import(app, client, network):
    login(client, "quay.tvt")
    assert client.get("/catalog/import").status_code == 403


@pytest.mark.parametrize("parallel", [True, False])
def test_index_segments_committed_during_an_import_clear_their_marks(app, parallel):
    """Index commits every few hundred records (as every 20,000 on big files), in a child process or not."""
    with open(marc_path("bib", "uva_2000.marc8.mrc"), "rb") as fh:
        summary = importer.MarcImporter(batch_size=100, index_flush=300, parallel=parallel).run(marcio.read_file(fh))
    assert summary.created == 2000 and summary.indexed
    assert db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.needs_reindex.is_(True))) == 0
    backend = indexing.backend()
    assert backend.count() == 2000
    assert backend.search(SearchQuery(text="virginia")).total > 0


def test_an_updating_import_changes_the_record_and_its_time(app):
    record = pymarc.Record()
    record.add_field(pymarc.Field(tag="001", data="U-1"))
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", "Bản cũ")]))
    importer.MarcImporter().run([marcio.ParsedRecord(1, 0, record=record)])
    stored = db.session.scalar(sa.select(Record).where(Record.control_number == "U-1"))
    first_time = stored.updated_at
    record["245"]["a"] = "Bản mới"
    time.sleep(0.01)
    assert importer.MarcImporter().run([marcio.ParsedRecord(1, 0, record=record)]).updated == 1
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Record).where(Record.control_number == "U-1"))
    assert stored.title == "Bản mới" and stored.updated_at > first_time
    assert stored.fingerprint == marc.fingerprint(stored.marc)
    assert indexing.backend().search(SearchQuery(text="ban moi")).ids == [stored.id]
