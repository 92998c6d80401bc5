"""The rotation part of the demo: a year of crates in every district, every state, consistent; loads once."""
import datetime as dt

import sqlalchemy as sa

from ilms.accounts.models import User
from ilms.catalog.models import ItemStatus
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period, local_today
from ilms.demo.cli import load_all
from ilms.extensions import db
from ilms.org import services as org
from ilms.org.models import Institution, InstitutionKind
from ilms.rotation import services as rot
from ilms.rotation.models import Crate, CrateState, Dispatch, DispatchItem, MissingCause, Outcome, Resolution
from ilms.stats import registry


def test_demo_rotation(app, factories):
    load_all(echo=lambda *_: None, only={"network"})
    library = org.get_by_code("TVH-TD")
    for _ in range(20):                                       # readers exist before this part (circulation's demo)
        factories.patron(library, card_issued=local_today() - dt.timedelta(days=800),
                         card_expires=local_today() + dt.timedelta(days=400))
    load_all(echo=lambda *_: None, only={"rotation"})

    crates = db.session.scalars(sa.select(Crate)).all()
    assert {c.state for c in crates} == set(CrateState)
    libraries = {c.institution.code for c in crates}
    assert libraries == {f"TVH-{slug}" for slug in ("TP", "TD", "PT", "SH", "MT", "THU", "TNU", "NN")}
    first, last = db.session.execute(sa.select(sa.func.min(Dispatch.dispatched_at),
                                               sa.func.max(Dispatch.dispatched_at))).one()
    assert (last - first).days >= 330
    today = local_today()
    assert any(t.due_back < today for t in rot.open_trips(SYSTEM)), "some crates are late"
    assert any(t.received_at is None for t in rot.open_trips(SYSTEM)), "some crates are on their way"

    # Consistent copy by copy: what is out is in rotation at its point or lent there; what came back is home.
    for trip in rot.open_trips(SYSTEM):
        for line in trip.lines:
            assert line.item.location_institution_id == trip.point_id
            assert line.item.status in (ItemStatus.IN_ROTATION, ItemStatus.ON_LOAN)
    resolutions = set(db.session.scalars(sa.select(DispatchItem.resolution).where(
        DispatchItem.outcome == Outcome.MISSING)))
    assert {Resolution.FOUND, Resolution.LOST, None} <= resolutions
    causes = set(db.session.scalars(sa.select(DispatchItem.missing_cause).where(
        DispatchItem.outcome == Outcome.MISSING)))
    assert {MissingCause.NOT_FOUND, MissingCause.ON_LOAN} <= causes     # lent at the point when the crate left

    points = db.session.scalars(sa.select(Institution.id).where(
        Institution.kind == InstitutionKind.POSTAL_CULTURAL_POINT)).all()
    year = Period(today - dt.timedelta(days=365), today)
    owners = sorted({c.institution_id for c in crates})
    assert sum(registry.get("ROT.CRATES_SENT").compute(year, owners).values()) >= 60
    assert registry.get("ROT.POINTS_SERVED").group(year, owners) >= 16
    assert sum(registry.get("ROT.COPIES_MISSING").compute(year, owners).values()) >= 8
    assert sum(registry.get("ROT.POINT_VISITS").compute(year, points).values()) > 1000
    assert sum(registry.get("ROT.POINT_LOANS").compute(year, points).values()) > 300
    assert registry.get("ROT.POINT_LOANS").compute(year, [library.children[0].id])  # identified loans at a point
    assert db.session.scalar(sa.select(User).where(User.username == "point.bl")).institution.code == "BD-TD-BL"

    before = len(crates)
    load_all(echo=lambda *_: None, only={"rotation"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Crate)) == before
