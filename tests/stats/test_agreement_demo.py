"""On the demo province, with every domain's real indicators, the page, the CLI, the API, the annual
report's HTML, XLSX, PDF and DOCX give the same figure for every indicator and institution."""
import io
import json
import re
from pathlib import Path

import docx
import openpyxl
import pypdf

from ilms.accounts import services as accounts
from ilms.common.time import local_today
from ilms.demo.cli import load_all
from ilms.extensions import db
from ilms.stats import registry, services
from tests.conftest import login

TEST_PLAN = Path(__file__).with_name("data") / "plan-2021-2025.yaml"
VALUE = r'data-value="(-?\d+(?:\.\d+)?|None)"'


def _printed(text):
    """A figure as the Vietnamese PDF prints it: 1.234 (thousands) or 12,5 (decimals); "–" for no value."""
    return None if text == "–" else float(text.replace(".", "").replace(",", "."))


def _number(value):
    """A figure read back from any format; a change against a year with nothing has no value (None)."""
    return None if value in (None, "None", "") else float(value)


def test_every_format_agrees_on_the_demo_province(app, runner, factories):
    load_all(echo=lambda *_: None)
    plan = services.load_plan(TEST_PLAN.read_text(encoding="utf-8"))
    manager = factories.user("sep", role="manager")
    _token, secret = accounts.create_token(manager, name="đối chiếu")
    db.session.commit()
    year = local_today().year - 1          # a closed year: no estimates in the report
    client = app.test_client()
    login(client, "sep")

    figures = _agree(app, runner, client, secret, plan, year, "province")
    # every domain's indicators are there, and the demo gives them something to count
    codes = {code for code, _inst in figures}
    assert registry.SPEC_CODES <= codes
    assert sum(1 for value in figures.values() if value) > 100

    # the area of a former district: the same agreement, over its own institutions only
    district = _agree(app, runner, client, secret, plan, year, "district:TD")
    assert {inst for _code, inst in district} == {i.code for i in scope_members("district:TD")}
    assert {inst for _code, inst in district} >= {"TVH-TD", "TTVH-TD", "BD-TD-BL"}
    assert all(figures[key] == value for key, value in district.items())
    assert sum(1 for value in district.values() if value) > 10


def scope_members(key):
    from ilms.stats.scope import network, parse_scope
    return parse_scope(key).members(network())


def _agree(app, runner, client, secret, plan, year, scope):
    """The figures of ``scope`` from the CLI, checked equal in the API, the page, the report's HTML, XLSX, PDF."""
    cli_args = ["indicators", "--year", str(year), "--json"] + ([] if scope == "province" else ["--scope", scope])
    cli = json.loads(runner.invoke(args=cli_args).output)
    figures = {(f["indicator"], f["institution"]): _number(f["value"]) for f in cli["figures"]}
    api_url = f"/api/v1/indicators?year={year}" + ("" if scope == "province" else f"&scope={scope}")
    api = app.test_client().get(api_url, headers={"Authorization": f"Bearer {secret}"}).json
    assert api == cli

    page = client.get(f"/stats/?year={year}&scope={scope}").get_data(as_text=True)
    page_figures = {tuple(k.split("|")): _number(v) for k, v in re.findall(
        r'data-figure="([^"]+)">.*?' + VALUE, page, re.S)}
    assert page_figures == figures

    report = f"/stats/reports/{plan.id}/annual/{year}"
    html_report = client.get(report + f"?scope={scope}").get_data(as_text=True)
    report_figures = {tuple(k.split("|")): _number(v) for k, v in re.findall(
        r'data-figure="([^"]+)">.*?' + VALUE, html_report, re.S)}
    assert report_figures == figures

    book = openpyxl.load_workbook(io.BytesIO(client.get(report + f".xlsx?scope={scope}").data))
    xlsx_figures = {(r[0], r[2]): _number(r[3]) for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert xlsx_figures == figures

    pdf = pypdf.PdfReader(io.BytesIO(client.get(report + f".pdf?scope={scope}").data))
    pdf_figures = {}
    codes_pattern = "|".join(sorted({re.escape(inst) for _code, inst in figures}, key=len, reverse=True))
    rows = []                                  # a table row starts with its indicator code; long names wrap
    cut = False                                # the longest codes (MUS.LEARNING_VISITORS_GROWTH) wrap too
    for line in (line for p in pdf.pages for line in p.extract_text().splitlines()):
        if cut:
            rows[-1] += line
            cut = False
        elif re.match(r"^(?:LIB|NET|ROT|MUS|CUL|TRN|DEP)\.[A-Z_]+ ", line):
            rows.append(line)
        elif re.match(r"^(?:LIB|NET|ROT|MUS|CUL|TRN|DEP)\.[A-Z_]+$", line):
            rows.append(line)
            cut = True
        elif rows:
            rows[-1] += " " + line
    for row in rows:
        match = re.match(r"^((?:LIB|NET|ROT|MUS|CUL|TRN|DEP)\.[A-Z_]+) .*? (" + codes_pattern + r") ([\d.,]+|–)(?:\s|$)",
                         row)
        if match:
            pdf_figures[(match.group(1), match.group(2))] = _printed(match.group(3))
    assert pdf_figures == figures

    document = docx.Document(io.BytesIO(client.get(report + f".docx?scope={scope}").data))
    by_institution = next([[cell.text for cell in row.cells] for row in table.rows] for table in document.tables
                          if len(table.columns) > 2 and table.rows[0].cells[2].text == "Mã đơn vị")
    assert {(r[0], r[2]): _printed(r[3]) for r in by_institution[1:]} == figures
    return figures
