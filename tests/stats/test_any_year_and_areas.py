"""Plans for any period (programme 1520, copying a plan), reports for every year and scope, half-year
progress, areas of former districts and communes as scopes, and figures prepared before the morning."""
import datetime as dt
import io
import json

import openpyxl
import pytest

from ilms.accounts import services as accounts
from ilms.circulation.models import Tally, TallyKind
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period, local_today
from ilms.events.models import (Activity, ActivityKind, Club, ClubSetting, Exhibition, ExhibitionKind,
                                ExhibitionStatus, VisitorCount)
from ilms.extensions import db
from ilms.org import services as org
from ilms.stats import cache as figure_cache
from ilms.stats import registry, reports, services
from ilms.stats.engine import Engine
from ilms.stats.pages import build_page
from ilms.stats.scope import ScopeError, parse_scope
from tests.conftest import csrf_token, login, shared_path

PLAN_1133 = shared_path("plan", "lai-chau-1133-2015.yaml")
PLAN_1520 = shared_path("plan", "qd-1520-2022.yaml")


@pytest.fixture
def network(app, factories):
    """Two former districts (A with two communes, B), libraries of three kinds, a museum, two centres."""
    for code, name, level, district in (("HA", "Huyện A", "district", None), ("HB", "Huyện B", "district", None),
                                        ("HA-X", "Xã X", "commune", "HA"), ("HA-Y", "Xã Y", "commune", "HA")):
        org.upsert_area(actor=SYSTEM, code=code, name=name, level=level, district=district)
    db.session.commit()
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh")
    made = {"TVT": tvt,
            "TVH-A": factories.institution("TVH-A", parent=tvt, district_code="HA", name="Thư viện huyện A"),
            "TVH-B": factories.institution("TVH-B", parent=tvt, district_code="HB", name="Thư viện huyện B"),
            "TVX": factories.institution("TVX", kind="commune_library", level="commune", commune_code="HA-X",
                                         name="Thư viện xã X"),
            "BTT": factories.institution("BTT", kind="museum", name="Bảo tàng tỉnh"),
            "TTVH": factories.institution("TTVH", kind="cultural_center", level="province",
                                          name="Trung tâm Văn hóa tỉnh"),
            "TTVH-A": factories.institution("TTVH-A", kind="cultural_center", district_code="HA",
                                            name="Trung tâm Văn hóa huyện A")}
    return made


def _tally(inst, day, count):
    db.session.add(Tally(institution_id=inst.id, date=day, kind=TallyKind.VISITS, count=count))


def _students(museum, day, students, code):
    exhibition = Exhibition(code=code, kind=ExhibitionKind.THEMATIC, status=ExhibitionStatus.OPEN,
                            institution_id=museum.id, title=f"Trưng bày {code}", start=day, end=day)
    db.session.add(exhibition)
    db.session.flush()
    db.session.add(VisitorCount(exhibition_id=exhibition.id, date=day, visitors=students + 5, students=students))


def test_a_commune_institution_carries_its_district_and_areas_are_checked(app, network):
    assert network["TVX"].district_code == "HA"          # taken from its commune
    with pytest.raises(Exception) as refused:
        org.update_institution(network["TVH-B"], actor=SYSTEM, district_code="ZZ")
    assert "ZZ" in str(refused.value.message)
    db.session.rollback()
    assert parse_scope("district:ha").members(list(network.values())) == [network["TVH-A"], network["TVX"],
                                                                          network["TTVH-A"]]
    assert parse_scope("commune:HA-X").members(list(network.values())) == [network["TVX"]]
    assert parse_scope("institution:tvt").key == "inst:TVT"
    with pytest.raises(ScopeError):
        parse_scope("district:NOPE")


def test_programme_1520_indicators_with_drill_down(app, network):
    day = dt.date(2025, 5, 10)
    _tally(network["TVH-A"], day, 10)
    _tally(network["TVH-B"], day, 10)                     # served readers, but held nothing of its own
    db.session.add_all([
        Activity(institution_id=network["TVH-A"].id, kind=ActivityKind.ARTS, title="Văn nghệ", date=day),
        Activity(institution_id=network["TTVH"].id, kind=ActivityKind.INFORMATION, title="Tuyên truyền", date=day),
        Activity(institution_id=network["TTVH-A"].id, kind=ActivityKind.SPORTS, title="Bóng chuyền", date=day),
        Club(code="CLB-X", institution_id=network["TVT"].id, name="CLB đọc sách", setting=ClubSetting.SCHOOL,
             members=12, active_from=dt.date(2025, 9, 1)),
    ])
    _tally(network["TVT"], day, 5)
    _students(network["BTT"], day, 30, "E25")
    _students(network["BTT"], dt.date(2024, 4, 1), 20, "E24")
    db.session.commit()
    doc = services.indicator_document(Period.year(2025), today=dt.date(2026, 12, 7))
    groups = {(g["indicator"], g.get("group") or g.get("level")): g["value"] for g in doc["groups"]}
    assert groups[("LIB.LLL_SERVICE_SHARE", "district_library")] == 50.0
    assert groups[("LIB.LLL_SERVICE_SHARE", "provincial_library")] == 100.0   # a club active in September
    assert groups[("LIB.LLL_SERVICE_SHARE", "commune_library")] == 0.0
    assert groups[("MUS.EDU_PROGRAMME_SHARE", "museum")] == 100.0
    assert groups[("MUS.LEARNING_VISITORS", "museum")] == 30
    assert groups[("MUS.LEARNING_VISITORS_GROWTH", "museum")] == 50.0          # 30 against 20
    assert groups[("CUL.LLL_SERVICE_SHARE", "cultural_center")] == 50.0        # information yes, sports no
    # the year before had no learning visitors before 2024: no value, and no judgement
    earlier = services.indicator_document(Period.year(2024), today=dt.date(2026, 12, 7))
    growth = [f for f in earlier["figures"] if f["indicator"] == "MUS.LEARNING_VISITORS_GROWTH"]
    assert growth == [{"indicator": "MUS.LEARNING_VISITORS_GROWTH", "institution": "BTT", "value": None}]

    services.load_plan(PLAN_1520.read_text(encoding="utf-8"))
    db.session.commit()
    targets = {(t["indicator"], t.get("group")): t for t in
               services.indicator_document(Period.year(2025), today=dt.date(2026, 12, 7))["targets"]}
    assert targets[("LIB.LLL_SERVICE_SHARE", "district_library")]["status"] == "below"    # 50 < 70
    assert targets[("CUL.LLL_SERVICE_SHARE", "cultural_center")]["status"] == "below"
    assert targets[("MUS.LEARNING_VISITORS_GROWTH", "museum")]["status"] == "within"
    targets_2024 = {(t["indicator"], t.get("group")): t for t in
                    services.indicator_document(Period.year(2024), today=dt.date(2026, 12, 7))["targets"]}
    assert targets_2024[("MUS.LEARNING_VISITORS_GROWTH", "museum")]["status"] == "no_value"

    indicator = registry.get("LIB.LLL_SERVICE_SHARE")
    rows = db.session.execute(indicator.drilldown(Period.year(2025), [network["TVH-A"].id,
                                                                      network["TVH-B"].id])).mappings().all()
    assert [(r["institution"], r["visits"], r["activities"], r["counts"]) for r in rows] == [
        ("TVH-A", 10, 1, True), ("TVH-B", 10, 0, False)]


def test_reports_exist_for_every_year_and_scope(app, client, factories, network):
    p1133 = services.load_plan(PLAN_1133.read_text(encoding="utf-8"))
    p1520 = services.load_plan(PLAN_1520.read_text(encoding="utf-8"))
    _tally(network["TVH-A"], dt.date(2017, 3, 3), 40)
    db.session.commit()
    factories.user("sep", role="planner")
    login(client, "sep")
    this_year = local_today().year
    for year in (2014, 2017, 2021, 2022, 2025, this_year, this_year + 1):
        in_force = reports.plans_in_force(year)
        plan_id = in_force[0].id if in_force else 0
        for kind in ("half_year", "annual"):
            for scope in ("province", "district:HA", "commune:HA-X", "inst:TVH-A"):
                url = f"/stats/reports/{plan_id}/{kind}/{year}?scope={scope}"
                assert client.get(url).status_code == 200, url
        for fmt in ("xlsx", "pdf"):
            assert client.get(f"/stats/reports/{plan_id}/annual/{year}.{fmt}?scope=district:HA").status_code == 200
    # not a year: a clear message, not an error page
    assert client.get("/stats/reports/0/annual/99999?scope=province").status_code == 400
    # a plan asked for outside its years: the report of that year, never a 400
    assert client.get(f"/stats/reports/{p1133.id}/annual/2030?scope=province").status_code == 200
    no_plan = client.get("/stats/reports/0/annual/2021?scope=province").get_data(as_text=True)
    assert "data-no-plan" in no_plan
    doc = reports.build_report(None, "annual", 2021, parse_scope("province"), user=SYSTEM)
    assert doc["no_plan"] and doc["plans"] == [] and doc["targets"] == []
    doc = reports.build_report(None, "annual", 2025, parse_scope("province"), user=SYSTEM)
    assert [p["code"] for p in doc["plans"]] == [p1520.code] and doc["targets"]
    assert doc["due"] == "2025-11-30"
    # the report page offers every year with data, not only a plan's years
    listing = client.get("/stats/reports?year=2021").get_data(as_text=True)
    for year in (2017, 2021, 2024, this_year):
        assert f"<option selected>{year}</option>" in listing or f"<option>{year}</option>" in listing
    assert "district:HA" in listing
    # signing off a report of a year under no plan
    response = client.post("/stats/reports/0/annual/2021/freeze?scope=province",
                           data={"csrf_token": csrf_token(client, "/stats/reports/0/annual/2021?scope=province")})
    assert response.status_code == 302
    assert reports.snapshots_of(None, "annual", 2021, parse_scope("province"))[0].plan_id is None


def test_half_year_shows_progress_toward_the_annual_target_and_never_below(app, client, factories, network):
    plan = services.load_plan(PLAN_1133.read_text(encoding="utf-8"))
    tvt = network["TVT"]
    tvt.go_live = dt.date(2018, 1, 1)
    _tally(tvt, dt.date(2018, 3, 1), 3000)      # 2018: 3,000 by June, 8,500 in the year
    _tally(tvt, dt.date(2018, 10, 1), 5500)
    _tally(tvt, dt.date(2019, 4, 1), 4610)      # 2019: 4,610 by June, against 8,000-9,000 for the year
    _tally(tvt, dt.date(2019, 11, 1), 4000)
    db.session.commit()
    doc = reports.build_report(plan, "half_year", 2019, parse_scope("province"), user=SYSTEM)
    row = next(t for t in doc["targets"] if t["indicator"] == "LIB.VISITS" and t["group"] == "provincial_library")
    assert row["value"] == 4610 and row["status"] == "in_progress" and row["total_status"] == "in_progress"
    assert row["progress"]["of_target"] == 57.6                       # 4,610 of 8,000
    assert row["progress"]["earlier_years"] == [{"year": 2018, "value": 3000, "year_end": 8500, "of_year": 35.3}]
    assert all(t["status"] != "below" for t in doc["targets"])
    annual = reports.build_report(plan, "annual", 2019, parse_scope("province"), user=SYSTEM)
    row = next(t for t in annual["targets"] if t["indicator"] == "LIB.VISITS" and t["group"] == "provincial_library")
    assert row["status"] == "within" and "progress" not in row          # 8,610 at the year's end

    factories.user("sep", role="manager")
    login(client, "sep")
    html = client.get(f"/stats/reports/{plan.id}/half_year/2019?scope=province").get_data(as_text=True)
    assert "đang thực hiện chỉ tiêu cả năm" in html and "57,6%" in html and "năm 2018" in html
    assert 'data-status="below"' not in html
    page = client.get("/stats/?from=2019-01-01&to=2019-06-30&scope=province").get_data(as_text=True)
    assert 'data-status="below"' not in page and 'data-progress="57.6"' in page


def test_areas_work_on_the_page_the_api_and_the_cli(app, client, runner, factories, network):
    _tally(network["TVH-A"], dt.date(2024, 5, 5), 7)
    _tally(network["TVH-B"], dt.date(2024, 5, 5), 9)
    manager = factories.user("sep", role="manager")
    _token, secret = accounts.create_token(manager, name="địa bàn")
    librarian = factories.user("thuthu", role="librarian", institution=network["TVH-A"])
    _t2, own_secret = accounts.create_token(librarian, name="thư viện")
    db.session.commit()

    cli = json.loads(runner.invoke(args=["indicators", "--year", "2024", "--scope", "district:HA", "--json"]).output)
    assert {f["institution"] for f in cli["figures"]} == {"TVH-A", "TVX", "TTVH-A"}
    visits = {g["group"]: g["value"] for g in cli["groups"] if g["indicator"] == "LIB.VISITS"}
    assert visits == {"district_library": 7, "commune_library": 0}
    api = client.get("/api/v1/indicators?year=2024&scope=district:HA", headers={"Authorization": f"Bearer {secret}"})
    assert api.json == cli
    assert client.get("/api/v1/indicators?year=2024&scope=district:HA",
                      headers={"Authorization": f"Bearer {own_secret}"}).status_code == 403   # staff: own only
    assert client.get("/api/v1/indicators?year=2024&scope=district:ZZ",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 400
    bad = runner.invoke(args=["indicators", "--year", "2024", "--scope", "district:ZZ"])
    assert bad.exit_code != 0 and "ZZ" in bad.output and "Traceback" not in bad.output

    login(client, "sep")
    page = client.get("/stats/?year=2024&scope=district:HA").get_data(as_text=True)
    assert 'data-figure="LIB.VISITS|TVH-A"' in page and 'data-figure="LIB.VISITS|TVH-B"' not in page
    assert "Địa bàn Huyện A" in page
    own = app.test_client()
    login(own, "thuthu")
    assert own.get("/stats/?year=2024&scope=district:HA").status_code == 403


def test_a_manager_copies_a_plan_to_a_new_period_and_edits_it(app, client, factories, network):
    plan = services.load_plan(PLAN_1133.read_text(encoding="utf-8"))
    db.session.commit()
    factories.user("sep", role="planner")
    login(client, "sep")
    form = client.get(f"/stats/plans/{plan.id}/copy").get_data(as_text=True)
    assert "2026" in form
    response = client.post(f"/stats/plans/{plan.id}/copy", data={
        "csrf_token": csrf_token(client, f"/stats/plans/{plan.id}/copy"), "code": "KH-2026",
        "title": "Kế hoạch 2026-2030", "year_from": 2026, "year_to": 2030})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    copy = db.session.scalar(db.select(type(plan)).where(type(plan).code == "KH-2026"))
    assert (copy.year_from, copy.year_to) == (2026, 2030) and len(copy.targets) == len(plan.targets)
    visits = [(t.year_from, t.year_to, t.min) for t in copy.targets
              if t.indicator == "LIB.VISITS" and t.kinds == "provincial_library"]
    assert visits == [(2026, 2029, 8000), (2030, 2030, 10000)]
    assert client.get(response.headers["Location"]).status_code == 200
    clash = client.post(f"/stats/plans/{plan.id}/copy", data={
        "csrf_token": csrf_token(client, f"/stats/plans/{plan.id}/copy"), "code": "KH-2026",
        "title": "Trùng", "year_from": 2026, "year_to": 2030})
    assert clash.status_code == 200 and "KH-2026" in clash.get_data(as_text=True)


def test_prepared_figures_serve_the_first_page_without_computing(app, runner, network):
    _tally(network["TVH-A"], local_today().replace(day=1), 5)
    db.session.commit()
    result = runner.invoke(args=["indicators-prepare"])
    assert result.exit_code == 0, result.output
    assert "figures written" in result.output
    figure_cache.clear()                      # a worker that has computed nothing yet
    app.extensions.pop("ilms_stats_cache", None)
    engine = Engine()
    build_page(Period.year(local_today().year), parse_scope("province"), user=SYSTEM, engine=engine)
    assert engine.queries == 0
    _tally(network["TVH-A"], local_today().replace(day=1), 1)
    from ilms.signals import data_changed
    data_changed.send("circulation", institution_ids=[network["TVH-A"].id])
    db.session.commit()
    engine = Engine()
    page = build_page(Period.year(local_today().year), parse_scope("province"), user=SYSTEM, engine=engine)
    assert engine.queries > 0                 # the changed library is computed again, not shown stale
    visits = next(r for r in page.rows if r.code == "LIB.VISITS")
    assert visits.value == 6


def test_an_open_period_carries_projections_in_the_document_and_the_page(app, client, factories, network):
    tvh = network["TVH-A"]
    _tally(tvh, dt.date(2024, 1, 1), 10)        # go-live: recorded in full since 2024
    _tally(tvh, dt.date(2024, 3, 1), 40)        # 2024: 50 by 30 June, 100 in the year
    _tally(tvh, dt.date(2024, 10, 1), 50)
    _tally(tvh, dt.date(2025, 2, 1), 60)
    db.session.commit()
    doc = services.indicator_document(Period.year(2025), today=dt.date(2025, 6, 30))
    figure = next(f for f in doc["figures"] if f["indicator"] == "LIB.VISITS" and f["institution"] == "TVH-A")
    assert figure["value"] == 60
    assert figure["projection"] == {"value": 120, "method": "same_part_of_year", "years": [2024]}
    group = next(g for g in doc["groups"] if g["indicator"] == "LIB.VISITS" and g["group"] == "district_library")
    assert group["projection"] == {"value": 120, "method": "same_part_of_year", "years": [2024]}   # TVH-B: nothing
    holdings = next(f for f in doc["figures"] if f["indicator"] == "LIB.HOLDINGS" and f["institution"] == "TVH-A")
    assert holdings["projection"] == {"value": None, "method": "not_projected", "years": []}
    closed = services.indicator_document(Period.year(2024), today=dt.date(2025, 6, 30))
    assert all("projection" not in f for f in closed["figures"])       # a closed period: the exchange.md keys only
    assert set(closed["figures"][0]) == {"indicator", "institution", "value"}

    factories.user("sep", role="manager")
    login(client, "sep")
    this_year = local_today().year
    html = client.get(f"/stats/?year={this_year}&scope=province").get_data(as_text=True)
    assert 'data-method="' in html and ("không ước tính" in html or "tỷ trọng" in html or "tốc độ" in html)
