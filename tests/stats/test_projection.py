"""Projections to the period's end: the same months of earlier years, or the pace so far; the chance, said plainly."""
import datetime as dt

from ilms.common.time import Period
from ilms.stats import registry
from ilms.extensions import db
from ilms.stats.engine import Engine, extrapolate, months_of, projection_rule
from ilms.stats.pages import chance_sentence
from tests.stats.conftest import day, year

FLOW = registry.Indicator(code="LIB.LOANS", name_vi="Lượt mượn", name_en="Loans", kinds=frozenset(),
                          compute=lambda p, ids: {})
STOCK = registry.Indicator(code="LIB.HOLDINGS", name_vi="Vốn", name_en="Holdings", kinds=frozenset(),
                           compute=lambda p, ids: {})
SHARE = registry.Indicator(code="LIB.INTERNET_CONNECTED", name_vi="Kết nối", name_en="Connected",
                           kinds=frozenset(), unit="percent", compute=lambda p, ids: {})


ACTIVE = registry.Indicator(code="LIB.ACTIVE_READERS", name_vi="Bạn đọc hoạt động", name_en="Active readers",
                            kinds=frozenset(), distinct=True, compute=lambda p, ids: {},
                            group=lambda p, ids: 0)


def test_sums_scale_by_the_share_the_same_part_of_the_year_held():
    # 60 by 30 June; 2023 had 50 by 30 June and 100 in the year, 2022 had 40 and 100.
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 6, 30), 60, [(2023, 50, 100), (2022, 40, 100)])
    assert p.method == "same_part_of_year" and p.years == [2022, 2023]
    assert p.projected == 133          # 60 / (90 / 200) = 133.3
    assert p.outcomes == [120, 150]    # 60 × 100/50, 60 × 100/40
    assert p.remainder == 73
    assert p.as_json() == {"value": 133, "method": "same_part_of_year", "years": [2022, 2023]}


def test_no_full_earlier_year_is_linear_and_not_shown_before_30_days():
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 3, 13), 100, [])
    assert p.method == "linear" and p.years == []
    assert p.projected == 501          # 100 × 366 days / 73 days elapsed = 501.4
    early = extrapolate(FLOW, Period.year(2024), dt.date(2024, 1, 29), 100, [])
    assert not early and early.projected is None and early.method == "too_early"
    assert early.as_json() == {"value": None, "method": "too_early", "years": []}
    assert extrapolate(FLOW, Period.year(2024), dt.date(2024, 1, 30), 100, []).method == "linear"   # day 30


def test_an_earlier_year_with_nothing_in_the_same_part_adds_its_remainder():
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 3, 31), 10, [(2023, 0, 30)])
    assert p.projected == 40 and p.outcomes == [40]


def test_never_below_the_value_to_date():
    # the earlier year ended lower than it stood at that date (a correction): no projection below today
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 9, 30), 500, [(2023, 400, 300)])
    assert p.projected == 500 and p.outcomes == [500]


def test_distinct_figures_follow_their_own_curve_not_a_ratio_of_sums():
    # 2022: 100 readers by 30 June, 120 in the year (ratio 1.2); 2023: 10 by then, 30 in the year (3.0)
    p = extrapolate(ACTIVE, Period.year(2024), dt.date(2024, 6, 30), 200, [(2022, 100, 120), (2023, 10, 30)],
                    curve=True)
    assert p.method == "own_curve" and p.years == [2022, 2023]
    assert p.projected == 420           # 200 × mean(1.2, 3.0); a ratio of sums would say 200 × 150/110 = 273
    assert p.outcomes == [240, 600]


def test_shares_and_stocks_are_not_projected(app, province, data):
    engine = Engine(cached=False)
    stock = engine.project(registry.get("LIB.HOLDINGS"), year(2024), [province["TVT"].id], dt.date(2024, 6, 30))
    assert not stock and stock.method == "not_projected" and stock.as_json()["value"] is None
    assert projection_rule(SHARE) == "none" and projection_rule(STOCK) == "none"
    assert projection_rule(ACTIVE) == "distinct" and projection_rule(FLOW) == "sum"


def test_chance_levels_and_sentences(app):
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 6, 30), 60, [(2023, 50, 100), (2022, 40, 100)])
    assert p.chance(110, 160) == "likely"
    assert p.chance(130, 200) == "uncertain"
    assert p.chance(200, 300) == "unlikely"
    assert p.chance(None, 100) == "over"
    text = chance_sentence(p, 200, 300)
    assert "cần thêm 140" in text and "31/12/2024" in text and "2022, 2023" in text   # 200 − 60 more
    assert "2022, 2023" in chance_sentence(p, 110, 160)
    assert "1 trên 2 năm" in chance_sentence(p, 130, 200)     # commands and tests speak Vietnamese
    early = extrapolate(FLOW, Period.year(2024), dt.date(2024, 1, 10), 5, [])
    assert "30 ngày" in chance_sentence(early, 100, 200)      # why there is no projection


def test_months_are_clipped_to_the_period():
    months = months_of(Period(dt.date(2024, 1, 15), dt.date(2024, 3, 10)))
    assert [m for m, _p in months] == ["2024-01", "2024-02", "2024-03"]
    assert months[0][1] == Period(dt.date(2024, 1, 15), dt.date(2024, 1, 31))
    assert months[-1][1] == Period(dt.date(2024, 3, 1), dt.date(2024, 3, 10))


def test_engine_projects_from_real_records_of_earlier_years(app, province, data):
    tvt = province["TVT"]
    tvt.go_live = dt.date(2021, 1, 1)       # set by an administrator
    db.session.commit()
    for y in (2021, 2022, 2023):
        data.copies(tvt, day(y, 2, 1), 10)    # the first quarter
        data.copies(tvt, day(y, 9, 1), 30)    # the rest of the year
    data.copies(tvt, day(2024, 2, 10), 12)
    indicator = registry.get("LIB.COPIES_ADDED")
    p = Engine().project(indicator, year(2024), [tvt.id], dt.date(2024, 3, 31))
    assert p.method == "same_part_of_year" and p.years == [2021, 2022, 2023]
    assert p.to_date == 12 and p.projected == 48      # 12 × 120 / 30
    none_before = Engine().project(indicator, year(2021), [tvt.id], dt.date(2021, 3, 31))
    assert none_before.method == "linear" and none_before.projected == round(10 * 365 / 90)


def test_a_partly_recorded_earlier_year_is_not_used(app, factories, province):
    """The demo's case: 2025 holds a few weeks of data (go-live in December), so 2026 is projected linearly."""
    from ilms.circulation.models import Tally, TallyKind
    tvt = province["TVT"]
    db.session.add_all([Tally(institution_id=tvt.id, date=dt.date(2025, 12, 10), kind=TallyKind.VISITS, count=50),
                        Tally(institution_id=tvt.id, date=dt.date(2026, 3, 1), kind=TallyKind.VISITS, count=900)])
    db.session.commit()
    indicator = registry.get("LIB.VISITS")
    p = Engine(cached=False).project(indicator, year(2026), [tvt.id], dt.date(2026, 6, 30))
    assert p.method == "linear" and p.years == []
    assert p.projected == round(900 * 365 / 181)        # not 900 × 950 / 0 or 900 × (50 / 50 weeks)
    tvt.go_live = dt.date(2025, 1, 1)                     # an administrator says 2025 was recorded in full
    db.session.commit()
    p = Engine(cached=False).project(indicator, year(2026), [tvt.id], dt.date(2026, 6, 30))
    assert p.method == "same_part_of_year" and p.years == [2025]


def test_a_group_sums_the_projections_of_its_institutions(app, province):
    from ilms.circulation.models import Tally, TallyKind
    a, b = province["TVH-A"], province["TVH-B"]
    rows = [(a, dt.date(2023, 1, 1), 10), (a, dt.date(2023, 3, 5), 10), (a, dt.date(2023, 9, 5), 80),  # 20 by June
            (a, dt.date(2024, 2, 1), 30), (b, dt.date(2024, 5, 1), 50)]                               # b: new
    db.session.add_all([Tally(institution_id=i.id, date=d, kind=TallyKind.VISITS, count=n) for i, d, n in rows])
    db.session.commit()
    indicator = registry.get("LIB.VISITS")
    engine = Engine(cached=False)
    each = engine.project_each(indicator, year(2024), [a.id, b.id], dt.date(2024, 6, 30))
    assert each[a.id].method == "same_part_of_year" and each[a.id].projected == 150   # 30 / (20/100)
    assert each[b.id].method == "linear" and each[b.id].projected == round(50 * 366 / 182)
    group = engine.project(indicator, year(2024), [a.id, b.id], dt.date(2024, 6, 30))
    assert group.method == "mixed" and group.years == [2023]
    assert group.projected == 150 + round(50 * 366 / 182)


def test_distinct_groups_follow_the_groups_own_curve(app, factories, province):
    """Active readers of two libraries: the group's own distinct count, year end over same day."""
    from ilms.stats.models import ReaderDay
    a, b = province["TVH-A"], province["TVH-B"]
    rows = []
    for n in range(10):      # 2023: 10 readers by June at both libraries (same people), 5 more later
        rows += [(f"r{n}", a, dt.date(2023, 1 + n % 5, 3)), (f"r{n}", b, dt.date(2023, 2, 3))]
    rows += [(f"s{n}", a, dt.date(2023, 10, 1)) for n in range(5)]
    rows += [(f"t{n}", a, dt.date(2024, 3, 1)) for n in range(20)]
    rows += [("q", a, dt.date(2022, 12, 30)), ("q", b, dt.date(2022, 12, 30))]   # both live since Dec 2022
    db.session.add_all([ReaderDay(reader_key=k, institution_id=i.id, day=d, month=d.year * 100 + d.month, events=1)
                        for k, i, d in rows])
    db.session.commit()
    indicator = registry.get("LIB.ACTIVE_READERS")
    p = Engine(cached=False).project(indicator, year(2024), [a.id, b.id], dt.date(2024, 6, 30))
    assert p.method == "own_curve" and p.years == [2023]
    assert p.to_date == 20 and p.projected == 30          # 20 × 15/10; visits would be a ratio of 25/20


def test_monthly_values_with_and_without_series_agree_with_compute(app, province, data):
    tvt = province["TVT"]
    data.copies(tvt, day(2024, 1, 31), 2)
    data.copies(tvt, day(2024, 2, 1), 3)
    data.visits(tvt, day(2024, 2, 29), 4)
    engine = Engine(cached=False)
    copies = dict(engine.monthly(registry.get("LIB.COPIES_ADDED"), year(2024), [tvt.id]))   # uses series
    visits = dict(engine.monthly(registry.get("LIB.VISITS"), year(2024), [tvt.id]))         # compute per month
    assert copies["2024-01"] == 2 and copies["2024-02"] == 3 and copies["2024-12"] == 0
    assert visits["2024-02"] == 4 and sum(visits.values()) == 4
    until = dict(engine.monthly(registry.get("LIB.VISITS"), year(2024), [tvt.id], until=dt.date(2024, 2, 10)))
    assert until["2024-02"] == 4 and until["2024-03"] is None


def test_records_dated_later_in_the_period_keep_the_projection_above_the_period_value(app, province):
    """A display planned for December counts in the year's value already: the projection never shows less."""
    from ilms.events.models import Exhibition, ExhibitionKind, ExhibitionStatus
    tvt = province["TVT"]
    for n, start in enumerate((dt.date(2026, 2, 1), dt.date(2026, 12, 20), dt.date(2026, 12, 27))):
        db.session.add(Exhibition(code=f"TB-{n}", kind=ExhibitionKind.LIBRARY_DISPLAY, status=ExhibitionStatus.PLANNED,
                                  institution_id=tvt.id, title=f"Trưng bày {n}", start=start, end=start))
    db.session.commit()
    indicator = registry.get("LIB.DISPLAYS")
    engine = Engine(cached=False)
    p = engine.project(indicator, year(2026), [tvt.id], dt.date(2026, 12, 7))
    assert p.to_date == 1 and p.projected == 3
    assert engine.project_each(indicator, year(2026), [tvt.id], dt.date(2026, 12, 7))[tvt.id].projected == 3
