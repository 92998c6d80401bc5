"""Apps on databases the maintenance commands need: empty ones, and secrets kept in files."""
import pytest
import sqlalchemy as sa

from ilms import create_app
from tests.conftest import Client, make_config


@pytest.fixture
def empty_database(tmp_path, postgres_databases):
    """``new()`` gives the URL of a database with nothing in it (no tables) on the suite's database."""
    made = []

    def new():
        if postgres_databases is not None:
            name = postgres_databases.create()
            made.append(name)
            return postgres_databases.url_of(name)
        return f"sqlite:///{tmp_path / f'empty-{len(made)}.sqlite'}"

    yield new
    for name in made:
        postgres_databases.drop(name)


@pytest.fixture
def installation(tmp_path):
    """``install(url, name)``: an app as a real installation has it: its own data folder and
    instance folder, secrets generated into files there (not the fixed test secrets)."""
    made = []

    def install(url, name):
        base = tmp_path / name
        config = make_config(url, base / "data", INSTANCE_DIR=str(base / "instance"),
                             SECRET_KEY=None, READER_KEY_SECRET=None)
        app = create_app(config)
        app.test_client_class = Client
        made.append(app)
        return app

    yield install
    from ilms.extensions import db
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def row_counts(app):
    from ilms.extensions import db
    from ilms.maintenance import database
    with app.app_context():
        with db.engine.connect() as connection:
            counts = database.table_counts(connection)
        db.session.remove()
    return counts


def scalar(app, statement):
    from ilms.extensions import db
    with app.app_context():
        value = db.session.execute(sa.text(statement) if isinstance(statement, str) else statement).scalar()
        db.session.remove()
    return value
