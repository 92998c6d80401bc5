"""A planning officer writes the report's number and narrative on the report page, sees them in the Decree 30 layout,
and downloads the DOCX that carries them with the figures."""
import io
from pathlib import Path

import docx
import pytest

from ilms.extensions import db
from ilms.org import services as org
from ilms.stats import registry, services
from tests.browser.conftest import sign_in
from tests.stats.conftest import META, Data, day, make_indicators

pytestmark = pytest.mark.browser

TEST_PLAN = Path(__file__).resolve().parents[1] / "stats" / "data" / "plan-2021-2025.yaml"


@pytest.fixture
def report_server(live_app, monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", make_indicators())
    monkeypatch.setattr(registry, "_ACTIVITY_LISTS", {})
    with live_app.app_context():
        META.create_all(db.engine)
        plan = services.load_plan(TEST_PLAN.read_text(encoding="utf-8"))
        data = Data()
        data.copies(org.get_by_code("TVT"), day(2024, 5, 5), 12)
        db.session.commit()
        plan_id = plan.id
        db.session.remove()
    from tests.browser.conftest import LiveServer
    with LiveServer(live_app) as server:
        server.plan_id = plan_id
        yield server


def test_planner_writes_the_narrative_and_downloads_the_docx(page, report_server):
    base = report_server.url
    sign_in(page, base, "planner")
    page.goto(f"{base}/stats/reports/{report_server.plan_id}/annual/2024?scope=province")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page.get_by_test_id("letter-head").inner_text()
    page.fill("#number", "07/BC-TVT")
    page.fill("#results", "Năm 2024 Thư viện tỉnh bổ sung 12 bản sách mới.")
    page.fill("#signer_name", "Lò Thị Mai")
    page.get_by_test_id("save-letter").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("number").inner_text() == "Số: 07/BC-TVT"
    assert "bổ sung 12 bản sách mới" in page.locator('section[data-section="results"]').inner_text()
    assert "Lò Thị Mai" in page.get_by_test_id("signer").inner_text()
    with page.expect_download() as info:
        page.get_by_test_id("docx").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    assert "Số: 07/BC-TVT" in document.tables[0].rows[0].cells[0].text
    texts = [p.text for p in document.paragraphs]
    assert "Năm 2024 Thư viện tỉnh bổ sung 12 bản sách mới." in texts
    indicators = next([[c.text for c in row.cells] for row in t.rows] for t in document.tables
                      if len(t.columns) > 2 and t.rows[0].cells[2].text == "Đến nay")
    assert {r[0]: r[2] for r in indicators[1:]}["LIB.COPIES_ADDED"] == "12"
