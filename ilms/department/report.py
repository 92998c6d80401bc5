"""The paragraphs and tables the 6-month and annual reports carry about the Department's follow-up.

``department_sections(period, institution_ids)`` only reads. Each section is
``{"key", "heading", "text", "columns", "rows"}``: a heading, one drafted
paragraph ("Công tác tuyên truyền: 24 tin, bài ...") and a small table, in
the current locale through the translation machinery (reports are written
in Vietnamese, so the report page renders them with the reader's locale and
the document builder can force ``vi``). The report editor lets a manager
change the text before freezing; these are only the first drafts.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext

from ..common.time import Period
from ..extensions import db
from ..org.models import Institution
from .models import (Display, ExchangeDirection, ExchangeVisit, FundingReceipt, FundingSource, Inspection,
                     MediaItem, Medium, RecommendationStatus, SchoolProgramme, SchoolSession)
from .services import book_donations


def _n(value):
    return format_decimal(value, format="#,##0")


def _ids(institution_ids):
    return list(institution_ids) if institution_ids is not None else None


def _scoped(query, column, institution_ids):
    return query if institution_ids is None else query.where(column.in_(institution_ids))


def _names(ids):
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all())


def inspections_section(period: Period, institution_ids=None):
    ids = _ids(institution_ids)
    visits = db.session.scalars(_scoped(sa.select(Inspection).where(Inspection.date.between(period.start, period.end)),
                                        Inspection.institution_id, ids)
                                .order_by(Inspection.date, Inspection.id)).all()
    recs = [r for v in visits for r in v.recommendations]
    on_time = sum(1 for r in recs if r.status == RecommendationStatus.DONE and r.done_on <= min(r.deadline, period.end))
    late = sum(1 for r in recs if r.status == RecommendationStatus.DONE and r.deadline < r.done_on <= period.end)
    still_open = len(recs) - on_time - late
    overdue = sum(1 for r in recs if r.deadline < period.end and not (
        r.status == RecommendationStatus.DONE and r.done_on <= period.end))
    places = len({v.institution_id for v in visits})
    if not visits:
        text = _("Inspection and supervision: no visit was held in the period.")
    else:
        text = _("Inspection and supervision: %(visits)s, at %(places)s; %(recs)s given, of which %(on_time)s "
                 "carried out by their deadline, %(late)s carried out late and %(open)s still open "
                 "(%(overdue)s past their deadline).",
                 visits=ngettext("%(count)s visit", "%(count)s visits", len(visits), count=_n(len(visits))),
                 places=ngettext("%(count)s institution", "%(count)s institutions", places, count=_n(places)),
                 recs=ngettext("%(count)s recommendation", "%(count)s recommendations", len(recs), count=_n(len(recs))),
                 on_time=_n(on_time), late=_n(late), open=_n(still_open), overdue=_n(overdue))
    names = _names({v.institution_id for v in visits})
    rows = [[v.date.strftime("%d/%m/%Y"), names.get(v.institution_id, ""), str(v.kind.label), v.inspectors,
             _n(len(v.recommendations)),
             _n(sum(1 for r in v.recommendations if r.status == RecommendationStatus.DONE
                    and r.done_on <= min(r.deadline, period.end)))] for v in visits]
    return {"key": "inspections", "heading": _("Inspection and supervision"), "text": text,
            "columns": [_("Day"), _("Institution"), _("Kind"), _("Inspectors"), _("Recommendations"),
                        _("Done by the deadline")], "rows": rows}


def media_section(period: Period, institution_ids=None):
    ids = _ids(institution_ids)
    counts = dict(db.session.execute(_scoped(
        sa.select(MediaItem.medium, sa.func.count(MediaItem.id)).where(MediaItem.date.between(period.start, period.end)),
        MediaItem.institution_id, ids).group_by(MediaItem.medium)).all())
    total = sum(counts.values())
    parts = [f"{_n(counts[m])} {str(m.label).lower()}" for m in Medium if counts.get(m)]
    if total:
        text = _("Publicity: %(items)s about lifelong learning (%(parts)s).",
                 items=ngettext("%(count)s news item or article", "%(count)s news items and articles", total,
                                count=_n(total)), parts="; ".join(parts))
    else:
        text = _("Publicity: nothing was recorded in the period.")
    rows = [[str(m.label), _n(counts.get(m, 0))] for m in Medium]
    return {"key": "media", "heading": _("Publicity"), "text": text, "columns": [_("Medium"), _("Items")],
            "rows": rows}


def funding_section(period: Period, institution_ids=None):
    ids = _ids(institution_ids)
    sums = {source: int(amount or 0) for source, amount in db.session.execute(_scoped(
        sa.select(FundingReceipt.source, sa.func.sum(FundingReceipt.amount))
        .where(FundingReceipt.date.between(period.start, period.end)), FundingReceipt.institution_id, ids)
        .group_by(FundingReceipt.source)).all()}
    total = sum(sums.values())
    social = sums.get(FundingSource.SOCIALISATION, 0)
    share = 100.0 * social / total if total else 0.0
    donations = book_donations(period, ids)
    if total:
        text = _("Funding: %(total)s đồng received, of which state budget %(state)s, socialisation %(social)s "
                 "(%(share)s%%), other lawful sources %(other)s.", total=_n(total),
                 state=_n(sums.get(FundingSource.STATE_BUDGET, 0)), social=_n(social),
                 share=format_decimal(round(share, 1), format="#,##0.#"), other=_n(sums.get(FundingSource.OTHER, 0)))
    else:
        text = _("Funding: no money was recorded as received in the period.")
    if donations["copies"]:
        text += " " + _("Besides, %(copies)s donated copies of books (stated value %(value)s đồng) were added to "
                        "the collections.", copies=_n(donations["copies"]), value=_n(int(donations["value"])))
    rows = [[str(s.label), _n(sums.get(s, 0))] for s in FundingSource] + [[_("Total"), _n(total)]]
    return {"key": "funding", "heading": _("Funding"), "text": text, "columns": [_("Source"), _("Amount (VND)")],
            "rows": rows}


def schools_section(period: Period, institution_ids=None):
    ids = _ids(institution_ids)
    query = (sa.select(SchoolProgramme.institution_id, sa.func.count(SchoolSession.id),
                       sa.func.count(sa.distinct(SchoolSession.school_id)), sa.func.sum(SchoolSession.students))
             .select_from(SchoolSession).join(SchoolProgramme, SchoolProgramme.id == SchoolSession.programme_id)
             .where(SchoolSession.date.between(period.start, period.end)).group_by(SchoolProgramme.institution_id))
    per_institution = db.session.execute(_scoped(query, SchoolProgramme.institution_id, ids)).all()
    sessions = sum(r[1] for r in per_institution)
    students = sum(int(r[3] or 0) for r in per_institution)
    schools = db.session.scalar(_scoped(
        sa.select(sa.func.count(sa.distinct(SchoolSession.school_id))).select_from(SchoolSession)
        .join(SchoolProgramme, SchoolProgramme.id == SchoolSession.programme_id)
        .where(SchoolSession.date.between(period.start, period.end)), SchoolProgramme.institution_id, ids)) or 0
    if sessions:
        text = _("Heritage and libraries in school teaching: %(sessions)s with %(schools)s and %(students)s "
                 "students, under the programmes agreed with the Department of Education.",
                 sessions=ngettext("%(count)s session", "%(count)s sessions", sessions, count=_n(sessions)),
                 schools=ngettext("%(count)s school", "%(count)s schools", schools, count=_n(schools)),
                 students=_n(students))
    else:
        text = _("Heritage and libraries in school teaching: no session was held in the period.")
    names = _names({r[0] for r in per_institution})
    rows = [[names.get(inst, ""), _n(n), _n(s), _n(int(st or 0))] for inst, n, s, st in per_institution]
    return {"key": "schools", "heading": _("School programmes"), "text": text,
            "columns": [_("Institution"), _("Sessions"), _("Schools"), _("Students")], "rows": rows}


def displays_section(period: Period, institution_ids=None):
    ids = _ids(institution_ids)
    query = _scoped(sa.select(Display).where(Display.opened_on.isnot(None), Display.opened_on <= period.end,
                                             sa.or_(Display.closed_on.is_(None), Display.closed_on > period.end)),
                    Display.institution_id, ids).order_by(Display.code)
    shown = db.session.scalars(query).all()
    planned = sum(len(d.sections) for d in shown)
    done = sum(1 for d in shown for s in d.sections if s.completed_on and s.completed_on <= period.end)
    if shown:
        text = _("Permanent and outdoor displays: %(displays)s open, %(done)s of %(planned)s planned sections "
                 "completed (%(share)s%%).",
                 displays=ngettext("%(count)s display", "%(count)s displays", len(shown), count=_n(len(shown))),
                 done=_n(done), planned=_n(planned),
                 share=format_decimal(round(100.0 * done / planned, 1) if planned else 0, format="#,##0.#"))
    else:
        text = _("Permanent and outdoor displays: none is open yet.")
    rows = [[d.code, d.title, str(d.kind.label), _n(len(d.sections)),
             _n(sum(1 for s in d.sections if s.completed_on and s.completed_on <= period.end))] for d in shown]
    return {"key": "displays", "heading": _("Permanent and outdoor displays"), "text": text,
            "columns": [_("Code"), _("Title"), _("Kind"), _("Planned sections"), _("Completed")], "rows": rows}


def exchanges_section(period: Period, institution_ids=None):
    ids = _ids(institution_ids)
    visits = db.session.scalars(_scoped(
        sa.select(ExchangeVisit).where(ExchangeVisit.date.between(period.start, period.end)),
        ExchangeVisit.institution_id, ids).order_by(ExchangeVisit.date, ExchangeVisit.id)).all()
    made = sum(1 for v in visits if v.direction == ExchangeDirection.MADE)
    outside = sum(1 for v in visits if v.out_of_province)
    if visits:
        text = _("Study and exchange visits: %(visits)s (%(made)s made, %(received)s received; %(outside)s "
                 "outside the province).",
                 visits=ngettext("%(count)s visit", "%(count)s visits", len(visits), count=_n(len(visits))),
                 made=_n(made), received=_n(len(visits) - made), outside=_n(outside))
    else:
        text = _("Study and exchange visits: none in the period.")
    names = _names({v.institution_id for v in visits})
    rows = [[v.date.strftime("%d/%m/%Y"), names.get(v.institution_id, ""), str(v.direction.label), v.title,
             ", ".join(v.partner_list)] for v in visits]
    return {"key": "exchanges", "heading": _("Study and exchange visits"), "text": text,
            "columns": [_("Day"), _("Institution"), _("Direction"), _("Purpose of the visit"), _("Partners")],
            "rows": rows}


SECTIONS = (media_section, funding_section, schools_section, displays_section, exchanges_section,
            inspections_section)


def department_sections(period: Period, institution_ids=None):
    """The drafted sections, in the order a report carries them (``institution_ids=None``: the whole province)."""
    return [section(period, institution_ids) for section in SECTIONS]

