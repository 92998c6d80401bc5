"""Test fixtures: the app on a real SQLite file built by the migrations, clients, login, CLI."""
import os
import re
import shutil
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from ilms import create_app
from ilms.config import TestConfig
from ilms.extensions import db

# ../shared beside the clone (CI puts it there); ILMS_SHARED points elsewhere.
SHARED = Path(os.environ.get("ILMS_SHARED") or Path(__file__).resolve().parents[2] / "shared")


def shared_path(*parts):
    """A file under ../shared (CI has it beside the clone); fail loudly when absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"test data {path} is missing: clone ILMS next to the shared/ folder")
    return path


def make_config(db_path, data_dir, **extra):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", DATA_DIR=str(data_dir), **extra)
    return config


class Client(FlaskClient):
    """A test client whose requests behave like another person's browser.

    Each request runs in its own app context, so it has its own database
    session and Flask-Login state, exactly as under gunicorn. Before it, the
    test's own session commits (releasing SQLite's lock); after it, the
    test's objects are expired so they show what the request stored.
    """

    def open(self, *args, **kwargs):
        outer = has_app_context()
        if outer:
            db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer:
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database file migrated once to head; each test gets a copy (fast, and built by Alembic)."""
    base = tmp_path_factory.mktemp("template")
    path = base / "template.sqlite"
    app = create_app(make_config(path, base / "data"))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def app_factory(tmp_path, migrated_template):
    """Make an app on a fresh copy of the migrated database (extra settings as keywords)."""
    made = []

    def factory(**extra):
        db_path = tmp_path / f"ilms-{len(made)}.sqlite"
        shutil.copy(migrated_template, db_path)
        app = create_app(make_config(db_path, tmp_path / f"data-{len(made)}", **extra))
        app.test_client_class = Client
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html):
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def csrf_token(client, url="/login"):
    """A valid CSRF token for the client's session, read from a page like a browser would."""
    return csrf_from(client.get(url).get_data(as_text=True))


def login(client, username, password="correct-horse-1", follow=False):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       follow_redirects=follow)


def post_form(client, url, data=None, page=None, **kwargs):
    """POST ``data`` with the CSRF token a browser would have taken from ``page`` (default: the same url)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


@pytest.fixture
def factories(app):
    from tests import factories
    return factories
