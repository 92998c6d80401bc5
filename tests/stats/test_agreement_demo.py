"""On the demo province, with every domain's real indicators, the page, the CLI, the API, the annual
report's HTML, XLSX and PDF give the same figure for every indicator and institution."""
import io
import json
import re
from pathlib import Path

import openpyxl
import pypdf

from ilms.accounts import services as accounts
from ilms.common.time import local_today
from ilms.demo.cli import load_all
from ilms.extensions import db
from ilms.stats import registry, services
from tests.conftest import login

TEST_PLAN = Path(__file__).with_name("data") / "plan-2021-2025.yaml"
VALUE = r'data-value="(-?\d+(?:\.\d+)?)"'


def _printed(text):
    """A figure as the Vietnamese PDF prints it: 1.234 (thousands) or 12,5 (decimals)."""
    return float(text.replace(".", "").replace(",", "."))


def test_every_format_agrees_on_the_demo_province(app, runner, factories):
    load_all(echo=lambda *_: None)
    plan = services.load_plan(TEST_PLAN.read_text(encoding="utf-8"))
    manager = factories.user("sep", role="manager")
    _token, secret = accounts.create_token(manager, name="đối chiếu")
    db.session.commit()
    year = local_today().year - 1          # a closed year: no estimates in the report

    cli = json.loads(runner.invoke(args=["indicators", "--year", str(year), "--json"]).output)
    figures = {(f["indicator"], f["institution"]): float(f["value"]) for f in cli["figures"]}
    # every domain's indicators are there, and the demo gives them something to count
    codes = {code for code, _inst in figures}
    assert registry.SPEC_CODES <= codes
    assert sum(1 for value in figures.values() if value) > 100

    api = app.test_client().get(f"/api/v1/indicators?year={year}",
                                headers={"Authorization": f"Bearer {secret}"}).json
    assert api == cli

    client = app.test_client()
    login(client, "sep")
    page = client.get(f"/stats/?year={year}&scope=province").get_data(as_text=True)
    page_figures = {tuple(k.split("|")): float(v) for k, v in re.findall(
        r'data-figure="([^"]+)">.*?' + VALUE, page, re.S)}
    assert page_figures == figures

    report = f"/stats/reports/{plan.id}/annual/{year}"
    html_report = client.get(report + "?scope=province").get_data(as_text=True)
    report_figures = {tuple(k.split("|")): float(v) for k, v in re.findall(
        r'data-figure="([^"]+)">.*?' + VALUE, html_report, re.S)}
    assert report_figures == figures

    book = openpyxl.load_workbook(io.BytesIO(client.get(report + ".xlsx?scope=province").data))
    xlsx_figures = {(r[0], r[2]): float(r[3]) for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert xlsx_figures == figures

    pdf = pypdf.PdfReader(io.BytesIO(client.get(report + ".pdf?scope=province").data))
    pdf_figures = {}
    codes_pattern = "|".join(sorted({re.escape(inst) for _code, inst in figures}, key=len, reverse=True))
    rows = []                                  # a table row starts with its indicator code; long names wrap
    for line in (line for p in pdf.pages for line in p.extract_text().splitlines()):
        if re.match(r"^(?:LIB|NET|ROT|MUS|CUL|TRN|DEP)\.[A-Z_]+ ", line):
            rows.append(line)
        elif rows:
            rows[-1] += " " + line
    for row in rows:
        match = re.match(r"^((?:LIB|NET|ROT|MUS|CUL|TRN|DEP)\.[A-Z_]+) .*? (" + codes_pattern + r") ([\d.,]+)(?:\s|$)", row)
        if match:
            pdf_figures[(match.group(1), match.group(2))] = _printed(match.group(3))
    assert pdf_figures == figures
