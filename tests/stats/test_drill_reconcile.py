"""The drill-down of a figure lists the identified records and the tallies apart, and says how they add up."""
import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from ilms.circulation import services as circulation
from ilms.circulation.models import Tally, TallyKind
from ilms.common.permissions import SYSTEM
from ilms.common.time import local_today
from ilms.extensions import db
from ilms.org.models import Institution
from tests.conftest import login

TALLIED = {"LIB.VISITS": TallyKind.VISITS, "ROT.POINT_VISITS": TallyKind.VISITS,
           "LIB.LOANS": TallyKind.LOANS, "ROT.POINT_LOANS": TallyKind.LOANS}


@pytest.fixture
def demo(app, factories):
    from ilms.demo.cli import load_all
    load_all(echo=lambda *_: None)
    factories.user("sep", role="manager")
    db.session.commit()
    return app


def test_every_tallied_figure_is_its_records_plus_its_tallies(demo, client, runner):
    year = local_today().year - 1
    library = db.session.scalar(sa.select(Institution).where(Institution.code == "TVH-TD"))
    # a loan noted on paper, entered through the desk's own service
    circulation.add_tally(institution=library, date=dt.date(year, 5, 6), kind=TallyKind.LOANS, count=17,
                          actor=SYSTEM, note="sổ mượn tay")
    db.session.commit()
    cli = json.loads(runner.invoke(args=["indicators", "--year", str(year), "--json"]).output)
    login(client, "sep")
    for code, kind in TALLIED.items():
        html = client.get(f"/stats/records/{code}?year={year}&scope=province").get_data(as_text=True)
        line = re.search(r'data-testid="reconcile" data-figure="([\d.]+)" data-records="(\d+)" '
                         r'data-tallies="(\d*)">([^<]+)</p>', html)
        assert line, code
        figure, records, tallies, sentence = float(line.group(1)), int(line.group(2)), line.group(3), line.group(4)
        # the figure is the province's figure (every institution's figure added up)
        assert figure == sum(f["value"] for f in cli["figures"] if f["indicator"] == code), code
        listed = int(re.search(r'data-testid="total">([\d.]+)', html).group(1).replace(".", ""))
        assert records == listed
        if code.startswith("LIB."):   # libraries' tallies; the points' are theirs
            kinds = ("provincial_library", "district_library")
        else:
            kinds = ("postal_cultural_point",)
        total, entries = db.session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(Tally.count), 0), sa.func.count(Tally.id))
            .join(Institution, Institution.id == Tally.institution_id)
            .where(Tally.kind == kind, Tally.date >= dt.date(year, 1, 1), Tally.date <= dt.date(year, 12, 31),
                   Institution.kind.in_(kinds))).one()
        assert entries > 0, f"the demo and this test give {code} tallies to reconcile"
        assert int(tallies) == total and records + total == figure, code
        assert "+" in sentence and "=" in sentence
        assert 'data-testid="tallies"' in html
        if code == "LIB.LOANS":
            assert "sổ mượn tay" in html


def test_other_figures_say_how_they_come_from_their_records(demo, client):
    year = local_today().year - 1
    login(client, "sep")
    html = client.get(f"/stats/records/LIB.ACTIVE_READERS?year={year}&scope=province").get_data(as_text=True)
    line = re.search(r'data-testid="reconcile"[^>]*>([^<]+)</p>', html).group(1)
    assert "=" not in line                       # distinct readers are not the number of rows
    html = client.get(f"/stats/records/MUS.VISITORS?year={year}&scope=province").get_data(as_text=True)
    match = re.search(r'data-testid="reconcile" data-figure="([\d.]+)" data-records="(\d+)"[^>]*>([^<]+)</p>', html)
    assert "=" in match.group(3) and 'data-testid="tallies"' not in html
    html = client.get(f"/stats/records/LIB.RENEWALS?year={year}&scope=province").get_data(as_text=True)
    match = re.search(r'data-testid="reconcile" data-figure="([\d.]+)" data-records="(\d+)"', html)
    assert float(match.group(1)) == int(match.group(2))
