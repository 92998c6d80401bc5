"""The life of a crate: every transition of its table, and every refusal with the reason a librarian reads."""
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ilms.catalog import services as catalog
from ilms.catalog.models import ItemStatus
from ilms.circulation import services as circ
from ilms.common.errors import Conflict, DomainError, InvalidTransition, NotFound, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.rotation import services as rot
from ilms.rotation.models import (CRATE_TRANSITIONS, CrateAction, CrateItem, CrateState, MissingCause, Outcome)
from tests.rotation.conftest import DAY, at, later

S = CrateState


def states_seen(crate):
    return [(e.action, e.state) for e in crate.events]


# -- creating a crate -------------------------------------------------------------------

def test_a_new_crate_gets_the_next_code_of_its_library_and_starts_packing(app, net):
    first = rot.create_crate(actor=net.staff, institution=net.td, theme="children", at=at(DAY))
    second = rot.create_crate(actor=net.staff, institution=net.td, at=at(DAY))
    assert (first.code, second.code) == ("TS-HTD-001", "TS-HTD-002")
    assert first.state == S.PACKING and first.theme.value == "children"
    assert first.events[0].action == CrateAction.CREATED and first.events[0].by_id == net.staff.id
    assert first.events[0].at == at(DAY)


def test_crate_codes_are_unique_and_never_a_copys_barcode(app, net, copies):
    rot.create_crate(actor=net.staff, institution=net.td, code="ts-1")
    with pytest.raises(Conflict, match="Another crate already has the code TS-1"):
        rot.create_crate(actor=net.staff, institution=net.td, code="TS-1")
    (item,) = copies(1)
    with pytest.raises(Conflict, match=f"{item.barcode} is the barcode of a copy"):
        rot.create_crate(actor=net.staff, institution=net.td, code=item.barcode)
    with pytest.raises(DomainError, match="cannot be a crate code"):
        rot.create_crate(actor=net.staff, institution=net.td, code="thùng 1")


def test_only_a_librarys_own_staff_make_its_crates_and_only_libraries_own_crates(app, net):
    with pytest.raises(PermissionDenied, match="Thư viện huyện Tam Đường is not yours"):
        rot.create_crate(actor=net.staff_pt, institution=net.td)
    with pytest.raises(PermissionDenied):
        rot.create_crate(actor=net.desk, institution=net.td)       # desk staff do not run rotation
    with pytest.raises(DomainError, match="Crates belong to a library"):
        rot.create_crate(actor=net.point_staff, institution=net.bl)


# -- packing ---------------------------------------------------------------------------------

def test_packing_by_scanning_barcodes(app, net, copies):
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    items = copies(3)
    for item in items:
        rot.pack(crate, f"  {item.barcode.lower()}\r", actor=net.staff, at=at(DAY))     # as a scanner sends it
    assert [row.item for row in crate.contents] == items
    assert all(row.added_by_id == net.staff.id for row in crate.contents)
    assert all(item.status == ItemStatus.AVAILABLE for item in items)      # on the library's shelf until it leaves


def test_a_copy_goes_in_one_crate_only(app, net, packed):
    crate, (item, *_rest) = packed(2)
    with pytest.raises(Conflict, match="already in this crate"):
        rot.pack(crate, item.barcode, actor=net.staff)
    other = rot.create_crate(actor=net.staff, institution=net.td)
    with pytest.raises(Conflict, match=rf"already in crate {crate.code} \(Being packed\)\. A copy travels in one "
                                       rf"crate only: take it out of {crate.code} first"):
        rot.pack(other, item.barcode, actor=net.staff)
    # ... and the database itself refuses it, whatever two screens do at once.
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(CrateItem(crate_id=other.id, item_id=item.id, added_at=at(DAY)))
            db.session.flush()
    rot.take_out(crate, item, actor=net.staff)
    rot.pack(other, item.barcode, actor=net.staff)
    assert [row.item_id for row in other.contents] == [item.id]


def test_a_copy_on_loan_cannot_be_packed(app, net, copies, reader):
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    (item,) = copies(1)
    loan = circ.checkout(reader(), item, institution=net.td, actor=net.desk, at=at(DAY))
    with pytest.raises(Conflict, match=rf"is on loan to a reader until {loan.due_date:%d/%m/%Y}; pack it when it "
                                       r"comes back") as refused:
        rot.pack(crate, item.barcode, actor=net.staff)
    assert refused.value.code == "on_loan"
    assert crate.contents == []


def test_a_withdrawn_copy_cannot_be_packed(app, net, copies):
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    (item,) = copies(1)
    catalog.set_item_status(item, ItemStatus.WITHDRAWN)
    with pytest.raises(Conflict, match="was withdrawn from the collection; it cannot travel") as refused:
        rot.pack(crate, item.barcode, actor=net.staff)
    assert refused.value.code == "withdrawn"


def test_a_copy_trapped_for_a_hold_or_wanted_by_a_waiting_reader_cannot_be_packed(app, net, copies, reader,
                                                                                   factories):
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    wanted, on_shelf = copies(2)
    # A reader waits for the title of ``wanted``, and it is the only copy on a shelf: it fills the hold, not
    # a crate.
    circ.place_hold(reader(), wanted.record, pickup=net.td, institution=net.td, actor=net.desk, at=at(DAY))
    with pytest.raises(Conflict, match="1 reader\\(s\\) are waiting for .* and no other copy on the shelves can "
                                       "fill their holds") as refused:
        rot.pack(crate, wanted.barcode, actor=net.staff)
    assert refused.value.code == "hold_waiting"
    # With a second copy on the shelf, one of the two may travel; the last one stays for the reader.
    second = factories.item(net.td, record=wanted.record)
    rot.pack(crate, second.barcode, actor=net.staff)
    with pytest.raises(Conflict, match="are waiting for"):
        rot.pack(crate, wanted.barcode, actor=net.staff)
    # A copy set aside on the holds shelf for a reader.
    patron = reader()
    lender = reader()
    circ.checkout(lender, on_shelf, institution=net.td, actor=net.desk, at=at(DAY))
    circ.place_hold(patron, on_shelf.record, pickup=net.td, institution=net.td, actor=net.desk, at=at(DAY, 10))
    circ.check_in(on_shelf, institution=net.td, actor=net.desk, at=at(DAY, 11))
    assert on_shelf.status == ItemStatus.ON_HOLD_SHELF
    with pytest.raises(Conflict, match="is set aside on the holds shelf of Thư viện huyện Tam Đường") as refused:
        rot.pack(crate, on_shelf.barcode, actor=net.staff)
    assert refused.value.code == "on_hold"


def test_other_refusals_when_packing(app, net, copies, packed):
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    (theirs,) = copies(1, institution=net.pt)
    with pytest.raises(Conflict, match="belongs to Thư viện huyện Phong Thổ; a crate of Thư viện huyện Tam Đường "
                                       "carries only its own copies"):
        rot.pack(crate, theirs.barcode, actor=net.staff)
    (damaged,) = copies(1)
    catalog.set_item_status(damaged, ItemStatus.DAMAGED)
    with pytest.raises(Conflict, match="is marked “Damaged”; only copies on the shelf can be packed"):
        rot.pack(crate, damaged.barcode, actor=net.staff)
    with pytest.raises(NotFound, match="No copy has the barcode NOPE1"):
        rot.pack(crate, "nope1", actor=net.staff)
    out, (travelling, *_rest) = packed(2)
    rot.dispatch(out, point=net.bl, actor=net.staff, at=at(DAY, 10))
    with pytest.raises(Conflict, match=rf"already in crate {out.code} \(On its way to the point\)"):
        rot.pack(crate, travelling.barcode, actor=net.staff)
    with pytest.raises(PermissionDenied):
        rot.pack(crate, damaged.barcode, actor=net.staff_pt)


def test_packing_is_refused_while_the_crate_is_out_or_back_unsorted(app, net, packed, copies):
    crate, items = packed(2)
    (spare,) = copies(1)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    with pytest.raises(Conflict, match="is at or on its way to a point"):
        rot.pack(crate, spare.barcode, actor=net.staff)
    with pytest.raises(Conflict, match="copies come out of it only at the library"):
        rot.take_out(crate, items[0], actor=net.staff)
    rot.return_crate(crate, actor=net.staff, at=later(30), barcodes=[i.barcode for i in items])
    with pytest.raises(Conflict, match="is back from its point: re-pack it for the next point"):
        rot.pack(crate, spare.barcode, actor=net.staff)


# -- dispatch -------------------------------------------------------------------------------------

def test_dispatching_puts_every_copy_in_rotation_at_the_point(app, net, packed):
    crate, items = packed(3)
    trip = rot.dispatch(crate, point=net.bl, due_back=dt.date(2024, 6, 4), actor=net.staff, at=at(DAY, 10),
                        note="xe bưu điện")
    assert crate.state == S.DISPATCHED
    assert all(i.status == ItemStatus.IN_ROTATION and i.location_institution_id == net.bl.id for i in items)
    assert trip.copies_sent == 3 and sorted(line.item_id for line in trip.lines) == sorted(i.id for i in items)
    assert (trip.dispatched_at, trip.dispatched_by_id, trip.institution_id) == (at(DAY, 10), net.staff.id, net.td.id)
    event = crate.events[-1]
    assert (event.action, event.state, event.at, event.by_id, event.point_id) == (
        CrateAction.DISPATCHED, S.DISPATCHED, at(DAY, 10), net.staff.id, net.bl.id)


def test_an_empty_crate_cannot_be_dispatched(app, net):
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    with pytest.raises(Conflict, match=f"Crate {crate.code} is empty: scan the copies into it before dispatching"):
        rot.dispatch(crate, point=net.bl, actor=net.staff)
    assert crate.state == S.PACKING


def test_dispatch_refusals(app, net, packed, reader):
    crate, items = packed(2)
    with pytest.raises(DomainError, match="Crates go to postal cultural points; Thư viện huyện Phong Thổ is not one"):
        rot.dispatch(crate, point=net.pt, actor=net.staff)
    with pytest.raises(DomainError, match="The due-back date \\(04/03/2024\\) must come after the dispatch"):
        rot.dispatch(crate, point=net.bl, due_back=DAY, actor=net.staff, at=at(DAY))
    with pytest.raises(PermissionDenied):
        rot.dispatch(crate, point=net.ms, actor=net.staff_pt)
    # A copy lent at the desk while it sat in the crate stops the crate, with the reason.
    circ.checkout(reader(), items[0], institution=net.td, actor=net.desk, at=at(DAY, 9))
    with pytest.raises(Conflict, match=rf"Crate {crate.code} cannot leave yet: .*{items[0].barcode}.* is on loan"):
        rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    assert crate.state == S.PACKING and items[1].status == ItemStatus.AVAILABLE
    rot.take_out(crate, items[0], actor=net.staff)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    with pytest.raises(InvalidTransition, match="only a crate being packed can be dispatched"):
        rot.dispatch(crate, point=net.bb, actor=net.staff, at=at(DAY, 11))


def test_a_dispatch_without_a_date_is_due_back_in_three_months(app, net, packed):
    crate, _items = packed(1)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(dt.date(2024, 11, 30)))
    assert trip.due_back == dt.date(2025, 2, 28)


def test_cancelling_a_dispatch_before_receipt(app, net, packed):
    crate, items = packed(2)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.cancel_dispatch(crate, actor=net.staff, at=at(DAY, 11), reason="nhầm điểm")
    assert crate.state == S.PACKING and trip.cancelled_at == at(DAY, 11)
    assert all(i.status == ItemStatus.AVAILABLE and i.location_institution_id is None for i in items)
    assert len(crate.contents) == 2
    rot.dispatch(crate, point=net.bb, actor=net.staff, at=at(DAY, 12))
    rot.confirm_receipt(crate, actor=net.staff, at=at(DAY, 15))
    with pytest.raises(InvalidTransition, match="not yet received by the point"):
        rot.cancel_dispatch(crate, actor=net.staff)


# -- receipt ------------------------------------------------------------------------------------------

def test_the_point_confirms_receipt_or_the_library_does(app, net, packed):
    crate, _items = packed(1)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    with pytest.raises(PermissionDenied):
        rot.confirm_receipt(crate, actor=net.point_staff_ms, at=later(1))      # another district's point
    with pytest.raises(DomainError, match="cannot arrive .* before it left"):
        rot.confirm_receipt(crate, actor=net.point_staff, at=at(DAY, 8))
    rot.confirm_receipt(crate, actor=net.point_staff, at=later(1), note="đủ thùng")
    assert crate.state == S.RECEIVED
    assert (trip.received_at, trip.received_by_id) == (later(1), net.point_staff.id)
    with pytest.raises(Conflict, match="was already confirmed on 05/03/2024"):
        rot.confirm_receipt(crate, actor=net.staff, at=later(2))
    other, _items = packed(1)
    with pytest.raises(InvalidTransition, match="has not been dispatched .*nothing to receive"):
        rot.confirm_receipt(other, actor=net.staff)
    rot.dispatch(other, point=net.bb, actor=net.staff, at=at(DAY, 10))
    rot.confirm_receipt(other, actor=net.staff, at=later(2))          # the library confirms for the point
    assert other.state == S.RECEIVED


# -- return --------------------------------------------------------------------------------------------

def test_returning_a_crate_that_was_not_dispatched_is_refused(app, net, packed):
    crate, items = packed(2)
    with pytest.raises(InvalidTransition, match=f"Crate {crate.code} is “Being packed”: it is not out at a point, "
                                                f"so it cannot be returned"):
        rot.return_crate(crate, actor=net.staff, barcodes=[items[0].barcode])
    with pytest.raises(InvalidTransition, match="not out at a point"):
        rot.check_back(crate, items[0].barcode, actor=net.staff)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(crate, actor=net.staff, at=later(20), barcodes=[i.barcode for i in items])
    with pytest.raises(InvalidTransition, match="is “Back at the library”: it is not out at a point"):
        rot.return_crate(crate, actor=net.staff, at=later(21))


def test_return_scans_refuse_copies_that_did_not_travel_in_the_crate(app, net, packed, copies):
    crate, items = packed(2)
    (stranger,) = copies(1)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    with pytest.raises(Conflict, match=f"was not in crate {crate.code} when it left for Điểm Bưu điện văn hóa xã "
                                       "Bình Lư. Put it aside"):
        rot.check_back(crate, stranger.barcode, actor=net.staff)
    line, first = rot.check_back(crate, items[0].barcode, actor=net.staff, at=later(30))
    assert first and line.checked_at == later(30)
    assert rot.check_back(crate, items[0].barcode, actor=net.staff)[1] is False
    rot.uncheck(crate, line, actor=net.staff)
    assert line.checked_at is None


def test_a_return_without_receipt_copies_back_and_missing(app, net, packed):
    crate, items = packed(3)
    trip = rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(crate, actor=net.staff, at=later(40), barcodes=[items[0].barcode, items[1].barcode],
                     note="thùng hơi ẩm")
    assert crate.state == S.RETURNED and trip.received_at is None
    assert (trip.returned_at, trip.returned_by_id) == (later(40), net.staff.id)
    outcomes = {line.item_id: (line.outcome, line.missing_cause) for line in trip.lines}
    assert outcomes[items[0].id] == (Outcome.BACK, None)
    assert outcomes[items[2].id] == (Outcome.MISSING, MissingCause.NOT_FOUND)
    assert [i.status for i in items] == [ItemStatus.AVAILABLE, ItemStatus.AVAILABLE, ItemStatus.MISSING]
    assert items[0].location_institution_id is None
    assert sorted(row.item_id for row in crate.contents) == sorted([items[0].id, items[1].id])
    assert "2 of 3 copies back, 1 missing. thùng hơi ẩm" in crate.events[-1].note


# -- after the return ------------------------------------------------------------------------------------

def test_repack_for_the_next_point_keeps_what_came_back(app, net, packed):
    crate, items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(crate, actor=net.staff, at=later(30), barcodes=[i.barcode for i in items])
    with pytest.raises(InvalidTransition, match="Only a crate back from its point can be re-packed"):
        rot.repack(rot.create_crate(actor=net.staff, institution=net.td), actor=net.staff)
    rot.repack(crate, actor=net.staff, at=later(31))
    assert crate.state == S.PACKING and len(crate.contents) == 2
    trip = rot.dispatch(crate, point=net.bb, actor=net.staff, at=later(32))
    assert trip.copies_sent == 2


def test_unpack_retire_and_put_back_in_use(app, net, packed):
    crate, items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    with pytest.raises(InvalidTransition, match="only a crate at the library can be unpacked"):
        rot.unpack(crate, actor=net.staff)
    rot.return_crate(crate, actor=net.staff, at=later(30), barcodes=[i.barcode for i in items])
    with pytest.raises(Conflict, match="still holds 2 copies; unpack it before retiring it"):
        rot.retire(crate, actor=net.staff)
    rot.unpack(crate, actor=net.staff, at=later(31))
    assert crate.state == S.UNPACKED and crate.contents == []
    assert all(i.status == ItemStatus.AVAILABLE for i in items)
    rot.retire(crate, actor=net.staff, at=later(32))
    assert crate.state == S.RETIRED
    with pytest.raises(Conflict, match="is retired; put it back in use first"):
        rot.pack(crate, items[0].barcode, actor=net.staff)
    rot.reactivate(crate, actor=net.staff, at=later(33))
    rot.pack(crate, items[0].barcode, actor=net.staff, at=later(33))      # an unpacked crate starts packing again
    assert crate.state == S.PACKING
    assert [a for a, _s in states_seen(crate)][-4:] == [CrateAction.UNPACKED, CrateAction.RETIRED,
                                                        CrateAction.REACTIVATED, CrateAction.PACKING]


def test_a_crate_being_packed_can_be_unpacked_or_retired_when_empty(app, net, packed):
    crate, items = packed(2)
    rot.unpack(crate, actor=net.staff)
    assert crate.state == S.UNPACKED
    fresh = rot.create_crate(actor=net.staff, institution=net.td)
    rot.retire(fresh, actor=net.staff)
    assert fresh.state == S.RETIRED


def test_every_edge_of_the_transition_table_is_reached_and_the_others_refused(app, net, packed):
    """Walk each allowed edge through the services; try every other pair on the table itself."""
    seen = set()

    def note(crate):
        for before, after in zip(crate.events, crate.events[1:]):
            seen.add((before.state, after.state))

    a, a_items = packed(1)
    rot.dispatch(a, point=net.bl, actor=net.staff, at=at(DAY, 10))                       # packing -> dispatched
    rot.cancel_dispatch(a, actor=net.staff, at=at(DAY, 11))                               # dispatched -> packing
    rot.dispatch(a, point=net.bl, actor=net.staff, at=at(DAY, 12))
    rot.confirm_receipt(a, actor=net.point_staff, at=later(1))                            # dispatched -> received
    rot.return_crate(a, actor=net.staff, at=later(30), barcodes=[a_items[0].barcode])    # received -> returned
    rot.repack(a, actor=net.staff, at=later(31))                                          # returned -> packing
    rot.unpack(a, actor=net.staff, at=later(32))                                          # packing -> unpacked
    rot.pack(a, a_items[0].barcode, actor=net.staff, at=later(33))                        # unpacked -> packing
    note(a)
    b, b_items = packed(1)
    rot.dispatch(b, point=net.bb, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(b, actor=net.staff, at=later(30), barcodes=[b_items[0].barcode])    # dispatched -> returned
    rot.unpack(b, actor=net.staff, at=later(31))                                          # returned -> unpacked
    rot.retire(b, actor=net.staff, at=later(32))                                          # unpacked -> retired
    rot.reactivate(b, actor=net.staff, at=later(33))                                      # retired -> unpacked
    note(b)
    c = rot.create_crate(actor=net.staff, institution=net.td)
    rot.retire(c, actor=net.staff)                                                        # packing -> retired
    note(c)
    allowed = {(state, target) for state, targets in CRATE_TRANSITIONS.table.items() for target in targets}
    assert seen == allowed
    for state in S:
        for target in S:
            if (state, target) not in allowed and state != target:
                with pytest.raises(InvalidTransition):
                    CRATE_TRANSITIONS.check(state, target)


def test_history_of_a_crate_records_each_step_with_its_time_and_person(app, net, packed):
    crate, items = packed(1)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.confirm_receipt(crate, actor=net.point_staff, at=later(1, 14))
    rot.return_crate(crate, actor=net.staff, at=later(30), barcodes=[items[0].barcode])
    steps = [(e.action, e.at, e.by_id) for e in crate.events]
    assert steps == [(CrateAction.CREATED, at(DAY, 8), net.staff.id),
                     (CrateAction.DISPATCHED, at(DAY, 10), net.staff.id),
                     (CrateAction.RECEIVED, later(1, 14), net.point_staff.id),
                     (CrateAction.RETURNED, later(30), net.staff.id)]


# -- where a copy has been ----------------------------------------------------------------------------------

def test_a_copys_history_lists_each_point_it_visited(app, net, packed):
    crate, items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    rot.return_crate(crate, actor=net.staff, at=later(60), barcodes=[i.barcode for i in items])
    rot.repack(crate, actor=net.staff, at=later(61))
    rot.dispatch(crate, point=net.bb, actor=net.staff, at=later(62))
    rot.cancel_dispatch(crate, actor=net.staff, at=later(62, 11))            # a mistake: not a visit
    rot.dispatch(crate, point=net.bb, actor=net.staff, at=later(63))
    rot.return_crate(crate, actor=net.staff, at=later(120), barcodes=[items[0].barcode])
    rot.repack(crate, actor=net.staff, at=later(121))
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=later(122))
    history = rot.item_history(items[0])
    assert [line.dispatch.point.code for line in history] == ["BD-TD-BL", "BD-TD-BB", "BD-TD-BL"]
    assert [line.outcome for line in history] == [Outcome.BACK, Outcome.BACK, None]
    lost_one = rot.item_history(items[1])
    assert [(line.dispatch.point.code, line.outcome) for line in lost_one] == [
        ("BD-TD-BL", Outcome.BACK), ("BD-TD-BB", Outcome.MISSING)]


def test_where_is_every_copy_of_a_title(app, net, factories):
    record = catalog.create_minimal_record(title="Kỹ thuật trồng chè Shan tuyết")
    at_home, travelling, elsewhere = (factories.item(net.td, record=record), factories.item(net.td, record=record),
                                      factories.item(net.pt, record=record))
    crate = rot.create_crate(actor=net.staff, institution=net.td)
    rot.pack(crate, travelling.barcode, actor=net.staff)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    places = {p.item.barcode: p for p in rot.copies_of(record)}
    assert places[travelling.barcode].item.location_institution_id == net.bl.id
    assert places[travelling.barcode].crate.id == crate.id and places[travelling.barcode].trip.point_id == net.bl.id
    assert places[at_home.barcode].crate is None and places[elsewhere.barcode].item.institution_id == net.pt.id
    assert [r.id for r in rot.find_titles("ky thuat trong che", net.staff)] == [record.id]
    assert rot.find_titles("che shan", net.admin)[0].id == record.id


def test_imports_act_as_the_system(app, net, packed):
    crate, items = packed(1)
    trip = rot.dispatch(crate, point=net.bl, actor=SYSTEM, at=at(DAY, 10))
    assert trip.dispatched_by_id is None and crate.events[-1].by_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrateItem)) == 1


def test_flask_check_finds_copies_and_crates_that_disagree(app, net, packed, copies):
    crate, _items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=at(DAY, 10))
    db.session.commit()
    assert rot.consistency_problems() == []
    (stray,) = copies(1)
    catalog.set_item_status(stray, ItemStatus.IN_ROTATION, location=net.bb)      # moved by hand, outside a crate
    barcode = stray.barcode
    db.session.commit()          # the check reads on its own connection, so the test's transaction must end
    assert rot.consistency_problems() == [
        f"copy {barcode} is “in rotation” at Điểm Bưu điện văn hóa xã Bản Bo but is in no crate there; "
        f"check it in at a desk or settle it from its crate's page"]
    from ilms.common.checks import checks
    (registered,) = [c for c in checks() if c.name == "rotation crates and copies"]     # what ``flask check`` runs
    assert registered.run() == rot.consistency_problems()
