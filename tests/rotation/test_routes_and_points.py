"""Route plans and the next moves; use at the point: tallies, visits and loans through the point desk."""
import datetime as dt

import pytest

from ilms.circulation.models import TallyKind
from ilms.common.errors import Conflict, DomainError, PermissionDenied
from ilms.rotation import services as rot
from ilms.rotation.models import CrateState
from tests.rotation.conftest import DAY, at, later


def test_a_route_gives_each_dispatch_its_point_and_stay(app, net, packed):
    crate, items = packed(2)
    rot.set_route(crate, [(net.bl, 3), (net.bb, 2)], actor=net.staff)
    assert rot.next_stop(crate).point_id == net.bl.id
    first = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    assert (first.route_position, first.due_back) == (0, dt.date(2024, 6, 4))       # three months at Bình Lư
    assert rot.next_stop(crate).point_id == net.bb.id
    rot.return_crate(crate, actor=net.staff, at=later(90), barcodes=[i.barcode for i in items])
    rot.repack(crate, actor=net.staff, at=later(91))
    second = rot.dispatch(crate, point=net.bb, actor=net.staff, at=later(92))
    assert (second.route_position, second.due_back) == (1, dt.date(2024, 8, 4))       # two months at Bản Bo
    assert rot.next_stop(crate) is None                                                # the route is done
    rot.set_route(crate, [(net.bl, 3), (net.bb, 2)], actor=net.staff, repeats=True)
    assert rot.next_stop(crate).point_id == net.bl.id                                  # ... unless it repeats


def test_a_trip_off_the_route_does_not_move_along_it(app, net, packed):
    crate, items = packed(1)
    rot.set_route(crate, [(net.bl, 3), (net.bb, 3)], actor=net.staff)
    trip = rot.dispatch(crate, point=net.bb, actor=net.staff, at=at(DAY, 10))     # sent elsewhere for a festival
    assert trip.route_position is None and trip.due_back == dt.date(2024, 6, 4)
    assert rot.next_stop(crate).point_id == net.bl.id


def test_route_refusals(app, net, packed):
    crate, _items = packed(1)
    with pytest.raises(DomainError, match="Crates go to postal cultural points"):
        rot.set_route(crate, [(net.pt, 3)], actor=net.staff)
    with pytest.raises(DomainError, match="Stop 2: a crate stays 1 to 24 months at a point"):
        rot.set_route(crate, [(net.bl, 3), (net.bb, 30)], actor=net.staff)
    with pytest.raises(PermissionDenied):
        rot.set_route(crate, [(net.bl, 3)], actor=net.staff_pt)


def test_next_moves_bring_crates_back_on_time_and_send_the_ones_at_home(app, net, packed):
    out, _items = packed(1)
    rot.set_route(out, [(net.bl, 1), (net.bb, 1)], actor=net.staff)
    rot.dispatch(out, point=net.bl, actor=net.staff, at=at(DAY, 10))
    home, _items = packed(1)
    rot.set_route(home, [(net.bb, 2)], actor=net.staff)
    idle, _items = packed(1)                                           # no route: no move to suggest
    moves = rot.next_moves([out, home, idle])
    assert [(m.crate.code, m.kind, m.point.code) for m in moves] == [
        (home.code, "send", "BD-TD-BB"), (out.code, "bring_back", "BD-TD-BL")]
    assert moves[1].when == dt.date(2024, 4, 4) and moves[1].then.point_id == net.bb.id
    assert moves[1].overdue      # 04/04/2024 has passed


def test_point_staff_keep_paper_counts_through_the_desks_tally_service(app, net):
    tally = rot.point_tally(net.bl, actor=net.point_staff, date=DAY, kind="visits", count=12, note="buổi sáng")
    assert (tally.institution_id, tally.kind, tally.count, tally.by_id) == (net.bl.id, TallyKind.VISITS, 12,
                                                                              net.point_staff.id)
    rot.point_tally(net.bl, actor=net.staff, date=DAY, kind="loans", count=4)            # the district's staff too
    with pytest.raises(PermissionDenied):
        rot.point_tally(net.bl, actor=net.point_staff_ms, date=DAY, kind="visits", count=1)
    with pytest.raises(DomainError, match="is not a postal cultural point"):
        rot.point_tally(net.td, actor=net.staff, date=DAY, kind="visits", count=1)    # the library uses its desk
    with pytest.raises(DomainError, match="The count must be a whole number"):
        rot.point_tally(net.bl, actor=net.point_staff, date=DAY, kind="visits", count=-3)
    rot.delete_point_tally(tally, actor=net.point_staff)


def test_the_point_desk_lends_only_what_is_at_the_point_by_the_desks_rules(app, net, packed, copies, reader):
    crate, items = packed(2)
    (at_library,) = copies(1)
    patron = reader()
    with pytest.raises(Conflict, match="belongs to Thư viện huyện Tam Đường and is not lent here"):
        rot.point_lend(net.bl, patron.barcode, at_library.barcode, actor=net.point_staff, at=at(DAY, 11))
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    with pytest.raises(Conflict, match="Điểm Bưu điện văn hóa xã Bình Lư and is not lent here"):
        rot.point_lend(net.bb, patron.barcode, items[0].barcode, actor=net.staff, at=at(DAY, 11))
    expired = reader(card_expires=dt.date(2023, 12, 31))
    with pytest.raises(Conflict, match="card"):
        rot.point_lend(net.bl, expired.barcode, items[0].barcode, actor=net.point_staff, at=at(DAY, 11))
    loan, warning = rot.point_lend(net.bl, patron.barcode, items[0].barcode, actor=net.point_staff, at=at(DAY, 11))
    assert warning is None and loan.due_date < dt.date(2024, 6, 4)
    with pytest.raises(PermissionDenied):                        # staff of another district's point
        rot.point_lend(net.bl, patron.barcode, items[1].barcode, actor=net.point_staff_ms, at=at(DAY, 12))
    with pytest.raises(PermissionDenied):                        # rotation staff of another district
        rot.point_lend(net.bl, patron.barcode, items[1].barcode, actor=net.staff_pt, at=at(DAY, 12))


def test_point_desk_rights_do_not_reach_beyond_the_point(app, net):
    desk = rot.PointDeskActor(net.point_staff, net.bl)
    assert desk.can("circulation.desk", net.bl) and desk.id == net.point_staff.id
    assert not desk.can("circulation.desk", net.td) and not desk.can("circulation.desk", net.bb)
    assert not desk.can("patrons.view", net.td)
    with pytest.raises(PermissionDenied):
        rot.PointDeskActor(net.point_staff, net.bb)


def test_visits_at_the_point_count_once_a_day(app, net, reader):
    patron = reader()
    visit, first = rot.point_visit(net.bl, patron.barcode, actor=net.point_staff, at=at(DAY, 8))
    assert first and visit.institution_id == net.bl.id
    assert rot.point_visit(net.bl, patron.barcode, actor=net.point_staff, at=at(DAY, 15))[1] is False


def test_holdings_of_points(app, net, packed, reader):
    crate, items = packed(3)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.point_lend(net.bl, reader().barcode, items[0].barcode, actor=net.point_staff, at=at(DAY, 11))
    (bl, bb) = rot.holdings([net.bl, net.bb])
    # Not yet confirmed as received: the copies on the shelf are counted on their way, not at the point.
    assert (bl.in_rotation, bl.on_way, bl.on_loan, [t.crate_id for t in bl.trips]) == (0, 2, 1, [crate.id])
    assert (bb.copies, bb.trips) == (0, [])
    assert [p.code for p in rot.points_for(net.staff)] == ["BD-TD-BB", "BD-TD-BL"]
    assert [p.code for p in rot.points_for(net.point_staff)] == ["BD-TD-BL"]
    assert crate.state == CrateState.DISPATCHED
    rot.confirm_receipt(crate, actor=net.point_staff, at=at(DAY, 12))
    (bl,) = rot.holdings([net.bl])
    assert (bl.in_rotation, bl.on_way, bl.on_loan) == (2, 0, 1)
