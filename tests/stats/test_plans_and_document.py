import json

import pytest

from ilms.common.time import Period
from ilms.stats import registry, services
from ilms.stats.models import Plan, Target
from tests.conftest import shared_path

PLAN = shared_path("plan", "lai-chau-1133-2015.yaml")


def test_plan_load_is_idempotent(app, runner):
    for _ in range(2):
        result = runner.invoke(args=["plan", "load", str(PLAN)])
        assert result.exit_code == 0, result.output
    from ilms.extensions import db
    assert db.session.query(Plan).count() == 1
    assert db.session.query(Target).count() == 15
    festival = db.session.query(Target).filter_by(indicator="CUL.FESTIVAL_COMPLIANCE", level="commune").one()
    assert festival.cycle_years == 1 and festival.min == 100 and festival.max is None
    displays = db.session.query(Target).filter_by(indicator="LIB.DISPLAYS").one()
    assert displays.kind_list == ["provincial_library", "district_library"]


@pytest.mark.parametrize("text, fragment", [
    ("plan: [", "YAML"),
    ("targets: []", "plan:"),
    ("plan: {code: X, title: T, years: [2016, 2020]}\ntargets:\n - {indicator: LIB.VISITZ, group: museum, "
     "scope: sum, years: [2016, 2016], min: 1}", "LIB.VISITZ"),
    ("plan: {code: X, title: T, years: [2016, 2020]}\ntargets:\n - {indicator: LIB.VISITS, group: museum, "
     "scope: sum, years: [2016, 2016], min: 9, max: 1}", "min"),
])
def test_bad_plan_files_are_refused_with_a_reason(app, runner, tmp_path, text, fragment):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["plan", "load", str(path)])
    assert result.exit_code == 1
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_indicators_json_document_after_plan_load(app, runner):
    assert runner.invoke(args=["plan", "load", str(PLAN)]).exit_code == 0
    result = runner.invoke(args=["indicators", "--year", "2024", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert set(document) == {"period", "figures", "groups", "targets"}
    for key in ("figures", "groups", "targets"):
        assert isinstance(document[key], list)


@pytest.fixture
def counted_indicator(app, factories, monkeypatch):
    """A registered indicator whose per-institution values the test controls."""
    values = {}
    indicator = registry.Indicator(
        code="LIB.VISITS", name_vi="lượt bạn đọc", name_en="reader visits",
        kinds=frozenset({"provincial_library", "district_library"}),
        compute=lambda period, ids: {i: values.get(i, 0) for i in ids})
    monkeypatch.setitem(registry._REGISTRY, "LIB.VISITS", indicator)
    return values


def test_document_rows_groups_and_targets(app, factories, counted_indicator, runner):
    province = factories.institution("TVT", kind="provincial_library")
    first = factories.institution("TVH-A", parent=province)
    second = factories.institution("TVH-B", parent=province)
    factories.institution("BTT", kind="museum")
    counted_indicator.update({province.id: 8412, first.id: 9000, second.id: 7003})
    assert runner.invoke(args=["plan", "load", str(PLAN)]).exit_code == 0
    doc = services.indicator_document(Period.year(2019))
    figures = {(f["indicator"], f["institution"]): f["value"]
               for f in doc["figures"] if f["indicator"] == "LIB.VISITS"}
    assert figures == {("LIB.VISITS", "TVT"): 8412, ("LIB.VISITS", "TVH-A"): 9000, ("LIB.VISITS", "TVH-B"): 7003}
    groups = {g["group"]: g["value"] for g in doc["groups"] if g["indicator"] == "LIB.VISITS"}
    assert groups == {"provincial_library": 8412, "district_library": 16003}
    targets = {t["group"]: t for t in doc["targets"] if t["indicator"] == "LIB.VISITS"}
    assert targets["provincial_library"] == {"indicator": "LIB.VISITS", "group": "provincial_library",
                                             "scope": "sum", "min": 8000, "max": 9000, "value": 8412,
                                             "status": "within"}
    assert targets["district_library"]["value"] == 16003 and targets["district_library"]["status"] == "within"
    one = services.indicator_document(Period.year(2019), first)
    assert [f["institution"] for f in one["figures"] if f["indicator"] == "LIB.VISITS"] == ["TVH-A"]
    assert {f["institution"] for f in one["figures"]} == {"TVH-A"}
    # a district alone is not compared with the districts' total (an `each` target of another indicator may be)
    assert [t for t in one["targets"] if t["indicator"] == "LIB.VISITS"] == []


def test_api_returns_the_same_document_as_the_cli(app, factories, counted_indicator, runner):
    from ilms.accounts import services as accounts
    from ilms.extensions import db
    province = factories.institution("TVT", kind="provincial_library")
    counted_indicator[province.id] = 12
    manager = factories.user("sep", role="manager")
    _token, secret = accounts.create_token(manager, name="bảng tin")
    db.session.commit()
    cli = json.loads(runner.invoke(args=["indicators", "--year", "2024", "--json"]).output)
    api = app.test_client().get("/api/v1/indicators?year=2024", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    assert api.json == cli
    assert app.test_client().get("/api/v1/indicators?year=2024").status_code == 401


def test_each_scope_reports_who_meets_the_target(app, factories, monkeypatch):
    province = factories.institution("TVT", kind="provincial_library")
    first = factories.institution("TVH-A", parent=province)
    second = factories.institution("TVH-B", parent=province)
    added = {first.id: 650, second.id: 120}
    monkeypatch.setitem(registry._REGISTRY, "LIB.COPIES_ADDED", registry.Indicator(
        code="LIB.COPIES_ADDED", name_vi="bản sách bổ sung", name_en="copies acquired",
        kinds=frozenset({"provincial_library", "district_library"}),
        compute=lambda period, ids: {i: added.get(i, 0) for i in ids}))
    services.load_plan(PLAN.read_text(encoding="utf-8"))
    doc = services.indicator_document(Period.year(2017))
    row = next(t for t in doc["targets"] if t["indicator"] == "LIB.COPIES_ADDED" and t["scope"] == "each")
    assert row["value"] == 1 and row["institutions"] == 2 and row["status"] == "below"
    assert row["not_meeting"] == ["TVH-B"]


def test_unknown_institution_on_the_cli_is_a_clear_error(app, runner):
    result = runner.invoke(args=["indicators", "--year", "2024", "--institution", "NOPE", "--json"])
    assert result.exit_code != 0
    assert "NOPE" in result.output and "Traceback" not in result.output
