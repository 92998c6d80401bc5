"""Reports as XLSX (openpyxl) and PDF (fpdf2 with the bundled DejaVu fonts, which cover Vietnamese).

Both render the report document of ``reports.build_report`` (or a frozen
one), so they carry exactly the figures of the report page.
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
from .drill import column_label
from .pages import STATUS_MARKS, STATUS_WORDS, fmt, fmt_for, range_text
from .reports import KIND_LABELS, indicator_name

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
    return f"{STATUS_MARKS[status]} {STATUS_WORDS[status]}" if status else ""


def title_of(doc):
    return _("%(kind)s %(year)d", kind=KIND_LABELS[doc["kind"]], year=doc["year"])


def header_lines(doc, snapshot=None):
    lines = [
        (_("Plan"), f"{doc['plan']['code']} — {doc['plan']['title']}"),
        (_("Reporting unit"), doc["prepared_for"]),
        (_("Reporting period"), f"{_day(doc['period']['start'])} – {_day(doc['period']['end'])}"),
        (_("Figures up to"), _day(doc["as_of"])),
        (_("Due date"), _day(doc["due"])),
        (_("Prepared by"), doc["prepared_by"]),
        (_("Prepared on"), _day(doc["prepared_on"])),
    ]
    if snapshot is not None:
        lines.append((_("Signed off"), _("version %(n)d, %(day)s, by %(name)s", n=snapshot.version,
                                        day=to_local(snapshot.frozen_at).strftime("%d/%m/%Y"),
                                        name=snapshot.frozen_by.display_name)))
    else:
        lines.append((_("Signed off"), _("not yet")))
    if doc["estimate"]:
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


# -- XLSX -------------------------------------------------------------------------

def report_xlsx(doc, *, snapshot=None, revisions=None):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    estimate_font = Font(italic=True, color="444444")
    estimate_fill = PatternFill("solid", fgColor="EEEEEE")
    wb = Workbook()

    def table(ws, start_row, headers, rows, estimate_cols=()):
        for col, head in enumerate(headers, start=1):
            cell = ws.cell(row=start_row, column=col, value=str(head))
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
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
    ws.cell(row=1, column=1, value=title_of(doc).upper()).font = Font(bold=True, size=14)
    row = 3
    for label, value in header_lines(doc, snapshot):
        ws.cell(row=row, column=1, value=str(label)).font = bold
        ws.cell(row=row, column=2, value=str(value))
        row += 1
    row += 1
    if doc["targets"]:
        ws.cell(row=row, column=1, value=_("Against the plan")).font = Font(bold=True, size=12)
        row = table(ws, row + 1, [_("Code"), _("Indicator"), _("Who"), _("Scope"), _("Target"), _("Value to date"),
                                  _("Status"), _("Expected at period end (est.)"), _("Expected status")],
                    [[t["indicator"], indicator_name(t["indicator"]), _group_text(t), _scope_word(t), _target_range(t),
                      t["value"], str(_status(t["status"])), t["total"] if doc["estimate"] else None,
                      str(_status(t["total_status"])) if doc["estimate"] else None]
                     for t in doc["targets"]], estimate_cols=(7, 8))
    ws.cell(row=row, column=1, value=_("Indicators")).font = Font(bold=True, size=12)
    row = table(ws, row + 1, [_("Code"), _("Indicator"), _("Value to date"), _("Estimated remainder (est.)"),
                              _("Estimated total (est.)"), _("Same period last year")],
                [[i["indicator"], indicator_name(i["indicator"]), i["value"], i["estimate"],
                  i["total"] if doc["estimate"] else None, i["last_year"]] for i in doc["indicators"]],
                estimate_cols=(3, 4))
    if doc["groups"]:
        ws.cell(row=row, column=1, value=_("By type of institution")).font = Font(bold=True, size=12)
        row = table(ws, row + 1, [_("Code"), _("Indicator"), _("Who"), _("Value to date"),
                                  _("Estimated remainder (est.)"), _("Estimated total (est.)")],
                    [[g["indicator"], indicator_name(g["indicator"]), _group_text(g), g["value"], g["estimate"],
                      g["total"] if doc["estimate"] else None] for g in doc["groups"]], estimate_cols=(4, 5))
    for col, width in enumerate([16, 46, 30, 16, 18, 16, 22, 18, 22], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    if doc["figures"]:
        sheet = wb.create_sheet(_("By institution")[:31])
        table(sheet, 1, [_("Code"), _("Indicator"), _("Institution code"), _("Value to date"),
                         _("Estimated remainder (est.)"), _("Estimated total (est.)")],
              [[f["indicator"], indicator_name(f["indicator"]), f["institution"], f["value"], f["estimate"],
                f["total"] if doc["estimate"] else None] for f in doc["figures"]], estimate_cols=(4, 5))
        for col, width in enumerate([16, 46, 16, 16, 18, 18], start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = "A2"
    for activity in doc["activities"]:
        sheet = wb.create_sheet(_sheet_name(wb, _activity_title(activity)))
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
    base = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:28] or "List"
    name, n = base, 2
    while name in wb.sheetnames:
        name, n = f"{base[:26]} {n}", n + 1
    return name


def _activity_title(activity):
    return activity["title_vi"] if str(get_locale() or "vi").startswith("vi") else activity["title_en"]


def _scope_word(row):
    return _("each institution") if row.get("scope") == "each" else _("total")


def revision_where(entry):
    if entry.get("institution"):
        return entry["institution"]
    if entry.get("group") or entry.get("level"):
        return _group_text(entry)
    return _("the report's total")


# -- PDF ----------------------------------------------------------------------------

def report_pdf(doc, *, snapshot=None, revisions=None):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class ReportPDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.cell(0, 6, f"{title_of(doc)} · {doc['prepared_for']} · "
                            + _("page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="C")

    pdf = ReportPDF(orientation="landscape", format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSansCondensed.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
    pdf.set_title(title_of(doc))
    pdf.set_author(doc["prepared_by"])
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, title_of(doc).upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    for label, value in header_lines(doc, snapshot):
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(45, 5.5, str(label))
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(0, 5.5, str(value), new_x="LMARGIN", new_y="NEXT")
    heading = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))

    def section(title):
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, str(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=8.5)

    def grid(headers, rows, widths, numeric=()):
        with pdf.table(col_widths=widths, headings_style=heading, line_height=4.6,
                       text_align=tuple("RIGHT" if i in numeric else "LEFT" for i in range(len(widths)))) as table:
            head = table.row()
            for text in headers:
                head.cell(str(text))
            for values in rows:
                line = table.row()
                for value in values:
                    line.cell("" if value is None else str(value))

    est = " " + _("(est.)")
    if doc["targets"]:
        section(_("Against the plan"))
        grid([_("Code"), _("Indicator"), _("Who"), _("Target"), _("Value to date"), _("Status"),
              _("Expected at period end (est.)")],
             [[t["indicator"], indicator_name(t["indicator"]), _group_text(t) + f" ({_scope_word(t)})",
               _target_range(t), _target_value(t), _status(t["status"]),
               (_target_value(dict(t, value=t["total"])) + est + " " + _status(t["total_status"]))
               if doc["estimate"] else ""]
              for t in doc["targets"]], (50, 43, 50, 26, 22, 36, 50), numeric=(4,))
    section(_("Indicators"))
    grid([_("Code"), _("Indicator"), _("Value to date"), _("Estimated remainder (est.)"),
          _("Estimated total (est.)"), _("Same period last year")],
         [[i["indicator"], indicator_name(i["indicator"]), fmt_for(i["indicator"], i["value"]),
           fmt_for(i["indicator"], i["estimate"]) + est if i["estimate"] is not None else "",
           fmt_for(i["indicator"], i["total"]) + est if doc["estimate"] else "", fmt_for(i["indicator"], i["last_year"])] for i in doc["indicators"]],
         (50, 77, 30, 40, 40, 40), numeric=(2, 3, 4, 5))
    if doc["groups"]:
        section(_("By type of institution"))
        grid([_("Code"), _("Indicator"), _("Who"), _("Value to date"), _("Estimated total (est.)")],
             [[g["indicator"], indicator_name(g["indicator"]), _group_text(g), fmt_for(g["indicator"], g["value"]),
               fmt_for(g["indicator"], g["total"]) + est if doc["estimate"] else ""] for g in doc["groups"]],
             (50, 77, 70, 40, 40), numeric=(3, 4))
    if doc["figures"]:
        section(_("By institution"))
        grid([_("Code"), _("Indicator"), _("Institution code"), _("Value to date"), _("Estimated total (est.)")],
             [[f["indicator"], indicator_name(f["indicator"]), f["institution"], fmt_for(f["indicator"], f["value"]),
               fmt_for(f["indicator"], f["total"]) + est if doc["estimate"] else ""] for f in doc["figures"]],
             (50, 87, 40, 50, 50), numeric=(3, 4))
    for activity in doc["activities"]:
        section(_activity_title(activity))
        if activity["rows"]:
            grid([column_label(c) for c in activity["columns"]], activity["rows"],
                 tuple(1 for _c in activity["columns"]))
        else:
            pdf.cell(0, 6, _("None in this period."), new_x="LMARGIN", new_y="NEXT")
    if revisions:
        section(_("Revisions since sign-off"))
        grid([_("Code"), _("Indicator"), _("Where"), _("Frozen"), _("Now"), _("Difference")],
             [[r["indicator"], indicator_name(r["indicator"]), revision_where(r), fmt_for(r["indicator"], r["frozen"]),
               fmt_for(r["indicator"], r["current"]), f"{r['difference']:+,}".replace(",", ".")] for r in revisions],
             (50, 77, 50, 33, 33, 34), numeric=(3, 4, 5))
    pdf.ln(8)
    pdf.set_font("DejaVu", "B", 10)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.cell(width, 6, _("Prepared by"), align="C")
    pdf.cell(width, 6, _("Head of the unit"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.cell(width, 5, _("(signature, full name)"), align="C")
    pdf.cell(width, 5, _("(signature, full name, seal)"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    pdf.cell(width, 6, doc["prepared_by"], align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
