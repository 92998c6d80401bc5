"""The demo part of the internet points: computers, a year of sessions, trainings, connectivity; loads once."""
import datetime as dt

import sqlalchemy as sa

from ilms.common import ethnicity
from ilms.common.time import Period, local_today
from ilms.demo.cli import load_all
from ilms.extensions import db
from ilms.internet.models import ConnectivityRecord, InternetSession, SessionState, Station, Training, TrainingCount
from ilms.org import services as org
from ilms.stats import registry

from .conftest import make_patron


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_demo_internet_points(app):
    load_all(echo=lambda *_: None, only={"network"})
    library = org.get_by_code("TVH-TD")
    readers = [make_patron(f"HTD9{n:05d}", library) for n in range(30)]   # readers exist before this part
    load_all(echo=lambda *_: None, only={"internet"})

    stations = db.session.scalars(sa.select(Station)).all()
    hosts = {s.institution.kind.value for s in stations}
    assert {"provincial_library", "district_library", "postal_cultural_point", "internet_point"} <= hosts
    assert len({s.institution_id for s in stations if s.institution.kind.value == "postal_cultural_point"}) >= 6
    assert any(s.training_only for s in stations)

    today = local_today()
    year = Period(today - dt.timedelta(days=365), today)
    sessions = registry.get("NET.SESSIONS").compute(year, [s.institution_id for s in stations])
    assert sum(sessions.values()) > 2000
    first, last = db.session.execute(sa.select(sa.func.min(InternetSession.started_at),
                                               sa.func.max(InternetSession.started_at))).one()
    assert (last - first).days >= 330
    assert count(InternetSession, InternetSession.state == SessionState.OPEN) == 0
    assert count(InternetSession, InternetSession.state == SessionState.VOIDED) > 0
    by_reader = db.session.scalars(sa.select(InternetSession.patron_id).where(
        InternetSession.patron_id.is_not(None)).distinct()).all()
    assert by_reader and set(by_reader) <= {r.id for r in readers}
    guest_groups = set(db.session.scalars(sa.select(InternetSession.guest_ethnicity).distinct()))
    assert {"03", "08", "09"} <= guest_groups

    trained = {ethnicity.name_of(code) for code in db.session.scalars(sa.select(TrainingCount.ethnicity).distinct())}
    assert {"Thái", "Mông", "Dao", "Hà Nhì", "Giáy"} <= trained
    assert count(Training) >= 20
    changes = db.session.scalars(sa.select(ConnectivityRecord).where(ConnectivityRecord.connected.is_(False))).all()
    assert changes, "the demo shows libraries losing or lacking a link at some time"
    share = registry.get("LIB.INTERNET_CONNECTED").group(
        Period.year(2020), [i.id for i in org.all_institutions(kinds=["district_library"])])
    assert share == 100
    assert registry.get("LIB.INTERNET_CONNECTED").group(
        Period.year(2017), [i.id for i in org.all_institutions(kinds=["district_library"])]) < 100

    totals = (count(Station), count(InternetSession), count(Training), count(ConnectivityRecord))
    load_all(echo=lambda *_: None, only={"internet"})
    assert (count(Station), count(InternetSession), count(Training), count(ConnectivityRecord)) == totals
