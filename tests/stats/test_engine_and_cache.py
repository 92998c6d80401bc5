"""The figure cache: used while the data is unchanged, invalidated by data_changed per institution, across processes."""
import dataclasses

import sqlalchemy as sa

from ilms import create_app
from ilms.extensions import db
from ilms.signals import data_changed
from ilms.stats import cache, registry
from ilms.stats.engine import Engine
from ilms.stats.models import DataVersion
from tests.stats.conftest import day, year


def _counting(monkeypatch, code):
    """Wrap a registered indicator's compute so the test sees which institutions are asked for."""
    calls = []
    original = registry.get(code)

    def compute(period, ids):
        calls.append((period, sorted(ids)))
        return original.compute(period, ids)

    monkeypatch.setitem(registry._REGISTRY, code, dataclasses.replace(original, compute=compute))
    return calls


def test_cached_values_are_reused_until_the_institution_changes(app, province, data, monkeypatch):
    data.copies(province["TVT"], day(2024, 3, 1), 4)
    data.copies(province["TVH-A"], day(2024, 4, 1), 2)
    calls = _counting(monkeypatch, "LIB.COPIES_ADDED")
    indicator = registry.get("LIB.COPIES_ADDED")
    ids = [province[c].id for c in ("TVT", "TVH-A", "TVH-B")]

    assert Engine().values(indicator, year(2024), ids) == {ids[0]: 4, ids[1]: 2, ids[2]: 0}
    assert len(calls) == 1
    assert Engine().values(indicator, year(2024), ids) == {ids[0]: 4, ids[1]: 2, ids[2]: 0}
    assert len(calls) == 1, "an unchanged figure is read from the cache"

    data.copies(province["TVH-A"], day(2024, 6, 1), 3)   # sends data_changed for TVH-A only
    assert Engine().values(indicator, year(2024), ids) == {ids[0]: 4, ids[1]: 5, ids[2]: 0}
    assert calls[-1][1] == [ids[1]], "only the changed institution is computed again"


def test_a_change_without_institutions_invalidates_everything(app, province, data, monkeypatch):
    data.copies(province["TVT"], day(2024, 3, 1), 1)
    calls = _counting(monkeypatch, "LIB.COPIES_ADDED")
    indicator = registry.get("LIB.COPIES_ADDED")
    Engine().values(indicator, year(2024), [province["TVT"].id])
    data_changed.send("ops")
    db.session.commit()
    Engine().values(indicator, year(2024), [province["TVT"].id])
    assert len(calls) == 2


def test_group_values_follow_changes_too(app, factories, province, monkeypatch):
    values = {province["TVH-A"].id: 3}
    group_calls = []

    def group(period, ids):
        group_calls.append(ids)
        return len([i for i in ids if values.get(i)])

    monkeypatch.setitem(registry._REGISTRY, "LIB.ACTIVE_READERS", registry.Indicator(
        code="LIB.ACTIVE_READERS", name_vi="Bạn đọc", name_en="Active readers",
        kinds=frozenset({"district_library"}), distinct=True, group=group,
        compute=lambda period, ids: {i: values.get(i, 0) for i in ids}))
    indicator = registry.get("LIB.ACTIVE_READERS")
    ids = [province["TVH-A"].id, province["TVH-B"].id]
    assert Engine().group(indicator, year(2024), ids) == 1
    assert Engine().group(indicator, year(2024), ids) == 1
    assert len(group_calls) == 1
    values[province["TVH-B"].id] = 1
    data_changed.send("circulation", institution_ids=[province["TVH-B"].id])
    db.session.commit()
    assert Engine().group(indicator, year(2024), ids) == 2


def test_another_process_sees_the_change(app, app_factory, province, data):
    """Two application objects on one database file stand for two gunicorn workers."""
    other = create_app(dict(app.config))
    indicator = registry.get("LIB.COPIES_ADDED")
    tvt = province["TVT"].id
    db.session.commit()   # end this worker's transaction, as a request does
    with other.app_context():
        assert Engine().values(indicator, year(2024), [tvt]) == {tvt: 0}   # cached in the other worker
        db.session.remove()
    data.copies(province["TVT"], day(2024, 5, 5), 2)   # written by this worker
    db.session.commit()
    with other.app_context():
        assert Engine().values(indicator, year(2024), [tvt]) == {tvt: 2}
        assert len(cache.figure_cache(other)) >= 1
        db.session.remove()
        db.engine.dispose()


def test_a_rolled_back_write_leaves_no_stale_entry(app, province, data):
    indicator = registry.get("LIB.COPIES_ADDED")
    tvt = province["TVT"]
    data.copies(tvt, day(2024, 1, 5), 1)
    assert Engine().values(indicator, year(2024), [tvt.id]) == {tvt.id: 1}
    # A write that is undone: the figure seen inside it is never served afterwards.
    from ilms.catalog import services as catalog
    from ilms.common.permissions import SYSTEM
    catalog.add_copies(data.record, institution=tvt, actor=SYSTEM, source="purchase",
                       accessioned=day(2024, 2, 2), count=5)
    data_changed.send("catalog", institution_ids=[tvt.id])
    assert Engine().values(indicator, year(2024), [tvt.id]) == {tvt.id: 6}
    db.session.rollback()
    assert Engine().values(indicator, year(2024), [tvt.id]) == {tvt.id: 1}
    data.copies(tvt, day(2024, 2, 2), 5)
    assert Engine().values(indicator, year(2024), [tvt.id]) == {tvt.id: 6}


def test_data_changed_renews_a_token_in_the_writers_transaction(app, province):
    data_changed.send("catalog", institution_ids=[province["TVT"].id, province["TVT"].id])
    first = db.session.scalar(sa.select(DataVersion.token).where(DataVersion.institution_id == province["TVT"].id))
    data_changed.send("catalog", institution_ids=[province["TVT"].id])
    second = db.session.scalar(sa.select(DataVersion.token).where(DataVersion.institution_id == province["TVT"].id))
    assert first and second and first != second
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DataVersion)) == 0


def test_cache_can_be_switched_off(app_factory):
    app = app_factory(STATS_CACHE=False)
    with app.app_context():
        assert cache.figure_cache() is None
        assert Engine().cache is None
