"""The ``inspection``, ``recommendation_answer``, ``media_item``, ``funding``, ``school_programme``,
``school_session``, ``display``, ``display_section`` and ``exchange_visit`` record types.

Documented in ``docs/department.md``. Lines go through ``department.services``
so an import obeys the screens' rules (deadlines after the visit, answers not
before it, sessions within their programme). Inspections, programmes and
displays are keyed by their code, so a line imported twice adds nothing; an
inspection line carries its recommendations (their answers follow as
``recommendation_answer`` lines on the day they were given, so the export is
in time order and an import judges each answer at its own date). Media items,
funding, sessions and exchanges have no natural key: the export gives them
ids (``media-<n>``...), so importing the same file twice adds nothing.
"""
import sqlalchemy as sa

from ...common.errors import Conflict, DomainError
from ...common.time import local_midnight
from ...department import services
from ...department.models import (Display, DisplayKind, DisplaySection, ExchangeDirection, ExchangeVisit,
                                  FundingReceipt, FundingSource, Inspection, InspectionKind, MediaItem, Medium,
                                  Recommendation, RecommendationStatus, SchoolProgramme, SchoolSession, SessionPlace)
from ...extensions import db
from ...org import services as org
from .. import registry as ops


def _key(day, *rest):
    return (1, local_midnight(day), *rest)


# -- inspection ------------------------------------------------------------------------------------------

RECOMMENDATION = ops.obj({"text": ops.text(), "responsible": ops.text(), "deadline": ops.date()})


def apply_inspection(data, ctx):
    institution = org.get_by_code(data["institution"])
    inspection = services.inspection_by_code(data["code"])
    if inspection is None:
        inspection = services.record_inspection(
            actor=ctx.actor, institution=institution, kind=data["kind"], date=data["date"], code=data["code"],
            inspectors=data["inspectors"], scope=data["scope"] or "", findings=data["findings"] or "",
            today=data["date"])
    elif inspection.institution_id != institution.id or inspection.date != data["date"]:
        raise Conflict(f"inspection {inspection.code} exists for {inspection.institution.code} on "
                       f"{inspection.date.isoformat()}; a code names one visit")
    given = [(r.text, r.deadline) for r in inspection.recommendations]
    for rec in data["recommendations"] or []:
        if (rec["text"], rec["deadline"]) not in given:
            services.add_recommendation(inspection, actor=ctx.actor, text=rec["text"],
                                        responsible=rec["responsible"], deadline=rec["deadline"])


def export_inspections(period):
    query = (sa.select(Inspection).where(Inspection.date.between(period.start, period.end))
             .order_by(Inspection.date, Inspection.id))
    for inspection in db.session.scalars(query):
        line = {"type": "inspection", "code": inspection.code, "institution": inspection.institution.code,
                "kind": inspection.kind.value, "date": inspection.date.isoformat(),
                "inspectors": inspection.inspectors}
        if inspection.scope:
            line["scope"] = inspection.scope
        if inspection.findings:
            line["findings"] = inspection.findings
        if inspection.recommendations:
            line["recommendations"] = [{"text": r.text, "responsible": r.responsible,
                                        "deadline": r.deadline.isoformat()} for r in inspection.recommendations]
        yield _key(inspection.date, 0, inspection.id), line


ops.register(ops.RecordType(
    name="inspection", order=90, apply=apply_inspection, export=export_inspections,
    description="An inspection, check or supervision visit with its findings and recommendations.",
    fields={"code": ops.text(), "institution": ops.text(), "kind": ops.choice(*(k.value for k in InspectionKind)),
            "date": ops.date(), "inspectors": ops.text(), "scope": ops.text(required=False),
            "findings": ops.text(required=False),
            "recommendations": ops.list_of(RECOMMENDATION, required=False)}))


def apply_answer(data, ctx):
    inspection = services.inspection_by_code(data["inspection"])
    if inspection is None:
        raise DomainError(f"no inspection has the code {data['inspection']}; its line must come first")
    number = data["recommendation"]
    rec = next((r for r in inspection.recommendations if r.position == number), None)
    if rec is None:
        raise DomainError(f"inspection {inspection.code} has no recommendation {number}")
    if rec.status == RecommendationStatus.DONE:
        if rec.done_on == data["done_on"]:
            return
        raise Conflict(f"recommendation {number} of {inspection.code} was already answered on "
                       f"{rec.done_on.isoformat()}")
    services.answer_recommendation(rec, actor=ctx.actor, note=data["note"], done_on=data["done_on"],
                                   today=data["done_on"])


def export_answers(period):
    query = (sa.select(Recommendation).where(Recommendation.status == RecommendationStatus.DONE,
                                             Recommendation.done_on.between(period.start, period.end))
             .order_by(Recommendation.done_on, Recommendation.id))
    for rec in db.session.scalars(query):
        yield _key(rec.done_on, 1, rec.id), {
            "type": "recommendation_answer", "inspection": rec.inspection.code, "recommendation": rec.position,
            "done_on": rec.done_on.isoformat(), "note": rec.answer_note}


ops.register(ops.RecordType(
    name="recommendation_answer", order=91, apply=apply_answer, export=export_answers,
    description="The inspected institution's answer to one recommendation (its number in the inspection).",
    fields={"inspection": ops.text(), "recommendation": ops.integer(minimum=1), "done_on": ops.date(),
            "note": ops.text()}))


# -- media item, funding, exchange visit ------------------------------------------------------------------------

def apply_media_item(data, ctx):
    services.record_media_item(actor=ctx.actor, institution=org.get_by_code(data["institution"]),
                               medium=data["medium"], date=data["date"], title=data["title"],
                               made_by=data["made_by"] or "", link=data["link"] or "", today=data["date"])


def export_media_items(period):
    query = sa.select(MediaItem).where(MediaItem.date.between(period.start, period.end)).order_by(MediaItem.date, MediaItem.id)
    for item in db.session.scalars(query):
        line = {"type": "media_item", "id": f"media-{item.id}", "institution": item.institution.code,
                "medium": item.medium.value, "date": item.date.isoformat(), "title": item.title}
        if item.made_by:
            line["made_by"] = item.made_by
        if item.link:
            line["link"] = item.link
        yield _key(item.date, 2, item.id), line


ops.register(ops.RecordType(
    name="media_item", order=92, apply=apply_media_item, export=export_media_items,
    description="A publicity item about lifelong learning (the scan, if any, stays on the server).",
    fields={"institution": ops.text(), "medium": ops.choice(*(m.value for m in Medium)), "date": ops.date(),
            "title": ops.text(), "made_by": ops.text(required=False), "link": ops.text(required=False)}))


def apply_funding(data, ctx):
    services.record_funding(actor=ctx.actor, institution=org.get_by_code(data["institution"]), date=data["date"],
                            source=data["source"], amount=data["amount"], purpose=data["purpose"],
                            donor=data["donor"] or "", today=data["date"])


def export_funding(period):
    query = (sa.select(FundingReceipt).where(FundingReceipt.date.between(period.start, period.end))
             .order_by(FundingReceipt.date, FundingReceipt.id))
    for receipt in db.session.scalars(query):
        line = {"type": "funding", "id": f"funding-{receipt.id}", "institution": receipt.institution.code,
                "date": receipt.date.isoformat(), "source": receipt.source.value, "amount": receipt.amount,
                "purpose": receipt.purpose}
        if receipt.donor:
            line["donor"] = receipt.donor
        yield _key(receipt.date, 3, receipt.id), line


ops.register(ops.RecordType(
    name="funding", order=93, apply=apply_funding, export=export_funding,
    description="Money (VND) received by an institution for the plan, by source.",
    fields={"institution": ops.text(), "date": ops.date(), "source": ops.choice(*(s.value for s in FundingSource)),
            "amount": ops.integer(minimum=1), "purpose": ops.text(), "donor": ops.text(required=False)}))


def apply_exchange(data, ctx):
    services.record_exchange(actor=ctx.actor, institution=org.get_by_code(data["institution"]),
                             direction=data["direction"], date=data["date"], title=data["title"],
                             partners="\n".join(data["partners"]), out_of_province=bool(data["out_of_province"]),
                             participants=data["participants"], today=data["date"])


def export_exchanges(period):
    query = (sa.select(ExchangeVisit).where(ExchangeVisit.date.between(period.start, period.end))
             .order_by(ExchangeVisit.date, ExchangeVisit.id))
    for visit in db.session.scalars(query):
        line = {"type": "exchange_visit", "id": f"exchange-{visit.id}", "institution": visit.institution.code,
                "direction": visit.direction.value, "date": visit.date.isoformat(), "title": visit.title,
                "partners": visit.partner_list, "out_of_province": visit.out_of_province}
        if visit.participants:
            line["participants"] = visit.participants
        yield _key(visit.date, 4, visit.id), line


ops.register(ops.RecordType(
    name="exchange_visit", order=94, apply=apply_exchange, export=export_exchanges,
    description="A study or exchange visit made or received, with the other institutions involved.",
    fields={"institution": ops.text(), "direction": ops.choice(*(d.value for d in ExchangeDirection)),
            "date": ops.date(), "title": ops.text(), "partners": ops.list_of(ops.text()),
            "out_of_province": ops.boolean(required=False), "participants": ops.integer(required=False, minimum=1)}))


# -- school programmes and sessions ----------------------------------------------------------------------------

def apply_programme(data, ctx):
    institution = org.get_by_code(data["institution"])
    programme = services.programme_by_code(data["code"])
    if programme is None:
        services.create_programme(actor=ctx.actor, institution=institution, code=data["code"], title=data["title"],
                                  agreement=data["agreement"] or "", start=data["start"], end=data["end"])
    elif programme.institution_id != institution.id:
        raise Conflict(f"programme {programme.code} belongs to {programme.institution.code}")


def export_programmes(period):
    query = (sa.select(SchoolProgramme).where(SchoolProgramme.start <= period.end,
                                              sa.or_(SchoolProgramme.end.is_(None),
                                                     SchoolProgramme.end >= period.start))
             .order_by(SchoolProgramme.code))
    for programme in db.session.scalars(query):
        line = {"type": "school_programme", "code": programme.code, "institution": programme.institution.code,
                "title": programme.title, "start": programme.start.isoformat()}
        if programme.agreement:
            line["agreement"] = programme.agreement
        if programme.end:
            line["end"] = programme.end.isoformat()
        # reference data: before every event of the period, so its sessions find it
        yield (0, programme.code), line


ops.register(ops.RecordType(
    name="school_programme", order=95, apply=apply_programme, export=export_programmes,
    description="A programme with schools agreed with the Department of Education.",
    fields={"code": ops.text(), "institution": ops.text(), "title": ops.text(), "agreement": ops.text(required=False),
            "start": ops.date(), "end": ops.date(required=False)}))


def apply_session(data, ctx):
    programme = services.programme_by_code(data["programme"])
    if programme is None:
        raise DomainError(f"no school programme has the code {data['programme']}; its line must come first")
    services.record_session(programme, actor=ctx.actor, school=data["school"], commune=data["commune"] or "",
                            date=data["date"], place=data["place"], students=data["students"],
                            topic=data["topic"] or "", today=data["date"])


def export_sessions(period):
    query = (sa.select(SchoolSession).where(SchoolSession.date.between(period.start, period.end))
             .order_by(SchoolSession.date, SchoolSession.id))
    for session in db.session.scalars(query):
        line = {"type": "school_session", "id": f"session-{session.id}", "programme": session.programme.code,
                "school": session.school.name, "date": session.date.isoformat(), "place": session.place.value,
                "students": session.students}
        if session.school.commune:
            line["commune"] = session.school.commune
        if session.topic:
            line["topic"] = session.topic
        yield _key(session.date, 5, session.id), line


ops.register(ops.RecordType(
    name="school_session", order=96, apply=apply_session, export=export_sessions,
    description="A session of a school programme with one school's students.",
    fields={"programme": ops.text(), "school": ops.text(), "commune": ops.text(required=False), "date": ops.date(),
            "place": ops.choice(*(p.value for p in SessionPlace)), "students": ops.integer(minimum=1),
            "topic": ops.text(required=False)}))


# -- displays ------------------------------------------------------------------------------------------------

def apply_display(data, ctx):
    institution = org.get_by_code(data["institution"])
    display = services.display_by_code(data["code"])
    if display is None:
        display = services.create_display(actor=ctx.actor, institution=institution, kind=data["kind"],
                                          code=data["code"], title=data["title"], opened_on=data["opened_on"],
                                          closed_on=data["closed_on"])
    elif display.institution_id != institution.id:
        raise Conflict(f"display {display.code} belongs to {display.institution.code}")
    titles = {s.title for s in display.sections}
    for section in data["sections"] or []:
        if section["title"] not in titles:
            services.add_section(display, actor=ctx.actor, title=section["title"], planned_by=section["planned_by"])


def export_displays(period):
    query = sa.select(Display).order_by(Display.code)
    for display in db.session.scalars(query):
        line = {"type": "display", "code": display.code, "institution": display.institution.code,
                "kind": display.kind.value, "title": display.title}
        if display.opened_on:
            line["opened_on"] = display.opened_on.isoformat()
        if display.closed_on:
            line["closed_on"] = display.closed_on.isoformat()
        if display.sections:
            line["sections"] = [dict({"title": s.title}, **({"planned_by": s.planned_by.isoformat()}
                                                            if s.planned_by else {})) for s in display.sections]
        yield (0, display.code), line


SECTION = ops.obj({"title": ops.text(), "planned_by": ops.date(required=False)})

ops.register(ops.RecordType(
    name="display", order=97, apply=apply_display, export=export_displays,
    description="A permanent or outdoor display of the museum, its planned sections and its artifacts.",
    fields={"code": ops.text(), "institution": ops.text(), "kind": ops.choice(*(k.value for k in DisplayKind)),
            "title": ops.text(), "opened_on": ops.date(required=False), "closed_on": ops.date(required=False),
            "sections": ops.list_of(SECTION, required=False)}))


def apply_display_artifacts(data, ctx):
    display = services.display_by_code(data["display"])
    if display is None:
        raise DomainError(f"no display has the code {data['display']}; its line must come first")
    for code in data["artifacts"]:
        services.add_display_artifact(display, actor=ctx.actor, artifact=code)


def export_display_artifacts(period):
    """One line per display, once its last artifact has been accessioned (artifact lines are events)."""
    rows = []
    for display in db.session.scalars(sa.select(Display).order_by(Display.code)):
        if display.artifacts:
            last = max(a.accessioned for a in display.artifacts)
            rows.append((_key(max(last, period.start), 7, display.code),
                         {"type": "display_artifacts", "display": display.code,
                          "artifacts": [a.code for a in display.artifacts]}))
    return sorted(rows, key=lambda row: row[0])


ops.register(ops.RecordType(
    name="display_artifacts", order=99, apply=apply_display_artifacts, export=export_display_artifacts,
    description="Artifacts of the museum's collections shown in a display (after their own lines).",
    fields={"display": ops.text(), "artifacts": ops.list_of(ops.text())}))


def apply_section_done(data, ctx):
    display = services.display_by_code(data["display"])
    if display is None:
        raise DomainError(f"no display has the code {data['display']}; its line must come first")
    section = next((s for s in display.sections if s.title == data["section"]), None)
    if section is None:
        raise DomainError(f"display {display.code} has no section “{data['section']}”")
    if section.completed_on != data["completed_on"]:
        services.complete_section(section, actor=ctx.actor, on=data["completed_on"], today=data["completed_on"])


def export_sections_done(period):
    query = (sa.select(DisplaySection).where(DisplaySection.completed_on.between(period.start, period.end))
             .order_by(DisplaySection.completed_on, DisplaySection.id))
    for section in db.session.scalars(query):
        yield _key(section.completed_on, 6, section.id), {
            "type": "display_section", "display": section.display.code, "section": section.title,
            "completed_on": section.completed_on.isoformat()}


ops.register(ops.RecordType(
    name="display_section", order=98, apply=apply_section_done, export=export_sections_done,
    description="A planned section of a display completed on a day.",
    fields={"display": ops.text(), "section": ops.text(), "completed_on": ops.date()}))
