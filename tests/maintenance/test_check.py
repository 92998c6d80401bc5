"""``flask check``: database integrity, schema and sequences, plus the checks domains register."""
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_migrate import downgrade

from ilms.common.checks import register_check, unregister_check
from ilms.extensions import db


def _break_a_reference(user_id):
    """Point a user at an institution that does not exist, behind the database's back."""
    db.session.commit()  # the test's own session must not hold a lock meanwhile
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA foreign_keys = OFF")
            raw.execute("UPDATE users SET institution_id = 999 WHERE id = ?", (user_id,))
            raw.execute("PRAGMA foreign_keys = ON")
    else:  # PostgreSQL enforces constraints even for their owner: the constraint must go first
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE users DROP CONSTRAINT fk_users_institution_id_institutions")
            connection.exec_driver_sql(f"UPDATE users SET institution_id = 999 WHERE id = {int(user_id)}")


def test_a_healthy_database_passes_every_check(app, runner, factories):
    factories.user("thuthu")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    for name in ("database integrity", "database schema", "database sequences"):
        assert f"ok {name}" in result.output
    assert "all checks passed" in result.output


def test_a_broken_reference_is_found_and_named(app, runner, factories):
    user_id = factories.user("thuthu").id
    _break_a_reference(user_id)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "PROBLEM database integrity" in result.output
    assert "users" in result.output and "institutions" in result.output
    assert "Traceback" not in result.output


def test_a_schema_behind_the_code_is_reported(app, runner):
    db.session.remove()
    downgrade(revision="0002")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "run flask --app ilms db upgrade" in result.output


@pytest.fixture
def registered():
    names = []

    def register(name, fn, repair=None):
        register_check(name, fn, repair=repair)
        names.append(name)

    yield register
    for name in names:
        unregister_check(name)


def test_checks_registered_by_domains_run_and_repair(app, runner, registered):
    marker = Path(current_app.config["DATA_DIR"]) / "test-index" / "READY"

    def index_is_built():
        return [] if marker.exists() else ["the test index is missing: --repair builds it"]

    def build_index():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("built")
        return "test index built"

    registered("test index matches the database", index_is_built, repair=build_index)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "PROBLEM test index matches the database: the test index is missing" in result.output
    assert not marker.exists(), "a plain check repairs nothing"

    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "REPAIR test index matches the database: test index built" in result.output
    assert "ok test index matches the database" in result.output
    assert runner.invoke(args=["check"]).exit_code == 0


def test_a_check_that_crashes_is_a_finding_not_a_traceback(app, runner, registered):
    def broken():
        raise OSError("index folder unreadable")

    registered("test broken check", broken)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "PROBLEM test broken check: the check could not run (OSError: index folder unreadable)" in result.output
    assert "ok database integrity" in result.output, "the other checks still ran"


@pytest.mark.postgres_only
def test_a_sequence_behind_its_table_is_found_and_repaired(app, runner, factories):
    factories.institution("SEQ1")
    db.session.commit()
    with db.engine.begin() as connection:  # as after a careless manual copy with explicit ids
        connection.exec_driver_sql(
            "INSERT INTO institutions (id, code, name, name_sort, kind, level, address, phone, email, active, "
            "created_at, updated_at) SELECT 500, 'SEQ500', name, name_sort, kind, level, address, phone, email, "
            "active, created_at, updated_at FROM institutions WHERE code = 'SEQ1'")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "table institutions: the next id would be" in result.output and "ids go up to 500" in result.output
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0, result.output
    made = factories.institution("SEQ2")
    assert made.id == 501


@pytest.mark.postgres_only
def test_an_unvalidated_constraint_is_validated_by_repair(app, runner):
    db.session.commit()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE institutions ADD CONSTRAINT ck_test_code CHECK (code <> '') NOT VALID")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "constraint ck_test_code on institutions is not validated" in result.output
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT convalidated FROM pg_constraint WHERE conname = 'ck_test_code'").scalar() is True
    assert sa.inspect(db.engine).get_check_constraints("institutions")
