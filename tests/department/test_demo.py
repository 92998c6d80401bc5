"""The demo province holds a year and a half of the follow-up, so this year's pages and report show it."""
import sqlalchemy as sa

from ilms.common.time import Period, local_today
from ilms.demo.cli import load_all
from ilms.department import services
from ilms.department.models import Recommendation, RecommendationStatus
from ilms.department.report import department_sections
from ilms.extensions import db
from ilms.org import services as org
from ilms.stats import registry
from tests.conftest import login


def test_the_demo_fills_last_year_and_this_year(app):
    load_all(echo=lambda *_: None, only={"network", "events", "department"})
    today = local_today()
    ids = [i.id for i in org.all_institutions()]
    for year in (today.year - 1, today.year):
        period = Period(Period.year(year).start, min(today, Period.year(year).end))
        for code in ("DEP.INSPECTIONS", "DEP.MEDIA_ITEMS", "DEP.FUNDING", "MUS.SCHOOL_PROGRAMMES",
                     "MUS.PERMANENT_DISPLAYS", "DEP.EXCHANGES"):
            assert sum(registry.get(code).compute(period, ids).values()) > 0, (code, year)
    states = {r.status for r in db.session.scalars(sa.select(Recommendation))}
    assert states == {RecommendationStatus.OPEN, RecommendationStatus.DONE}
    assert services.overdue_recommendations(today=today)
    sections = department_sections(Period(Period.year(today.year).start, today), ids)
    assert all(s["rows"] for s in sections)
    # loading again adds nothing; the Department's demo user signs in and sees this year's page
    count = db.session.scalar(sa.select(sa.func.count(Recommendation.id)))
    load_all(echo=lambda *_: None, only={"department"})
    assert db.session.scalar(sa.select(sa.func.count(Recommendation.id))) == count
    client = app.test_client()
    login(client, "department", "laichau2016")
    page = client.get("/department/")
    assert page.status_code == 200 and "TT-" in page.get_data(as_text=True)
