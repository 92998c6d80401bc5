"""Plans as data on pages: list, view, upload (same checks as the CLI), edit targets, YAML out, several plans."""
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from ilms.extensions import db
from ilms.stats import services
from ilms.stats.models import Plan, Target
from tests.conftest import csrf_token, login, shared_path

PLAN = shared_path("plan", "lai-chau-1133-2015.yaml")
SCHEME = Path(services.__file__).with_name("data") / "qd-208-2014.yaml"


@pytest.fixture
def manager(app, factories):
    return factories.user("sep", role="planner")   # loads and edits plans


def _upload(client, text, name="plan.yaml"):
    token = csrf_token(client, "/stats/plans")
    return client.post("/stats/plans/upload", data={"csrf_token": token, "file": (io.BytesIO(text), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_upload_loads_a_plan_like_the_cli(app, client, manager):
    login(client, "sep")
    response = _upload(client, PLAN.read_bytes())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "1133/KH-UBND" in html
    plan = db.session.scalar(sa.select(Plan))
    assert len(plan.targets) == 15 and plan.updated_by == manager.display_name
    assert _upload(client, PLAN.read_bytes()).status_code == 200      # loading twice changes nothing
    assert db.session.query(Plan).count() == 1 and db.session.query(Target).count() == 15


@pytest.mark.parametrize("text, fragment", [
    (b"plan: [", "YAML"),
    (b"plan: {code: X, title: T, years: [2016, 2020]}\ntargets:\n - {indicator: LIB.VISITZ, group: museum, "
     b"scope: sum, years: [2016, 2016], min: 1}", "LIB.VISITZ"),
    (b"\xff\xfe\x00", "UTF-8"),
])
def test_a_bad_file_is_refused_with_the_reason_and_nothing_changes(app, client, manager, text, fragment):
    login(client, "sep")
    services.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    html = _upload(client, text).get_data(as_text=True)
    assert fragment in html and "Traceback" not in html
    assert db.session.query(Plan).count() == 1 and db.session.query(Target).count() == 15


def test_only_plan_editors_may_change_plans(app, client, factories, manager):
    factories.user("thuthu", role="librarian")
    login(client, "thuthu")
    assert client.get("/stats/plans").status_code == 200
    assert client.get("/stats/plans/new").status_code == 403
    token = csrf_token(client, "/stats/plans")
    assert client.post("/stats/plans/upload", data={"csrf_token": token, "file": (io.BytesIO(PLAN.read_bytes()),
                       "p.yaml")}, content_type="multipart/form-data").status_code == 403
    assert db.session.query(Plan).count() == 0


def _edit_form(plan):
    data = {"code": plan.code, "title": plan.title, "issued": plan.issued.isoformat() if plan.issued else "",
            "year_from": plan.year_from, "year_to": plan.year_to, "half_year_due": "06-20", "annual_due": "11-30"}
    for n, entry in enumerate(services.plan_data(plan)["targets"]):
        who = f"level:{entry['level']}" if "level" in entry else "kind:" + ",".join(
            sorted([entry["group"]] if isinstance(entry["group"], str) else entry["group"]))
        data.update({f"t-{n}-indicator": entry["indicator"], f"t-{n}-who": who, f"t-{n}-scope": entry["scope"],
                     f"t-{n}-from": entry["years"][0], f"t-{n}-to": entry["years"][1],
                     f"t-{n}-min": entry.get("min", ""), f"t-{n}-max": entry.get("max", ""),
                     f"t-{n}-cycle": entry.get("cycle_years", "")})
    return data


def test_edit_targets_on_the_page(app, client, manager):
    plan = services.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    login(client, "sep")
    page = client.get(f"/stats/plans/{plan.id}/edit").get_data(as_text=True)
    assert page.count('name="t-') >= 15 * 9
    form = _edit_form(plan)
    form["t-0-min"] = "8500"                      # change a range
    form["t-1-delete"] = "1"                      # remove a row
    form.update({"t-20-indicator": "NET.SESSIONS", "t-20-who": "kind:district_library", "t-20-scope": "each",
                 "t-20-from": "2018", "t-20-to": "2020", "t-20-min": "100", "t-20-max": ""})
    form["csrf_token"] = csrf_token(client, f"/stats/plans/{plan.id}/edit")
    response = client.post(f"/stats/plans/{plan.id}/edit", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    targets = db.session.scalars(sa.select(Target).where(Target.plan_id == plan.id).order_by(Target.position)).all()
    assert len(targets) == 15
    assert targets[0].min == 8500 and targets[0].max == 9000
    assert targets[-1].indicator == "NET.SESSIONS" and targets[-1].scope == "each" and targets[-1].max is None
    displays = next(t for t in targets if t.indicator == "LIB.DISPLAYS")
    assert sorted(displays.kind_list) == ["district_library", "provincial_library"]
    festival = next(t for t in targets if t.level == "commune")
    assert festival.cycle_years == 1


def test_a_wrong_row_is_shown_with_its_number_and_nothing_is_saved(app, client, manager):
    plan = services.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    login(client, "sep")
    form = _edit_form(plan)
    form["t-2-min"], form["t-2-max"] = "900", "100"
    form["csrf_token"] = csrf_token(client, f"/stats/plans/{plan.id}/edit")
    response = client.post(f"/stats/plans/{plan.id}/edit", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3" in html and "min" in html
    assert 'value="900"' in html                  # what was typed is still there
    db.session.expire_all()
    assert db.session.scalar(sa.select(Target).where(Target.plan_id == plan.id, Target.position == 2)).min == 15000


def test_a_new_plan_needs_a_free_code(app, client, manager):
    services.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    login(client, "sep")
    token = csrf_token(client, "/stats/plans/new")
    base = {"csrf_token": token, "title": "Kế hoạch 2021–2025", "year_from": "2021", "year_to": "2025",
            "half_year_due": "06-20", "annual_due": "11-30", "t-0-indicator": "LIB.VISITS",
            "t-0-who": "kind:provincial_library", "t-0-scope": "sum", "t-0-from": "2021", "t-0-to": "2025",
            "t-0-min": "9000", "t-0-max": "10000"}
    clash = client.post("/stats/plans/new", data=dict(base, code="1133/KH-UBND"))
    assert clash.status_code == 200 and "1133/KH-UBND" in clash.get_data(as_text=True)
    assert db.session.query(Plan).count() == 1
    made = client.post("/stats/plans/new", data=dict(base, code="KH-2021"))
    assert made.status_code == 302
    assert db.session.query(Plan).count() == 2


def test_yaml_download_loads_back_to_the_same_plan(app, client, manager):
    plan = services.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    before = services.plan_data(plan)
    login(client, "sep")
    text = client.get(f"/stats/plans/{plan.id}/plan.yaml").get_data(as_text=True)
    db.session.delete(plan)
    db.session.commit()
    again = services.load_plan(text)
    assert services.plan_data(again) == before


def test_the_national_scheme_coexists_with_the_provincial_plan(app, client, manager):
    services.load_plan(PLAN.read_text(encoding="utf-8"))
    scheme = services.load_plan(SCHEME.read_text(encoding="utf-8"))
    db.session.commit()
    assert scheme.code == "208/QĐ-TTg" and scheme.year_from == 2014 and scheme.reports == []
    [target] = scheme.targets
    assert (target.indicator, target.kind_list, target.scope, target.min, target.year_from) == (
        "LIB.INTERNET_CONNECTED", ["district_library"], "sum", 80, 2020)
    from ilms.common.time import Period
    codes = {t.plan.code for t in services.targets_for(Period.year(2020)) if t.indicator == "LIB.INTERNET_CONNECTED"}
    assert codes == {"1133/KH-UBND", "208/QĐ-TTg"}
    login(client, "sep")
    html = client.get("/stats/plans").get_data(as_text=True)
    assert "208/QĐ-TTg" in html and "1133/KH-UBND" in html
    view = client.get(f"/stats/plans/{scheme.id}").get_data(as_text=True)
    assert "LIB.INTERNET_CONNECTED" in view


def test_a_plan_with_signed_off_reports_cannot_be_deleted(app, client, manager, factories):
    from ilms.stats.models import ReportSnapshot
    plan = services.load_plan(PLAN.read_text(encoding="utf-8"))
    factories.institution("TVT", kind="provincial_library")
    db.session.add(ReportSnapshot(plan_id=plan.id, kind="annual", year=2019, scope="province", version=1,
                                  period_start=services.dt.date(2019, 1, 1), period_end=services.dt.date(2019, 12, 31),
                                  as_of=services.dt.date(2019, 12, 31), due=services.dt.date(2019, 11, 30),
                                  frozen_by_id=manager.id, document="{}"))
    db.session.commit()
    login(client, "sep")
    token = csrf_token(client, f"/stats/plans/{plan.id}")
    response = client.post(f"/stats/plans/{plan.id}/delete", data={"csrf_token": token})
    assert response.status_code == 409
    assert db.session.query(Plan).count() == 1
