"""LIB.COPIES_ADDED, LIB.TITLES_ADDED, LIB.COPIES_WITHDRAWN, LIB.HOLDINGS, as shared/spec/indicators.md defines them."""
import datetime as dt

import pytest

from ilms.catalog import services
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.extensions import db
from ilms.stats import registry

YEAR = Period.year(2024)


def value(code, period, *institutions):
    ids = [i.id for i in institutions]
    return registry.get(code).compute(period, ids)


@pytest.fixture
def stock(app, network):
    """TVT buys and is given books in 2024, passes one copy to Tam Đường, withdraws two."""
    kieu = services.create_minimal_record(title="Truyện Kiều")
    de_men = services.create_minimal_record(title="Dế Mèn phiêu lưu ký")
    old = services.create_minimal_record(title="Sách cũ")

    def add(record, inst, source, day, n=1):
        return services.add_copies(record, institution=inst, actor=SYSTEM, source=source, accessioned=day, count=n)

    bought = add(kieu, network.tvt, "purchase", dt.date(2024, 3, 5), 3)
    given = add(de_men, network.tvt, "donation", dt.date(2024, 11, 20), 2)
    deposit = add(de_men, network.tvt, "legal_deposit", dt.date(2024, 12, 31))
    earlier = add(old, network.tvt, "purchase", dt.date(2023, 6, 1), 2)
    add(kieu, network.td, "exchange", dt.date(2024, 1, 1))
    add(old, network.td, "transfer", dt.date(2024, 2, 2))  # came from outside the count: a transfer is no addition
    services.transfer_item(bought[0], to=network.td, actor=SYSTEM, date=dt.date(2024, 5, 1))
    services.withdraw_item(earlier[0], actor=SYSTEM, reason="worn", date=dt.date(2024, 4, 4))
    services.withdraw_item(earlier[1], actor=SYSTEM, reason="lost", date=dt.date(2025, 1, 2))
    db.session.commit()
    return dict(bought=bought, given=given, deposit=deposit, earlier=earlier)


def test_copies_added_count_acquisitions_not_transfers(network, stock):
    assert value("LIB.COPIES_ADDED", YEAR, network.tvt, network.td) == {network.tvt.id: 6, network.td.id: 1}
    assert value("LIB.TITLES_ADDED", YEAR, network.tvt, network.td) == {network.tvt.id: 2, network.td.id: 1}
    assert value("LIB.COPIES_ADDED", Period.year(2023), network.tvt) == {network.tvt.id: 2}
    # the local day counts: 31 December belongs to its year
    assert value("LIB.COPIES_ADDED", Period(dt.date(2024, 12, 31), dt.date(2024, 12, 31)), network.tvt) == {
        network.tvt.id: 1}
    breakdown = registry.get("LIB.COPIES_ADDED").breakdowns["source"](YEAR, [network.tvt.id, network.td.id])
    assert breakdown == {"purchase": 3, "donation": 2, "legal_deposit": 1, "exchange": 1}


def test_copies_withdrawn_in_the_period(network, stock):
    assert value("LIB.COPIES_WITHDRAWN", YEAR, network.tvt, network.td) == {network.tvt.id: 1}
    assert value("LIB.COPIES_WITHDRAWN", Period.year(2025), network.tvt) == {network.tvt.id: 1}
    assert registry.get("LIB.COPIES_WITHDRAWN").breakdowns["reason"](YEAR, [network.tvt.id]) == {"worn": 1}


def test_holdings_at_period_end_follow_transfers_and_withdrawals(network, stock):
    # end of 2024: TVT 3 bought - 1 transferred + 2 given + 1 deposit + 2 old - 1 withdrawn = 6
    assert value("LIB.HOLDINGS", YEAR, network.tvt, network.td) == {network.tvt.id: 6, network.td.id: 3}
    # before the transfer (April 2024) the copy was still the provincial library's
    april = Period.month(2024, 4)
    assert value("LIB.HOLDINGS", april, network.tvt, network.td) == {network.tvt.id: 4, network.td.id: 2}
    assert value("LIB.HOLDINGS", Period.year(2023), network.tvt) == {network.tvt.id: 2}
    series = registry.get("LIB.HOLDINGS").series(YEAR, [network.tvt.id])
    assert series[(network.tvt.id, "2024-03")] == 5 and series[(network.tvt.id, "2024-05")] == 3
    assert series[(network.tvt.id, "2024-12")] == 6
    rows = db.session.execute(registry.get("LIB.HOLDINGS").drilldown(YEAR, [network.td.id])).all()
    assert len(rows) == 3 and {r.institution for r in rows} == {"TVH-TD"}


def test_holdings_agree_month_by_month_however_they_are_found(network, stock, factories):
    """The series (one pass), one or two institutions (their own entries) and a group (the whole register)
    give the same month-end figures, a transfer there and back on one day included (the later entry wins)."""
    moved = stock["bought"][1]
    services.transfer_item(moved, to=network.td, actor=SYSTEM, date=dt.date(2024, 7, 31))
    services.transfer_item(moved, to=network.tvt, actor=SYSTEM, date=dt.date(2024, 7, 31))
    services.transfer_item(stock["bought"][2], to=network.td, actor=SYSTEM, date=dt.date(2024, 8, 31))
    db.session.commit()
    third = factories.institution("TVH-PT", parent=network.tvt, name="Thư viện huyện Phong Thổ", barcode_prefix="HPT")
    ids = [network.tvt.id, network.td.id, third.id]
    holdings = registry.get("LIB.HOLDINGS")
    series = holdings.series(YEAR, ids)
    alone = {i: holdings.series(YEAR, [i]) for i in ids}    # one institution: its own copies' entries only
    for month in range(1, 13):
        end = Period(dt.date(2024, 1, 1), Period.month(2024, month).end)
        label = f"2024-{month:02d}"
        each = {i: holdings.compute(end, [i]).get(i, 0) for i in ids}
        assert holdings.compute(end, ids) == {i: n for i, n in each.items() if n}, label
        assert {i: series.get((i, label), 0) for i in ids} == each, label
        assert {i: alone[i].get((i, label), 0) for i in ids} == each, label
    # end of July: TVT 2 bought (one went in May; the other came back the day it left) + 1 old = 3;
    # Tam Đường 1 exchanged + 1 transferred in February + 1 in May = 3. In August one more goes.
    assert series[(network.tvt.id, "2024-07")] == 3 and series[(network.td.id, "2024-07")] == 3
    assert series[(network.tvt.id, "2024-08")] == 2 and series[(network.td.id, "2024-08")] == 4


def test_series_and_drilldowns_agree_with_the_figures(network, stock):
    ids = [network.tvt.id, network.td.id]
    for code in ("LIB.COPIES_ADDED", "LIB.COPIES_WITHDRAWN"):
        indicator = registry.get(code)
        monthly = indicator.series(YEAR, ids)
        totals = indicator.compute(YEAR, ids)
        for inst in ids:
            assert sum(v for (i, _m), v in monthly.items() if i == inst) == totals.get(inst, 0)
        assert len(db.session.execute(indicator.drilldown(YEAR, ids)).all()) == sum(totals.values())
    added = db.session.execute(registry.get("LIB.COPIES_ADDED").drilldown(YEAR, ids)).all()
    assert "transfer" not in {getattr(r.source, "value", r.source) for r in added}
