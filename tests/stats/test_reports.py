"""The 6-month and annual reports: period, due date, preparer, estimates, activity lists; freezing and revisions."""
import datetime as dt
import io
import json

import openpyxl
import pypdf
import pytest

from ilms.extensions import db
from ilms.stats import reports, services
from ilms.stats.models import ReportSnapshot
from ilms.stats.scope import parse_scope
from tests.conftest import csrf_token, login, shared_path
from tests.stats.conftest import day

PLAN = shared_path("plan", "lai-chau-1133-2015.yaml")


@pytest.fixture
def setup(app, factories, province, data):
    plan = services.load_plan(PLAN.read_text(encoding="utf-8"))
    db.session.commit()
    data.copies(province["TVT"], day(2019, 2, 2), 300)
    data.copies(province["TVH-A"], day(2019, 4, 4), 40)
    data.copies(province["TVH-A"], day(2019, 9, 9), 10)
    data.visits(province["TVH-A"], day(2019, 2, 1), 12)
    data.display(province["TVT"], day(2019, 5, 19), "Trưng bày sách về Bác Hồ")
    data.display(province["TVH-A"], day(2019, 9, 2), "Giới thiệu sách Quốc khánh")
    data.display(province["TVH-A"], day(2020, 1, 2), "Sách năm mới")        # another year
    manager = factories.user("sep", role="planner")   # signs reports off
    manager.full_name = "Đỗ Thị Lan"
    db.session.commit()
    return {"plan": plan, "manager": manager,
            "librarian": factories.user("thuthu", role="librarian", institution=province["TVH-A"]), **province}


def test_annual_report_page_has_period_due_date_preparer_figures_and_activities(app, client, setup):
    login(client, "sep")
    html = client.get(f"/stats/reports/{setup['plan'].id}/annual/2019?scope=province").get_data(as_text=True)
    assert "01/01/2019" in html and "31/12/2019" in html
    assert "30/11/2019" in html                     # due before 30 November
    assert "Đỗ Thị Lan" in html                      # who prepared it
    assert 'data-indicator="LIB.COPIES_ADDED"' in html and 'data-value="350"' in html
    assert 'data-figure="LIB.COPIES_ADDED|TVH-A"' in html
    assert "Trưng bày sách về Bác Hồ" in html and "Giới thiệu sách Quốc khánh" in html
    assert "Sách năm mới" not in html
    assert "19/05/2019" in html


def test_a_report_before_the_period_ends_marks_its_estimates(app, setup, data):
    setup["TVT"].go_live = dt.date(2019, 1, 1)   # 2019 recorded in full
    data.copies(setup["TVT"], day(2019, 5, 5), 60)
    data.copies(setup["TVT"], day(2020, 2, 1), 100)
    doc = reports.build_report(setup["plan"], "half_year", 2020, parse_scope("province"), user=setup["manager"],
                               today=dt.date(2020, 3, 31))
    assert doc["period"] == {"start": "2020-01-01", "end": "2020-06-30"} and doc["due"] == "2020-06-20"
    assert doc["estimate"] is True and doc["as_of"] == "2020-03-31"
    row = next(i for i in doc["indicators"] if i["indicator"] == "LIB.COPIES_ADDED")
    # TVT's 2019 had 300 by 31 March out of 360 in the first half: 100 × 360 / 300 = 120 (projected per
    # institution: TVH-A's copies of April 2019 are its own, and it has none this year).
    assert row["value"] == 100 and row["total"] == 120 and row["estimate"] == 20
    assert row["projection"] == {"value": 120, "method": "same_part_of_year", "years": [2019]}
    final = reports.build_report(setup["plan"], "half_year", 2019, parse_scope("province"), user=setup["manager"],
                                 today=dt.date(2020, 3, 31))
    assert final["estimate"] is False
    assert all(i["estimate"] is None for i in final["indicators"])


def test_estimates_are_marked_in_the_files(app, setup, data):
    data.copies(setup["TVT"], day(2020, 2, 1), 100)
    from ilms.stats import exports
    doc = reports.build_report(setup["plan"], "half_year", 2020, parse_scope("province"), user=setup["manager"],
                               today=dt.date(2020, 3, 31))
    with app.test_request_context():
        book = openpyxl.load_workbook(io.BytesIO(exports.report_xlsx(doc)))
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(exports.report_pdf(doc))).pages)
    cells = [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value is not None]
    assert any("(est.)" in c or "ước tính" in c for c in cells)
    assert "113" in text and ("(est.)" in text or "ước tính" in text)


def test_freezing_keeps_the_figures_and_revisions_show_corrections(app, client, setup, data):
    plan = setup["plan"]
    login(client, "sep")
    url = f"/stats/reports/{plan.id}/annual/2019"
    response = client.post(url + "/freeze?scope=province", data={"csrf_token": csrf_token(client, url + "?scope=province")})
    assert response.status_code == 302
    snapshot = db.session.query(ReportSnapshot).one()
    assert snapshot.version == 1 and snapshot.frozen_by_id == setup["manager"].id and snapshot.scope == "province"
    frozen = json.loads(snapshot.document)
    assert next(i for i in frozen["indicators"] if i["indicator"] == "LIB.COPIES_ADDED")["value"] == 350

    # A correction: 25 copies of 2019 were entered late.
    data.copies(setup["TVH-A"], day(2019, 10, 10), 25)
    html = client.get(f"/stats/reports/signed/{snapshot.id}").get_data(as_text=True)
    assert 'data-value="350"' in html                                  # the frozen figure stays
    assert 'data-revision="LIB.COPIES_ADDED|TVH-A"' in html
    revisions = reports.revisions(snapshot, user=setup["manager"])
    rows = {(r["section"], r.get("institution") or r.get("group") or ""): r for r in revisions
            if r["indicator"] == "LIB.COPIES_ADDED"}
    assert rows[("indicators", "")]["frozen"] == 350 and rows[("indicators", "")]["current"] == 375
    assert rows[("figures", "TVH-A")]["difference"] == 25
    assert rows[("groups", "district_library")]["difference"] == 25
    # the signed-off files carry the frozen figures and the revisions
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/stats/reports/signed/{snapshot.id}.xlsx").data))
    last = book.worksheets[-1]
    assert [c.value for c in next(last.iter_rows(min_row=2, max_row=2))][3:6] == [350, 375, 25]
    live = client.get(f"/stats/reports/{plan.id}/annual/2019?scope=province").get_data(as_text=True)
    assert 'data-value="375"' in live                                   # the live report moves on

    # Sending it again needs a reason, and makes version 2
    again = client.post(url + "/freeze?scope=province", data={"csrf_token": csrf_token(client, url + "?scope=province")},
                        follow_redirects=True)
    assert again.status_code == 200
    assert db.session.query(ReportSnapshot).count() == 1
    client.post(url + "/freeze?scope=province", data={"csrf_token": csrf_token(client, url + "?scope=province"),
                                                      "note": "Bổ sung 25 bản nhập muộn"})
    assert [s.version for s in db.session.query(ReportSnapshot).order_by(ReportSnapshot.version)] == [1, 2]


def test_who_may_see_and_freeze_which_report(app, client, setup):
    plan = setup["plan"]
    login(client, "thuthu")
    own = f"/stats/reports/{plan.id}/annual/2019?scope=inst:TVH-A"
    assert client.get(own).status_code == 200
    assert client.get(f"/stats/reports/{plan.id}/annual/2019?scope=province").status_code == 403
    assert client.get(f"/stats/reports/{plan.id}/annual/2019.xlsx?scope=inst:TVH-B").status_code == 403
    response = client.post(f"/stats/reports/{plan.id}/annual/2019/freeze?scope=inst:TVH-A",
                           data={"csrf_token": csrf_token(client, own)})
    assert response.status_code == 403
    assert db.session.query(ReportSnapshot).count() == 0
    listing = client.get(f"/stats/reports?plan={plan.id}&year=2019").get_data(as_text=True)
    assert "inst:TVH-A" in listing and "inst:TVH-B" not in listing and "province" not in listing


def test_report_requests_outside_the_plan_are_refused_plainly(app, client, setup):
    plan = setup["plan"]
    login(client, "sep")
    # a year outside the plan is the report of that year under the plans in force (none: the figures alone)
    assert client.get(f"/stats/reports/{plan.id}/annual/2030?scope=province").status_code == 200
    assert client.get(f"/stats/reports/{plan.id}/monthly/2019").status_code == 404
    assert client.get(f"/stats/reports/{plan.id}/annual/2019?scope=kind:museum").status_code == 400
    assert client.get(f"/stats/reports/{plan.id}/annual/2019.doc").status_code == 404


def test_institution_report_shows_its_own_targets(app, setup):
    doc = reports.build_report(setup["plan"], "annual", 2019, parse_scope("inst:TVH-A"), user=setup["librarian"])
    assert doc["institution"] == "TVH-A" and doc["groups"] == [] and doc["figures"] == []
    [each] = [t for t in doc["targets"] if t["indicator"] == "LIB.COPIES_ADDED"]
    assert each["scope"] == "each" and each["not_meeting"] == ["TVH-A"]       # 50 < 500
    assert [a["rows"] for a in doc["activities"]] == [[["02/09/2019", "TVH-A", "Giới thiệu sách Quốc khánh"]]]


def test_revisions_name_where_a_figure_changed(app):
    from ilms.stats import exports
    with app.test_request_context():
        where = exports.revision_where({"group": ("provincial_library", "district_library")})
        assert "Thư viện tỉnh" in where and "Thư viện huyện" in where
        assert exports.revision_where({"institution": "TVH-A"}) == "TVH-A"
        assert exports.revision_where({"level": "commune"}) == "Cấp Xã"
