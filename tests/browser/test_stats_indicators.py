"""A manager opens the indicator page for 2024, sees statuses against the plan, drills into district library
visits, and downloads the annual report as XLSX."""
import io
from pathlib import Path

import openpyxl
import pytest

from ilms.extensions import db
from ilms.org import services as org
from ilms.stats import registry, services
from tests.browser.conftest import sign_in
from tests.stats.conftest import META, Data, day, displays, make_indicators

pytestmark = pytest.mark.browser

TEST_PLAN = Path(__file__).resolve().parents[1] / "stats" / "data" / "plan-2021-2025.yaml"


@pytest.fixture
def stats_server(live_app, monkeypatch):
    """The demo network with the test indicators registered and a year of records in 2024."""
    monkeypatch.setattr(registry, "_REGISTRY", make_indicators())
    monkeypatch.setattr(registry, "_ACTIVITY_LISTS", {})
    registry.register_activity_list(registry.ActivityList(
        key="displays", title_vi="Trưng bày, giới thiệu sách", title_en="Book displays",
        kinds=frozenset({"provincial_library", "district_library"}), rows=displays))
    with live_app.app_context():
        META.create_all(db.engine)
        services.load_plan(TEST_PLAN.read_text(encoding="utf-8"))
        data = Data()
        tvt, td, pt = (org.get_by_code(c) for c in ("TVT", "TVH-TD", "TVH-PT"))
        data.visits(tvt, day(2024, 4, 2), 30)                # within 20–40
        data.visits(td, day(2024, 3, 8), 40, reader="a")     # districts: 40 + 15 = 55, below 100–200
        data.visits(pt, day(2024, 9, 9), 15, reader="b")
        data.copies(tvt, day(2024, 5, 5), 12)
        data.display(td, day(2024, 10, 1), "Sách về biển đảo")
        db.session.commit()
        db.session.remove()
    from tests.browser.conftest import LiveServer
    with LiveServer(live_app) as server:
        yield server


def test_manager_reads_2024_against_the_plan_drills_down_and_downloads_the_report(page, stats_server):
    base = stats_server.url
    sign_in(page, base, "manager")
    page.get_by_role("link", name="Chỉ số").first.click()
    page.select_option("#year", "2024")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**year=2024**")

    provincial = page.locator('tr[data-target="LIB.VISITS|kind:provincial_library|sum"]')
    assert provincial.locator("[data-status]").get_attribute("data-status") == "within"
    assert "đạt chỉ tiêu" in provincial.inner_text()
    districts = page.locator('tr[data-target="LIB.VISITS|kind:district_library|sum"]')
    assert districts.locator("[data-status]").get_attribute("data-status") == "below"
    assert "chưa đạt chỉ tiêu" in districts.inner_text()
    assert districts.locator("a.fig").inner_text() == "55"

    districts.locator("a.fig").click()
    page.wait_for_url("**/stats/records/LIB.VISITS**")
    assert page.get_by_test_id("total").inner_text().startswith("55")
    table = page.locator("table.records")
    assert table.locator("tbody tr").count() == 50            # one page of 50, then the next
    assert "TVH-TD" in table.inner_text() and "08/03/2024" in table.inner_text()
    page.get_by_role("link", name="Sau").click()
    assert page.locator("table.records tbody tr").count() == 5
    assert "TVH-PT" in page.locator("table.records").inner_text()

    page.goto(f"{base}/stats/reports?year=2024")
    row = page.locator('tr[data-report="annual|province"]')
    with page.expect_download() as info:
        row.get_by_role("link", name="XLSX").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    figures = {(r[0], r[2]): r[3] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert figures[("LIB.VISITS", "TVH-TD")] == 40 and figures[("LIB.VISITS", "TVT")] == 30
    assert any("Sách về biển đảo" in str(c.value) for sheet in book.worksheets for r in sheet.iter_rows()
               for c in r if c.value)


def test_the_indicator_page_works_on_a_phone(phone, stats_server):
    sign_in(phone, stats_server.url, "manager")
    phone.goto(f"{stats_server.url}/stats/?year=2024")
    assert phone.locator('tr[data-target="LIB.VISITS|kind:provincial_library|sum"]').is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 420, f"the page is {width}px wide on a 390px phone"


@pytest.fixture
def desk_year(live_app):
    """Real desk check-ins of 2024 through the circulation service: 30 at TVT, 40 + 15 at two districts."""
    import datetime as dt

    from ilms.circulation import services as circulation
    from ilms.common.permissions import SYSTEM
    from ilms.common.time import local_datetime
    from tests import factories
    with live_app.app_context():
        services.load_plan(TEST_PLAN.read_text(encoding="utf-8"))
        plan_days = ((("TVT", 30), dt.date(2024, 4, 2)), (("TVH-TD", 40), dt.date(2024, 3, 8)),
                     (("TVH-PT", 15), dt.date(2024, 9, 9)))
        for (code, readers), day_of in plan_days:
            inst = org.get_by_code(code)
            for n in range(readers):
                reader = factories.patron(inst, name=f"Nông Văn Khẩu {code} {n}")
                # twice on the same day is one visit; the second scan comes at 23:30 local
                for time in (dt.time(8, 15), dt.time(23, 30)):
                    circulation.check_in_visit(reader, institution=inst, actor=SYSTEM,
                                               at=local_datetime(day_of, time))
        db.session.commit()
        db.session.remove()
    from tests.browser.conftest import LiveServer
    with LiveServer(live_app) as server:
        yield server


def test_real_desk_visits_from_the_page_to_the_records_and_the_report(page, desk_year):
    """The same walk over the real LIB.VISITS of the circulation desk (no stand-in indicator)."""
    base = desk_year.url
    sign_in(page, base, "manager")
    page.goto(f"{base}/stats/?year=2024&scope=province")
    districts = page.locator('tr[data-target="LIB.VISITS|kind:district_library|sum"]')
    assert districts.locator("[data-status]").get_attribute("data-status") == "below"
    assert districts.locator("a.fig").inner_text() == "55"
    provincial = page.locator('tr[data-target="LIB.VISITS|kind:provincial_library|sum"]')
    assert provincial.locator("[data-status]").get_attribute("data-status") == "within"

    districts.locator("a.fig").click()
    page.wait_for_url("**/stats/records/LIB.VISITS**")
    assert page.get_by_test_id("total").inner_text().startswith("55")
    text = page.locator("table.records").inner_text()
    assert "TVH-TD" in text and "08/03/2024" in text
    assert "Nông Văn Khẩu" not in page.content()                # no reader is named in a drill-down

    page.goto(f"{base}/stats/reports?year=2024")
    with page.expect_download() as info:
        page.locator('tr[data-report="annual|province"]').get_by_role("link", name="XLSX").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    figures = {(r[0], r[2]): r[3] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert (figures[("LIB.VISITS", "TVT")], figures[("LIB.VISITS", "TVH-TD")],
            figures[("LIB.VISITS", "TVH-PT")]) == (30, 40, 15)
