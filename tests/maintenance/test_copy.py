"""``flask db copy --to URL``: the whole database into an empty one, counts verified, or nothing."""
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from ilms import create_app
from ilms.common.permissions import SYSTEM
from ilms.common.text import sort_key
from ilms.demo.cli import load_all
from ilms.extensions import db
from ilms.org import services as org
from ilms.org.models import Institution
from tests.conftest import make_config
from tests.maintenance.conftest import row_counts, scalar


def _fill(app):
    """The demo network and plan, plus a parent created after its child (a forward self-reference)."""
    with app.app_context():
        load_all(echo=lambda *_: None, only={"network", "plan"})
        child = org.create_institution(actor=SYSTEM, code="CON", name="Điểm bưu điện văn hoá xã Đông Pao",
                                       kind="postal_cultural_point", level="commune")
        db.session.flush()
        parent = org.create_institution(actor=SYSTEM, code="CHA", name="Thư viện huyện mới",
                                        kind="district_library", level="district")
        db.session.flush()
        org.update_institution(child, actor=SYSTEM, parent=parent)
        db.session.commit()
        assert child.id < parent.id
        db.session.remove()


def _tree(app):
    with app.app_context():
        rows = db.session.execute(sa.select(Institution.code, Institution.name, Institution.name_sort,
                                            Institution.parent_id, Institution.id).order_by(Institution.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def _copy(source, target_url):
    return source.test_cli_runner().invoke(args=["db", "copy", "--to", target_url])


def test_copy_into_an_empty_migrated_database(app_factory):
    source, target = app_factory(), app_factory()
    _fill(source)
    result = _copy(source, target.config["SQLALCHEMY_DATABASE_URI"])
    assert result.exit_code == 0, result.output
    assert "row counts verified" in result.output
    assert row_counts(target) == row_counts(source)
    assert _tree(target) == _tree(source)
    with target.app_context():  # the copy keeps working: new rows get fresh ids
        made = org.create_institution(actor=SYSTEM, code="MOI", name="Nhà văn hoá mới", kind="cultural_house",
                                      level="village")
        db.session.commit()
        assert made.id == max(row[-1] for row in _tree(source)) + 1
        db.session.remove()


@pytest.mark.postgres_only
def test_sqlite_to_postgresql_keeps_text_order_and_sequences(app_factory, tmp_path):
    """The real move: a SQLite installation into PostgreSQL; Vietnamese text and its order survive."""
    sqlite_app = create_app(make_config(tmp_path / "old.sqlite", tmp_path / "old-data"))
    try:
        with sqlite_app.app_context():
            upgrade()
            db.session.remove()
        _fill(sqlite_app)
        target = app_factory()
        result = _copy(sqlite_app, target.config["SQLALCHEMY_DATABASE_URI"])
        assert result.exit_code == 0, result.output
        assert row_counts(target) == row_counts(sqlite_app)
        assert _tree(target) == _tree(sqlite_app)
        by_sort_key = sa.select(Institution.name).order_by(Institution.name_sort, Institution.id)
        with sqlite_app.app_context():
            sqlite_order = list(db.session.scalars(by_sort_key))
            db.session.remove()
        with target.app_context():
            assert list(db.session.scalars(by_sort_key)) == sqlite_order
            assert sqlite_order == sorted(sqlite_order, key=sort_key)  # dictionary order, đ after d
            made = org.create_institution(actor=SYSTEM, code="MOI", name="Nhà văn hoá mới",
                                          kind="cultural_house", level="village")
            db.session.commit()
            assert made.id == len(sqlite_order) + 1
            db.session.remove()
        check = target.test_cli_runner().invoke(args=["check"])
        assert check.exit_code == 0, check.output
    finally:
        with sqlite_app.app_context():
            db.engine.dispose()


def test_copy_refuses_a_target_without_the_schema(app_factory, empty_database):
    source = app_factory()
    _fill(source)
    result = _copy(source, empty_database())
    assert result.exit_code == 1
    assert "has no ILMS schema" in result.output and "db upgrade" in result.output


def test_copy_refuses_a_target_in_use_and_leaves_it_alone(app_factory):
    source, target = app_factory(), app_factory()
    _fill(source)
    with target.app_context():
        org.create_institution(actor=SYSTEM, code="DANG", name="Đang dùng", kind="museum", level="province")
        db.session.commit()
        db.session.remove()
    before = row_counts(target)
    result = _copy(source, target.config["SQLALCHEMY_DATABASE_URI"])
    assert result.exit_code == 1
    assert "the target database is not empty" in result.output and "institutions (1)" in result.output
    assert row_counts(target) == before


def test_copy_refuses_a_target_at_another_revision(app_factory):
    source, target = app_factory(), app_factory()
    with target.app_context():
        db.session.remove()
        from flask_migrate import downgrade
        downgrade(revision="0002")
        db.session.remove()
    result = _copy(source, target.config["SQLALCHEMY_DATABASE_URI"])
    assert result.exit_code == 1
    assert "revision" in result.output and "db upgrade on both" in result.output


def test_a_count_mismatch_fails_the_copy_and_leaves_the_target_empty(app_factory):
    source, target = app_factory(), app_factory()
    _fill(source)
    with target.app_context():  # a target that silently drops what it is given
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("CREATE TRIGGER lose_targets AFTER INSERT ON plan_targets "
                                           "BEGIN DELETE FROM plan_targets WHERE id = NEW.id; END")
            else:
                connection.exec_driver_sql("CREATE RULE lose_targets AS ON INSERT TO plan_targets DO INSTEAD NOTHING")
        db.session.remove()
    result = _copy(source, target.config["SQLALCHEMY_DATABASE_URI"])
    assert result.exit_code == 1
    assert "row counts differ, nothing was copied" in result.output
    assert "plan_targets: 15 in the source, 0 in the target" in result.output
    assert all(n == 0 for n in row_counts(target).values())


def test_a_bad_target_url_is_a_clear_error(app_factory):
    source = app_factory()
    for url, message in [("not a url", "is not a database URL"),
                         ("postgresql+psycopg://nobody:wrong@127.0.0.1:1/none", "the copy failed")]:
        result = _copy(source, url)
        assert result.exit_code == 1, url
        assert message in result.output and "Traceback" not in result.output
    assert scalar(source, "SELECT count(*) FROM institutions") == 0
