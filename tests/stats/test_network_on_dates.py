"""A network that changes on dates (issue 25): figures of a year spanning a reorganisation count the
days before it under the old structure and the days after under the new, a year before it keeps its
figures, a frozen report never changes, and staff scope follows the date."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from ilms.common.checks import checks
from ilms.common.errors import DomainError
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.extensions import db
from ilms.org import history
from ilms.org import services as org
from ilms.org.models import Institution, InstitutionVersion
from ilms.stats import registry, reports, services
from ilms.stats.scope import parse_scope
from tests.stats.conftest import VISITS

KINDS = frozenset({"provincial_library", "district_library", "commune_library", "postal_cultural_point"})
JULY_1 = dt.date(2025, 7, 1)


def _readers(period, ids):
    """Distinct reader keys over a set of institutions (an indicator with its own ``group``)."""
    rows = db.session.execute(sa.select(VISITS.c.institution_id, sa.func.count(sa.distinct(VISITS.c.reader_key)))
                              .where(VISITS.c.institution_id.in_(list(ids)),
                                     VISITS.c.day.between(period.start, period.end))
                              .group_by(VISITS.c.institution_id))
    return {inst: n for inst, n in rows}


def _readers_group(period, ids):
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(VISITS.c.reader_key))).where(
        VISITS.c.institution_id.in_(list(ids)), VISITS.c.day.between(period.start, period.end))) or 0


def _visits(period, ids):
    rows = db.session.execute(sa.select(VISITS.c.institution_id, sa.func.count()).where(
        VISITS.c.institution_id.in_(list(ids)), VISITS.c.day.between(period.start, period.end))
        .group_by(VISITS.c.institution_id))
    return {inst: n for inst, n in rows}


@pytest.fixture
def net(app, factories, indicators, monkeypatch):
    """Former district A (communes X and Y) and the merged commune M of 1 July 2025.

    Before 1 July 2025: the district library TVH-A stands under the district cultural centre; the
    postal point DBD-X (commune X) and DBD-Y (commune Y) are units of TVH-A. On 1 July 2025 (the
    reorganisation): TVH-A becomes a branch of the provincial library; DBD-X becomes the commune
    library of the merged commune M ("Thư viện xã Mới"), no longer in a district; DBD-Y becomes a
    unit of the provincial library.
    """
    monkeypatch.setitem(registry._REGISTRY, "T.VISITS", registry.Indicator(
        code="T.VISITS", name_vi="Lượt", name_en="Visits", kinds=KINDS, compute=_visits))
    monkeypatch.setitem(registry._REGISTRY, "T.READERS", registry.Indicator(
        code="T.READERS", name_vi="Bạn đọc", name_en="Readers", kinds=KINDS, compute=_readers,
        group=_readers_group, distinct=True))
    for name in list(registry._REGISTRY):
        if not name.startswith("T."):
            monkeypatch.delitem(registry._REGISTRY, name)
    for code, name, level, district in (("HA", "Huyện A", "district", None), ("HA-X", "Xã X", "commune", "HA"),
                                        ("HA-Y", "Xã Y", "commune", "HA"), ("XM", "Xã Mới", "commune", None)):
        org.upsert_area(actor=SYSTEM, code=code, name=name, level=level, district=district)
    db.session.commit()
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh")
    centre = factories.institution("TTVH-A", kind="cultural_center", district_code="HA",
                                   name="Trung tâm Văn hóa huyện A")
    tvh = factories.institution("TVH-A", parent=centre, district_code="HA", name="Thư viện huyện A")
    dx = factories.institution("DBD-X", kind="postal_cultural_point", parent=tvh, commune_code="HA-X",
                               name="Điểm BĐVH xã X")
    dy = factories.institution("DBD-Y", kind="postal_cultural_point", parent=tvh, commune_code="HA-Y",
                               name="Điểm BĐVH xã Y")
    return {"TVT": tvt, "TTVH-A": centre, "TVH-A": tvh, "DBD-X": dx, "DBD-Y": dy}


def _visit(inst, day, count, prefix):
    db.session.execute(VISITS.insert(), [{"institution_id": inst.id, "day": day,
                                          "reader_key": f"{prefix}{n}", "patron_id": None}
                                         for n in range(count)])
    db.session.commit()


@pytest.fixture
def year_of_visits(net):
    n = net
    _visit(n["TVH-A"], dt.date(2025, 2, 1), 10, "a")
    _visit(n["TVH-A"], dt.date(2025, 10, 1), 20, "a")       # a0..a19: 20 distinct readers in the year
    _visit(n["DBD-X"], dt.date(2025, 3, 10), 3, "x")
    _visit(n["DBD-X"], dt.date(2025, 9, 10), 5, "x")
    _visit(n["DBD-Y"], dt.date(2025, 5, 1), 2, "y")
    _visit(n["DBD-Y"], dt.date(2025, 8, 1), 4, "y")         # y0, y1 come back after 1 July
    _visit(n["TVT"], dt.date(2025, 6, 30), 7, "t")
    _visit(n["TVT"], JULY_1, 1, "t")
    _visit(n["DBD-X"], dt.date(2024, 4, 4), 6, "x")         # a year before the change
    _visit(n["TVH-A"], dt.date(2024, 4, 4), 4, "a")
    return n


def _reorganise(n, today=dt.date(2025, 6, 30)):
    return history.apply_batch(JULY_1, [
        {"code": "TVH-A", "parent": "TVT"},
        {"code": "DBD-X", "kind": "commune_library", "name": "Thư viện xã Mới", "commune_code": "XM",
         "district_code": "", "parent": "TVT"},
        {"code": "DBD-Y", "parent": "TVT"},
    ], actor=SYSTEM, note="Sắp xếp lại ngày 1/7/2025", today=today)


def _groups(doc, code):
    return {row.get("group") or row.get("level"): row["value"] for row in doc["groups"] if row["indicator"] == code}


def _figures(doc, code):
    return {row["institution"]: row["value"] for row in doc["figures"] if row["indicator"] == code}


def test_a_year_spanning_the_reorganisation_counts_each_half_under_its_structure(app, year_of_visits):
    n = year_of_visits
    _reorganise(n)
    db.session.commit()
    today = dt.date(2026, 3, 1)
    doc = services.indicator_document(Period.year(2025), today=today)
    # by institution: its own visits, whatever it belonged to
    assert _figures(doc, "T.VISITS") == {"DBD-X": 8, "DBD-Y": 6, "TVH-A": 30, "TVT": 8}
    # by group: DBD-X is a postal point until 30 June (3 visits), a commune library from 1 July (5)
    assert _groups(doc, "T.VISITS") == {"commune_library": 5, "district_library": 30,
                                        "postal_cultural_point": 3 + 6, "provincial_library": 8}
    # distinct readers: groups whose members never changed are counted in one piece (a0..a19: 20);
    # the postal points' group changed, so each half is counted under its own members and added:
    # first half x0..x2 + y0, y1 = 5, second half y0..y3 = 4 (y0, y1 count in both halves)
    assert _groups(doc, "T.READERS") == {"commune_library": 5, "district_library": 20,
                                         "postal_cultural_point": 5 + 4, "provincial_library": 7}
    # by area: the commune X held DBD-X until 30 June, the merged commune M from 1 July
    x = services.indicator_document(Period.year(2025), scope=parse_scope("commune:HA-X"), today=today)
    assert _figures(x, "T.VISITS") == {"DBD-X": 3} and _groups(x, "T.VISITS") == {"postal_cultural_point": 3}
    m = services.indicator_document(Period.year(2025), scope=parse_scope("commune:XM"), today=today)
    assert _figures(m, "T.VISITS") == {"DBD-X": 5} and _groups(m, "T.VISITS") == {"commune_library": 5}
    district = services.indicator_document(Period.year(2025), scope=parse_scope("district:HA"), today=today)
    assert _figures(district, "T.VISITS") == {"DBD-X": 3, "DBD-Y": 6, "TVH-A": 30}
    assert sum(_groups(district, "T.VISITS").values()) == 39
    # one institution: all of its own figures
    one = services.indicator_document(Period.year(2025), scope=parse_scope("inst:DBD-X"), today=today)
    assert _figures(one, "T.VISITS") == {"DBD-X": 8}
    # each half alone reads one structure
    first = services.indicator_document(Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30)), today=today)
    assert _groups(first, "T.VISITS") == {"district_library": 10, "postal_cultural_point": 5,
                                          "provincial_library": 7}
    second = services.indicator_document(Period(JULY_1, dt.date(2025, 12, 31)), today=today)
    assert _groups(second, "T.VISITS") == {"commune_library": 5, "district_library": 20,
                                           "postal_cultural_point": 4, "provincial_library": 1}


def test_a_year_before_the_change_keeps_its_figures(app, year_of_visits):
    today = dt.date(2026, 3, 1)
    before = services.indicator_document(Period.year(2024), today=today)
    area_before = services.indicator_document(Period.year(2024), scope=parse_scope("commune:HA-X"), today=today)
    _reorganise(year_of_visits, today=dt.date(2026, 1, 1))     # today's rows hold the new structure
    db.session.commit()
    after = services.indicator_document(Period.year(2024), today=today)
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    assert _groups(after, "T.VISITS") == {"district_library": 4, "postal_cultural_point": 6,
                                          "provincial_library": 0}
    assert services.indicator_document(Period.year(2024), scope=parse_scope("commune:HA-X"),
                                       today=today) == area_before
    # today's rows hold the new structure
    assert year_of_visits["DBD-X"].kind.value == "commune_library"


def test_a_report_frozen_before_the_change_is_byte_identical_after_it(app, year_of_visits, factories):
    admin = factories.user(role="admin")
    snapshot = reports.freeze_report(None, "annual", 2025, parse_scope("province"), actor=admin,
                                     today=dt.date(2025, 6, 30))
    db.session.commit()
    stored = db.session.scalar(sa.select(sa.text("document")).select_from(sa.text("report_snapshots"))
                               .where(sa.text("id = :id")).params(id=snapshot.id))
    _reorganise(year_of_visits)
    db.session.commit()
    db.session.expire_all()
    again = db.session.scalar(sa.select(sa.text("document")).select_from(sa.text("report_snapshots"))
                              .where(sa.text("id = :id")).params(id=snapshot.id))
    assert again.encode() == stored.encode()
    assert "postal_cultural_point" in again


def test_staff_scope_on_each_side_of_the_date(app, year_of_visits):
    n = year_of_visits
    _reorganise(n, today=dt.date(2025, 6, 30))         # recorded ahead of its day
    db.session.commit()
    assert org.scope_ids(n["TVH-A"].id) == {n["TVH-A"].id, n["DBD-X"].id, n["DBD-Y"].id}
    assert org.scope_ids(n["TVT"].id) == {n["TVT"].id}
    assert n["DBD-X"].name == "Điểm BĐVH xã X"
    changed = history.apply_due(today=JULY_1)              # the morning of 1 July
    db.session.commit()
    assert set(changed) == {n["TVH-A"].id, n["DBD-X"].id, n["DBD-Y"].id}
    assert org.scope_ids(n["TVH-A"].id) == {n["TVH-A"].id}
    # the point is a unit of the provincial library now; the commune library is independent
    assert org.scope_ids(n["TVT"].id) == {n["TVT"].id, n["DBD-Y"].id}
    assert org.scope_ids(n["DBD-X"].id) == {n["DBD-X"].id}
    assert n["DBD-X"].name == "Thư viện xã Mới" and n["DBD-X"].commune_code == "XM"


def test_batch_preview_then_apply_all_or_nothing(app, net):
    preview = history.preview_batch("2025-07-01", [
        {"code": "TVH-A", "parent": "TVT"},
        {"code": "DBD-X", "kind": "commune_library", "commune_code": "XM"},
    ])
    assert [line.error for line in preview] == ["", ""]
    assert preview[0].before == {"parent_id": net["TTVH-A"].id} and preview[0].after == {"parent_id": net["TVT"].id}
    assert preview[1].after["kind"].value == "commune_library" and preview[1].after["commune_code"] == "XM"
    assert db.session.scalar(sa.select(sa.func.count(InstitutionVersion.id))) == 0   # nothing written
    bad = [{"code": "TVH-A", "parent": "TVT"}, {"code": "DBD-X", "level": "province"},
           {"code": "NOPE", "name": "X"}, {"code": "DBD-Y"}]
    lines = history.preview_batch(JULY_1, bad)
    assert lines[0].error == ""
    assert lines[1].error and "NOPE" in lines[2].error and lines[3].error
    assert lines[1].after == {} and lines[3].after == {}
    with pytest.raises(DomainError) as refused:
        history.apply_batch(JULY_1, bad, actor=SYSTEM, today=dt.date(2025, 6, 1))
    assert "NOPE" in str(refused.value.message)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(InstitutionVersion.id))) == 0
    assert db.session.get(Institution, net["TVH-A"].id).parent_id == net["TTVH-A"].id
    with pytest.raises(DomainError):
        history.preview_batch("1/7/2025", [])


def test_versions_cover_all_time_and_flask_check_finds_overlaps(app, net):
    _reorganise(net, today=dt.date(2026, 1, 1))
    db.session.commit()
    versions = history.versions_of(net["DBD-X"].id)
    assert [(v.valid_from, v.valid_to, v.kind.value) for v in versions] == [
        (None, dt.date(2025, 6, 30), "postal_cultural_point"), (JULY_1, None, "commune_library")]
    assert history.overlap_problems() == []
    # a later change must come after the last one
    with pytest.raises(DomainError):
        history.record_change(net["DBD-X"], JULY_1, actor=SYSTEM, name="Khác")
    versions[0].valid_to = dt.date(2025, 8, 1)            # now they overlap
    db.session.commit()
    problems = history.overlap_problems()
    assert len(problems) == 1 and "DBD-X" in problems[0] and "overlap" in problems[0]
    registered = {c.name: c for c in checks()}["institution versions"]   # what `flask check` runs
    assert registered.run() == problems


def test_a_change_recorded_ahead_reaches_the_record_on_its_day_by_repair(app, net):
    _reorganise(net, today=dt.date(2025, 6, 30))
    db.session.commit()
    # the real today is after 1 July 2025: the rows are behind, flask check says so and repair applies them
    problems = history.overlap_problems()
    assert len(problems) == 3 and all("repair" in p for p in problems)
    registered = {c.name: c for c in checks()}["institution versions"]
    assert "3 institution" in registered.repair()
    db.session.commit()
    assert history.overlap_problems() == []
    assert net["DBD-X"].kind.value == "commune_library"


def test_the_network_on_a_day_names_the_institution_of_that_time(app, net):
    _reorganise(net, today=dt.date(2026, 1, 1))
    db.session.commit()
    then = {i.code: i for i in history.network_on(dt.date(2025, 6, 30))}
    now = {i.code: i for i in history.network_on(JULY_1)}
    assert then["DBD-X"].name == "Điểm BĐVH xã X" and then["DBD-X"].renamed == "Thư viện xã Mới"
    assert now["DBD-X"].renamed is None
    assert then["TVH-A"].parent_id == net["TTVH-A"].id and now["TVH-A"].parent_id == net["TVT"].id


def test_reports_of_each_year_read_the_structure_of_their_days(app, year_of_visits, factories):
    admin = factories.user(role="admin")
    province = parse_scope("province")
    before_2024 = reports.build_report(None, "annual", 2024, province, user=admin, today=dt.date(2026, 3, 1))
    _reorganise(year_of_visits, today=dt.date(2026, 1, 1))
    db.session.commit()
    after_2024 = reports.build_report(None, "annual", 2024, province, user=admin, today=dt.date(2026, 3, 1))
    assert after_2024 == before_2024
    doc = reports.build_report(None, "annual", 2025, province, user=admin, today=dt.date(2026, 3, 1))
    groups = {r["group"]: r["value"] for r in doc["groups"] if r["indicator"] == "T.VISITS"}
    assert groups == {"commune_library": 5, "district_library": 30, "postal_cultural_point": 9,
                      "provincial_library": 8}
    readers = [r["value"] for r in doc["indicators"] if r["indicator"] == "T.READERS"]
    # the province's members never changed: one distinct count over the year (a20 + x8 + y4 + t7)
    assert readers == [20 + 5 + 4 + 7]
    area = reports.build_report(None, "annual", 2025, parse_scope("commune:XM"), user=admin,
                                today=dt.date(2026, 3, 1))
    assert [r["value"] for r in area["indicators"] if r["indicator"] == "T.VISITS"] == [5]
    # the commune X held DBD-X until 30 June only: its report shows that half, though no one is there today
    x = reports.build_report(None, "annual", 2025, parse_scope("commune:HA-X"), user=admin,
                             today=dt.date(2026, 3, 1))
    assert [(r["institution"], r["value"]) for r in x["figures"] if r["indicator"] == "T.VISITS"] == [("DBD-X", 3)]
    old_x = reports.build_report(None, "annual", 2024, parse_scope("commune:HA-X"), user=admin,
                                 today=dt.date(2026, 3, 1))
    assert [(r["institution"], r["value"]) for r in old_x["figures"] if r["indicator"] == "T.VISITS"] == [("DBD-X", 6)]


def test_the_page_shows_the_period_s_structure_and_says_when_it_changed(app, client, year_of_visits, factories):
    from ilms.stats.pages import build_page
    from tests.conftest import login
    _reorganise(year_of_visits, today=dt.date(2026, 1, 1))
    db.session.commit()
    admin = factories.user("quantri", role="admin")
    page = build_page(Period.year(2025), parse_scope("province"), user=admin, today=dt.date(2026, 3, 1))
    assert page.changes == [JULY_1]
    row = next(r for r in page.rows if r.code == "T.VISITS")
    assert row.value == 52 and row.last_value == 10
    assert {key: value for key, _label, _ids, value in row.groups} == {
        "commune_library": 5, "district_library": 30, "postal_cultural_point": 9, "provincial_library": 8}
    x = build_page(Period.year(2025), parse_scope("commune:HA-X"), user=admin, today=dt.date(2026, 3, 1))
    assert [(i.code, v) for i, v in next(r for r in x.rows if r.code == "T.VISITS").institutions] == [("DBD-X", 3)]
    login(client, "quantri")
    html = client.get("/stats/?year=2025").get_data(as_text=True)
    assert 'data-testid="network-changed"' in html and "01/07/2025" in html
    assert 'value="commune:HA-X"' in html and 'value="commune:XM"' in html    # past and present areas
    old = client.get("/stats/?year=2024&scope=commune:HA-X")
    assert old.status_code == 200
    text = old.get_data(as_text=True)
    # the names of 2024, today's in brackets
    assert "Điểm BĐVH xã X (Thư viện xã Mới)" in text and 'data-testid="network-changed"' not in text
