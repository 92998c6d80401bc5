"""The report as a document that can be sent (Decree 30/2020 layout): DOCX, PDF, XLSX and the CLI."""
import datetime as dt
import io
import json
import re

import docx
import openpyxl
import pypdf
import pytest
from docx.shared import Pt

from ilms.common.time import local_today
from ilms.extensions import db
from ilms.stats import letters, reports, services
from ilms.stats.models import ReportLetter, ReportSnapshot
from ilms.stats.scope import parse_scope
from tests.conftest import login, post_form, shared_path
from tests.stats.conftest import day

PLAN = shared_path("plan", "lai-chau-1133-2015.yaml")
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
LETTER = {
    "number": "15/BC-TVT",
    "subject": "Kết quả thực hiện Kế hoạch 1133/KH-UBND năm 2019",
    "results": "Năm 2019 thư viện tỉnh bổ sung 300 bản sách.\nCác thư viện huyện tổ chức trưng bày sách.",
    "shortcomings": "Kinh phí bổ sung sách còn hạn chế do ngân sách khó khăn.",
    "tasks": "Đẩy mạnh luân chuyển sách về các điểm Bưu điện văn hóa xã.",
    "recommendations": "Đề nghị Sở bố trí kinh phí mua sách năm 2020.",
    "recipients": "Sở Văn hóa, Thể thao và Du lịch tỉnh Lai Châu (để báo cáo);\nLưu: VT, NV.",
    "signer_position": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
    "signer_name": "Lò Văn Thành",
}


def _number(text):
    """A figure printed in Vietnamese (1.234) or with a status after it."""
    return int(re.match(r"[\d.]+", text.strip()).group(0).replace(".", ""))


@pytest.fixture
def setup(app, factories, province, data):
    plan = services.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    data.copies(province["TVT"], day(2019, 2, 2), 300)
    data.copies(province["TVH-A"], day(2019, 4, 4), 40)
    data.visits(province["TVH-A"], day(2019, 2, 1), 12)
    data.display(province["TVT"], day(2019, 5, 19), "Trưng bày sách về Bác Hồ nhân kỷ niệm ngày sinh của Người")
    manager = factories.user("sep", role="planner")
    db.session.commit()
    return {"plan": plan, "manager": manager, "url": f"/stats/reports/{plan.id}/annual/2019",
            "librarian": factories.user("thuthu", role="librarian", institution=province["TVH-A"]), **province}


def _save_letter(client, setup, scope="province", follow=False, **changes):
    page = f"{setup['url']}?scope={scope}"
    return post_form(client, f"{setup['url']}/letter?scope={scope}", dict(LETTER, **changes), page=page,
                     follow_redirects=follow)


def _docx(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return docx.Document(io.BytesIO(response.data))


def _table_text(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def _all_text(document):
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            out += [cell.text for cell in row.cells]
    return "\n".join(out)


def test_the_docx_is_a_decree_30_document_with_the_figures_of_the_report(app, client, setup):
    login(client, "sep")
    assert _save_letter(client, setup).status_code == 302
    doc = reports.build_report(setup["plan"], "annual", 2019, parse_scope("province"), user=setup["manager"])
    document = _docx(client, setup["url"] + ".docx?scope=province")

    # A4 portrait, Decree 30 margins, Times New Roman 13 pt
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    assert round(section.top_margin.mm) == 20 and round(section.bottom_margin.mm) == 20
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size == Pt(13)

    # header: issuing body and number on the left, motto and place/date on the right
    left, right = document.tables[0].rows[0].cells
    assert "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH TỈNH LAI CHÂU" in left.text
    assert "THƯ VIỆN TỈNH" in left.text and "Số: 15/BC-TVT" in left.text
    assert MOTTO in right.text and "Độc lập - Tự do - Hạnh phúc" in right.text
    today = local_today()
    assert f"Lai Châu, ngày {today.day:02d} tháng" in right.text and f"năm {today.year}" in right.text
    assert all(run.font.name == "Times New Roman" for p in left.paragraphs for run in p.runs)

    paragraphs = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in paragraphs and LETTER["subject"] in paragraphs
    assert not any("NĂM NĂM" in p.upper() for p in paragraphs)
    for key in ("results", "shortcomings", "tasks", "recommendations"):
        for line in LETTER[key].splitlines():
            assert line in paragraphs
    assert "III. Nhiệm vụ năm 2020" in paragraphs

    # the figures table against the targets and the indicators table equal the document's figures
    tables = [_table_text(t) for t in document.tables]
    targets = next(t for t in tables if t[0][:2] == ["Mã", "Chỉ số"] and len(t) == len(doc["targets"]) + 1
                   and "Chỉ tiêu" in t[0])
    assert [(row[0], _number(row[4]) if "/" not in row[4] else row[4]) for row in targets[1:]] == [
        (t["indicator"], t["value"] if t["scope"] == "sum" else f"{t['value']}/{t['institutions']}")
        for t in doc["targets"]]
    indicators = next(t for t in tables if t[0][:3] == ["Mã", "Chỉ số", "Đến nay"])
    assert {row[0]: _number(row[2]) for row in indicators[1:]} == {
        i["indicator"]: i["value"] for i in doc["indicators"]}
    assert {row[0]: _number(row[2]) for row in indicators[1:]}["LIB.COPIES_ADDED"] == 340
    by_institution = next(t for t in tables if "Mã đơn vị" in t[0])
    assert {(row[0], row[2]): _number(row[3]) for row in by_institution[1:]} == {
        (f["indicator"], f["institution"]): f["value"] for f in doc["figures"]}
    assert "Trưng bày sách về Bác Hồ nhân kỷ niệm ngày sinh của Người" in _all_text(document)

    # Nơi nhận and the signature block, side by side
    recipients, signature = next(t for t in document.tables if "Nơi nhận:" in t.rows[0].cells[0].text).rows[0].cells
    assert recipients.paragraphs[0].text == "Nơi nhận:"
    assert recipients.paragraphs[0].runs[0].bold and recipients.paragraphs[0].runs[0].italic
    assert "- Sở Văn hóa, Thể thao và Du lịch tỉnh Lai Châu (để báo cáo);" in recipients.text
    assert "- Lưu: VT, NV." in recipients.text
    lines = [p.text for p in signature.paragraphs if p.text]
    assert lines == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Lò Văn Thành"]

    # the annex is a landscape section
    assert len(document.sections) == 2 and document.sections[1].page_width > document.sections[1].page_height


def test_the_pdf_and_the_xlsx_carry_the_same_header_narrative_and_signature(app, client, setup):
    login(client, "sep")
    _save_letter(client, setup)
    pdf = pypdf.PdfReader(io.BytesIO(client.get(setup["url"] + ".pdf?scope=province").data))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = re.sub(r"\s+", " ", text)
    assert pdf.pages[0].mediabox.width < pdf.pages[0].mediabox.height         # A4 portrait
    for expected in (MOTTO, "Độc lập - Tự do - Hạnh phúc", "Số: 15/BC-TVT", "BÁO CÁO", LETTER["subject"],
                     "Kinh phí bổ sung sách còn hạn chế", "Đề nghị Sở bố trí kinh phí", "Nơi nhận:",
                     "Lưu: VT, NV.", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Lò Văn Thành"):
        assert expected in flat, expected
    assert "NĂM NĂM" not in flat.upper()

    book = openpyxl.load_workbook(io.BytesIO(client.get(setup["url"] + ".xlsx?scope=province").data))
    cells = [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value is not None]
    for expected in (MOTTO, "Số: 15/BC-TVT", "BÁO CÁO", LETTER["subject"], "Nơi nhận:", "- Lưu: VT, NV.",
                     "Lò Văn Thành", "Đẩy mạnh luân chuyển sách về các điểm Bưu điện văn hóa xã."):
        assert expected in cells, expected
    assert any(c.startswith("Lai Châu, ngày ") for c in cells)
    # no sheet name is a cut title: the activity list is an annex with its full title inside
    annex = book["Phụ lục 1"]
    assert annex.cell(row=1, column=1).value == "Trưng bày, giới thiệu sách"
    assert all(len(name) <= 31 for name in book.sheetnames)


def test_without_a_letter_the_defaults_make_a_sendable_document(app, client, setup):
    login(client, "sep")
    document = _docx(client, setup["url"] + ".docx?scope=inst:TVH-A")
    left, right = document.tables[0].rows[0].cells
    assert "THƯ VIỆN TỈNH" in left.text and "THƯ VIỆN HUYỆN A" in left.text      # parent body, issuer
    assert re.search(r"Số:\s+/BC-TVH-A", left.text)                              # number left open
    assert MOTTO in right.text
    closing = next(t for t in document.tables if "Nơi nhận:" in t.rows[0].cells[0].text).rows[0].cells
    assert "- Thư viện tỉnh (để báo cáo);" in closing[0].text and "GIÁM ĐỐC" in closing[1].text
    paragraphs = [p.text for p in document.paragraphs]
    assert "Kết quả thực hiện nhiệm vụ năm 2019" in paragraphs
    province = letters.letter_for("half_year", 2026, parse_scope("province"))
    assert province["recipients"].splitlines()[0] == "Sở Văn hóa, Thể thao và Du lịch tỉnh Lai Châu (để báo cáo);"
    assert province["subject"] == "Kết quả thực hiện nhiệm vụ 6 tháng đầu năm 2026"
    assert letters.date_line({"place": "Lai Châu"}, dt.date(2027, 1, 5)) == "Lai Châu, ngày 05 tháng 01 năm 2027"
    assert letters.date_line({"place": "Lai Châu"}, dt.date(2026, 11, 30)) == "Lai Châu, ngày 30 tháng 11 năm 2026"


def test_the_letter_is_kept_with_the_frozen_report_and_does_not_move_after(app, client, setup, data):
    login(client, "sep")
    _save_letter(client, setup)
    page = client.get(setup["url"] + "?scope=province").get_data(as_text=True)
    assert "Kinh phí bổ sung sách còn hạn chế do ngân sách khó khăn." in page and "Số: 15/BC-TVT" in page
    post_form(client, setup["url"] + "/freeze?scope=province", page=setup["url"] + "?scope=province")
    snapshot = db.session.query(ReportSnapshot).one()
    frozen = json.loads(snapshot.document)
    assert frozen["letter"]["shortcomings"] == LETTER["shortcomings"]
    assert frozen["letter"]["signer_name"] == "Lò Văn Thành"

    # later: the draft is rewritten and the data corrected; the signed-off document keeps its words
    _save_letter(client, setup, shortcomings="Đã khắc phục.", signer_name="Người khác")
    data.copies(setup["TVH-A"], day(2019, 10, 10), 25)
    signed = _docx(client, f"/stats/reports/signed/{snapshot.id}.docx")
    text = _all_text(signed)
    assert "Kinh phí bổ sung sách còn hạn chế do ngân sách khó khăn." in text and "Lò Văn Thành" in text
    assert "Đã khắc phục." not in text and "Người khác" not in text
    indicators = next(_table_text(t) for t in signed.tables if _table_text(t)[0][:3] == ["Mã", "Chỉ số", "Đến nay"])
    assert {r[0]: _number(r[2]) for r in indicators[1:]}["LIB.COPIES_ADDED"] == 340      # frozen figure
    html = client.get(f"/stats/reports/signed/{snapshot.id}").get_data(as_text=True)
    assert "Kinh phí bổ sung sách còn hạn chế" in html and "Đã khắc phục." not in html
    live = _docx(client, setup["url"] + ".docx?scope=province")
    assert "Đã khắc phục." in _all_text(live)


def test_only_who_signs_off_writes_the_letter_and_bad_input_changes_nothing(app, client, setup):
    login(client, "thuthu")
    own = f"{setup['url']}?scope=inst:TVH-A"
    assert "save-letter" not in client.get(own).get_data(as_text=True)
    response = post_form(client, f"{setup['url']}/letter?scope=inst:TVH-A", LETTER, page=own)
    assert response.status_code == 403
    assert db.session.query(ReportLetter).count() == 0

    manager = app.test_client()
    login(manager, "sep")
    _save_letter(manager, setup)
    response = _save_letter(manager, setup, number="1" * 61, follow=True)
    assert response.status_code == 200
    assert "60" in response.get_data(as_text=True)                   # the limit is said
    assert db.session.query(ReportLetter).one().number == "15/BC-TVT"


def _cli(runner, *args):
    return runner.invoke(args=["report", *args])


@pytest.mark.parametrize("fmt", ["docx", "pdf", "xlsx"])
def test_the_cli_writes_each_format_with_the_figures_of_the_page(app, runner, client, setup, tmp_path, fmt):
    login(client, "sep")
    _save_letter(client, setup)
    out = tmp_path / f"bao-cao.{fmt}"
    result = _cli(runner, "--kind", "annual", "--year", "2019", "--scope", "institution:TVH-A",
                  "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "inst:TVH-A" in result.output
    page = client.get(setup["url"] + "?scope=inst:TVH-A").get_data(as_text=True)
    page_value = int(re.search(r'data-indicator="LIB.COPIES_ADDED">.*?data-value="(\d+)"', page, re.S).group(1))
    assert page_value == 40
    if fmt == "docx":
        document = docx.Document(str(out))
        rows = next(_table_text(t) for t in document.tables if _table_text(t)[0][:3] == ["Mã", "Chỉ số", "Đến nay"])
        assert {r[0]: _number(r[2]) for r in rows[1:]}["LIB.COPIES_ADDED"] == page_value
        assert MOTTO in _all_text(document)
    elif fmt == "pdf":
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(out)).pages)
        assert MOTTO in text and re.search(r"LIB\.COPIES_ADDED Bản sách bổ sung 40\b", text)
    else:
        book = openpyxl.load_workbook(str(out))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert any(r[0] == "LIB.COPIES_ADDED" and r[2] == page_value for r in rows)
        assert MOTTO in [c for r in rows for c in r if c]


def test_the_cli_says_what_is_wrong_without_a_traceback(app, runner, setup, tmp_path):
    out = tmp_path / "r.docx"
    cases = [
        (["--kind", "annual", "--year", "2019", "--scope", "village:XYZ", "--out", str(out)], "scope"),
        (["--kind", "annual", "--year", "2019", "--scope", "institution:NOPE", "--out", str(out)], "NOPE"),
        (["--kind", "annual", "--year", "1800", "--out", str(out)], "1990"),
        (["--kind", "monthly", "--year", "2019", "--out", str(out)], "half_year"),
        (["--kind", "annual", "--year", "2019", "--out", str(tmp_path / "r.odt")], "docx"),
        (["--kind", "annual", "--year", "2019", "--out", str(tmp_path / "no" / "such" / "r.pdf")], "cannot write"),
    ]
    for args, said in cases:
        result = _cli(runner, *args)
        assert result.exit_code != 0, args
        assert said in result.output, (args, result.output)
        assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, TypeError,
                                                                                       ValueError, OSError))
    assert not out.exists()
