"""Form fields every domain shares: a date typed dd/mm/yyyy, whatever language the browser speaks.

A browser's own date picker (``<input type="date">``) shows the order of the
browser's language: mm/dd/yyyy on a district PC set to English, while ILMS
prints dd/mm/yyyy everywhere; "12/08/2026" was read as 8 December. So, as
Koha's and Evergreen's staff clients do with their configured date format,
every date is a plain text box that says its format (placeholder and hint)
and is read on the server as day/month/year. ``yyyy-mm-dd`` is still accepted:
imports, the API and links carry ISO dates.
"""
import datetime as dt
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import fields
from wtforms.widgets import TextInput

#: What the person sees in an empty date box and beside it.
DATE_HINT = _l("dd/mm/yyyy")
#: What the browser lets through before the server reads it: d/m/yyyy (also with - or .) or yyyy-mm-dd.
DATE_PATTERN = r"\s*(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{1,2}-\d{1,2})\s*"

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_day(text):
    """``date`` from "12/08/2026" (12 August), "12-8-2026", "12.08.2026" or "2026-08-12"; ``None`` if empty.

    Raises ``ValueError`` with a sentence a librarian can act on.
    """
    text = (text or "").strip()
    if not text:
        return None
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _ISO.match(text)
        if not match:
            raise ValueError(_("“%(text)s” is not a date: type it as day/month/year, e.g. 12/08/2026.",
                               text=text[:40]))
        year, month, day = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(_("“%(text)s” is not a day of the calendar: type day/month/year, e.g. 12/08/2026.",
                           text=text[:40])) from None


def day_text(day):
    """The dd/mm/yyyy a date box shows."""
    return day.strftime("%d/%m/%Y") if day else ""


class DayInput(TextInput):
    """A text box for a dd/mm/yyyy date: numeric keyboard on phones, the format shown inside it."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("placeholder", str(DATE_HINT))
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("pattern", DATE_PATTERN)
        kwargs.setdefault("maxlength", 12)
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("title", str(DATE_HINT))
        kwargs.setdefault("data-date", "dmy")
        return super().__call__(field, **kwargs)


class DateField(fields.DateField):
    """``wtforms.DateField`` read and shown as dd/mm/yyyy (``format`` is accepted and ignored)."""

    widget = DayInput()

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return day_text(self.data)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_day(" ".join(valuelist))
        except ValueError as error:
            self.data = None
            raise ValueError(str(error)) from None


#: What the person sees in an empty date-and-time box.
DATETIME_HINT = _l("dd/mm/yyyy hh:mm")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_day_time(text):
    """Naive local ``datetime`` from "05/03/2024 07:00" (also "2024-03-05T07:00"); ``None`` if empty.

    The time is on the 24-hour clock, as ILMS prints it. Raises ``ValueError`` with a sentence to act on.
    """
    text = (text or "").strip()
    if not text:
        return None
    day_part, _sep, time_part = text.replace("T", " ").partition(" ")
    match = _TIME.match(time_part.strip())
    if not match:
        raise ValueError(_("“%(text)s” is not a day and a time: type day/month/year hours:minutes, "
                           "e.g. 12/08/2026 14:30.", text=text[:40]))
    day = parse_day(day_part)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise ValueError(_("“%(text)s” is not a time of the day (00:00 to 23:59).", text=text[:40]))
    return dt.datetime.combine(day, dt.time(hours, minutes))


class DayTimeInput(TextInput):
    """A text box for "dd/mm/yyyy hh:mm" (24-hour clock), the format shown inside it."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("placeholder", str(DATETIME_HINT))
        kwargs.setdefault("title", str(DATETIME_HINT))
        kwargs.setdefault("maxlength", 20)
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("data-date", "dmy-hm")
        return super().__call__(field, **kwargs)


class DateTimeField(fields.DateTimeField):
    """A local date and time typed "dd/mm/yyyy hh:mm" (``format`` is accepted and ignored)."""

    widget = DayTimeInput()

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y %H:%M") if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_day_time(" ".join(valuelist))
        except ValueError as error:
            self.data = None
            raise ValueError(str(error)) from None
