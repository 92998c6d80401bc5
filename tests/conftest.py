"""Test fixtures: the app on a real database built by the migrations, clients, login, CLI.

The database is a SQLite file, or a PostgreSQL database when
``ILMS_TEST_DATABASE_URL`` names a PostgreSQL server (``scripts/test`` with
``ILMS_TEST_POSTGRES=1`` starts one and runs the suite on both). Either way
each test gets its own copy of a database migrated once per test process.
"""
import os
import re
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.serving import make_server

from ilms import create_app
from ilms.config import TestConfig
from ilms.extensions import db

# ../shared beside the clone (CI puts it there); ILMS_SHARED points elsewhere.
SHARED = Path(os.environ.get("ILMS_SHARED") or Path(__file__).resolve().parents[2] / "shared")


ROOT = Path(__file__).resolve().parents[1]


def subprocess_env(app):
    """The environment of a ``flask`` command run in a child process on ``app``'s database and data folder."""
    env = dict(os.environ, ILMS_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               ILMS_DATA_DIR=app.config["DATA_DIR"], ILMS_SECRET_KEY="test", FLASK_APP="ilms")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def shared_path(*parts):
    """A file under ../shared (CI has it beside the clone); fail loudly when absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"test data {path} is missing: clone ILMS next to the shared/ folder")
    return path


def make_config(db_path, data_dir, **extra):
    """Test settings for a database: a SQLite file path, or a database URL."""
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    url = db_path if "://" in str(db_path) else f"sqlite:///{db_path}"
    config.update(SQLALCHEMY_DATABASE_URI=url, DATA_DIR=str(data_dir), **extra)
    return config


# -- PostgreSQL -----------------------------------------------------------------

#: A PostgreSQL server for the tests, e.g. ``postgresql+psycopg://ilms:pw@127.0.0.1:5433/ilms``
#: (a role allowed to create databases). Unset: the tests use SQLite files.
TEST_DATABASE_URL = os.environ.get("ILMS_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


class PostgresDatabases:
    """Creates and drops the test databases on the server of ``ILMS_TEST_DATABASE_URL``.

    A template database is migrated once per test process; each test's
    database is a ``CREATE DATABASE ... TEMPLATE`` copy of it (a file copy,
    a few milliseconds), dropped after the test. Names carry the process id,
    so parallel workers (and parallel runs on one server) never collide.
    """

    def __init__(self, url):
        import sqlalchemy as sa
        self.url = sa.engine.make_url(url)
        self.engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.prefix = f"ilms_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.count = 0

    def url_of(self, name):
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _run(self, sql):
        with self.engine.connect() as connection:
            connection.exec_driver_sql(sql)

    def create(self, template=None):
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        if template:
            self._run(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            self._run(f'CREATE DATABASE "{name}"')
        return name

    def drop(self, name):
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_databases():
    if not ON_POSTGRES:
        yield None
        return
    databases = PostgresDatabases(TEST_DATABASE_URL)
    yield databases
    databases.engine.dispose()


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
def migrated_template(tmp_path_factory, postgres_databases):
    """A database migrated once to head; each test gets a copy (fast, and built by Alembic).

    A SQLite file path, or on PostgreSQL the name of the template database.
    """
    base = tmp_path_factory.mktemp("template")
    if postgres_databases is not None:
        name = postgres_databases.create()
        target = postgres_databases.url_of(name)
    else:
        name = target = base / "template.sqlite"
    app = create_app(make_config(target, base / "data"))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    yield name
    if postgres_databases is not None:
        postgres_databases.drop(name)


@pytest.fixture
def app_factory(tmp_path, migrated_template, postgres_databases):
    """Make an app on a fresh copy of the migrated database (extra settings as keywords)."""
    made = []
    databases = []

    def factory(**extra):
        if postgres_databases is not None:
            name = postgres_databases.create(template=migrated_template)
            databases.append(name)
            target = postgres_databases.url_of(name)
        else:
            target = tmp_path / f"ilms-{len(made)}.sqlite"
            shutil.copy(migrated_template, target)
        app = create_app(make_config(target, tmp_path / f"data-{len(made)}", **extra))
        app.test_client_class = Client
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    for name in databases:
        postgres_databases.drop(name)


#: The catalogue's search backends, for ``@pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)``:
#: whoosh on both databases, PostgreSQL's full text on PostgreSQL only (deselected on SQLite, not skipped).
SEARCH_BACKENDS = ("whoosh", pytest.param("postgres", marks=pytest.mark.postgres_only))


@pytest.fixture
def app(app_factory, request):
    """The app in its context; a parametrized ``app`` gets that search backend (``SEARCH_BACKENDS``)."""
    settings = {"SEARCH_BACKEND": request.param} if hasattr(request, "param") else {}
    app = app_factory(**settings)
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


# -- tests for one database only ------------------------------------------------

def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.sqlite_only`` / ``postgres_only`` tests are deselected on the other database.

    Deselected, not skipped: they check something that exists on one
    database only (SQLite's WAL pragmas, PostgreSQL's collations), and the
    run on the other database covers them. Browser tests run on SQLite only:
    they test pages and scripts in Chromium, and the routes behind them are
    tested on PostgreSQL through the test client.
    """
    unwanted = "sqlite_only" if ON_POSTGRES else "postgres_only"
    browser_dir = Path(__file__).parent / "browser"

    def deselect(item):
        if item.get_closest_marker(unwanted):
            return True
        return ON_POSTGRES and (item.get_closest_marker("browser") is not None
                                or browser_dir in Path(str(item.fspath)).parents)

    kept, dropped = [], []
    for item in items:
        (dropped if deselect(item) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class LiveServer:
    """The app served over real HTTP on 127.0.0.1, in a thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)
