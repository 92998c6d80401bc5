"""Holds trapping, the holds shelf, expiry, transits between libraries, and copies lent from rotation crates."""
import datetime as dt

import pytest

from ilms.catalog import services as catalog
from ilms.catalog.models import ItemStatus
from ilms.circulation import services as circ
from ilms.circulation.models import HoldStatus
from ilms.common.errors import Conflict
from ilms.common.permissions import SYSTEM
from tests.circulation.conftest import at

DAY = dt.date(2024, 5, 6)   # a Monday


def test_returned_copy_is_trapped_for_the_first_reader_in_the_queue(app, net, reader, copy):
    item = copy()
    borrower, first, second = reader(), reader(), reader()
    circ.checkout(borrower, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    h1 = circ.place_hold(first, item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt,
                         at=at(DAY, 10))
    h2 = circ.place_hold(second, item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt,
                         at=at(DAY, 11))
    assert (circ.queue_position(h1), circ.queue_position(h2)) == (1, 2)

    result = circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=3)))
    assert result.action == circ.HOLD_SHELF and result.hold is h1
    assert item.status == ItemStatus.ON_HOLD_SHELF
    assert h1.status == HoldStatus.READY and h1.item_id == item.id
    assert h1.expires_on == DAY + dt.timedelta(days=10)        # 7 days to collect, Sunday skipped
    assert first.name in str(result.instruction) and "holds shelf" in str(result.instruction)
    assert circ.holds_shelf(net.tvt.id) == [h1]

    with pytest.raises(Conflict, match="holds shelf for another reader") as refused:
        circ.checkout(second, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=4)))
    assert refused.value.code == "on_hold"
    loan = circ.checkout(first, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=4)))
    assert h1.status == HoldStatus.FULFILLED and loan.hold_id == h1.id
    assert h2.status == HoldStatus.WAITING and circ.queue_position(h2) == 1


def test_a_copy_returned_elsewhere_travels_to_the_pickup_library(app, net, reader, copy):
    item = copy(net.td)
    holder = reader()
    circ.checkout(reader(net.td), item, institution=net.td, actor=net.desk_td, at=at(DAY))
    hold = circ.place_hold(holder, item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt,
                           at=at(DAY, 10))
    result = circ.check_in(item, institution=net.td, actor=net.desk_td, at=at(DAY, 15))
    assert result.action == circ.TRANSIT_HOLD and result.destination == net.tvt
    assert "Send" in str(result.instruction) and net.tvt.name in str(result.instruction)
    assert item.status == ItemStatus.IN_TRANSIT and item.location_institution_id == net.tvt.id
    assert hold.status == HoldStatus.IN_TRANSIT
    assert [t.item_id for t in circ.transits(net.tvt.id)] == [item.id]
    assert [t.item_id for t in circ.transits(net.td.id, incoming=False)] == [item.id]

    with pytest.raises(Conflict, match="in transit") as refused:
        circ.checkout(holder, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 16))
    assert refused.value.code == "in_transit"

    received = circ.receive_transit(result.transit, institution=net.tvt, actor=net.desk_tvt,
                                    at=at(DAY + dt.timedelta(days=1)))
    assert received.action == circ.HOLD_SHELF and hold.status == HoldStatus.READY
    assert item.status == ItemStatus.ON_HOLD_SHELF and item.location_institution_id == net.tvt.id
    assert circ.transits(net.tvt.id) == []
    circ.checkout(holder, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=2)))
    # Back at TVT with no hold waiting, the copy goes home to Tam Đường.
    back = circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=9)))
    assert back.action == circ.TRANSIT_OWNER and back.destination == net.td


def test_a_copy_returned_at_another_library_goes_home_in_transit(app, net, reader, copy):
    item = copy(net.td)
    circ.checkout(reader(), item, institution=net.td, actor=net.desk_td, at=at(DAY))
    result = circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 12))
    assert result.action == circ.TRANSIT_OWNER and result.loan.return_institution_id == net.tvt.id
    assert item.status == ItemStatus.IN_TRANSIT
    # Scanned again at the owner's desk (return mode): received and available again.
    home = circ.check_in(item, institution=net.td, actor=net.desk_td, at=at(DAY + dt.timedelta(days=2)))
    assert home.received is not None and home.action == circ.SHELVE
    assert item.status == ItemStatus.AVAILABLE and item.location_institution_id is None


def test_a_copy_on_the_shelf_is_pulled_for_a_waiting_hold(app, net, reader, copy):
    item = copy()
    holder = reader()
    hold = circ.place_hold(holder, item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt,
                           at=at(DAY))
    assert circ.holds_to_pull(net.tvt.id) == [(hold, item)]
    result = circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 10))
    assert result.action == circ.HOLD_SHELF and hold.status == HoldStatus.READY
    assert circ.holds_to_pull(net.tvt.id) == []


def test_uncollected_holds_expire_and_the_copy_goes_to_the_next_reader(app, net, reader, copy):
    item = copy()
    first, second = reader(), reader()
    h1 = circ.place_hold(first, item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 9))
    h2 = circ.place_hold(second, item.record, pickup=net.td, institution=net.tvt, actor=net.desk_tvt,
                         at=at(DAY, 10))
    assert circ.expire_holds(actor=SYSTEM, today=h1.expires_on) == []          # the last day is still fine
    expired = circ.expire_holds(actor=SYSTEM, today=h1.expires_on + dt.timedelta(days=1))
    assert [h for h, _r in expired] == [h1] and h1.status == HoldStatus.EXPIRED
    assert expired[0][1].action == circ.TRANSIT_HOLD and h2.status == HoldStatus.IN_TRANSIT
    assert item.status == ItemStatus.IN_TRANSIT


def test_cancelling_a_ready_hold_frees_the_copy(app, net, reader, copy):
    item = copy()
    hold = circ.place_hold(reader(), item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt,
                           at=at(DAY))
    circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 9))
    _hold, result = circ.cancel_hold(hold, actor=net.desk_tvt, at=at(DAY, 10))
    assert hold.status == HoldStatus.CANCELLED and result.action == circ.SHELVE
    assert item.status == ItemStatus.AVAILABLE


def test_hold_refusals(app, net, reader, copy):
    item = copy()
    patron = reader()
    circ.place_hold(patron, item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt)
    with pytest.raises(Conflict, match="already has a hold"):
        circ.place_hold(patron, item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt)
    other = copy()
    circ.checkout(patron, other, institution=net.tvt, actor=net.desk_tvt)
    with pytest.raises(Conflict, match="already has a copy"):
        circ.place_hold(patron, other.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt)
    gone = copy()
    catalog.set_item_status(gone, ItemStatus.WITHDRAWN)
    with pytest.raises(Conflict, match="No copy"):
        circ.place_hold(reader(), gone.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt)


def test_borrowing_any_copy_fulfils_the_readers_waiting_hold(app, net, reader, copy):
    record = catalog.create_minimal_record(title="Truyện cổ dân gian Thái")
    a, b = copy(record=record), copy(record=record)
    patron = reader()
    hold = circ.place_hold(patron, record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    circ.checkout(patron, b, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 10))
    assert hold.status == HoldStatus.FULFILLED and a.status == ItemStatus.AVAILABLE


def test_a_copy_lent_at_a_point_from_its_crate_goes_back_in_the_crate(app, net, reader, copy, factories):
    item = copy(net.td)
    catalog.set_item_status(item, ItemStatus.IN_ROTATION, location=net.point)
    point_staff = factories.user("point.bl", role="desk", institution=net.point)
    villager = reader(net.td)
    with pytest.raises(Conflict) as refused:
        circ.checkout(villager, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    assert refused.value.code == "other_library"
    loan = circ.checkout(villager, item, institution=net.point, actor=point_staff, at=at(DAY))
    assert loan.from_rotation and item.status == ItemStatus.ON_LOAN
    result = circ.check_in(item, institution=net.point, actor=point_staff, at=at(DAY + dt.timedelta(days=5)))
    assert result.action == circ.BACK_TO_CRATE
    assert item.status == ItemStatus.IN_ROTATION and item.location_institution_id == net.point.id
