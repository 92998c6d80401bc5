"""Catalogue test helpers: the real MARC files of ../shared, a small network with librarians."""
import pytest

from tests.conftest import shared_path

#: Record counts of the good files, from shared/data/marc/README.md.
BIB_FILES = {
    "uva_2000.marc8.mrc": 2000, "nlnz_1001.utf8.mrc": 1001, "evergreen_jazz_1000.marc8.mrc": 1000,
    "evergreen_lul_fre_500.marc8.mrc": 500, "loc_sru_386.utf8.mrc": 386, "marc4j_pride_prejudice_383.utf8.mrc": 383,
    "evergreen_nepali_96.utf8.mrc": 96, "ia_lendable_50.utf8.mrc": 50, "traject_multiscript_30.utf8.mrc": 30,
    "evergreen_hebrew_20.marc8.mrc": 20, "pymarc_python_books_20.marc8.mrc": 20, "marc4j_brkrtest_8.marc8.mrc": 8,
    "pymarc_marc8_1.marc8.mrc": 1, "pymarc_diacritic_1.utf8.mrc": 1,
}
MARCXML_FILES = {"koha_sample_436.clean.xml": 436, "solrmarc_specTestRecs_76.xml": 76, "traject_multiscript_30.xml": 30,
                 "pymarc_batch_2.xml": 2, "pymarc_utf8_1.xml": 1}


def marc_path(*parts):
    return shared_path("data", "marc", *parts)


@pytest.fixture
def network(app, factories):
    """The provincial library, a district library and a librarian of each."""
    from types import SimpleNamespace
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu", barcode_prefix="TVT")
    td = factories.institution("TVH-TD", parent=tvt, name="Thư viện huyện Tam Đường", barcode_prefix="HTD")
    return SimpleNamespace(
        tvt=tvt, td=td,
        tvt_librarian=factories.user("thuthu.tvt", institution=tvt),
        td_librarian=factories.user("thuthu.td", institution=td),
        desk=factories.user("quay.tvt", role="desk", institution=tvt),
        admin=factories.user("quantri", role="admin"),
    )
