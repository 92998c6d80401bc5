"""The patron, visit, tally, checkout, renew and return lines of exchange.md: same rules as the desk, round trip."""
import json

import pytest

from ilms.catalog.models import ItemStatus
from ilms.circulation import services as circ
from ilms.circulation.models import Loan
from ilms.common.time import Period
from ilms.extensions import db
from ilms.patrons import services as patrons
from ilms.stats import registry
from tests.circulation.conftest import at


def write(tmp_path, lines, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return path


def lines_for(item_tvt, item_td):
    return [
        {"type": "patron", "barcode": "BD-0001", "name": "Lò Văn Piêng", "institution": "TVT", "category": "adult",
         "ethnicity": "Thái", "sex": "M", "birth_year": 1985},
        {"type": "patron", "barcode": "BD-0002", "name": "Giàng Thị Dua", "institution": "TVH-TD",
         "category": "student", "ethnicity": "H'Mông", "sex": "F", "card_from": "2024-01-01", "card_to": "2024-12-31"},
        {"type": "visit", "patron": "BD-0001", "institution": "TVT", "at": "2024-03-04T08:00:00+07:00"},
        {"type": "checkout", "item": item_tvt, "patron": "BD-0001", "institution": "TVT",
         "at": "2024-03-04T08:10:00+07:00"},
        {"type": "checkout", "item": item_td, "patron": "BD-0002", "institution": "TVH-TD",
         "at": "2024-03-05T09:00:00+07:00", "due": "2024-03-20"},
        {"type": "renew", "item": item_tvt, "at": "2024-03-20T10:00:00+07:00"},
        {"type": "return", "item": item_td, "institution": "TVT", "at": "2024-03-21T14:00:00+07:00"},
        {"type": "tally", "institution": "TVT", "date": "2024-03-21", "kind": "visits", "count": 40},
        {"type": "return", "item": item_tvt, "institution": "TVT", "at": "2024-04-02T15:00:00+07:00"},
    ]


def test_import_goes_through_the_desk_rules(app, runner, net, copy, tmp_path):
    tvt_item, td_item = copy(), copy(net.td)
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines_for(tvt_item.barcode, td_item.barcode)))])
    assert result.exit_code == 0, result.output
    reader = patrons.patron_by_barcode("BD-0001")
    assert reader.ethnicity == "03" and reader.card_issued is None and reader.card_expires is None
    assert patrons.patron_by_barcode("BD-0002").ethnicity == "08"
    loan = db.session.scalar(db.select(Loan).where(Loan.item_id == tvt_item.id))
    assert loan.renewals == 1 and loan.returned_at is not None
    td_loan = db.session.scalar(db.select(Loan).where(Loan.item_id == td_item.id))
    assert td_loan.due_date.isoformat() == "2024-03-20" and td_loan.return_institution_id == net.tvt.id
    assert td_item.status == ItemStatus.IN_TRANSIT          # returned at TVT: on its way home
    year = Period.year(2024)
    assert registry.get("LIB.VISITS").compute(year, [net.tvt.id, net.td.id]) == {net.tvt.id: 43, net.td.id: 1}
    assert registry.get("LIB.RENEWALS").compute(year, [net.tvt.id]) == {net.tvt.id: 1}


@pytest.mark.parametrize("bad, fragment", [
    ({"type": "checkout", "item": "NOPE1", "patron": "BD-0001", "institution": "TVT",
      "at": "2024-05-01T08:00:00+07:00"}, "NOPE1"),
    ({"type": "return", "item": "{tvt}", "institution": "TVT", "at": "2024-05-01T08:00:00+07:00"}, "not on loan"),
    ({"type": "renew", "item": "{tvt}", "at": "2024-05-01T08:00:00+07:00"}, "not on loan"),
    ({"type": "visit", "patron": "BD-9999", "institution": "TVT", "at": "2024-05-01T08:00:00"}, "offset"),
    ({"type": "tally", "institution": "TVT", "date": "2024-05-01", "kind": "visitors", "count": 3}, "kind"),
    ({"type": "patron", "barcode": "BD-0003", "name": "X", "institution": "TVT", "category": "adult",
      "ethnicity": "Martian"}, "54"),
])
def test_each_broken_rule_is_a_line_error_and_nothing_is_imported(app, runner, net, copy, tmp_path, bad, fragment):
    tvt_item, td_item = copy(), copy(net.td)
    bad = {k: (v.format(tvt=tvt_item.barcode) if isinstance(v, str) else v) for k, v in bad.items()}
    good = lines_for(tvt_item.barcode, td_item.barcode)[:2]
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, good + [bad]))])
    assert result.exit_code == 1
    assert result.output.startswith("3: ") and fragment in result.output, result.output
    assert "Traceback" not in result.output
    db.session.rollback()
    assert patrons.patron_by_barcode("BD-0001", required=False) is None


def test_a_loan_past_the_card_is_policy_imported_as_recorded_and_counted(app, runner, net, copy, tmp_path):
    """exchange.md: card validity is the desk's policy, not integrity; the line is imported and counted."""
    item = copy()
    late = {"type": "checkout", "item": item.barcode, "patron": "BD-0002", "institution": "TVT",
            "at": "2025-02-01T08:00:00+07:00"}
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines_for(item.barcode, "X")[:2] + [late]))])
    assert result.exit_code == 0, result.output
    assert "1 line(s) recorded past the desk's policy: 1 card" in result.output
    assert db.session.scalar(db.select(Loan).where(Loan.item_id == item.id)) is not None


def test_checkout_of_a_copy_already_on_loan_is_refused_at_its_line(app, runner, net, copy, tmp_path):
    item = copy()
    lines = lines_for(item.barcode, copy(net.td).barcode)[:2] + [
        {"type": "checkout", "item": item.barcode, "patron": "BD-0001", "institution": "TVT",
         "at": "2024-03-04T08:10:00+07:00"},
        {"type": "checkout", "item": item.barcode, "patron": "BD-0002", "institution": "TVT",
         "at": "2024-03-05T08:10:00+07:00"}]
    result = runner.invoke(args=["ops", "import", "--partial", str(write(tmp_path, lines))])
    assert result.exit_code == 1 and "4: " in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Loan)) == 1


def test_export_then_import_elsewhere_gives_the_same_figures(app, runner, net, reader, copy, tmp_path, app_factory,
                                                             factories):
    tvt_item, td_item = copy(barcode="TVT-A1"), copy(net.td, barcode="HTD-B2")
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, lines_for(tvt_item.barcode, td_item.barcode)))])
    assert result.exit_code == 0, result.output
    mistake = circ.checkout(patrons.patron_by_barcode("BD-0001"), tvt_item, institution=net.tvt, actor=net.desk_tvt,
                            at=at(__import__("datetime").date(2024, 6, 3)))
    circ.void_loan(mistake, actor=net.desk_tvt)
    db.session.commit()
    year = Period.year(2024)
    codes = ("LIB.VISITS", "LIB.LOANS", "LIB.RENEWALS", "LIB.ACTIVE_READERS")

    def figures(ids):
        return {code: registry.get(code).compute(year, ids) for code in codes}

    before = figures([net.tvt.id, net.td.id])
    exported = runner.invoke(args=["ops", "export", "--year", "2024"]).output
    types = [json.loads(line)["type"] for line in exported.splitlines()]
    assert types.count("checkout") == 2 and types.count("return") == 2 and types.count("renew") == 1
    assert "+07:00" in exported
    other = app_factory()
    with other.app_context():
        tvt = factories.institution("TVT", kind="provincial_library", barcode_prefix="TVT")
        td = factories.institution("TVH-TD", kind="district_library", parent=tvt)
        factories.item(tvt, barcode="TVT-A1")
        factories.item(td, barcode="HTD-B2")
        target = tmp_path / "export.jsonl"
        target.write_text(exported, encoding="utf-8")
        result = other.test_cli_runner().invoke(args=["ops", "import", str(target)])
        assert result.exit_code == 0, result.output
        after = figures([tvt.id, td.id])
        assert {code: sorted(v.values()) for code, v in after.items()} == \
            {code: sorted(v.values()) for code, v in before.items()}
        db.session.remove()
