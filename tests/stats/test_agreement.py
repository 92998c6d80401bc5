"""The page, the CLI, the API, the XLSX, the PDF and the DOCX (from the page and from ``flask report``) agree."""
import io
from collections import Counter
import json
import re
from pathlib import Path

import docx
import openpyxl
import pypdf

from ilms.accounts import services as accounts
from ilms.extensions import db
from ilms.stats import services
from tests.conftest import login
from tests.stats.conftest import day

TEST_PLAN = Path(__file__).with_name("data") / "plan-2021-2025.yaml"


def _number(text):
    """A figure printed in Vietnamese (1.234) or English (1,234)."""
    return int(text.replace(".", "").replace(",", ""))


def test_every_format_gives_the_same_figures(app, runner, factories, province, data, tmp_path):
    plan = services.load_plan(TEST_PLAN.read_text(encoding="utf-8"))
    for code, copies, visits in (("TVT", 14, 25), ("TVH-A", 7, 60), ("TVH-B", 3, 1234)):
        data.copies(province[code], day(2024, 3, 3), copies)
        data.copies(province[code], day(2023, 12, 31), 2)            # the year before
        data.visits(province[code], day(2024, 12, 31), visits)
    data.copies(province["TVH-B"], day(2024, 6, 1), 4, source="transfer")
    manager = factories.user("sep", role="manager")
    _token, secret = accounts.create_token(manager, name="đối chiếu")
    db.session.commit()

    cli = json.loads(runner.invoke(args=["indicators", "--year", "2024", "--json"]).output)
    api = app.test_client().get("/api/v1/indicators?year=2024", headers={"Authorization": f"Bearer {secret}"}).json
    assert api == cli
    figures = {(f["indicator"], f["institution"]): f["value"] for f in cli["figures"]}
    groups = {(g["indicator"], g.get("group") or g.get("level")): g["value"] for g in cli["groups"]}
    targets = {(t["indicator"], t.get("group") or t.get("level"), t["scope"]): (t["value"], t["status"])
               for t in cli["targets"]}
    assert figures[("LIB.VISITS", "TVH-B")] == 1234 and figures[("LIB.COPIES_ADDED", "TVH-B")] == 3
    assert len(targets) == 5

    client = app.test_client()
    login(client, "sep")
    page = client.get("/stats/?year=2024&scope=province").get_data(as_text=True)
    page_figures = {tuple(k.split("|")): int(v) for k, v in re.findall(
        r'data-figure="([^"]+)">.*?data-value="(-?\d+)"', page, re.S)}
    page_groups = {tuple(k.split("|")): int(v) for k, v in re.findall(
        r'data-group="([^"]+)">.*?data-value="(-?\d+)"', page, re.S)}
    page_targets = {}
    for key, body in re.findall(r'data-target="([^"]+)">(.*?)</tr>', page, re.S):
        indicator, who, scope = key.split("|")
        value = int(re.search(r'data-value="(\d+)"', body).group(1))
        status = re.search(r'data-status="(\w+)"', body).group(1)
        page_targets[(indicator, who.split(":", 1)[1], scope)] = (value, status)
    assert page_figures == figures
    assert page_groups == groups
    assert page_targets == targets

    report = f"/stats/reports/{plan.id}/annual/2024"
    book = openpyxl.load_workbook(io.BytesIO(client.get(report + ".xlsx?scope=province").data))
    by_inst = book.worksheets[1]
    xlsx_figures = {(r[0], r[2]): r[3] for r in by_inst.iter_rows(min_row=2, values_only=True)}
    assert xlsx_figures == figures
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    xlsx_targets = Counter((row[0], row[5]) for row in summary
                           if row[0] in {t[0] for t in targets} and row[4] is not None and row[3] is not None)
    assert xlsx_targets == Counter((key[0], value) for key, (value, _status) in targets.items())
    pdf = pypdf.PdfReader(io.BytesIO(client.get(report + ".pdf?scope=province").data))
    lines = [line for p in pdf.pages for line in p.extract_text().splitlines()]
    pdf_figures = {}
    for line in lines:
        match = re.match(r"^((?:LIB|NET|ROT|MUS|CUL|TRN)\.[A-Z_]+) .* ((?:TVT|TVH-[AB])) ([\d.,]+)\s*$", line)
        if match:
            pdf_figures[(match.group(1), match.group(2))] = _number(match.group(3))
    assert pdf_figures == figures
    html_report = client.get(report + "?scope=province").get_data(as_text=True)
    report_figures = {tuple(k.split("|")): int(v) for k, v in re.findall(
        r'data-figure="([^"]+)">.*?data-value="(-?\d+)"', html_report, re.S)}
    assert report_figures == figures

    out = tmp_path / "annual-2024.docx"
    result = runner.invoke(args=["report", "--kind", "annual", "--year", "2024", "--scope", "province",
                                 "--format", "docx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for source in (client.get(report + ".docx?scope=province").data, out.read_bytes()):
        document = docx.Document(io.BytesIO(source))
        tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
        by_institution = next(t for t in tables if t[0][2:3] == ["Mã đơn vị"])
        assert {(r[0], r[2]): _number(r[3]) for r in by_institution[1:]} == figures
        against_plan = next(t for t in tables if t[0][3:4] == ["Chỉ tiêu"])
        assert Counter((r[0], _number(r[4].split("/")[0])) for r in against_plan[1:]) == Counter(
            (key[0], value) for key, (value, _status) in targets.items())
