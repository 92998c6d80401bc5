"""The report as a Word document (python-docx), so the office can finish it in Word and send it.

Layout of Decree 30/2020/NĐ-CP, Appendix I: A4, margins top and bottom
20 mm, left 30 mm, right 15 mm; Times New Roman 13 pt body (tables 11 pt);
a borderless two-column header with the parent and issuing bodies and the
number on the left, the national motto and the place and date on the right;
"BÁO CÁO" and its summary line centred; the narrative sections with the
figures against the targets; "Nơi nhận:" and the signature block side by
side. The annex (by type of institution, by institution, activity lists,
revisions) follows in a landscape section. The words and figures are those
of the PDF and the XLSX (``exports.letter_tables``, ``exports.annex_tables``).
"""
from __future__ import annotations

import io

from flask_babel import gettext as _

from . import letters
from .exports import annex_tables, header_lines, letter_tables, signature_lines, title_of

FONT = "Times New Roman"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _font(run, size=None, bold=None, italic=None):
    from docx.oxml.ns import qn
    from docx.shared import Pt
    run.font.name = FONT
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic
    return run


def _paragraph(container, text, *, size=13, bold=False, italic=False, align="left", indent=False,
               space_after=0, underline=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt
    para = container.add_paragraph()
    para.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                      "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    fmt = para.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(space_after)
    if indent:
        fmt.first_line_indent = Mm(10)
    run = _font(para.add_run(text), size, bold, italic)
    run.underline = underline
    return para


def _cell_paragraph(cell, text, **kwargs):
    """Write into a table cell: its first (empty) paragraph, then new ones."""
    first = cell.paragraphs[0]
    if not first.text and len(cell.paragraphs) == 1 and not first.runs:
        para = _paragraph(cell, text, **kwargs)
        first._element.getparent().remove(first._element)
        return para
    return _paragraph(cell, text, **kwargs)


def _grid(document, table, size=11, page_width_mm=165):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm
    _paragraph(document, str(table.title), bold=True, size=12, space_after=3)
    if not table.rows:
        _paragraph(document, _("None in this period."), italic=True, size=size)
        return None
    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(table.widths) or 1
    widths = [Mm(page_width_mm * w / total) for w in table.widths]
    for i, text in enumerate(table.headers):
        cell = grid.rows[0].cells[i]
        cell.width = widths[i]
        _cell_paragraph(cell, str(text), size=size, bold=True, align="center")
    for values in table.rows:
        cells = grid.add_row().cells
        for i, value in enumerate(values):
            cells[i].width = widths[i]
            _cell_paragraph(cells[i], "" if value is None else str(value), size=size,
                            align="right" if i in table.numeric else "left")
    _paragraph(document, "", size=6)
    return grid


def report_docx(doc, *, snapshot=None, revisions=None):
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    letter = letters.of_document(doc)
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    document.core_properties.title = title_of(doc)
    document.core_properties.author = doc.get("prepared_by", "")
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.PORTRAIT
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)

    # header: issuing body and number | motto, place and date (a borderless table)
    header = document.add_table(rows=1, cols=2)
    header.autofit = False
    left, right = header.rows[0].cells
    left.width, right.width = Mm(68), Mm(97)
    _cell_paragraph(left, letter.get("parent_body", ""), size=13, align="center")
    _cell_paragraph(left, letter.get("issuer", ""), size=13, bold=True, align="center")
    _cell_paragraph(left, "―――――", size=8, align="center")
    _cell_paragraph(left, letters.number_line(letter), size=13, align="center")
    _cell_paragraph(right, letters.MOTTO[0], size=13, bold=True, align="center")
    _cell_paragraph(right, letters.MOTTO[1], size=14, bold=True, align="center")
    _cell_paragraph(right, "――――――――", size=8, align="center")
    _cell_paragraph(right, letters.date_line(letter, letters.document_day(doc, snapshot)), size=14,
                    italic=True, align="center")

    _paragraph(document, "", size=8)
    _paragraph(document, letters.DOCUMENT_TYPE, size=14, bold=True, align="center")
    _paragraph(document, letter.get("subject") or title_of(doc), size=14, bold=True, align="center")
    _paragraph(document, "―――――", size=8, align="center", space_after=6)

    for label, value in header_lines(doc, snapshot):
        para = _paragraph(document, f"{label}: ", size=12, bold=True)
        _font(para.add_run(str(value)), 12, False)

    titles = letters.section_titles(doc)
    _paragraph(document, "", size=6)
    _paragraph(document, str(titles[0][1]), size=13, bold=True, space_after=3)
    summary = letters.targets_summary(doc)
    for text in ([summary] if summary else []) + (letters.paragraphs(letter.get("results"))
                                                   or [letters.placeholder()]):
        _paragraph(document, text, align="justify", indent=True, space_after=3)
    for table in letter_tables(doc):
        _grid(document, table)
    for key, title in titles[1:]:
        _paragraph(document, str(title), size=13, bold=True, space_after=3)
        for text in letters.paragraphs(letter.get(key)) or [letters.placeholder()]:
            _paragraph(document, text, align="justify", indent=True, space_after=3)

    # Nơi nhận (left, 12 pt bold italic; the list 11 pt) and the signature (right)
    _paragraph(document, "", size=8)
    closing = document.add_table(rows=1, cols=2)
    closing.autofit = False
    left, right = closing.rows[0].cells
    left.width, right.width = Mm(75), Mm(90)
    _cell_paragraph(left, letters.RECIPIENTS_HEADING, size=12, bold=True, italic=True)
    for line in letters.recipients(letter):
        _cell_paragraph(left, f"- {line}", size=11)
    for line in signature_lines(letter):
        _cell_paragraph(right, line, size=13, bold=True, align="center")
    for _blank in range(4):
        _cell_paragraph(right, "", size=13)
    _cell_paragraph(right, letter.get("signer_name") or "", size=13, bold=True, align="center")

    annex = annex_tables(doc, revisions)
    if annex:
        from docx.enum.section import WD_SECTION
        landscape = document.add_section(WD_SECTION.NEW_PAGE)
        landscape.orientation = WD_ORIENT.LANDSCAPE
        landscape.page_width, landscape.page_height = Mm(297), Mm(210)
        landscape.top_margin, landscape.bottom_margin = Mm(20), Mm(20)
        landscape.left_margin, landscape.right_margin = Mm(20), Mm(20)
        _paragraph(document, _("Annex: figures in detail"), size=14, bold=True, align="center", space_after=6)
        for table in annex:
            _grid(document, table, size=10, page_width_mm=257)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
