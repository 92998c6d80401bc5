"""The manager's year at a glance on the home page: targets with projections, the next report, data gaps."""
import datetime as dt
import re
from pathlib import Path

import pytest

from ilms.common.time import local_today
from ilms.extensions import db
from ilms.stats import cache as figure_cache
from ilms.stats import services
from ilms.stats.glance import month_ranges, year_at_a_glance
from tests.conftest import login

TEST_PLAN = Path(__file__).with_name("data") / "plan-2021-2025.yaml"


def _plan_for(year):
    """The tests' plan moved to run from this year on (same targets, same due days)."""
    text = TEST_PLAN.read_text(encoding="utf-8").replace("TEST/2021-2025", f"TEST/{year}")
    return services.load_plan(text.replace("2021", str(year)).replace("2025", str(year + 4)))


def _text(html):
    """What a reader (or a screen reader) gets from the HTML: tags removed, nothing added."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def year_data(app, factories, province, data):
    today = local_today()
    for month in range(1, today.month):
        data.copies(province["TVT"], dt.date(today.year, month, 5), 2)
    if today.month > 1:
        data.copies(province["TVH-A"], dt.date(today.year, 1, 10), 1)
    data.copies(province["TVT"], dt.date(today.year - 1, 3, 3), 30)          # an earlier year to project from
    manager = factories.user("sep", role="manager")
    db.session.commit()
    return {"today": today, "manager": manager, **province}


def test_the_glance_has_targets_with_projections_the_next_report_and_the_gaps(app, year_data, data):
    today = year_data["today"]
    plan = _plan_for(today.year)
    db.session.commit()
    glance = year_at_a_glance(year_data["manager"], today=today)

    copies = next(line for line in glance.targets if line.row.target.indicator == "LIB.COPIES_ADDED"
                  and line.row.target.scope == "sum")
    assert copies.row.row["value"] == 2 * (today.month - 1)
    if today < dt.date(today.year, 12, 31):
        assert copies.projected is not None and copies.projected >= copies.row.row["value"]
        assert copies.projected_status == copies.row.target.status(copies.projected)
    each = next(line for line in glance.targets if line.row.target.scope == "each")
    assert each.of == 2 and 0 <= each.meeting <= 2

    dues = sorted(d for d in (dt.date(today.year, 6, 20), dt.date(today.year, 11, 30),
                              dt.date(today.year + 1, 6, 20)) if d >= today)
    assert glance.next_report.due == dues[0] and glance.next_report.plan.id == plan.id
    assert glance.next_report.days == (dues[0] - today).days

    months = [f"{today.year}-{m:02d}" for m in range(1, today.month)]
    assert glance.months == months
    gaps = {inst.code: missing for inst, missing in glance.missing}
    assert "TVT" not in gaps and "BTT" not in gaps       # the museum has nothing these indicators count
    if months:
        assert gaps["TVH-B"] == months
        assert gaps.get("TVH-A", []) == months[1:]
        assert [inst.code for inst, _m in glance.missing][0] == "TVH-B"         # most gaps first

        # kept in the figure cache, renewed as soon as the institution's data changes
        cache = figure_cache.figure_cache()
        hits = cache.hits
        year_at_a_glance(year_data["manager"], today=today)
        assert cache.hits > hits
        data.copies(year_data["TVH-B"], dt.date(today.year, 1, 20), 1)
        again = {inst.code: missing for inst, missing in year_at_a_glance(year_data["manager"], today=today).missing}
        assert again.get("TVH-B", []) == months[1:]


def test_the_home_card_shows_the_year_and_keeps_labels_apart_from_numbers(app, client, year_data):
    today = year_data["today"]
    login(client, "sep")
    html = client.get("/").get_data(as_text=True)
    panel = html[html.index("stats-panel"):]
    panel = panel[:panel.index("</section>")]
    # no plan in force: the main figures, each label followed by a space before its number
    assert re.search(r"Bản sách bổ sung \d", _text(panel))
    assert "Không có báo cáo nào đến hạn" in _text(panel) or "No report is due" in panel
    if today.month > 1:
        assert 'data-missing="TVH-B"' in panel and 'data-missing="TVT"' not in panel
        gap = re.search(r'data-missing="TVH-B">([^<]+)<', panel).group(1)
        assert gap.endswith(", ".join(month_ranges([f"{today.year}-{m:02d}" for m in range(1, today.month)])))

    _plan_for(today.year)
    db.session.commit()
    panel = client.get("/").get_data(as_text=True)
    panel = panel[panel.index("stats-panel"):]
    assert 'data-testid="next-report"' in panel and "Báo cáo" in _text(panel[panel.index("next-report"):][:600])
    assert 'data-target="LIB.COPIES_ADDED"' in panel and "data-status" in panel
    if today < dt.date(today.year, 12, 31):
        assert "data-projected" in panel


def test_gaps_are_said_as_runs_of_months():
    assert month_ranges(["2026-01", "2026-02", "2026-03", "2026-05", "2026-07", "2026-08"]) == [
        "01–03/2026", "05/2026", "07–08/2026"]
    assert month_ranges(["2026-11"]) == ["11/2026"] and month_ranges([]) == []
