"""The indicator page: values, targets and statuses in words, last year, projections, groups, staff scope."""
import datetime as dt
import re

import pytest

from ilms.common.time import Period
from ilms.stats import pages
from ilms.stats.scope import Scope, parse_scope
from tests.conftest import login, shared_path
from tests.stats.conftest import day, year

PLAN = shared_path("plan", "lai-chau-1133-2015.yaml")


@pytest.fixture
def manager(app, factories):
    return factories.user("sep", role="manager")


@pytest.fixture
def filled(app, runner, province, data):
    """2019: TVT acquires 3,500 copies (within 3,000–4,000); TVH-A 600 (meets 500–1,000), TVH-B 120."""
    assert runner.invoke(args=["plan", "load", str(PLAN)]).exit_code == 0
    data.copies(province["TVT"], day(2019, 3, 2), 1000)
    data.copies(province["TVT"], day(2019, 12, 31), 1000)
    data.copies(province["TVT"], day(2019, 7, 1), 1000)
    data.copies(province["TVT"], day(2019, 8, 1), 500, source="donation")
    data.copies(province["TVH-A"], day(2019, 5, 2), 600)
    data.copies(province["TVH-B"], day(2019, 5, 2), 120)
    data.copies(province["TVH-B"], day(2019, 1, 1), 7, source="transfer")    # moves, not acquisitions
    data.copies(province["TVT"], day(2018, 4, 4), 2000)
    data.visits(province["TVH-A"], day(2019, 2, 1), 30)
    return province


def _values(html, attr):
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        attr + r'="([^"]+)"[^>]*>\s*(?:<[^>]+>\s*)*<a class="fig"[^>]*data-value="(\d+)"', html)}


def test_manager_sees_the_year_against_the_plan(app, client, manager, filled):
    login(client, "sep")
    html = client.get("/stats/?year=2019").get_data(as_text=True)
    assert "Thư viện tỉnh" in html
    row = re.search(r'data-target="LIB.COPIES_ADDED\|kind:provincial_library\|sum">(.*?)</tr>', html, re.S).group(1)
    assert 'data-value="3500"' in row and 'data-status="within"' in row
    assert "3.000–4.000" in row and "2.000" in row          # the range, and 2018's 2,000
    each = re.search(r'data-target="LIB.COPIES_ADDED\|kind:district_library\|each">(.*?)</tr>', html, re.S).group(1)
    assert 'data-status="below"' in each and "TVH-B" in each and "TVH-A" not in each
    visits = re.search(r'data-target="LIB.VISITS\|kind:district_library\|sum">(.*?)</tr>', html, re.S).group(1)
    assert 'data-value="30"' in visits and 'data-status="below"' in visits
    # statuses in words too, not only colour
    assert "đạt chỉ tiêu" in html and "chưa đạt chỉ tiêu" in html
    # the target whose indicator no module computes yet is listed, said plainly
    assert "LIB.PERIODICAL_TITLES" in html
    # every figure opens its records
    assert "/stats/records/LIB.COPIES_ADDED?scope=kind:provincial_library&amp;year=2019" in html
    assert "<svg" in html and "stroke-dasharray" in html   # monthly chart with last year dashed
    assert "Mua" in html or "Purchase" in html             # breakdown by source, in words


def test_group_and_institution_scopes(app, manager, filled):
    page = pages.build_page(year(2019), parse_scope("kind:district_library"), user=manager)
    copies = next(r for r in page.rows if r.code == "LIB.COPIES_ADDED")
    assert copies.value == 720 and copies.last_value == 0
    codes = {(t.target.indicator, t.target.scope) for t in page.targets}
    assert ("LIB.COPIES_ADDED", "each") in codes and ("LIB.VISITS", "sum") in codes
    assert not any(t.target.kind_list == ["provincial_library"] for t in page.targets)
    one = pages.build_page(year(2019), Scope("inst", "TVH-B"), user=manager)
    target = next(t for t in one.targets if t.target.indicator == "LIB.COPIES_ADDED")
    assert target.row["status"] == "below" and target.row["not_meeting"] == ["TVH-B"]
    assert [r.value for r in one.rows if r.code == "LIB.HOLDINGS"] == [127]   # transfers are held


def test_current_year_shows_a_projection_and_its_chance(app, manager, filled, data):
    tvt = filled["TVT"]
    tvt.go_live = dt.date(2018, 1, 1)       # recorded in full since 2018 (set by an administrator)
    data.copies(tvt, day(2020, 2, 1), 900)
    page = pages.build_page(year(2020), parse_scope("province"), user=manager, today=dt.date(2020, 3, 31))
    assert page.as_of == dt.date(2020, 3, 31)
    target = next(t for t in page.targets if t.target.indicator == "LIB.COPIES_ADDED" and t.target.scope == "sum"
                  and t.target.kind_list == ["provincial_library"])
    # 2019: 1,000 by 31 March of 3,500; 2018: 0 of 2,000. Point: 900 / (1,000 / 5,500) = 4,950.
    assert target.projection.projected == 4950 and target.projection.method == "same_part_of_year"
    assert target.projection.years == [2018, 2019]
    assert target.chance and "31/12/2020" in target.chance
    assert target.last_row["value"] == 1000        # the same period (to 31 March) of 2019


def test_staff_see_their_own_institution_only(app, client, factories, filled):
    factories.user("thuthu", role="librarian", institution=filled["TVH-A"])
    login(client, "thuthu")
    own = client.get("/stats/?year=2019")
    assert own.status_code == 200
    assert "Thư viện huyện A" in own.get_data(as_text=True)
    assert client.get("/stats/?year=2019&scope=inst:TVH-B").status_code == 403
    assert client.get("/stats/?year=2019&scope=province").status_code == 403
    assert client.get("/stats/?year=2019&scope=kind:district_library").status_code == 403


def test_bad_input_gets_a_clear_message(app, client, manager, filled):
    login(client, "sep")
    for url in ("/stats/?year=abc", "/stats/?from=2024-05-01&to=2024-01-01", "/stats/?scope=planet:mars",
                "/stats/?from=2024-01-01"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/stats/?scope=inst:NOPE").status_code == 404


def test_any_period_not_only_a_year(app, client, manager, filled):
    login(client, "sep")
    html = client.get("/stats/?from=2019-05-01&to=2019-07-31&scope=inst:TVT").get_data(as_text=True)
    assert 'data-indicator="LIB.COPIES_ADDED"' in html
    row = re.search(r'data-indicator="LIB.COPIES_ADDED">(.*?)</tr>', html, re.S).group(1)
    assert 'data-value="1000"' in row   # 1 July only


def test_dashboard_panel_and_navigation(app, client, manager, filled):
    login(client, "sep")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/stats/"' in html
    assert "stats-panel" in html
    panel = html[html.index("stats-panel"):]
    assert 'data-target="LIB.COPIES_ADDED"' not in panel or "data-status" in panel


def test_desk_staff_have_no_indicator_pages(app, client, factories, province):
    factories.user("quay", role="desk", institution=province["TVT"])
    login(client, "quay")
    assert client.get("/stats/").status_code == 403
    assert "stats-panel" not in client.get("/").get_data(as_text=True)
