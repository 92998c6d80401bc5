"""The ``station``, ``session``, ``training`` and ``connectivity`` record types of the exchange format."""
import sqlalchemy as sa

from ...common.time import local_midnight, to_local
from ...extensions import db
from ...internet import services
from ...internet.models import ConnectivityRecord, InternetSession, SessionState, Station, Training
from ...org import services as org
from ...org.models import Institution
from ...patrons.models import Patron
from ...patrons.services import patron_by_barcode
from .. import registry as ops


def _iso(value):
    return to_local(value).isoformat(timespec="seconds")


# -- station -----------------------------------------------------------------

def apply_station(data, ctx):
    station = services.upsert_station(actor=ctx.actor, code=data["code"],
                                      institution=org.get_by_code(data["institution"]),
                                      in_service_from=data["in_service_from"], in_service_to=data["in_service_to"])
    if data["training_only"] is not None and station.training_only != data["training_only"]:
        station.training_only = data["training_only"]     # kept for trainings: not a public computer
        db.session.flush()


def export_stations(period):
    """Every computer that served at some time up to the period's end (sessions need them first)."""
    rows = db.session.execute(sa.select(Station, Institution.code)
                              .join(Institution, Institution.id == Station.institution_id)
                              .where(Station.in_service_from <= period.end).order_by(Station.code)).all()
    for station, institution in rows:
        line = {"type": "station", "code": station.code, "institution": institution,
                "in_service_from": station.in_service_from.isoformat()}
        if station.in_service_to is not None:
            line["in_service_to"] = station.in_service_to.isoformat()
        if station.training_only:
            line["training_only"] = True
        yield (0, station.code), line


ops.register(ops.RecordType(
    name="station", order=60, apply=apply_station, export=export_stations,
    fields={"code": ops.text(), "institution": ops.text(), "in_service_from": ops.date(),
            "in_service_to": ops.date(required=False), "training_only": ops.boolean(required=False)}))


# -- session -----------------------------------------------------------------

def apply_session(data, ctx):
    station = services.station_by_code(data["station"])
    patron = patron_by_barcode(data["patron"]) if data["patron"] else None
    services.record_session(actor=ctx.actor, station=station, patron=patron, start=data["start"], end=data["end"])


def export_sessions(period):
    """Ended, non-voided sessions started in the period. A session whose reader was anonymised has no
    card left to name, so it goes out without ``patron`` (it reads back as a guest session)."""
    start, end = period.utc_bounds()
    rows = db.session.execute(
        sa.select(InternetSession, Station.code, Patron.barcode)
        .join(Station, Station.id == InternetSession.station_id)
        .outerjoin(Patron, Patron.id == InternetSession.patron_id)
        .where(InternetSession.state == SessionState.ENDED, InternetSession.started_at >= start,
               InternetSession.started_at < end)
        .order_by(InternetSession.started_at, InternetSession.id)).all()
    for session, station, barcode in rows:
        line = {"type": "session", "station": station}
        if barcode:
            line["patron"] = barcode
        line.update({"start": _iso(session.started_at), "end": _iso(session.ended_at)})
        yield (1, session.started_at, session.id), line


ops.register(ops.RecordType(
    name="session", order=61, apply=apply_session, export=export_sessions,
    fields={"station": ops.text(), "patron": ops.text(required=False), "start": ops.instant(),
            "end": ops.instant()}))


# -- training ----------------------------------------------------------------

_ATTENDEES = ops.obj({"ethnicity": ops.ethnic_group(required=False), "sex": ops.choice("F", "M", required=False),
                      "count": ops.integer(minimum=1)})


def apply_training(data, ctx):
    counts = [(row["ethnicity"], row["sex"], row["count"]) for row in data["attendees"]]
    services.create_training(actor=ctx.actor, institution=org.get_by_code(data["institution"]), date=data["date"],
                             topic=data["topic"], counts=counts)


def export_trainings(period):
    """Trainings dated in the period; named attendees go out as counts by their group and sex."""
    rows = db.session.execute(
        sa.select(Training, Institution.code).join(Institution, Institution.id == Training.institution_id)
        .where(Training.date >= period.start, Training.date <= period.end)
        .order_by(Training.date, Training.id)).all()
    for training, institution in rows:
        attendees = []
        for row in services.attendance_table(training):
            for sex, key in (("F", "F"), ("M", "M"), (None, "unknown")):
                if row[key]:
                    entry = {}
                    if row["name"]:
                        entry["ethnicity"] = row["name"]
                    if sex:
                        entry["sex"] = sex
                    entry["count"] = row[key]
                    attendees.append(entry)
        line = {"type": "training", "institution": institution, "date": training.date.isoformat(),
                "topic": training.topic, "attendees": attendees}
        yield (1, local_midnight(training.date), training.id), line


ops.register(ops.RecordType(
    name="training", order=62, apply=apply_training, export=export_trainings,
    fields={"institution": ops.text(), "date": ops.date(), "topic": ops.text(),
            "attendees": ops.list_of(_ATTENDEES)}))


# -- connectivity ------------------------------------------------------------

def apply_connectivity(data, ctx):
    services.record_connectivity(actor=ctx.actor, institution=org.get_by_code(data["institution"]),
                                 date=data["date"], connected=data["connected"])


def export_connectivity(period):
    rows = db.session.execute(
        sa.select(ConnectivityRecord, Institution.code)
        .join(Institution, Institution.id == ConnectivityRecord.institution_id)
        .where(ConnectivityRecord.date >= period.start, ConnectivityRecord.date <= period.end)
        .order_by(ConnectivityRecord.date, Institution.code)).all()
    for record, institution in rows:
        yield ((1, local_midnight(record.date), institution),
               {"type": "connectivity", "institution": institution, "date": record.date.isoformat(),
                "connected": record.connected})


ops.register(ops.RecordType(
    name="connectivity", order=63, apply=apply_connectivity, export=export_connectivity,
    fields={"institution": ops.text(), "date": ops.date(), "connected": ops.boolean()}))
