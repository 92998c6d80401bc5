"""The probe's formula injection: a training topic typed as a formula stays text in every export."""
import csv
import datetime as dt
import io

import openpyxl
import pytest

from ilms.common.permissions import SYSTEM
from ilms.common.spreadsheet import csv_writer, neutralise_workbook
from ilms.extensions import db
from ilms.internet import services as internet
from ilms.stats import services as stats
from tests.conftest import login
from tests.security.test_scope import PLAN

TOPIC = '=HYPERLINK("http://evil.example/","click")'
#: Every start a spreadsheet program reads as a formula.
HOSTILE = [TOPIC, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "＝1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_that_starts_like_a_formula_stays_text_in_csv_and_xlsx(text):
    buffer = io.StringIO()
    csv_writer(buffer).writerow([text, "Truyện Kiều", "-5", 3])
    cell, title, number, count = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert cell == "'" + text and title == "Truyện Kiều" and number == "-5" and count == "3"

    book = openpyxl.Workbook()
    book.active.cell(row=1, column=1, value=text)
    saved = io.BytesIO()
    neutralise_workbook(book).save(saved)
    read = openpyxl.load_workbook(io.BytesIO(saved.getvalue())).active.cell(row=1, column=1)
    assert read.data_type == "s" and read.value == text


def test_the_annual_report_and_the_drilldown_carry_the_topic_as_text(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
    td = factories.institution("TVH-TD", parent=tvt, name="Thư viện huyện Tam Đường")
    factories.user("thuthu.td", institution=td)
    internet.create_training(actor=SYSTEM, institution=td, date=dt.date(2024, 3, 8), topic=TOPIC,
                             place="@Nhà văn hóa", counts=[("01", "F", 5)])
    plan = stats.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    client = app.test_client()
    login(client, "thuthu.td")

    response = client.get(f"/stats/reports/{plan.id}/annual/2024.xlsx?scope=inst:TVH-TD")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula in the report"
    assert TOPIC in {c.value for c in cells}   # shown as typed

    response = client.get("/stats/records/NET.TRAININGS?year=2024&scope=inst:TVH-TD&format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    values = {value for row in rows for value in row}
    assert "'" + TOPIC in values and TOPIC not in values
    assert "'@Nhà văn hóa" in values
