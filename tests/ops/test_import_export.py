import json

import pytest

from ilms.extensions import db
from ilms.ops import registry
from ilms.org import services as org


def write(tmp_path, lines, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) if isinstance(line, dict) else line
                              for line in lines) + "\n", encoding="utf-8")
    return path


GOOD = [
    {"type": "institution", "id": "i1", "code": "TVT", "name": "Thư viện tỉnh Lai Châu",
     "kind": "provincial_library", "level": "province"},
    {"type": "institution", "id": "i2", "code": "TVH-TD", "name": "Thư viện huyện Tam Đường",
     "kind": "district_library", "level": "district", "parent": "TVT"},
]


def test_import_applies_lines_in_order(app, runner, tmp_path):
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.output
    assert org.get_by_code("TVH-TD").parent.code == "TVT"


def test_one_bad_line_imports_nothing_and_names_the_line(app, runner, tmp_path):
    bad = dict(GOOD[1], id="i3", code="TVH-PT", kind="district_library", level="province")
    path = write(tmp_path, GOOD + [bad])
    result = runner.invoke(args=["ops", "import", str(path)])
    assert result.exit_code != 0
    assert "3:" in result.output
    assert "Traceback" not in result.output
    db.session.rollback()
    assert org.get_by_code("TVT", required=False) is None


@pytest.mark.parametrize("line, fragment", [
    ("{not json", "not valid JSON"),
    ('{"type": "nonsense"}', "unknown type"),
    ('{"type": "institution", "code": "X1", "name": "A", "kind": "zoo", "level": "province"}', "kind"),
    ('{"type": "institution", "code": "X1", "name": "A", "kind": "museum"}', "level"),
    ('{"type": "institution", "code": "X1", "name": "A", "kind": "museum", "level": "province", "colour": 1}',
     "colour"),
    ('{"type": "institution", "code": "X1", "name": "A", "kind": "museum", "level": "province", "parent": "NONE"}',
     "NONE"),
])
def test_each_kind_of_bad_line_is_explained(app, runner, tmp_path, line, fragment):
    result = runner.invoke(args=["ops", "import", str(write(tmp_path, [line]))])
    assert result.exit_code == 1
    assert result.output.startswith("1: ") and fragment in result.output


def test_partial_imports_good_lines_and_writes_the_rejected_ones(app, runner, tmp_path):
    path = write(tmp_path, [GOOD[0], "{broken", GOOD[1]])
    result = runner.invoke(args=["ops", "import", "--partial", str(path)])
    assert result.exit_code == 1
    assert org.get_by_code("TVH-TD") is not None
    rejected = (tmp_path / "data.rejected.jsonl").read_text(encoding="utf-8")
    assert rejected == "{broken\n"


def test_dry_run_changes_nothing(app, runner, tmp_path):
    result = runner.invoke(args=["ops", "import", "--dry-run", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0 and "dry run" in result.output
    db.session.rollback()
    assert org.get_by_code("TVT", required=False) is None


def test_ids_make_a_second_import_add_nothing(app, runner, tmp_path):
    path = write(tmp_path, GOOD)
    runner.invoke(args=["ops", "import", str(path)])
    result = runner.invoke(args=["ops", "import", str(path)])
    assert result.exit_code == 0
    assert "0 line(s) applied" in result.output and "2 already imported" in result.output
    changed = write(tmp_path, [dict(GOOD[0], name="Tên khác")], "changed.jsonl")
    result = runner.invoke(args=["ops", "import", str(changed)])
    assert result.exit_code == 1 and "different content" in result.output


def test_export_round_trip(app, runner, tmp_path, app_factory):
    runner.invoke(args=["ops", "import", str(write(tmp_path, GOOD))])
    exported = runner.invoke(args=["ops", "export", "--year", "2024"]).output
    lines = [json.loads(line) for line in exported.splitlines()]
    assert [line["code"] for line in lines] == ["TVT", "TVH-TD"]
    other = app_factory()
    with other.app_context():
        target = tmp_path / "export.jsonl"
        target.write_text(exported, encoding="utf-8")
        result = other.test_cli_runner().invoke(args=["ops", "import", str(target)])
        assert result.exit_code == 0, result.output
        assert org.get_by_code("TVH-TD").parent.code == "TVT"
        db.session.remove()


def test_field_readers():
    with pytest.raises(registry.FieldError, match="offset"):
        registry.instant().parse("2024-03-02T08:15:00")
    assert registry.ethnic_group().parse("H'Mông") == "08"
    with pytest.raises(registry.FieldError, match="54"):
        registry.ethnic_group().parse("Martian")
    with pytest.raises(registry.FieldError):
        registry.integer().parse(True)
    assert registry.list_of(registry.text()).parse(["a", "b"]) == ["a", "b"]
