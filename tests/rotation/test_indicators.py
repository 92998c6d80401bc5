"""ROT.* indicators: what counts, where, when; series and drill-downs agree with the figures."""
import datetime as dt

import sqlalchemy as sa

from ilms.common.time import Period
from ilms.extensions import db
from ilms.rotation import services as rot
from ilms.stats import registry
from ilms.stats.drill import PRIVATE_COLUMNS
from ilms.stats.services import indicator_document
from tests.rotation.conftest import DAY, at, later

YEAR = Period.year(2024)
CODES = ("ROT.CRATES_SENT", "ROT.COPIES_SENT", "ROT.POINTS_SERVED", "ROT.POINT_VISITS", "ROT.POINT_LOANS",
         "ROT.COPIES_MISSING")


def value(code, institution, period=YEAR):
    return registry.get(code).compute(period, [institution.id]).get(institution.id, 0)


def drill(code, ids, period=YEAR):
    return list(db.session.execute(registry.get(code).drilldown(period, ids)).mappings())


def test_crates_and_copies_sent_count_dispatches_by_the_owning_library(app, net, packed):
    first, _ = packed(3)
    second, second_items = packed(2)
    rot.dispatch(first, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.dispatch(second, point=net.bl, actor=net.staff, at=at(DAY, 11))
    rot.cancel_dispatch(second, actor=net.staff, at=at(DAY, 12))            # a mistake counts nowhere
    rot.take_out(second, second_items[0], actor=net.staff)
    rot.dispatch(second, point=net.bb, actor=net.staff, at=later(2))        # it left with one copy
    db.session.commit()
    assert value("ROT.CRATES_SENT", net.td) == 2
    assert value("ROT.COPIES_SENT", net.td) == 4
    assert value("ROT.CRATES_SENT", net.pt) == 0
    rows = drill("ROT.CRATES_SENT", [net.td.id])
    assert [(r["crate"], r["point"], r["count"]) for r in rows] == [(first.code, "BD-TD-BL", 3),
                                                                     (second.code, "BD-TD-BB", 1)]
    assert len(drill("ROT.COPIES_SENT", [net.td.id])) == 4


def test_copies_sent_are_the_contents_at_dispatch_time(app, net, packed):
    crate, items = packed(3)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(crate, actor=net.staff, at=later(30), barcodes=[i.barcode for i in items])
    rot.repack(crate, actor=net.staff, at=later(31))
    rot.take_out(crate, items[0], actor=net.staff)
    db.session.commit()
    assert value("ROT.COPIES_SENT", net.td) == 3                            # taking one out later changes nothing
    rot.dispatch(crate, point=net.bb, actor=net.staff, at=later(32))
    assert value("ROT.COPIES_SENT", net.td) == 5


def test_points_served_are_distinct_per_library_and_across_a_group(app, net, packed, copies):
    a, _ = packed(1)
    b, _ = packed(1)
    c, _ = packed(1)
    rot.dispatch(a, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.dispatch(b, point=net.bl, actor=net.staff, at=at(DAY, 11))          # Bình Lư twice: one point
    rot.dispatch(c, point=net.bb, actor=net.staff, at=at(DAY, 12))
    # Phong Thổ also sends a crate to Bình Lư (a festival).
    theirs = rot.create_crate(actor=net.staff_pt, institution=net.pt)
    (item,) = copies(1, institution=net.pt)
    rot.pack(theirs, item.barcode, actor=net.staff_pt)
    rot.dispatch(theirs, point=net.bl, actor=net.staff_pt, at=at(DAY, 13))
    db.session.commit()
    indicator = registry.get("ROT.POINTS_SERVED")
    assert indicator.compute(YEAR, [net.td.id, net.pt.id]) == {net.td.id: 2, net.pt.id: 1}
    assert indicator.group(YEAR, [net.td.id, net.pt.id]) == 2
    rows = drill("ROT.POINTS_SERVED", [net.td.id])
    assert [(r["point"], r["count"]) for r in rows] == [("BD-TD-BB", 1), ("BD-TD-BL", 2)]
    groups = {(g["indicator"], g["group"]): g["value"] for g in indicator_document(YEAR)["groups"]}
    assert groups[("ROT.POINTS_SERVED", "district_library")] == 2


def test_a_dispatch_at_23_30_on_new_years_eve_belongs_to_that_year(app, net, packed):
    crate, _ = packed(1)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(dt.date(2024, 12, 31), 23, 30))
    db.session.commit()
    assert value("ROT.CRATES_SENT", net.td) == 1
    assert value("ROT.CRATES_SENT", net.td, Period.year(2025)) == 0


def test_point_visits_and_loans_follow_the_library_rules_at_points(app, net, packed, reader):
    crate, items = packed(3)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    patron, other = reader(), reader()
    rot.point_visit(net.bl, patron.barcode, actor=net.point_staff, at=later(2, 8))
    rot.point_lend(net.bl, patron.barcode, items[0].barcode, actor=net.point_staff, at=later(2, 9))   # same day
    rot.point_lend(net.bl, other.barcode, items[1].barcode, actor=net.point_staff, at=later(2, 10))
    rot.point_return(net.bl, items[0].barcode, actor=net.point_staff, at=later(9, 10))                # new day
    rot.point_tally(net.bl, actor=net.point_staff, date=later(3).date(), kind="visits", count=7)
    rot.point_tally(net.bl, actor=net.point_staff, date=later(3).date(), kind="loans", count=5)
    db.session.commit()
    assert value("ROT.POINT_VISITS", net.bl) == 3 + 7          # patron twice (two days), other once, + tally
    assert value("ROT.POINT_LOANS", net.bl) == 2 + 5
    assert value("ROT.POINT_VISITS", net.bb) == 0
    # The library's own figures are not touched by the point's work.
    assert registry.get("LIB.LOANS").compute(YEAR, [net.td.id]).get(net.td.id, 0) == 0
    figures = {(f["indicator"], f["institution"]): f["value"] for f in indicator_document(YEAR)["figures"]}
    assert figures[("ROT.POINT_LOANS", "BD-TD-BL")] == 7
    assert ("ROT.POINT_LOANS", "TVH-TD") not in figures and ("ROT.CRATES_SENT", "BD-TD-BL") not in figures
    assert figures[("ROT.CRATES_SENT", "TVH-TD")] == 1
    assert len(drill("ROT.POINT_LOANS", [net.bl.id])) == 2


def test_series_add_up_to_the_figures_and_drilldowns_show_no_reader(app, net, packed, reader):
    crate, items = packed(4)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(dt.date(2024, 1, 31), 23, 50))
    rot.point_lend(net.bl, reader().barcode, items[0].barcode, actor=net.point_staff, at=at(dt.date(2024, 2, 3)))
    rot.point_return(net.bl, items[0].barcode, actor=net.point_staff, at=at(dt.date(2024, 2, 10)))
    rot.return_crate(crate, actor=net.staff, at=at(dt.date(2024, 4, 30), 23, 30), barcodes=[items[0].barcode])
    db.session.commit()
    for code in CODES:
        indicator = registry.get(code)
        ids = [net.bl.id] if code.startswith("ROT.POINT_") else [net.td.id]
        series = indicator.series(YEAR, ids)
        assert sum(series.values()) == sum(indicator.compute(YEAR, ids).values()) or indicator.distinct, code
        select = indicator.drilldown(YEAR, ids)
        assert not {c.key for c in select.selected_columns} & PRIVATE_COLUMNS, code
        db.session.execute(select).all()
    assert registry.get("ROT.CRATES_SENT").series(YEAR, [net.td.id]) == {(net.td.id, "2024-01"): 1}
    assert registry.get("ROT.COPIES_MISSING").series(YEAR, [net.td.id]) == {(net.td.id, "2024-04"): 3}


def test_every_figure_is_in_the_indicator_document(app, net):
    document = indicator_document(YEAR)
    indicators = {f["indicator"] for f in document["figures"]}
    assert set(CODES) <= indicators
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("dispatches"))) == 0


def test_every_write_that_changes_a_figure_tells_the_figure_cache(app, net, packed):
    from ilms.signals import data_changed
    heard = []

    def listen(sender, institution_ids=None, **_extra):
        heard.append((sender, tuple(institution_ids or ())))

    data_changed.connect(listen)
    try:
        crate, items = packed(2)
        # the copies were just added to the catalogue (holdings change); packing them changes no figure
        assert {sender for sender, _ids in heard} <= {"catalog"}
        heard.clear()
        rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
        assert heard[-1] == ("rotation", (net.td.id,))
        rot.cancel_dispatch(crate, actor=net.staff, at=at(DAY, 11))
        rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 12))
        count = len(heard)
        rot.return_crate(crate, actor=net.staff, at=later(30), barcodes=[items[0].barcode])
        assert len(heard) == count + 1 and heard[-1] == ("rotation", (net.td.id,))
        line = next(line for line in rot.last_dispatch(crate).lines if line.item_id == items[1].id)
        rot.resolve_missing(line, "found", actor=net.staff, at=later(31))
        assert heard[-1] == ("rotation", (net.td.id,)) and len(heard) == count + 2
        rot.point_tally(net.bl, actor=net.point_staff, date=DAY, kind="visits", count=3)
        assert heard[-1] == ("circulation", (net.bl.id,))
    finally:
        data_changed.disconnect(listen)


def test_the_figure_cache_follows_a_return(app, net, packed):
    from ilms.stats.engine import Engine
    crate, items = packed(3)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    db.session.commit()
    indicator = registry.get("ROT.COPIES_MISSING")
    assert Engine().values(indicator, YEAR, [net.td.id]) == {net.td.id: 0}        # now stored in the cache
    rot.return_crate(crate, actor=net.staff, at=later(30), barcodes=[items[0].barcode])
    db.session.commit()
    engine = Engine()
    assert engine.values(indicator, YEAR, [net.td.id]) == {net.td.id: 2} and engine.queries == 1
