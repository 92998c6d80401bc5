"""Projections to the period's end: the same months of earlier years, or the pace so far; the chance, said plainly."""
import datetime as dt

from ilms.common.time import Period
from ilms.stats import registry
from ilms.stats.engine import Engine, extrapolate, months_of
from ilms.stats.pages import chance_sentence
from tests.stats.conftest import day, year

FLOW = registry.Indicator(code="LIB.LOANS", name_vi="Lượt mượn", name_en="Loans", kinds=frozenset(),
                          compute=lambda p, ids: {})
STOCK = registry.Indicator(code="LIB.HOLDINGS", name_vi="Vốn", name_en="Holdings", kinds=frozenset(),
                           compute=lambda p, ids: {})
SHARE = registry.Indicator(code="LIB.INTERNET_CONNECTED", name_vi="Kết nối", name_en="Connected",
                           kinds=frozenset(), unit="percent", compute=lambda p, ids: {})


def test_counts_scale_by_the_same_months_of_earlier_years():
    # 60 by 30 June; 2023 had 50 by 30 June and 100 in the year, 2022 had 40 and 100.
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 6, 30), 60, 0, [(2023, 50, 100), (2022, 40, 100)])
    assert p.method == "history" and p.years == [2022, 2023]
    assert p.projected == 133          # 60 × 200 / 90 = 133.3
    assert p.outcomes == [120, 150]    # 60 × 100/50, 60 × 100/40
    assert p.remainder == 73


def test_years_without_data_are_left_out_and_linear_is_the_fallback():
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 3, 13), 100, 0, [(2023, 0, 0), (2022, 0, 0)])
    assert p.method == "linear" and p.years == []
    assert p.projected == 501          # 100 × 366 days / 73 days elapsed = 501.4


def test_an_earlier_year_with_nothing_in_the_same_months_adds_its_remainder():
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 3, 31), 10, 0, [(2023, 0, 30)])
    assert p.projected == 40 and p.outcomes == [40]


def test_states_add_the_change_of_the_rest_of_the_year():
    p = extrapolate(STOCK, Period.year(2024), dt.date(2024, 6, 30), 1000, 900, [(2023, 800, 850)])
    assert p.projected == 1050
    linear = extrapolate(STOCK, Period.year(2024), dt.date(2024, 7, 1), 1000, 900, [])
    # 100 more in the 182 days since 1 January; 183 days remain.
    assert linear.projected == 1101


def test_percentages_stay_within_100():
    p = extrapolate(SHARE, Period.year(2024), dt.date(2024, 2, 1), 75, 0, [])
    assert p.projected == 100


def test_chance_levels_and_sentences(app):
    p = extrapolate(FLOW, Period.year(2024), dt.date(2024, 6, 30), 60, 0, [(2023, 50, 100), (2022, 40, 100)])
    assert p.chance(110, 160) == "likely"
    assert p.chance(130, 200) == "uncertain"
    assert p.chance(200, 300) == "unlikely"
    assert p.chance(None, 100) == "over"
    text = chance_sentence(p, 200, 300)
    assert "cần thêm 140" in text and "31/12/2024" in text and "2022–2023" in text   # 200 − 60 more
    assert "2022–2023" in chance_sentence(p, 110, 160)
    assert "1 trên 2 năm" in chance_sentence(p, 130, 200)     # commands and tests speak Vietnamese


def test_months_are_clipped_to_the_period():
    months = months_of(Period(dt.date(2024, 1, 15), dt.date(2024, 3, 10)))
    assert [m for m, _p in months] == ["2024-01", "2024-02", "2024-03"]
    assert months[0][1] == Period(dt.date(2024, 1, 15), dt.date(2024, 1, 31))
    assert months[-1][1] == Period(dt.date(2024, 3, 1), dt.date(2024, 3, 10))


def test_engine_projects_from_real_records_of_earlier_years(app, province, data):
    tvt = province["TVT"]
    for y in (2021, 2022, 2023):
        data.copies(tvt, day(y, 2, 1), 10)    # the first quarter
        data.copies(tvt, day(y, 9, 1), 30)    # the rest of the year
    data.copies(tvt, day(2024, 2, 10), 12)
    indicator = registry.get("LIB.COPIES_ADDED")
    p = Engine().project(indicator, year(2024), [tvt.id], dt.date(2024, 3, 31))
    assert p.method == "history" and p.years == [2021, 2022, 2023]
    assert p.to_date == 12 and p.projected == 48      # 12 × 120 / 30
    none_before = Engine().project(indicator, year(2021), [tvt.id], dt.date(2021, 3, 31))
    assert none_before.method == "linear" and none_before.projected == round(10 * 365 / 90)


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
