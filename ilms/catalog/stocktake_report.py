"""The stocktake report for the accounting record, as XLSX (openpyxl) and PDF (fpdf2, DejaVu fonts).

Spreadsheet cells that hold text from the catalogue (titles, shelves, call
numbers, notes) are neutralised: a cell whose text would begin with
``= + - @``, a tab or a carriage return (or their full-width forms) gets a
ZERO WIDTH SPACE (U+200B) in front and is stored as a string. openpyxl
would write a leading ``=`` as a formula, and a leading ``'`` is kept as a
visible character rather than Excel's quote prefix, so neither helps; the
invisible character keeps the text readable, and the cell cannot become a
formula even after a CSV round trip.
"""
from __future__ import annotations

import io
from pathlib import Path

from flask_babel import gettext as _

from ..common.time import to_local
from . import stocktake as st

FONTS = Path(__file__).resolve().parent.parent / "stats" / "fonts"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_text(value):
    """Text for a spreadsheet cell that can never be read as a formula."""
    text = "" if value is None else str(value)
    return "\u200b" + text if text.startswith(_FORMULA_START) else text


def _when(value):
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def build(stocktake):
    """Everything the report shows, read once: the header, the figures and the three lists."""
    counts = st.counts(stocktake)
    missing = st.missing(stocktake)
    elsewhere = st.entries(stocktake, kinds=st.ELSEWHERE)
    twice = st.entries(stocktake, twice=True)
    header = [
        (_("Library"), stocktake.institution.name),
        (_("Stocktake"), stocktake.name),
        (_("Stocktake scope"), stocktake.scope_text),
        (_("Stocktake state"), str(stocktake.status.label)),
        (_("Opened"), f"{_when(stocktake.opened_at)} · "
                      f"{stocktake.opened_by.display_name if stocktake.opened_by else ''}"),
        (_("Closed"), f"{_when(stocktake.closed_at)} · {stocktake.closed_by.display_name}" if stocktake.closed_at
         else _("not yet")),
    ]
    figures = [
        (_("Copies expected on the shelves"), counts["expected"]),
        (_("Found on the shelf"), counts["found"]),
        (_("Expected but not seen"), counts["not_seen"]),
        (_("Missing at closing (still on a shelf status)"), len(missing)),
        (_("Withdrawn as lost"), sum(1 for e in missing if e.withdrawn)),
        *[(str(kind.label), counts[kind.value]) for kind in st.ELSEWHERE],
        (_("Seen more than once"), counts["twice"]),
        (_("Scans"), counts["scans"]),
    ]

    def copy_row(entry):
        item = entry.item
        return [entry.barcode, item.record.title if item else "", item.call_number if item else "",
                item.shelf if item else "", item.price if item and item.price is not None else None]

    lists = [
        (_("Copies not found"), [_("Barcode"), _("Book title"), _("Call number"), _("Shelf"), _("Price (VND)"),
                               _("Copy status"), _("Withdrawn as lost")],
         [copy_row(e) + [str(e.item.status.label), _("yes") if e.withdrawn else ""] for e in missing]),
        (_("Seen but belonging elsewhere"), [_("Barcode"), _("Book title"), _("Call number"), _("Shelf"),
                                             _("Price (VND)"), _("Seen as"), _("Owner"), _("Scans")],
         [copy_row(e) + [str(e.seen_as.label), e.item.institution.name if e.item else "", e.scans]
          for e in elsewhere]),
        (_("Seen more than once"), [_("Barcode"), _("Book title"), _("Call number"), _("Shelf"), _("Price (VND)"),
                                    _("Seen as"), _("Scans")],
         [copy_row(e) + [str(e.seen_as.label), e.scans] for e in twice]),
    ]
    return {"title": _("Stocktake report"), "header": header, "figures": figures, "lists": lists,
            "stocktake": stocktake}


def to_xlsx(doc):
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()

    def put(ws, row, col, value, font=None):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            cell = ws.cell(row=row, column=col, value=value)
            cell.number_format = "#,##0"
        else:
            cell = ws.cell(row=row, column=col)
            cell.value = safe_text(value)
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    ws = wb.active
    ws.title = _("Summary")[:31]
    put(ws, 1, 1, doc["title"].upper(), Font(bold=True, size=14))
    row = 3
    for label, value in doc["header"]:
        put(ws, row, 1, label, bold)
        put(ws, row, 2, value)
        row += 1
    row += 1
    for label, value in doc["figures"]:
        put(ws, row, 1, label, bold)
        put(ws, row, 2, value)
        row += 1
    ws.column_dimensions["A"].width = 46
    ws.column_dimensions["B"].width = 60
    for title, headers, rows in doc["lists"]:
        sheet = wb.create_sheet("".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31])
        for col, head in enumerate(headers, start=1):
            put(sheet, 1, col, head, bold)
        for r, values in enumerate(rows, start=2):
            for col, value in enumerate(values, start=1):
                if value is not None:
                    put(sheet, r, col, value)
        for col, width in enumerate([16, 50, 18, 18, 14, 30, 30, 10][:len(headers)], start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(doc):
    from fpdf import FPDF

    stocktake = doc["stocktake"]

    class ReportPDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.cell(0, 6, f"{doc['title']} · {stocktake.institution.name} · "
                            + _("page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="C")

    pdf = ReportPDF(orientation="landscape", format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSansCondensed.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 9, doc["title"].upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    for label, value in doc["header"] + [(label, f"{value:,}".replace(",", ".")) for label, value in doc["figures"]]:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(95, 6, str(label))
        pdf.set_font("DejaVu", size=10)
        pdf.multi_cell(0, 6, str(value), new_x="LMARGIN", new_y="NEXT")
    for title, headers, rows in doc["lists"]:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(0, 8, f"{title} ({len(rows)})", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=8)
        if not rows:
            pdf.cell(0, 6, _("None."), new_x="LMARGIN", new_y="NEXT")
            continue
        widths = (28, 80, 26, 26, 20, 45, 30, 12)[:len(headers)]
        with pdf.table(col_widths=widths, width=sum(widths), text_align="LEFT", line_height=4.5,
                       first_row_as_headings=True) as table:
            table.row([str(h) for h in headers])
            for values in rows:
                table.row(["" if v is None else (f"{v:,}".replace(",", ".") if isinstance(v, int) else str(v))
                           for v in values])
    pdf.set_title(str(doc["title"]))
    return bytes(pdf.output())
