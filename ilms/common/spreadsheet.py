"""Spreadsheet cells that stay text: no formula from a title, a topic or a name typed by anyone.

A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or a tab or a
carriage return, which spreadsheet programs skip before reading one of
those) is run as a formula when the file is opened: ``=HYPERLINK(...)``
in a training topic becomes a live link in the annual report. Every
XLSX and CSV the application writes passes its cells through here.

- CSV (``csv_writer``): such a text gets a leading apostrophe, the
  convention spreadsheet programs show as "this is text" (OWASP's advice
  for CSV injection). Plain numbers (``-5``, ``-1.5``) are left alone:
  they are values, not formulas.
- XLSX (``neutralise_workbook``): the cell is stored as a string, with the
  "quote prefix" style Excel and LibreOffice give a text typed after an
  apostrophe, so it shows exactly as written and is never evaluated, even
  after editing. The application writes no formulas of its own, so every
  formula cell found is someone's text.
"""
from __future__ import annotations

import csv
import re

#: What makes a spreadsheet program read a cell as a formula (after optional tabs and returns).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def is_formula_like(text) -> bool:
    return isinstance(text, str) and text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text)


def neutral(value):
    """``value`` for a CSV cell: text that could be read as a formula gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([neutral(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options):
    """``csv.writer`` whose every text cell is ``neutral``."""
    return _SafeWriter(csv.writer(stream, **options))


def neutralise_workbook(workbook):
    """Turn every formula, and every text that looks like one, of an openpyxl workbook into plain text."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or is_formula_like(cell.value):
                    text = str(cell.value)
                    cell.value = text
                    cell.data_type = "s"
                    cell.quotePrefix = True
    return workbook
