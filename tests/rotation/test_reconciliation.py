"""Reconciliation: what came back, what is missing, and what becomes of the missing copies (ROT.COPIES_MISSING)."""
import datetime as dt

import pytest

from ilms.catalog.models import ItemStatus
from ilms.circulation import services as circ
from ilms.common.errors import Conflict
from ilms.common.time import Period
from ilms.rotation import services as rot
from ilms.rotation.models import CrateState, MissingCause, Outcome, Resolution
from ilms.stats import registry
from tests.rotation.conftest import DAY, at, later

YEAR = Period.year(2024)


def missing_figure(net, period=YEAR):
    return registry.get("ROT.COPIES_MISSING").compute(period, [net.td.id]).get(net.td.id, 0)


def test_a_crate_of_8_returns_with_6_and_finding_one_later_restores_it(app, net, packed):
    crate, items = packed(8)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.confirm_receipt(crate, actor=net.point_staff, at=later(1))
    back, gone = items[:6], items[6:]
    for item in back:                                      # checked one by one as they come out of the crate
        rot.check_back(crate, item.barcode, actor=net.staff, at=later(90))
    rot.return_crate(crate, actor=net.staff, at=later(90, 10))

    assert crate.state == CrateState.RETURNED
    lines = {line.item_id: line for line in trip.lines}
    assert sum(line.outcome == Outcome.BACK for line in trip.lines) == 6
    assert [lines[i.id].outcome for i in gone] == [Outcome.MISSING, Outcome.MISSING]
    assert all(i.status == ItemStatus.MISSING for i in gone)
    assert sorted(row.item_id for row in crate.contents) == sorted(i.id for i in back)
    assert missing_figure(net) == 2
    rows = list(app.extensions["sqlalchemy"].session.execute(
        registry.get("ROT.COPIES_MISSING").drilldown(YEAR, [net.td.id])).mappings())
    assert sorted(r["barcode"] for r in rows) == sorted(i.barcode for i in gone)
    assert {r["crate"] for r in rows} == {crate.code} and {r["point"] for r in rows} == {"BD-TD-BL"}

    # One turns up a month later: back on the shelf, back in its crate, and no longer missing.
    found = rot.resolve_missing(lines[gone[0].id], Resolution.FOUND, actor=net.staff, at=later(120))
    assert found.resolution == Resolution.FOUND and found.resolved_by_id == net.staff.id
    assert gone[0].status == ItemStatus.AVAILABLE and gone[0].location_institution_id is None
    assert gone[0].id in {row.item_id for row in crate.contents}
    assert missing_figure(net) == 1
    # The figure belongs to the period of the return: finding it in another year still corrects that one.
    assert missing_figure(net, Period(dt.date(2024, 6, 1), dt.date(2024, 6, 30))) == 1

    # The other is declared lost: still missing; found years later, it leaves the figure too.
    rot.resolve_missing(lines[gone[1].id], Resolution.LOST, actor=net.staff, at=later(200))
    assert gone[1].status == ItemStatus.LOST and missing_figure(net) == 1
    rot.resolve_missing(lines[gone[1].id], Resolution.FOUND, actor=net.staff, at=later(400), into_crate=False)
    assert gone[1].status == ItemStatus.AVAILABLE and missing_figure(net) == 0
    assert gone[1].id not in {row.item_id for row in crate.contents}
    with pytest.raises(Conflict, match="was already settled \\(Found\\)"):
        rot.resolve_missing(lines[gone[1].id], Resolution.LOST, actor=net.staff)


def test_a_missing_copy_found_damaged_leaves_the_figure_and_is_marked_damaged(app, net, packed):
    crate, items = packed(2)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(crate, actor=net.staff, at=later(60), barcodes=[items[0].barcode])
    line = next(line for line in trip.lines if line.item_id == items[1].id)
    with pytest.raises(Conflict, match="came back with its crate; there is nothing to settle"):
        rot.resolve_missing(next(x for x in trip.lines if x.item_id == items[0].id), Resolution.LOST, actor=net.staff)
    rot.resolve_missing(line, Resolution.DAMAGED, actor=net.staff, at=later(70))
    assert items[1].status == ItemStatus.DAMAGED and missing_figure(net) == 0


def test_only_the_owners_staff_settle_missing_copies(app, net, packed):
    from ilms.common.errors import PermissionDenied
    crate, items = packed(1)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(crate, actor=net.staff, at=later(60), barcodes=[])
    with pytest.raises(PermissionDenied):
        rot.resolve_missing(trip.lines[0], Resolution.FOUND, actor=net.staff_pt)
    with pytest.raises(PermissionDenied):
        rot.resolve_missing(trip.lines[0], Resolution.FOUND, actor=net.point_staff)   # a point, not the owner


def test_a_copy_lent_at_the_point_must_be_back_before_the_crate_returns_or_it_is_flagged(app, net, packed, reader):
    crate, items = packed(3)
    trip = rot.dispatch(crate, point=net.bl, due_back=dt.date(2024, 4, 4), actor=net.staff, at=at(DAY, 10))
    rot.confirm_receipt(crate, actor=net.point_staff, at=later(1))
    patron = reader()
    loan, warning = rot.point_lend(net.bl, patron.barcode, items[0].barcode, actor=net.point_staff, at=later(25))
    assert loan.institution_id == net.bl.id and loan.from_rotation and loan.checked_out_by_id == net.point_staff.id
    assert warning is not None and "goes back on 04/04/2024" in str(warning)     # due after the crate leaves
    assert rot.trip_loans(trip) == {items[0].id: loan}
    # Checking the return refuses the lent copy with what to do, and finishing reports it missing, flagged.
    with pytest.raises(Conflict, match="is still on loan to a reader \\(lent at Điểm Bưu điện văn hóa xã Bình Lư"):
        rot.check_back(crate, items[0].barcode, actor=net.staff)
    rot.return_crate(crate, actor=net.staff, at=later(31), barcodes=[items[1].barcode, items[2].barcode])
    line = next(line for line in trip.lines if line.item_id == items[0].id)
    assert (line.outcome, line.missing_cause) == (Outcome.MISSING, MissingCause.ON_LOAN)
    assert items[0].status == ItemStatus.ON_LOAN and missing_figure(net) == 1
    with pytest.raises(Conflict, match="It is settled when the reader brings it back"):
        rot.resolve_missing(line, Resolution.FOUND, actor=net.staff)
    # The reader brings it back at the point after the crate has gone: it travels home, not into a crate.
    result = rot.point_return(net.bl, items[0].barcode, actor=net.point_staff, at=later(40))
    assert result.action == circ.TRANSIT_OWNER and result.destination.id == net.td.id
    assert items[0].status == ItemStatus.IN_TRANSIT
    with pytest.raises(Conflict, match="receive it at the desk before settling it"):
        rot.resolve_missing(line, Resolution.FOUND, actor=net.staff)
    circ.check_in(items[0], institution=net.td, actor=net.desk, at=later(45))
    assert items[0].status == ItemStatus.AVAILABLE
    with pytest.raises(Conflict, match="is back \\(“Available”\\): mark it found instead"):
        rot.resolve_missing(line, Resolution.LOST, actor=net.staff)
    rot.resolve_missing(line, Resolution.FOUND, actor=net.staff, at=later(46))
    assert missing_figure(net) == 0 and items[0].id in {row.item_id for row in crate.contents}


def test_a_copy_returned_at_the_point_goes_back_in_its_crate(app, net, packed, reader):
    crate, items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.point_lend(net.bl, reader().barcode, items[0].barcode, actor=net.point_staff, at=later(5))
    result = rot.point_return(net.bl, items[0].barcode, actor=net.point_staff, at=later(12))
    assert result.action == circ.BACK_TO_CRATE
    assert items[0].status == ItemStatus.IN_ROTATION and items[0].location_institution_id == net.bl.id
    line, first = rot.check_back(crate, items[0].barcode, actor=net.staff, at=later(60))
    assert first


def test_a_copy_returned_at_the_library_desk_can_still_be_scanned_back(app, net, packed, reader):
    """A reader who borrowed at the point and brought the book to the district library: it is back home."""
    crate, items = packed(2)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.point_lend(net.bl, reader().barcode, items[0].barcode, actor=net.point_staff, at=later(5))
    circ.check_in(items[0], institution=net.td, actor=net.desk, at=later(9))
    assert items[0].status == ItemStatus.AVAILABLE
    rot.return_crate(crate, actor=net.staff, at=later(60), barcodes=[items[1].barcode])
    line = next(line for line in trip.lines if line.item_id == items[0].id)
    assert (line.outcome, line.missing_cause) == (Outcome.MISSING, MissingCause.ELSEWHERE)
