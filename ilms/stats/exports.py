"""Reports as XLSX (openpyxl) and PDF (fpdf2 with bundled DejaVu fonts, which cover Vietnamese).

Both render the report document of ``reports.build_report`` (or a frozen
one) with its letter (``letters``), so they carry exactly the figures and the
words of the report page and of the DOCX (``stats.word``): the Decree 30
header, the title, the narrative sections with the figures against the
targets, "Nơi nhận:" and the signature, then an annex (by type of
institution, by institution, activity lists, revisions). The tables are
built once here (``letter_tables``, ``annex_tables``) for the PDF and the DOCX.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from flask_babel import get_locale
from flask_babel import gettext as _

from ..common.spreadsheet import neutralise_workbook
from ..common.time import to_local
from ..org.models import InstitutionKind, Level
from . import letters
from .drill import column_label
from .pages import STATUS_MARKS, STATUS_WORDS, fmt_for, range_text
from .reports import indicator_name

FONTS = Path(__file__).with_name("fonts")


def _day(iso):
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def _group_text(row):
    if row.get("level"):
        return _("%(level)s level", level=Level(row["level"]).label)
    group = row.get("group")
    kinds = list(group) if isinstance(group, (list, tuple)) else [group]
    return ", ".join(str(InstitutionKind(k).label) for k in kinds if k)


def _status(status):
    return f"{STATUS_MARKS[status]} {STATUS_WORDS[status]}" if status in STATUS_MARKS else ""


def title_of(doc):
    """``Báo cáo năm 2020`` / ``Báo cáo 6 tháng đầu năm 2026`` (the kind and the year said once)."""
    if doc["kind"] == "half_year":
        return _("Report on the first 6 months of %(year)d", year=doc["year"])
    return _("Annual report %(year)d", year=doc["year"])


def header_lines(doc, snapshot=None):
    lines = []
    plan = letters.plan_text(doc)
    lines.append((_("Plan"), plan or _("no plan with targets is in force for this period")))
    lines += [
        (_("Reporting unit"), doc.get("prepared_for") or doc.get("scope_label", "")),
        (_("Reporting period"), f"{_day(doc['period']['start'])} – {_day(doc['period']['end'])}"),
        (_("Figures up to"), _day(doc["as_of"])),
    ]
    if doc.get("due"):
        lines.append((_("Due date"), _day(doc["due"])))
    lines += [(_("Prepared by"), doc.get("prepared_by", "")), (_("Prepared on"), _day(doc.get("prepared_on")))]
    if snapshot is not None:
        lines.append((_("Signed off"), _("version %(n)d, %(day)s, by %(name)s", n=snapshot.version,
                                        day=to_local(snapshot.frozen_at).strftime("%d/%m/%Y"),
                                        name=snapshot.frozen_by.display_name)))
    else:
        lines.append((_("Signed off"), _("not yet")))
    if doc.get("estimate"):
        lines.append((_("Note"), _("The period is not over: figures after %(day)s are estimates, marked (est.).",
                                   day=_day(doc["as_of"]))))
    return lines


def _target_value(row):
    """A target's value: the total, or for ``each`` targets how many of how many meet it."""
    if row.get("scope") == "each":
        return f"{row['value']}/{row['institutions']}"
    return fmt_for(row["indicator"], row["value"])


def _target_range(row):
    return range_text(row.get("min"), row.get("max"))


def _scope_word(row):
    return _("each institution") if row.get("scope") == "each" else _("total")


def revision_where(entry):
    if entry.get("institution"):
        return entry["institution"]
    if entry.get("group") or entry.get("level"):
        return _group_text(entry)
    return _("the report's total")


def _activity_title(activity):
    return activity["title_vi"] if str(get_locale() or "vi").startswith("vi") else activity["title_en"]


# -- the tables, as text, for the PDF and the DOCX ---------------------------------------

class Table:
    """A table of text: a title, headers, rows, relative column widths, numeric columns."""

    def __init__(self, key, title, headers, rows, widths, numeric=()):
        self.key, self.title, self.headers, self.rows = key, title, headers, rows
        self.widths, self.numeric = widths, tuple(numeric)


def letter_tables(doc):
    """The figures in the body of the report: against the targets, then every indicator."""
    est = " " + _("(est.)")
    tables = []
    if doc.get("targets"):
        headers = [_("Code"), _("Indicator"), _("Who"), _("Target"), _("Value to date"), _("Status")]
        widths = [31, 30, 30, 23, 15, 21]
        if doc.get("estimate"):
            headers.append(_("Expected at period end (est.)"))
            widths = [29, 24, 24, 21, 14, 18, 26]
        rows = []
        for t in doc["targets"]:
            row = [t["indicator"], indicator_name(t["indicator"]), f"{_group_text(t)} ({_scope_word(t)})",
                   _target_range(t), _target_value(t), _status(t.get("status"))]
            if doc.get("estimate"):
                row.append(_target_value(dict(t, value=t.get("total", t["value"]))) + est + " "
                           + _status(t.get("total_status")))
            rows.append(row)
        tables.append(Table("targets", _("Against the plan"), headers, rows, widths, numeric=(4,)))
    headers = [_("Code"), _("Indicator"), _("Value to date")]
    widths = [34, 55, 24]
    numeric = [2]
    if doc.get("estimate"):
        headers += [_("Estimated remainder (est.)"), _("Estimated total (est.)")]
        widths += [22, 22]
        numeric += [3, 4]
    headers.append(_("Same period last year"))
    widths.append(24)
    numeric.append(len(headers) - 1)
    rows = []
    for i in doc.get("indicators", []):
        row = [i["indicator"], indicator_name(i["indicator"]), fmt_for(i["indicator"], i["value"])]
        if doc.get("estimate"):
            row += [fmt_for(i["indicator"], i["estimate"]) + est if i.get("estimate") is not None else "",
                    fmt_for(i["indicator"], i["total"]) + est]
        row.append(fmt_for(i["indicator"], i.get("last_year")))
        rows.append(row)
    tables.append(Table("indicators", _("Indicators"), headers, rows, widths, numeric))
    return tables


def annex_tables(doc, revisions=None):
    """The annex: by type of institution, by institution, the activity lists, revisions."""
    est = " " + _("(est.)")
    tables = []
    estimate = doc.get("estimate")
    if doc.get("groups"):
        tables.append(Table(
            "groups", _("By type of institution"),
            [_("Code"), _("Indicator"), _("Who"), _("Value to date"), _("Estimated total (est.)")],
            [[g["indicator"], indicator_name(g["indicator"]), _group_text(g), fmt_for(g["indicator"], g["value"]),
              fmt_for(g["indicator"], g["total"]) + est if estimate else ""] for g in doc["groups"]],
            [50, 77, 70, 40, 40], numeric=(3, 4)))
    if doc.get("figures"):
        tables.append(Table(
            "figures", _("By institution"),
            [_("Code"), _("Indicator"), _("Institution code"), _("Value to date"), _("Estimated total (est.)")],
            [[f["indicator"], indicator_name(f["indicator"]), f["institution"], fmt_for(f["indicator"], f["value"]),
              fmt_for(f["indicator"], f["total"]) + est if estimate else ""] for f in doc["figures"]],
            [50, 87, 40, 50, 50], numeric=(3, 4)))
    for activity in doc.get("activities", []):
        tables.append(Table("activity:" + activity["key"], _activity_title(activity),
                            [str(column_label(c)) for c in activity["columns"]],
                            [["" if v is None else str(v) for v in row] for row in activity["rows"]],
                            [1] * len(activity["columns"])))
    if revisions:
        tables.append(Table(
            "revisions", _("Revisions since sign-off"),
            [_("Code"), _("Indicator"), _("Where"), _("Frozen"), _("Now"), _("Difference")],
            [[r["indicator"], indicator_name(r["indicator"]), str(revision_where(r)),
              fmt_for(r["indicator"], r["frozen"]), fmt_for(r["indicator"], r["current"]),
              f"{r['difference']:+,}".replace(",", ".")] for r in revisions],
            [50, 77, 50, 33, 33, 34], numeric=(3, 4, 5)))
    return tables


def signature_lines(letter):
    """The signature block: position lines (``KT. GIÁM ĐỐC`` / ``PHÓ GIÁM ĐỐC`` allowed), then the name."""
    return [line.strip() for line in (letter.get("signer_position") or "").splitlines() if line.strip()]


FILE_FORMATS = ("docx", "pdf", "xlsx")


def report_bytes(doc, fmt, *, snapshot=None, revisions=None):
    """``(bytes, mimetype)`` of a report document in one of ``FILE_FORMATS`` (pages and the CLI)."""
    if fmt == "xlsx":
        return (report_xlsx(doc, snapshot=snapshot, revisions=revisions),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if fmt == "docx":
        from .word import DOCX_MIMETYPE, report_docx
        return report_docx(doc, snapshot=snapshot, revisions=revisions), DOCX_MIMETYPE
    if fmt == "pdf":
        return report_pdf(doc, snapshot=snapshot, revisions=revisions), "application/pdf"
    raise ValueError(f"unknown report format {fmt!r}")


# -- XLSX -------------------------------------------------------------------------

def report_xlsx(doc, *, snapshot=None, revisions=None):
    """The report as a workbook: the letter with its figures on the first sheet, the annex after.

    Sheet names are never cut: the by-institution sheet and the revisions keep
    their short names, each activity list is an annex sheet named ``Phụ lục N``
    with its full title in the first cell.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    letter = letters.of_document(doc)
    bold = Font(bold=True)
    estimate_font = Font(italic=True, color="444444")
    estimate_fill = PatternFill("solid", fgColor="EEEEEE")
    centre = Alignment(horizontal="center", vertical="top", wrap_text=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()

    def table(ws, start_row, headers, rows, estimate_cols=()):
        for col, head in enumerate(headers, start=1):
            cell = ws.cell(row=start_row, column=col, value=str(head))
            cell.font = bold
            cell.alignment = wrap
        for r, values in enumerate(rows, start=start_row + 1):
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=col, value=value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.number_format = "#,##0" if float(value).is_integer() else "#,##0.0"
                if col - 1 in estimate_cols and value is not None:
                    cell.font, cell.fill = estimate_font, estimate_fill
        return start_row + len(rows) + 2

    ws = wb.active
    ws.title = _("Report")[:31]

    def merged(row, first, last, value, font=None, align=centre, height=None):
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        cell = ws.cell(row=row, column=first, value=value)
        cell.alignment = align
        if font is not None:
            cell.font = font
        if height:
            ws.row_dimensions[row].height = height
        return cell

    if letter:
        merged(1, 1, 3, letter.get("parent_body", ""))
        merged(2, 1, 3, letter.get("issuer", ""), Font(bold=True))
        merged(3, 1, 3, letters.number_line(letter))
        merged(1, 4, 9, letters.MOTTO[0], Font(bold=True))
        merged(2, 4, 9, letters.MOTTO[1], Font(bold=True))
        merged(3, 4, 9, letters.date_line(letter, letters.document_day(doc, snapshot)), Font(italic=True))
        merged(5, 1, 9, letters.DOCUMENT_TYPE, Font(bold=True, size=14))
        merged(6, 1, 9, letter.get("subject") or title_of(doc), Font(bold=True))
        row = 8
    else:
        ws.cell(row=1, column=1, value=title_of(doc).upper()).font = Font(bold=True, size=14)
        row = 3
    for label, value in header_lines(doc, snapshot):
        ws.cell(row=row, column=1, value=str(label)).font = bold
        ws.cell(row=row, column=2, value=str(value))
        row += 1
    row += 1

    def paragraphs_at(row, texts):
        for text in texts:
            merged(row, 1, 9, text, align=wrap, height=15 * max(1, len(text) // 120 + 1))
            row += 1
        return row

    titles = letters.section_titles(doc) if letter else []
    if titles:
        ws.cell(row=row, column=1, value=str(titles[0][1])).font = Font(bold=True, size=12)
        row = paragraphs_at(row + 1, [t for t in [letters.targets_summary(doc)] if t]
                            + (letters.paragraphs(letter.get("results")) or [letters.placeholder()]))
        row += 1
    if doc.get("targets"):
        ws.cell(row=row, column=1, value=_("Against the plan")).font = Font(bold=True, size=12)
        row = table(ws, row + 1, [_("Code"), _("Indicator"), _("Who"), _("Scope"), _("Target"), _("Value to date"),
                                  _("Status"), _("Expected at period end (est.)"), _("Expected status")],
                    [[t["indicator"], indicator_name(t["indicator"]), _group_text(t), _scope_word(t), _target_range(t),
                      t["value"], str(_status(t.get("status"))), t.get("total") if doc.get("estimate") else None,
                      str(_status(t.get("total_status"))) if doc.get("estimate") else None]
                     for t in doc["targets"]], estimate_cols=(7, 8))
    ws.cell(row=row, column=1, value=_("Indicators")).font = Font(bold=True, size=12)
    row = table(ws, row + 1, [_("Code"), _("Indicator"), _("Value to date"), _("Estimated remainder (est.)"),
                              _("Estimated total (est.)"), _("Same period last year")],
                [[i["indicator"], indicator_name(i["indicator"]), i["value"], i.get("estimate"),
                  i.get("total") if doc.get("estimate") else None, i.get("last_year")]
                 for i in doc.get("indicators", [])], estimate_cols=(3, 4))
    for key, title in titles[1:]:
        ws.cell(row=row, column=1, value=str(title)).font = Font(bold=True, size=12)
        row = paragraphs_at(row + 1, letters.paragraphs(letter.get(key)) or [letters.placeholder()]) + 1
    if letter:
        ws.cell(row=row, column=1, value=letters.RECIPIENTS_HEADING).font = Font(bold=True, italic=True)
        sign = signature_lines(letter)
        for offset, line in enumerate(sign):
            merged(row + offset, 5, 9, line, Font(bold=True))
        for offset, line in enumerate(letters.recipients(letter), start=1):
            ws.cell(row=row + offset, column=1, value=f"- {line}")
        name_row = row + max(len(sign) + 4, len(letters.recipients(letter)) + 1)
        merged(name_row, 5, 9, letter.get("signer_name") or "", Font(bold=True))
        row = name_row + 2
    if doc.get("groups"):
        ws.cell(row=row, column=1, value=_("By type of institution")).font = Font(bold=True, size=12)
        row = table(ws, row + 1, [_("Code"), _("Indicator"), _("Who"), _("Value to date"),
                                  _("Estimated remainder (est.)"), _("Estimated total (est.)")],
                    [[g["indicator"], indicator_name(g["indicator"]), _group_text(g), g["value"], g.get("estimate"),
                      g.get("total") if doc.get("estimate") else None] for g in doc["groups"]], estimate_cols=(4, 5))
    for col, width in enumerate([16, 46, 30, 16, 18, 16, 22, 18, 22], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    if doc.get("figures"):
        sheet = wb.create_sheet(_("By institution")[:31])
        table(sheet, 1, [_("Code"), _("Indicator"), _("Institution code"), _("Value to date"),
                         _("Estimated remainder (est.)"), _("Estimated total (est.)")],
              [[f["indicator"], indicator_name(f["indicator"]), f["institution"], f["value"], f.get("estimate"),
                f.get("total") if doc.get("estimate") else None] for f in doc["figures"]], estimate_cols=(4, 5))
        for col, width in enumerate([16, 46, 16, 16, 18, 18], start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = "A2"
    for number, activity in enumerate(doc.get("activities", []), start=1):
        sheet = wb.create_sheet(_sheet_name(wb, _("Annex %(n)d", n=number)))
        sheet.cell(row=1, column=1, value=_activity_title(activity)).font = Font(bold=True, size=12)
        if activity["rows"]:
            table(sheet, 3, [column_label(c) for c in activity["columns"]], activity["rows"])
        else:
            sheet.cell(row=3, column=1, value=_("None in this period."))
    if revisions:
        sheet = wb.create_sheet(_("Revisions")[:31])
        table(sheet, 1, [_("Code"), _("Indicator"), _("Where"), _("Frozen"), _("Now"), _("Difference")],
              [[r["indicator"], indicator_name(r["indicator"]), revision_where(r), r["frozen"], r["current"],
                r["difference"]] for r in revisions])
    out = io.BytesIO()
    neutralise_workbook(wb)   # titles, topics and names typed by anyone stay text
    wb.save(out)
    return out.getvalue()


def _sheet_name(wb, title):
    base = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or "List"
    name, n = base, 2
    while name in wb.sheetnames:
        name, n = f"{base[:26]} {n}", n + 1
    return name


# -- PDF ----------------------------------------------------------------------------

#: Decree 30 margins (mm): top and bottom 20-25, left 30-35, right 15-20.
MARGINS = {"top": 20, "bottom": 20, "left": 30, "right": 15}


def report_pdf(doc, *, snapshot=None, revisions=None):
    """The report on A4 portrait in the Decree 30 layout (serif type), the annex on landscape pages."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    letter = letters.of_document(doc)
    footer_text = f"{title_of(doc)} · {doc.get('prepared_for', '')} · "

    class ReportPDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("Sans", size=8)
            self.cell(0, 6, footer_text + _("page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"),
                      align="C")

    pdf = ReportPDF(orientation="portrait", format="A4")
    pdf.add_font("Sans", "", str(FONTS / "DejaVuSansCondensed.ttf"))
    pdf.add_font("Sans", "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
    pdf.add_font("Serif", "", str(FONTS / "DejaVuSerifCondensed.ttf"))
    pdf.add_font("Serif", "B", str(FONTS / "DejaVuSerifCondensed-Bold.ttf"))
    pdf.add_font("Serif", "I", str(FONTS / "DejaVuSerifCondensed-Italic.ttf"))
    pdf.add_font("Serif", "BI", str(FONTS / "DejaVuSerifCondensed-BoldItalic.ttf"))
    pdf.set_title(title_of(doc))
    pdf.set_author(doc.get("prepared_by", ""))
    pdf.set_margins(MARGINS["left"], MARGINS["top"], MARGINS["right"])
    pdf.set_auto_page_break(True, margin=MARGINS["bottom"])
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    left_w, right_w = width * 0.42, width * 0.58

    # header: issuing body and number | motto, place and date
    top = pdf.get_y()
    pdf.set_font("Serif", size=11.5)
    pdf.multi_cell(left_w, 5.5, letter.get("parent_body", ""), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 11.5)
    pdf.multi_cell(left_w, 5.5, letter.get("issuer", ""), align="C", new_x="LMARGIN", new_y="NEXT")
    line_y = pdf.get_y() + 0.5
    pdf.line(pdf.l_margin + left_w * 0.35, line_y, pdf.l_margin + left_w * 0.65, line_y)
    pdf.ln(2.5)
    pdf.set_font("Serif", size=12)
    pdf.multi_cell(left_w, 6, letters.number_line(letter), align="C", new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font("Serif", "B", 11.5)
    pdf.multi_cell(right_w, 5.5, letters.MOTTO[0], align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Serif", "B", 12.5)
    pdf.multi_cell(right_w, 6, letters.MOTTO[1], align="C", new_x="LEFT", new_y="NEXT")
    line_y = pdf.get_y() + 0.5
    middle = pdf.l_margin + left_w + right_w / 2
    pdf.line(middle - 24, line_y, middle + 24, line_y)
    pdf.ln(3)
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font("Serif", "I", 12.5)
    pdf.multi_cell(right_w, 6, letters.date_line(letter, letters.document_day(doc, snapshot)), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), left_bottom) + 6)

    pdf.set_font("Serif", "B", 14)
    pdf.cell(0, 7, letters.DOCUMENT_TYPE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 13)
    pdf.multi_cell(0, 6.5, letter.get("subject") or title_of(doc), align="C", new_x="LMARGIN", new_y="NEXT")
    line_y = pdf.get_y() + 1
    pdf.line(pdf.l_margin + width / 2 - 20, line_y, pdf.l_margin + width / 2 + 20, line_y)
    pdf.ln(5)

    pdf.set_font("Serif", size=11)
    for label, value in header_lines(doc, snapshot):
        pdf.set_font("Serif", "B", 11)
        pdf.cell(42, 5.5, str(label))
        pdf.set_font("Serif", size=11)
        pdf.multi_cell(0, 5.5, str(value), new_x="LMARGIN", new_y="NEXT")
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))

    def section(title, size=13):
        pdf.ln(3)
        pdf.set_font("Serif", "B", size)
        pdf.multi_cell(0, 6.5, str(title), new_x="LMARGIN", new_y="NEXT")

    def body(texts):
        pdf.set_font("Serif", size=13)
        for text in texts:
            pdf.set_x(pdf.l_margin)
            pdf.multi_cell(0, 6.5, "\u2003" + text, align="J", new_x="LMARGIN", new_y="NEXT")

    def grid(table, size):
        pdf.ln(1.5)
        pdf.set_font("Serif", "B", 11)
        pdf.multi_cell(0, 6, str(table.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", size=size)
        if not table.rows:
            pdf.cell(0, 6, _("None in this period."), new_x="LMARGIN", new_y="NEXT")
            return
        count = len(table.headers)
        with pdf.table(col_widths=table.widths, headings_style=heading, line_height=size * 0.5,
                       text_align=tuple("RIGHT" if i in table.numeric else "LEFT" for i in range(count))) as grid_:
            head = grid_.row()
            for text in table.headers:
                head.cell(str(text))
            for values in table.rows:
                line = grid_.row()
                for value in values:
                    line.cell("" if value is None else str(value))

    titles = letters.section_titles(doc)
    section(titles[0][1])
    body([t for t in [letters.targets_summary(doc)] if t]
         + (letters.paragraphs(letter.get("results")) or [letters.placeholder()]))
    for table in letter_tables(doc):
        grid(table, 8.5)
    for key, title in titles[1:]:
        section(title)
        body(letters.paragraphs(letter.get(key)) or [letters.placeholder()])

    # Nơi nhận (left) and the signature (right)
    pdf.ln(6)
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_font("Serif", "BI", 12)
    pdf.cell(left_w, 6, letters.RECIPIENTS_HEADING, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", size=11)
    for line in letters.recipients(letter):
        pdf.multi_cell(left_w, 5.5, f"- {line}", new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font("Serif", "B", 13)
    for line in signature_lines(letter):
        pdf.multi_cell(right_w, 6.5, line, align="C", new_x="LEFT", new_y="NEXT")
    pdf.ln(24)
    pdf.set_x(pdf.l_margin + left_w)
    pdf.multi_cell(right_w, 6.5, letter.get("signer_name") or "", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), left_bottom))

    annex = annex_tables(doc, revisions)
    if annex:
        pdf.add_page(orientation="landscape")
        pdf.set_font("Serif", "B", 14)
        pdf.cell(0, 8, _("Annex: figures in detail"), align="C", new_x="LMARGIN", new_y="NEXT")
        for table in annex:
            grid(table, 8.5)
    return bytes(pdf.output())
