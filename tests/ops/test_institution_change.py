"""The ``institution_change`` line (issue 25): export and import round trip, and bad lines explained."""
import datetime as dt
import json

from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.org import history
from ilms.org import services as org

AREAS = (("HA", "Huyện A", "district", None), ("HA-X", "Xã X", "commune", "HA"),
         ("XM", "Xã Mới", "commune", None))


def _areas():
    for code, name, level, district in AREAS:
        org.upsert_area(actor=SYSTEM, code=code, name=name, level=level, district=district)


def _history_of(code):
    inst = org.get_by_code(code)
    return [(v.valid_from, v.valid_to, v.name, v.kind.value, v.level.value,
             v.parent_id and db.session.get(type(inst), v.parent_id).code, v.district_code, v.commune_code)
            for v in history.versions_of(inst.id)]


def test_round_trip_of_dated_changes(app, runner, tmp_path, app_factory, factories):
    _areas()
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh")
    centre = factories.institution("TTVH-A", kind="cultural_center", name="Trung tâm Văn hóa huyện A")
    tvh = factories.institution("TVH-A", parent=centre, name="Thư viện huyện A")
    point = factories.institution("DBD-X", kind="postal_cultural_point", parent=tvh, commune_code="HA-X",
                                  name="Điểm BĐVH xã X")
    history.apply_batch(dt.date(2025, 7, 1), [
        {"code": "TVH-A", "parent": "TVT"},
        {"code": "DBD-X", "kind": "commune_library", "name": "Thư viện xã Mới", "commune_code": "XM",
         "district_code": "", "parent": None},
    ], actor=SYSTEM, note="Sắp xếp lại ngày 1/7/2025")
    history.record_change(tvh, "2026-01-01", actor=SYSTEM, name="Thư viện tỉnh, chi nhánh A")
    db.session.commit()
    expected = {code: _history_of(code) for code in ("TVH-A", "DBD-X")}
    exported = runner.invoke(args=["ops", "export", "--year", "2025"]).output
    lines = [json.loads(line) for line in exported.splitlines()]
    kinds = [(line["type"], line["code"]) for line in lines if line["type"].startswith("institution")]
    # the institutions as they first were (the centre before the library under it), then the changes by date
    assert kinds == [("institution", "TTVH-A"), ("institution", "TVT"), ("institution", "TVH-A"),
                     ("institution", "DBD-X"), ("institution_change", "DBD-X"), ("institution_change", "TVH-A"),
                     ("institution_change", "TVH-A")]
    change = next(line for line in lines if line["type"] == "institution_change" and line["code"] == "DBD-X")
    assert change == {"type": "institution_change", "code": "DBD-X", "effective": "2025-07-01",
                      "name": "Thư viện xã Mới", "kind": "commune_library", "commune": "XM",
                      "cleared": ["parent", "district"], "note": "Sắp xếp lại ngày 1/7/2025"}
    first = next(line for line in lines if line["type"] == "institution" and line["code"] == "DBD-X")
    assert first["kind"] == "postal_cultural_point" and first["parent"] == "TVH-A"
    other = app_factory()
    with other.app_context():
        _areas()
        db.session.commit()
        target = tmp_path / "export.jsonl"
        target.write_text(exported, encoding="utf-8")
        result = other.test_cli_runner().invoke(args=["ops", "import", str(target)])
        assert result.exit_code == 0, result.output
        assert {code: _history_of(code) for code in ("TVH-A", "DBD-X")} == expected
        assert history.overlap_problems() == []
        # today's rows hold the last versions
        assert org.get_by_code("DBD-X").kind.value == "commune_library"
        assert org.get_by_code("TVH-A").name == "Thư viện tỉnh, chi nhánh A"
        db.session.remove()


def test_bad_change_lines_are_explained_and_change_nothing(app, runner, tmp_path, factories):
    factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh")
    factories.institution("TVH-A", name="Thư viện huyện A")
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in [
        {"type": "institution_change", "code": "TVH-A", "effective": "2025-07-01", "parent": "TVT"},
        {"type": "institution_change", "code": "TVH-A", "effective": "2025-13-01", "name": "X"},
        {"type": "institution_change", "code": "TVH-A", "effective": "2025-08-01", "level": "province"},
        {"type": "institution_change", "code": "TVH-A", "effective": "2025-06-01", "name": "Trước"},
    ]) + "\n", encoding="utf-8")
    result = runner.invoke(args=["ops", "import", str(path)])
    assert result.exit_code == 1
    refused = [line.split(":")[0] for line in result.output.splitlines()[:3]]
    assert refused == ["2", "3", "4"] and "effective" in result.output
    assert history.versions_of(org.get_by_code("TVH-A").id) == []
