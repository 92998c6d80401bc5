"""A report as a document that can be sent: issuing details, narrative, and the Decree 30 wording.

Decree 30/2020/NĐ-CP (on administrative documents) fixes how a report is
laid out: the parent body and the issuing body with the number on the left,
the national motto on the right, the place and date, "BÁO CÁO" with its
summary line, the body, then "Nơi nhận:" and the signature block. The
formulas the decree prescribes (motto, "Số:", "Nơi nhận:", the date line,
"BÁO CÁO") are written in Vietnamese whatever the page's language, as the
decree writes them; the rest follows the reader's language.

What the people sending the report write (issuing details, narrative) is kept
in ``ReportLetter``, one per report (kind, year, scope), and copied into the
document when the report is frozen, so a signed-off report keeps its words.
Every format (page, DOCX, PDF, XLSX) reads the same ``doc["letter"]`` and the
same helpers below, so they carry the same content.

Defaults where nothing is written, as a provincial library network would
send it: the consolidated report is issued by the provincial library under
the provincial Department of Culture, Sports and Tourism and sent to that
Department; an institution's report is issued by the institution under the
institution above it in the network (or the Department), and sent there.
The number is left open for the office's register ("Số:     /BC-TVT").
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..common.errors import DomainError
from ..common.permissions import require
from ..common.time import Period, local_today, utcnow
from ..extensions import db
from ..org.models import Level
from . import scope as scopes
from .models import ReportLetter

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
DOCUMENT_TYPE = "BÁO CÁO"
RECIPIENTS_HEADING = "Nơi nhận:"
DEPARTMENT = "Sở Văn hóa, Thể thao và Du lịch tỉnh Lai Châu"
DEFAULT_PLACE = "Lai Châu"

TEXT_FIELDS = ("parent_body", "issuer", "number", "place", "subject", "signer_position", "signer_name")
LONG_FIELDS = ("results", "shortcomings", "tasks", "recommendations", "recipients")
LIMITS = {"parent_body": 200, "issuer": 200, "number": 60, "place": 80, "subject": 300,
          "signer_position": 120, "signer_name": 120, "results": 20000, "shortcomings": 20000,
          "tasks": 20000, "recommendations": 20000, "recipients": 2000}
NARRATIVE = ("results", "shortcomings", "tasks", "recommendations")


class LetterError(DomainError):
    pass


# -- defaults --------------------------------------------------------------------

def _issuing_institution(scope, network):
    """The institution that sends the report: the one reported on, or the provincial library."""
    if scope.is_institution:
        return next((i for i in network if i.code == scope.value), None)
    return next((i for i in network if i.kind.value == "provincial_library"), None)


def defaults(kind, year, scope, network=None):
    """The issuing details and recipients a report gets when nobody has written them."""
    network = scopes.network() if network is None else network
    inst = _issuing_institution(scope, network)
    place = current_app.config.get("REPORT_PLACE", DEFAULT_PLACE)
    department = current_app.config.get("REPORT_DEPARTMENT", DEPARTMENT)
    parent = inst.parent if inst is not None and scope.is_institution else None
    if parent is not None:
        parent_body = parent.name
        recipients = [f"{parent.name} (để báo cáo);"]
    else:
        parent_body = department
        recipients = [f"{department} (để báo cáo);"]
    recipients.append("Lưu: VT.")
    senior = inst is None or inst.level in (Level.PROVINCE, Level.DISTRICT)
    return {
        "parent_body": parent_body.upper(),
        "issuer": (inst.name if inst is not None else department).upper(),
        "number": f"/BC-{inst.code if inst is not None else 'SVHTTDL'}",
        "place": place,
        "subject": default_subject(kind, year),
        "results": drafted_results(kind, year, scope, network), "shortcomings": "", "tasks": "",
        "recommendations": "",
        "recipients": "\n".join(recipients),
        "signer_position": "GIÁM ĐỐC" if senior else "PHỤ TRÁCH",
        "signer_name": "",
    }


def drafted_results(kind, year, scope, network):
    """The first draft of "Results achieved": the Department's follow-up paragraphs drafted from the records
    (inspections, publicity, funding, school programmes, displays, exchanges) of the scope's institutions,
    over the report's period up to today. It is only a draft: the manager edits it on the report page, and
    what is saved (or frozen) is what the documents print."""
    from ..department.report import department_sections
    period = Period.half_year(year) if kind == "half_year" else Period.year(year)
    today = local_today()
    if period.start > today:
        return ""
    period = Period(period.start, min(period.end, today))
    members = [i.id for i in scope.members(network)]
    return "\n\n".join(section["text"] for section in department_sections(period, members) if section.get("text"))


def default_subject(kind, year):
    if kind == "half_year":
        return _("Results of the work in the first 6 months of %(year)d", year=year)
    return _("Results of the work in %(year)d", year=year)


# -- stored letters ----------------------------------------------------------------

def get_letter(kind, year, scope_key):
    return db.session.scalar(sa.select(ReportLetter).where(
        ReportLetter.kind == kind, ReportLetter.year == year, ReportLetter.scope == scope_key))


def letter_for(kind, year, scope, network=None):
    """The letter of a report as a plain dict: what was written, defaults for what was not."""
    out = defaults(kind, year, scope, network)
    stored = get_letter(kind, year, scope.key)
    if stored is not None:
        for name in TEXT_FIELDS + LONG_FIELDS:
            value = getattr(stored, name) or ""
            if value.strip() or name in NARRATIVE:
                out[name] = value
    return out


def attach(doc, scope, network=None):
    """The report document with its letter (a frozen document keeps the one it was frozen with)."""
    if doc.get("letter"):
        return doc
    return dict(doc, letter=letter_for(doc["kind"], doc["year"], scope, network))


def of_document(doc):
    """The letter a document carries, or the current one of its report (documents made without one)."""
    if doc.get("letter"):
        return doc["letter"]
    try:
        scope = scopes.parse_scope(doc.get("scope"))
    except DomainError:
        scope = scopes.PROVINCE
    return letter_for(doc["kind"], doc["year"], scope)


def save_letter(kind, year, scope, data, *, actor):
    """Keep what the sender wrote for this report (fields missing from ``data`` are left as they are).

    Only who may sign off the report may write its letter. Over-long fields are
    refused with the field named; the rest is stored as typed (NFC, trimmed).
    """
    members = scope.members(scopes.network())
    scopes.check_scope(actor, scope, members)
    inst = members[0] if scope.is_institution and members else None
    require(actor, "reports.freeze", inst)
    for name, limit in LIMITS.items():
        value = data.get(name)
        if value is not None and len(value) > limit:
            raise LetterError(_l("This text is too long (at most %(n)d characters); shorten it.", n=limit),
                              field=name)
    letter = get_letter(kind, year, scope.key)
    if letter is None:
        letter = ReportLetter(kind=kind, year=year, scope=scope.key)
        for name in TEXT_FIELDS + LONG_FIELDS:
            setattr(letter, name, "")
        db.session.add(letter)
    for name in TEXT_FIELDS + LONG_FIELDS:
        if data.get(name) is not None:
            setattr(letter, name, data[name].replace("\r\n", "\n").strip())
    letter.updated_at = utcnow()
    letter.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    return letter


# -- wording shared by every format ---------------------------------------------------

def number_line(letter):
    """``Số: 15/BC-TVT``, or ``Số:      /BC-TVT`` with room for the register number."""
    number = (letter.get("number") or "").strip()
    if number[:1].isdigit():
        return f"Số: {number}"
    return "Số:" + "\u00a0" * 6 + number


def date_line(letter, day):
    """``Lai Châu, ngày 05 tháng 01 năm 2027``: day below 10 and months 1, 2 with a leading zero (Decree 30)."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    place = (letter.get("place") or DEFAULT_PLACE).strip()
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def document_day(doc, snapshot=None):
    if snapshot is not None:
        from ..common.time import to_local
        return to_local(snapshot.frozen_at).date()
    return dt.date.fromisoformat(doc.get("prepared_on") or doc["as_of"])


def recipients(letter):
    return [line.strip() for line in (letter.get("recipients") or "").splitlines() if line.strip()]


def paragraphs(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def plan_text(doc):
    """The plan(s) the report answers to, in words; empty when no plan is in force."""
    plans = doc.get("plans")
    if plans is None:
        plans = [doc["plan"]] if doc.get("plan") else []
    return "; ".join(f"{p.get('code', '')} — {p.get('title', '')}".strip(" —") for p in plans if p)


def section_titles(doc):
    """The four sections of a Vietnamese activity report, the third naming the next period."""
    year = doc["year"]
    if doc["kind"] == "half_year":
        next_period = _("Tasks for the last 6 months of %(year)d", year=year)
    else:
        next_period = _("Tasks for %(year)d", year=year + 1)
    return [("results", _("I. Results achieved")),
            ("shortcomings", _("II. Shortcomings, limitations and their causes")),
            ("tasks", "III. " + next_period),
            ("recommendations", _("IV. Proposals and recommendations"))]


def targets_summary(doc):
    """One sentence on the targets, from the document's own rows (empty without targets)."""
    rows = doc.get("targets") or []
    if not rows:
        if not plan_text(doc):
            return _("No plan with targets is in force for this period; the figures are reported alone.")
        return ""
    met = sum(1 for t in rows if t.get("status") == "within" or t.get("status") == "above")
    if doc.get("estimate"):
        return _("Up to %(day)s, %(k)d of %(n)d targets are met so far; the period is not over.",
                 day=dt.date.fromisoformat(doc["as_of"]).strftime("%d/%m/%Y"), k=met, n=len(rows))
    return _("%(k)d of %(n)d targets of the plan are met.", k=met, n=len(rows))


def placeholder():
    """What an unwritten section shows, so it can be filled in by hand or in Word."""
    return "…" * 24


__all__ = ["MOTTO", "DOCUMENT_TYPE", "RECIPIENTS_HEADING", "attach", "date_line", "defaults", "letter_for",
           "number_line", "paragraphs", "plan_text", "recipients", "save_letter", "section_titles",
           "targets_summary"]
