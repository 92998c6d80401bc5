"""Drill-down: the records behind a figure, paginated, exported as CSV, scoped to what the viewer may see."""
import csv
import io

import pytest

from tests.conftest import login
from tests.stats.conftest import day


@pytest.fixture
def records(app, factories, province, data):
    data.copies(province["TVH-A"], day(2024, 3, 2), 3)
    data.copies(province["TVH-A"], day(2024, 1, 1), 2, source="transfer")
    data.copies(province["TVH-B"], day(2024, 4, 1), 1, source="donation")
    data.visits(province["TVH-A"], day(2024, 5, 5), 5)
    factories.user("sep", role="manager")
    factories.user("thuthu", role="librarian", institution=province["TVH-A"])
    return province


def test_a_figure_opens_its_records_page_by_page(app_factory):
    app = app_factory(PAGE_SIZE=2)
    with app.app_context():
        from tests import factories
        from tests.stats.conftest import Data, META, make_indicators
        from ilms.extensions import db
        from ilms.stats import registry
        META.create_all(db.engine)
        saved = dict(registry._REGISTRY)
        registry._REGISTRY.clear()
        registry._REGISTRY.update(make_indicators())
        try:
            tvt = factories.institution("TVT", kind="provincial_library")
            a = factories.institution("TVH-A", parent=tvt)
            Data().copies(a, day(2024, 3, 2), 3)
            factories.user("sep", role="manager")
            client = app.test_client()
            login(client, "sep")
            first = client.get("/stats/records/LIB.COPIES_ADDED?year=2024&scope=kind:district_library")
            html = first.get_data(as_text=True)
            assert first.status_code == 200
            assert html.count("TVHA0000") == 2 and "TVHA000003" not in html
            assert 'rel="next"' in html
            second = client.get("/stats/records/LIB.COPIES_ADDED?year=2024&scope=kind:district_library&page=2")
            assert "TVHA000003" in second.get_data(as_text=True)
        finally:
            registry._REGISTRY.clear()
            registry._REGISTRY.update(saved)
            db.session.remove()


def test_drilldown_lists_exactly_the_counted_records(app, client, records):
    login(client, "sep")
    html = client.get("/stats/records/LIB.COPIES_ADDED?year=2024&scope=inst:TVH-A").get_data(as_text=True)
    assert html.count("TVHA0000") == 3                 # the three purchases, not the transfers
    assert "02/03/2024" in html                        # dates as dd/mm/yyyy
    assert 'data-testid="total"' in html


def test_csv_export_has_every_row_and_no_reader_identity(app, client, records):
    login(client, "sep")
    response = client.get("/stats/records/LIB.VISITS?year=2024&scope=inst:TVH-A&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 + 5
    assert rows[1][0] == "2024-05-05" and rows[1][1] == "TVH-A"
    assert len(rows[1][2]) == 8                        # the reader pseudonym, shortened
    assert len(rows[0]) == 3                           # patron_id is never exported


def test_staff_drill_only_into_their_own_institution(app, client, records):
    login(client, "thuthu")
    assert client.get("/stats/records/LIB.VISITS?year=2024&scope=inst:TVH-A").status_code == 200
    assert client.get("/stats/records/LIB.VISITS?year=2024").status_code == 200      # defaults to their own
    assert client.get("/stats/records/LIB.VISITS?year=2024&scope=inst:TVH-B").status_code == 403
    assert client.get("/stats/records/LIB.VISITS?year=2024&scope=province").status_code == 403
    assert client.get("/stats/records/LIB.VISITS?year=2024&scope=province&format=csv").status_code == 403


def test_unknown_or_unlisted_figures_say_so(app, client, records):
    login(client, "sep")
    assert client.get("/stats/records/LIB.NOTHING?year=2024").status_code == 404
    response = client.get("/stats/records/LIB.HOLDINGS?year=2024")   # registered without drilldown
    assert response.status_code == 404
    assert "LIB.HOLDINGS" in response.get_data(as_text=True)
    assert client.get("/stats/records/LIB.VISITS?year=2024&scope=inst:BTT").status_code == 404
