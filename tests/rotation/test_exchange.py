"""The crate, dispatch and crate_return lines: imported through the rotation services, exported back."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from ilms.catalog.models import ItemStatus
from ilms.common.time import Period
from ilms.extensions import db
from ilms.ops.services import export_lines, import_lines
from ilms.rotation import services as rot
from ilms.rotation.models import CrateState, Dispatch, Outcome
from ilms.stats import registry

YEAR = Period.year(2024)


def lines(*objects):
    return [json.dumps(o, ensure_ascii=False) for o in objects]


@pytest.fixture
def stock(net, copies):
    return copies(5)


def test_a_year_of_a_crate_imported_line_by_line(app, net, stock):
    codes = [i.barcode for i in stock]
    report = import_lines(lines(
        {"type": "crate", "id": "c1", "code": "TS-TD-01", "institution": "TVH-TD", "items": codes[:4]},
        {"type": "dispatch", "id": "d1", "crate": "TS-TD-01", "point": "BD-TD-BL", "at": "2024-01-10T08:00:00+07:00"},
        {"type": "crate_return", "crate": "TS-TD-01", "at": "2024-04-09T15:00:00+07:00", "items": codes[:3]},
        {"type": "crate", "code": "TS-TD-01", "institution": "TVH-TD", "items": codes[1:3] + [codes[4]]},
        {"type": "dispatch", "crate": "TS-TD-01", "point": "BD-TD-BB", "at": "2024-04-15T08:00:00+07:00"},
    ))
    assert report.ok, [str(e) for e in report.errors]
    crate = rot.crate_by_code("TS-TD-01")
    assert crate.state == CrateState.DISPATCHED and crate.institution_id == net.td.id
    first, second = db.session.scalars(sa.select(Dispatch).order_by(Dispatch.dispatched_at)).all()
    assert first.due_back == dt.date(2024, 4, 10)                       # three months: the format has no date
    assert [line.outcome for line in first.lines].count(Outcome.MISSING) == 1
    assert {line.item.barcode for line in second.lines} == {codes[1], codes[2], codes[4]}
    assert stock[3].status == ItemStatus.MISSING and stock[0].status == ItemStatus.AVAILABLE
    assert stock[4].status == ItemStatus.IN_ROTATION
    assert registry.get("ROT.CRATES_SENT").compute(YEAR, [net.td.id]) == {net.td.id: 2}
    assert registry.get("ROT.COPIES_SENT").compute(YEAR, [net.td.id]) == {net.td.id: 7}
    assert registry.get("ROT.COPIES_MISSING").compute(YEAR, [net.td.id]) == {net.td.id: 1}
    again = import_lines(lines(
        {"type": "crate", "id": "c1", "code": "TS-TD-01", "institution": "TVH-TD", "items": codes[:4]},
        {"type": "dispatch", "id": "d1", "crate": "TS-TD-01", "point": "BD-TD-BL", "at": "2024-01-10T08:00:00+07:00"},
    ))
    assert again.ok and again.already == 2 and again.applied == 0


def test_bad_lines_are_reported_with_their_number_and_nothing_is_imported(app, net, stock):
    codes = [i.barcode for i in stock]
    report = import_lines(lines(
        {"type": "crate", "code": "TS-TD-02", "institution": "TVH-TD", "items": []},
        {"type": "dispatch", "crate": "TS-TD-02", "point": "BD-TD-BL", "at": "2024-01-10T08:00:00+07:00"},
        {"type": "crate", "code": "TS-TD-03", "institution": "TVH-TD", "items": codes[:2]},
        {"type": "crate_return", "crate": "TS-TD-03", "at": "2024-02-10T08:00:00+07:00", "items": codes[:2]},
        {"type": "dispatch", "crate": "TS-TD-03", "point": "TVH-PT", "at": "2024-01-10T08:00:00+07:00"},
        {"type": "dispatch", "crate": "TS-NONE", "point": "BD-TD-BL", "at": "2024-01-10T08:00:00+07:00"},
        {"type": "dispatch", "crate": "TS-TD-03", "point": "BD-TD-BL", "at": "2024-01-10T08:00:00"},
        {"type": "crate", "code": "TS-TD-04", "institution": "TVH-TD", "items": [codes[0]]},
        {"type": "crate_return", "crate": "TS-TD-03", "at": "2024-02-10T08:00:00+07:00", "items": codes[:2],
         "missing": []},
    ))
    messages = [str(e) for e in report.errors]
    assert not report.committed
    assert messages[0].startswith("2: Crate TS-TD-02 is empty")
    assert messages[1].startswith("4: Crate TS-TD-03 is “Being packed”: it is not out at a point, so it cannot be "
                                  "returned")
    assert messages[2].startswith("5: Crates go to postal cultural points; Thư viện huyện Phong Thổ is not one")
    assert messages[3].startswith("6: No crate has the code TS-NONE")
    assert messages[4].startswith("7: field 'at'") and "no UTC offset" in messages[4]
    assert messages[5].startswith("8: ") and "is already in crate TS-TD-03" in messages[5]
    assert messages[6] == "9: unknown field(s): 'missing'"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispatch)) == 0
    assert rot.crate_by_code("TS-TD-03", required=False) is None


def test_a_copy_still_lent_cannot_be_listed_as_back(app, net, stock, reader):
    codes = [i.barcode for i in stock[:2]]
    patron = reader()
    report = import_lines(lines(
        {"type": "crate", "code": "TS-TD-05", "institution": "TVH-TD", "items": codes},
        {"type": "dispatch", "crate": "TS-TD-05", "point": "BD-TD-BL", "at": "2024-01-10T08:00:00+07:00"},
        {"type": "checkout", "item": codes[0], "patron": patron.barcode, "institution": "BD-TD-BL",
         "at": "2024-01-20T09:00:00+07:00"},
        {"type": "crate_return", "crate": "TS-TD-05", "at": "2024-04-10T08:00:00+07:00", "items": codes},
    ), partial=True)
    assert [str(e) for e in report.errors][0].startswith("4: “")
    assert "is still on loan to a reader" in str(report.errors[0])


def test_export_then_import_into_another_database_gives_the_same_figures(app, app_factory, net, packed, reader):
    crate, items = packed(4, code="TS-HTD-900")
    patron = reader()
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=_t(2024, 2, 1))
    rot.confirm_receipt(crate, actor=net.point_staff, at=_t(2024, 2, 2))
    rot.point_lend(net.bl, patron.barcode, items[0].barcode, actor=net.point_staff, at=_t(2024, 2, 5))
    rot.point_return(net.bl, items[0].barcode, actor=net.point_staff, at=_t(2024, 2, 15))
    rot.return_crate(crate, actor=net.staff, at=_t(2024, 5, 2), barcodes=[i.barcode for i in items[:3]])
    rot.repack(crate, actor=net.staff, at=_t(2024, 5, 3))
    rot.dispatch(crate, point=net.bb, actor=net.staff, at=_t(2024, 5, 4))
    db.session.commit()
    exported = list(export_lines(YEAR))
    kinds = [json.loads(line)["type"] for line in exported if json.loads(line)["type"] in (
        "crate", "dispatch", "crate_return", "checkout", "return")]
    assert kinds == ["crate", "dispatch", "checkout", "return", "crate_return", "crate", "dispatch"]
    before = {code: registry.get(code).compute(YEAR, [net.td.id, net.bl.id]) for code in (
        "ROT.CRATES_SENT", "ROT.COPIES_SENT", "ROT.POINTS_SERVED", "ROT.COPIES_MISSING", "ROT.POINT_LOANS")}
    barcodes = [i.barcode for i in items]

    other = app_factory()
    with other.app_context():
        from tests import factories
        tvt = factories.institution("TVT", kind="provincial_library")
        td = factories.institution("TVH-TD", kind="district_library", parent=tvt, barcode_prefix="HTD")
        bl = factories.institution("BD-TD-BL", kind="postal_cultural_point", parent=td)
        factories.institution("BD-TD-BB", kind="postal_cultural_point", parent=td)
        for code in barcodes:
            factories.item(td, barcode=code)
        report = import_lines(exported)
        assert report.ok, [str(e) for e in report.errors][:5]
        after = {code: registry.get(code).compute(YEAR, [td.id, bl.id]) for code in before}
        remap = {net.td.id: td.id, net.bl.id: bl.id}
        assert after == {code: {remap[k]: v for k, v in values.items()} for code, values in before.items()}
        assert rot.crate_by_code("TS-HTD-900").state == CrateState.DISPATCHED
        db.session.remove()


def _t(year, month, day, hour=9):
    from ilms.common.time import local_datetime
    return local_datetime(dt.date(year, month, day), dt.time(hour))
