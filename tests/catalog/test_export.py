"""Round trip through the database: import the real records, export them (ISO 2709 and MARCXML), import the
export into an empty catalogue: every field of every record comes back."""
import pytest
import sqlalchemy as sa

from ilms.catalog import importer
from ilms.catalog.models import Record
from ilms.extensions import db
from tests.catalog.conftest import marc_path
from tests.conftest import SEARCH_BACKENDS


def _catalogue():
    return sorted(db.session.scalars(sa.select(Record.marc)))


@pytest.mark.parametrize("fmt", ["iso2709", "marcxml"])
def test_import_export_import_keeps_every_field(app_factory, tmp_path, fmt):
    first = app_factory()
    files = [marc_path("bib", name) for name in ("uva_2000.marc8.mrc", "nlnz_1001.utf8.mrc", "loc_sru_386.utf8.mrc",
                                                 "evergreen_hebrew_20.marc8.mrc", "traject_multiscript_30.utf8.mrc",
                                                 "evergreen_nepali_96.utf8.mrc", "marc4j_brkrtest_8.marc8.mrc")]
    files.append(marc_path("marcxml", "koha_sample_436.clean.xml"))
    out = tmp_path / f"export.{fmt}"
    with first.app_context():
        for path in files:
            assert importer.import_path(str(path)).skipped == 0
        original = _catalogue()
        runner = first.test_cli_runner()
        result = runner.invoke(args=["catalog", "export-marc", "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        db.session.remove()
    second = app_factory()
    with second.app_context():
        summary = importer.import_path(str(out))
        assert summary.skipped == 0 and summary.read == len(original) == summary.created
        assert _catalogue() == original
        db.session.remove()


@pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)
def test_export_of_a_library_holdings_and_of_a_search(app, runner, network, tmp_path):
    import datetime as dt

    from ilms.catalog import services
    from ilms.common.permissions import SYSTEM
    importer.import_path(str(marc_path("bib", "pymarc_python_books_20.marc8.mrc")))
    first = db.session.scalars(sa.select(Record).order_by(Record.id)).first()
    services.add_copies(first, institution=network.td, actor=SYSTEM, source="purchase", accessioned=dt.date(2024, 1, 1))
    db.session.commit()
    held = runner.invoke(args=["catalog", "export-marc", "--institution", "TVH-TD"])
    assert held.exit_code == 0 and held.output.count("<record>") == 1
    found = runner.invoke(args=["catalog", "export-marc", "--query", "python", "--format", "iso2709",
                                "--output", str(tmp_path / "x.mrc")])
    assert found.exit_code == 0 and (tmp_path / "x.mrc").read_bytes().count(b"\x1d") > 1
    assert runner.invoke(args=["catalog", "export-marc", "--institution", "NOPE"]).exit_code != 0
