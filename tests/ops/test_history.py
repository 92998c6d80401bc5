"""Historical lines: a copy's transit home and its arrival (``checkin``), loans past today's desk policy
(imported as recorded, counted, listed with ``--report``, marked in the audit trail like a desk override),
missing prerequisites said once, and ``ops import -`` (issue 17)."""
import json

import sqlalchemy as sa

from ilms.audit.models import AuditEntry
from ilms.catalog.models import ItemStatus
from ilms.catalog.services import item_by_barcode
from ilms.circulation import policy
from ilms.circulation import services as circulation
from ilms.circulation.models import Loan, Transit
from ilms.common.errors import Conflict
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.org import services as org
from ilms.patrons import services as patrons


def write(tmp_path, lines, name="history.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return path


NETWORK = [
    {"type": "institution", "code": "TVT", "name": "Thư viện tỉnh Lai Châu", "kind": "provincial_library",
     "level": "province"},
    {"type": "institution", "code": "TVH-TD", "name": "Thư viện huyện Tam Đường", "kind": "district_library",
     "level": "district", "parent": "TVT"},
    {"type": "patron", "barcode": "BD00020", "name": "Bạn đọc 20", "institution": "TVT", "category": "adult"},
    {"type": "item", "barcode": "TVT000001", "institution": "TVT", "accessioned": "2023-01-10",
     "source": "purchase", "title": "Truyện cổ Thái"},
]

#: Two libraries, one reader, one copy: lent at A, returned at B (so it travels home), lent at A a month later.
TRANSIT = NETWORK + [
    {"type": "checkout", "item": "TVT000001", "patron": "BD00020", "institution": "TVT",
     "at": "2024-03-02T08:15:00+07:00"},
    {"type": "return", "item": "TVT000001", "institution": "TVH-TD", "at": "2024-03-10T09:00:00+07:00"},
    {"type": "checkout", "item": "TVT000001", "patron": "BD00020", "institution": "TVT",
     "at": "2024-04-10T08:00:00+07:00"},
]


def test_the_seven_line_transit_case_is_refused_without_the_arrival(app, runner, tmp_path):
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, TRANSIT))])
    assert result.exit_code == 1
    assert result.output.startswith("7: ") and "TVT000001" in result.output


def test_a_checkin_line_records_the_arrival_and_the_next_loan_goes_through(app, runner, tmp_path):
    arrival = {"type": "checkin", "item": "TVT000001", "institution": "TVT", "at": "2024-03-12T10:00:00+07:00"}
    lines = TRANSIT[:6] + [arrival] + TRANSIT[6:]
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines))])
    assert result.exit_code == 0, result.output
    item = item_by_barcode("TVT000001")
    assert item.status == ItemStatus.ON_LOAN
    transit = db.session.scalar(sa.select(Transit).where(Transit.item_id == item.id))
    assert transit.received_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.item_id == item.id)) == 2
    # and the export writes the arrival back, between the return and the next loan
    exported = [json.loads(line) for line in runner.invoke(args=["ops", "export", "--year", "2024"]).output
                .splitlines()]
    assert [line["type"] for line in exported if line["type"] in ("checkout", "return", "checkin")] == [
        "checkout", "return", "checkin", "checkout"]
    assert [line for line in exported if line["type"] == "checkin"] == [arrival]


def test_a_checkin_of_a_copy_on_loan_is_refused(app, runner, tmp_path):
    lines = TRANSIT[:5] + [{"type": "checkin", "item": "TVT000001", "institution": "TVT",
                            "at": "2024-03-05T10:00:00+07:00"}]
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines))])
    assert result.exit_code == 1 and "6:" in result.output and "'return' line" in result.output


def _policy_file():
    """Reader BD00020 keeps a copy far past its due date and then borrows another (overdue block);
    reader BD00021 borrows three copies where the rule allows two (loan limit)."""
    lines = list(NETWORK) + [
        {"type": "patron", "barcode": "BD00021", "name": "Bạn đọc 21", "institution": "TVT", "category": "adult"}]
    for n in range(2, 6):
        lines.append({"type": "item", "barcode": f"TVT00000{n}", "institution": "TVT", "accessioned": "2023-01-10",
                      "source": "purchase", "title": f"Sách số {n}"})
    lines += [
        {"type": "checkout", "item": "TVT000001", "patron": "BD00020", "institution": "TVT",
         "at": "2024-01-02T08:00:00+07:00", "due": "2024-01-16"},
        {"type": "checkout", "item": "TVT000002", "patron": "BD00020", "institution": "TVT",
         "at": "2024-03-02T08:00:00+07:00"},                                       # line 11: overdue block
        {"type": "checkout", "item": "TVT000003", "patron": "BD00021", "institution": "TVT",
         "at": "2024-03-03T08:00:00+07:00"},
        {"type": "checkout", "item": "TVT000004", "patron": "BD00021", "institution": "TVT",
         "at": "2024-03-03T08:01:00+07:00"},
        {"type": "checkout", "item": "TVT000005", "patron": "BD00021", "institution": "TVT",
         "at": "2024-03-03T08:02:00+07:00"},                                       # line 14: past the limit
    ]
    return lines


def _tight_policy():
    """Two loans at a time; an overdue copy blocks borrowing from its first day (the default settings)."""
    policy.save_rule(actor=SYSTEM, institution=None, loan_days=14, max_loans=2, max_renewals=1)
    assert policy.settings_for(org.get_by_code("TVT").id).overdue_block_days == 0
    db.session.commit()


def test_loans_past_the_desk_policy_are_imported_counted_and_reported(app, runner, tmp_path):
    runner.invoke(args=["ops", "import", str(write(tmp_path, NETWORK[:2], "network.jsonl"))])
    _tight_policy()
    report = tmp_path / "overrides.txt"
    result = runner.invoke(args=["ops", "import", "--report", str(report), str(write(tmp_path, _policy_file()))])
    assert result.exit_code == 0, result.output
    assert "2 line(s) recorded past the desk's policy: 1 over_limit, 1 overdue" in result.output
    listed = report.read_text(encoding="utf-8").splitlines()
    assert [row.split(":")[0] for row in listed] == ["11", "14"]
    assert listed[0].startswith("11: overdue: ") and listed[1].startswith("14: over_limit: ")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 5
    marks = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "override")
                               .order_by(AuditEntry.id)).all()
    assert [m.changes_dict()["rules"] for m in marks] == [["overdue"], ["over_limit"]]
    assert all("line" in m.changes_dict()["reason"] for m in marks)
    assert all(m.table_name == "loans" for m in marks)


def test_the_desk_refuses_the_same_loan_without_an_override_and_marks_it_alike_with_one(app, runner, tmp_path):
    runner.invoke(args=["ops", "import", str(write(tmp_path, NETWORK[:2], "network.jsonl"))])
    _tight_policy()
    lines = _policy_file()
    runner.invoke(args=["ops", "import", str(write(tmp_path, lines[:10]))])
    tvt, reader = org.get_by_code("TVT"), patrons.patron_by_barcode("BD00020")
    item = item_by_barcode("TVT000002")
    try:
        circulation.checkout(reader, item, institution=tvt, actor=SYSTEM)
        raise AssertionError("the desk lent past the overdue block")
    except Conflict as error:
        assert error.code == "overdue"
    db.session.rollback()
    override = circulation.Override(reason="Giám đốc đồng ý")
    loan = circulation.checkout(reader, item, institution=tvt, actor=SYSTEM, override=override)
    db.session.commit()
    assert override.rules == ["overdue"]
    mark = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "override"))
    assert mark.record_id == str(loan.id) and mark.changes_dict()["rules"] == ["overdue"]
    assert mark.changes_dict()["reason"] == "Giám đốc đồng ý"


def test_an_override_needs_a_reason(app, runner, tmp_path):
    runner.invoke(args=["ops", "import", str(write(tmp_path, NETWORK))])
    try:
        circulation.checkout(patrons.patron_by_barcode("BD00020"), item_by_barcode("TVT000001"),
                             institution=org.get_by_code("TVT"), actor=SYSTEM,
                             override=circulation.Override(reason="  "))
        raise AssertionError("an override without a reason was accepted")
    except Exception as error:  # noqa: BLE001 - the DomainError's field is what we check
        assert getattr(error, "field", None) == "override_reason"


def test_import_reads_standard_input(app, runner, tmp_path):
    text = write(tmp_path, NETWORK).read_text(encoding="utf-8")
    result = runner.invoke(args=["ops", "import", "-"], input=text.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert "4 line(s) applied" in result.output
    assert item_by_barcode("TVT000001").institution.code == "TVT"


def test_a_missing_catalogue_record_is_said_once_with_what_to_do(app, runner, tmp_path):
    lines = NETWORK[:3]
    for n in range(5):
        lines.append({"type": "item", "barcode": f"X{n}", "institution": "TVT", "accessioned": "2023-01-10",
                      "source": "purchase", "record": f"VN-{n}"})
        lines.append({"type": "checkout", "item": f"X{n}", "patron": "BD00020", "institution": "TVT",
                      "at": f"2024-03-0{n + 1}T08:00:00+07:00"})
    result = runner.invoke(args=["ops", "import", "--partial", str(write(tmp_path, lines))])
    assert result.exit_code == 1
    assert result.output.count("import-marc") == 1
    assert "5 item line(s) name catalogue records" in result.output
    assert "5 later line(s) name copies whose own item line was refused" in result.output
    assert "no record has the control number" not in result.output      # not once per line
    rejected = (tmp_path / "history.rejected.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rejected) == 10


def test_a_transfer_line_moves_the_copy_and_the_export_writes_it_back(app, runner, tmp_path):
    transfer = {"type": "transfer", "item": "TVT000001", "to": "TVH-TD", "date": "2024-02-01"}
    lines = NETWORK + [
        {"type": "patron", "barcode": "BD00030", "name": "Bạn đọc 30", "institution": "TVH-TD",
         "category": "adult"},
        transfer,
        {"type": "checkout", "item": "TVT000001", "patron": "BD00030", "institution": "TVH-TD",
         "at": "2024-02-01T08:00:00+07:00"}]
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines))])
    assert result.exit_code == 0, result.output
    assert item_by_barcode("TVT000001").institution.code == "TVH-TD"
    exported = [json.loads(line) for line in runner.invoke(args=["ops", "export", "--from", "2023-01-01",
                                                                 "--to", "2024-12-31"]).output.splitlines()]
    item_line = next(line for line in exported if line["type"] == "item")
    assert item_line["institution"] == "TVT"                    # as it was acquired
    events = [line for line in exported if line["type"] in ("transfer", "checkout")]
    assert events[0] == transfer and events[1]["type"] == "checkout"


def test_a_missing_copy_found_again_and_the_crate_unpacked_travel_as_lines(app, runner, tmp_path):
    lines = NETWORK[:2] + [
        {"type": "institution", "code": "BD-TD-BL", "name": "Điểm Bưu điện văn hóa xã Bình Lư",
         "kind": "postal_cultural_point", "level": "commune", "parent": "TVH-TD"}]
    for n in range(3):
        lines.append({"type": "item", "barcode": f"HTD00000{n}", "institution": "TVH-TD",
                      "accessioned": "2023-01-15", "source": "purchase", "title": f"Sách luân chuyển {n}"})
    lines += [
        {"type": "crate", "code": "TD-T01", "institution": "TVH-TD", "items": ["HTD000000", "HTD000001", "HTD000002"]},
        {"type": "dispatch", "crate": "TD-T01", "point": "BD-TD-BL", "at": "2024-03-01T08:00:00+07:00"},
        {"type": "crate_receipt", "crate": "TD-T01", "at": "2024-03-02T10:00:00+07:00"},
        {"type": "crate_return", "crate": "TD-T01", "at": "2024-06-01T09:00:00+07:00",
         "items": ["HTD000000", "HTD000001"]},
        {"type": "missing_settled", "crate": "TD-T01", "item": "HTD000002", "resolution": "found",
         "at": "2024-06-20T09:00:00+07:00"},
        {"type": "unpack", "crate": "TD-T01", "at": "2024-06-21T09:00:00+07:00"},
    ]
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines))])
    assert result.exit_code == 0, result.output
    assert item_by_barcode("HTD000002").status == ItemStatus.AVAILABLE
    exported = [json.loads(line) for line in runner.invoke(args=["ops", "export", "--year", "2024"]).output
                .splitlines()]
    assert [line["type"] for line in exported][-6:] == ["crate", "dispatch", "crate_receipt", "crate_return",
                                                        "missing_settled", "unpack"]
    assert exported[-6:] == lines[-6:]


def test_blocks_and_holds_travel_as_lines(app, runner, tmp_path):
    lines = NETWORK + [
        {"type": "patron", "barcode": "BD00021", "name": "Bạn đọc 21", "institution": "TVT", "category": "adult"},
        {"type": "checkout", "item": "TVT000001", "patron": "BD00020", "institution": "TVT",
         "at": "2024-03-02T08:15:00+07:00"},
        {"type": "hold", "patron": "BD00021", "title": "Truyện cổ Thái", "pickup": "TVT",
         "at": "2024-03-03T09:00:00+07:00"},
        {"type": "block", "patron": "BD00020", "kind": "manual", "reason": "Làm hỏng sách",
         "at": "2024-03-04T09:00:00+07:00"},
        {"type": "block_lift", "patron": "BD00020", "kind": "manual", "at": "2024-03-20T09:00:00+07:00"},
        {"type": "return", "item": "TVT000001", "institution": "TVT", "at": "2024-03-25T09:00:00+07:00"},
    ]
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines))])
    assert result.exit_code == 0, result.output
    assert item_by_barcode("TVT000001").status == ItemStatus.ON_HOLD_SHELF      # the return filled the hold
    assert patrons.patron_by_barcode("BD00020").blocks_at(circulation.utcnow()) == []
    exported = [json.loads(line) for line in runner.invoke(args=["ops", "export", "--year", "2024"]).output
                .splitlines()]
    assert [line for line in exported if line["type"] in ("hold", "block", "block_lift")] == lines[6:9]


def test_the_command_line_shows_progress_with_the_rate_and_the_time_left(app, runner, tmp_path):
    result = runner.invoke(args=["ops", "import", "--progress", str(write(tmp_path, TRANSIT[:6]))])
    assert result.exit_code == 0, result.output
    assert "lines/s" in result.output and " left" in result.output and "100.0%" in result.output
    exported = runner.invoke(args=["ops", "export", "--year", "2024", "--progress"])
    assert exported.exit_code == 0 and "lines/s" in exported.output


def test_a_crate_retired_without_ever_leaving_travels_as_a_line(app, runner, tmp_path):
    retire = {"type": "retire", "crate": "TD-T09", "institution": "TVH-TD", "at": "2024-05-01T09:00:00+07:00"}
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, NETWORK[:2] + [retire]))])
    assert result.exit_code == 0, result.output
    exported = [json.loads(line) for line in runner.invoke(args=["ops", "export", "--year", "2024"]).output
                .splitlines()]
    assert exported[-1] == retire


def test_a_renewal_keeps_the_due_date_it_gave(app, runner, tmp_path):
    renew = {"type": "renew", "item": "TVT000001", "at": "2024-03-10T09:00:00+07:00", "due": "2024-04-30"}
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, TRANSIT[:5] + [renew]))])
    assert result.exit_code == 0, result.output
    loan = db.session.scalar(sa.select(Loan))
    assert loan.due_date.isoformat() == "2024-04-30" and loan.renewals == 1
    exported = [json.loads(line) for line in runner.invoke(args=["ops", "export", "--year", "2024"]).output
                .splitlines()]
    assert [line for line in exported if line["type"] == "renew"] == [renew]


def test_a_training_computer_stays_one(app, runner, tmp_path):
    station = {"type": "station", "code": "TVT-PC09", "institution": "TVT", "in_service_from": "2024-01-01",
               "training_only": True}
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, NETWORK[:1] + [station]))])
    assert result.exit_code == 0, result.output
    exported = [json.loads(line) for line in runner.invoke(args=["ops", "export", "--year", "2024"]).output
                .splitlines()]
    assert [line for line in exported if line["type"] == "station"] == [station]
