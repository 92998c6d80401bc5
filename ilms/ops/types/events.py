"""The ``exhibition``, ``festival``, ``club``, ``activity``, ``course`` and ``artifact`` record types.

Lines go through ``events.services``, so an import obeys the same rules as the
screens (venue conflicts, counts, staff scope). Lines without an ``id`` are
still safe to import twice: exhibitions, clubs and artifacts are keyed by
their code, festivals by institution, day and title, courses by institution,
first day and title. Activities have no natural key: give those lines ids.
"""
import sqlalchemy as sa

from ...common.errors import Conflict, DomainError
from ...common.text import clean
from ...common.time import local_midnight, local_today
from ...events import services
from ...events.models import (Activity, ActivityKind, Artifact, Club, Course, Exhibition, ExhibitionKind,
                              ExhibitionStatus, Festival, VisitorCount)
from ...extensions import db
from ...org import services as org
from .. import registry as ops


def _time(day):
    return local_midnight(day)


# -- exhibition ---------------------------------------------------------------------------------------

def _initial_status(exhibition, actor):
    """An imported exhibition's state follows its dates: over means closed, running means open."""
    today = local_today()
    if exhibition.start <= today:
        services.set_exhibition_status(exhibition, ExhibitionStatus.OPEN, actor=actor, on=exhibition.start)
        if exhibition.end < today:
            services.set_exhibition_status(exhibition, ExhibitionStatus.CLOSED, actor=actor, on=exhibition.end)


def _visitor_total(exhibition, stop):
    query = sa.select(sa.func.coalesce(sa.func.sum(VisitorCount.visitors), 0),
                      sa.func.coalesce(sa.func.sum(VisitorCount.students), 0)).where(
        VisitorCount.exhibition_id == exhibition.id)
    query = query.where(VisitorCount.stop_id == stop.id) if stop is not None else query
    return tuple(int(v) for v in db.session.execute(query).one())


def _apply_visitors(exhibition, stop, visitors, students, actor):
    """The line's totals become the exhibition's (or stop's); a different total already recorded is refused."""
    if not visitors and not students:
        return
    if visitors is None:
        raise DomainError("field 'students': give 'visitors' too (students are counted among them)")
    recorded = _visitor_total(exhibition, stop)
    if recorded == (visitors, students or 0):
        return
    if recorded != (0, 0):
        raise Conflict(f"exhibition {exhibition.code} already has {recorded[0]} visitors ({recorded[1]} students) "
                       f"recorded; the line says {visitors} ({students or 0}): leave the counts out of the line "
                       "or correct them on the exhibition's page")
    day = stop.start if stop is not None else exhibition.start
    services.record_visitors(exhibition, actor=actor, date=day, visitors=visitors, students=students or 0,
                             stop=stop)


def apply_exhibition(data, ctx):
    institution = org.get_by_code(data["institution"])
    kind = ExhibitionKind(data["kind"])
    travelling = kind == ExhibitionKind.MOBILE
    exhibition = services.exhibition_by_code(data["code"], required=False)
    if exhibition is None:
        exhibition = services.create_exhibition(
            actor=ctx.actor, institution=institution, kind=kind, code=data["code"], title=data["title"],
            start=data["start"], end=data["end"], venue=None if travelling else data["venue"])
        _initial_status(exhibition, ctx.actor)
    else:
        if exhibition.kind != kind or exhibition.institution_id != institution.id:
            raise Conflict(f"exhibition {exhibition.code} exists as a {exhibition.kind.value} of "
                           f"{exhibition.institution.code}; a code names one exhibition")
        if travelling:
            services.update_exhibition(exhibition, actor=ctx.actor, title=data["title"])
        else:
            services.update_exhibition(exhibition, actor=ctx.actor, title=data["title"], start=data["start"],
                                       end=data["end"], venue=data["venue"] or None)
    stop = None
    if travelling and data["venue"]:
        venue = services.find_venue(data["venue"])
        stop = next((s for s in exhibition.stops if venue is not None and s.venue_id == venue.id
                     and s.start == data["start"]), None)
        if stop is None:
            stop = services.add_stop(exhibition, actor=ctx.actor, venue=data["venue"], start=data["start"],
                                     end=data["end"], widen=True)
        elif stop.end != data["end"]:
            exhibition.end = max(exhibition.end, data["end"])
            services.update_stop(stop, actor=ctx.actor, end=data["end"])
    _apply_visitors(exhibition, stop, data["visitors"], data["students"], ctx.actor)


def export_exhibitions(period):
    rows = []
    query = (sa.select(Exhibition).where(Exhibition.status != ExhibitionStatus.CANCELLED,
                                         Exhibition.end >= period.start, Exhibition.start <= period.end)
             .order_by(Exhibition.id))
    for exhibition in db.session.scalars(query):
        base = {"type": "exhibition", "code": exhibition.code, "kind": exhibition.kind.value,
                "institution": exhibition.institution.code, "title": exhibition.title}
        places = ([(s, s.start, s.end, s.venue.name) for s in exhibition.stops] if exhibition.stops else
                  [(None, exhibition.start, exhibition.end, exhibition.venue.name if exhibition.venue else None)])
        for stop, start, end, venue in places:
            if start not in period:
                continue
            line = dict(base, start=start.isoformat(), end=end.isoformat())
            if venue:
                line["venue"] = venue
            visitors, students = _visitor_total(exhibition, stop)
            if visitors:
                line["visitors"] = visitors
                if students:
                    line["students"] = students
            rows.append(((1, _time(start), exhibition.code, stop.id if stop else 0), line))
    return sorted(rows, key=lambda row: row[0])


ops.register(ops.RecordType(
    name="exhibition", order=70, apply=apply_exhibition, export=export_exhibitions,
    description="A display, exhibition or heritage event; a travelling exhibition has one line per venue stop.",
    fields={
        "code": ops.text(), "kind": ops.choice(*(k.value for k in ExhibitionKind)),
        "institution": ops.text(), "title": ops.text(), "start": ops.date(), "end": ops.date(),
        "venue": ops.text(required=False), "visitors": ops.integer(required=False),
        "students": ops.integer(required=False),
    }))


# -- festival -------------------------------------------------------------------------------------------

def apply_festival(data, ctx):
    services.upsert_festival(actor=ctx.actor, institution=org.get_by_code(data["institution"]), date=data["date"],
                             title=data["title"])


def export_festivals(period):
    query = (sa.select(Festival).where(Festival.date.between(period.start, period.end))
             .order_by(Festival.date, Festival.id))
    return [((1, _time(f.date), f.id), {"type": "festival", "institution": f.institution.code,
                                        "date": f.date.isoformat(), "title": f.title})
            for f in db.session.scalars(query)]


ops.register(ops.RecordType(
    name="festival", order=71, apply=apply_festival, export=export_festivals,
    description="A festival; its kind is read from the title (folk song, ethnic culture day...).",
    fields={"institution": ops.text(), "date": ops.date(), "title": ops.text()}))


# -- club ------------------------------------------------------------------------------------------------

def apply_club(data, ctx):
    services.upsert_club(actor=ctx.actor, code=data["code"], institution=org.get_by_code(data["institution"]),
                         name=data["name"], members=data["members"], active_from=data["active_from"],
                         active_to=data["active_to"])


def export_clubs(period):
    query = (sa.select(Club).where(Club.active_from <= period.end,
                                   sa.or_(Club.active_to.is_(None), Club.active_to >= period.start))
             .order_by(Club.active_from, Club.id))
    rows = []
    for club in db.session.scalars(query):
        line = {"type": "club", "code": club.code, "institution": club.institution.code, "name": club.name,
                "members": club.members, "active_from": club.active_from.isoformat()}
        if club.active_to:
            line["active_to"] = club.active_to.isoformat()
        rows.append(((1, _time(club.active_from), club.code), line))
    return rows


ops.register(ops.RecordType(
    name="club", order=72, apply=apply_club, export=export_clubs,
    fields={"code": ops.text(), "institution": ops.text(), "name": ops.text(), "members": ops.integer(),
            "active_from": ops.date(), "active_to": ops.date(required=False)}))


# -- activity -------------------------------------------------------------------------------------------

def apply_activity(data, ctx):
    services.schedule_activity(actor=ctx.actor, institution=org.get_by_code(data["institution"]),
                               kind=data["kind"], date=data["date"], participants=data["participants"])


def export_activities(period):
    query = (sa.select(Activity).where(Activity.date.between(period.start, period.end))
             .order_by(Activity.date, Activity.id))
    rows = []
    for activity in db.session.scalars(query):
        line = {"type": "activity", "institution": activity.institution.code, "date": activity.date.isoformat(),
                "kind": activity.kind.value}
        if activity.participants is not None:
            line["participants"] = activity.participants
        rows.append(((1, _time(activity.date), activity.id), line))
    return rows


ops.register(ops.RecordType(
    name="activity", order=73, apply=apply_activity, export=export_activities,
    fields={"institution": ops.text(), "date": ops.date(), "kind": ops.choice(*(k.value for k in ActivityKind)),
            "participants": ops.integer(required=False)}))


# -- course --------------------------------------------------------------------------------------------

def apply_course(data, ctx):
    institution = org.get_by_code(data["institution"])
    existing = db.session.scalar(sa.select(Course).where(
        Course.institution_id == institution.id, Course.start == data["date"],
        Course.title == clean(data["title"])))
    fields = dict(trainees=data["trainees"], minority_trainees=data["minority_trainees"] or 0)
    if existing is None:
        services.create_course(actor=ctx.actor, institution=institution, title=data["title"], start=data["date"],
                               **fields)
    else:
        services.update_course(existing, actor=ctx.actor, **fields)


def export_courses(period):
    query = (sa.select(Course).where(Course.start.between(period.start, period.end))
             .order_by(Course.start, Course.id))
    return [((1, _time(c.start), c.id), {"type": "course", "institution": c.institution.code,
                                         "date": c.start.isoformat(), "title": c.title, "trainees": c.trainees,
                                         "minority_trainees": c.minority_trainees})
            for c in db.session.scalars(query)]


ops.register(ops.RecordType(
    name="course", order=74, apply=apply_course, export=export_courses,
    fields={"institution": ops.text(), "date": ops.date(), "title": ops.text(), "trainees": ops.integer(),
            "minority_trainees": ops.integer(required=False)}))


# -- artifact ------------------------------------------------------------------------------------------

def apply_artifact(data, ctx):
    services.upsert_artifact(actor=ctx.actor, institution=org.get_by_code(data["institution"]), code=data["code"],
                             name=data["name"], accessioned=data["accessioned"])


def export_artifacts(period):
    query = (sa.select(Artifact).where(Artifact.accessioned.between(period.start, period.end))
             .order_by(Artifact.accessioned, Artifact.code))
    return [((1, _time(a.accessioned), a.code), {"type": "artifact", "code": a.code,
                                                 "institution": a.institution.code, "name": a.name,
                                                 "accessioned": a.accessioned.isoformat()})
            for a in db.session.scalars(query)]


ops.register(ops.RecordType(
    name="artifact", order=75, apply=apply_artifact, export=export_artifacts,
    fields={"code": ops.text(), "institution": ops.text(), "name": ops.text(), "accessioned": ops.date()}))
