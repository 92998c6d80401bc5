"""ILMS: the library and cultural-house activity management system of Lai Châu province."""
import importlib
import os
from pathlib import Path

from flask import Flask

from .config import Config, load_secret_key

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent

#: Domain packages, in dependency order. Each has ``init_app(app)``.
DOMAINS = ("org", "accounts", "audit", "catalog", "patrons", "acquisitions", "circulation", "rotation", "internet", "events", "department")
#: Packages that read or drive every domain; they come after all of them.
CROSS_CUTTING = ("stats", "ops", "api", "demo", "maintenance")


def create_app(config=None):
    """Build the application. ``config`` is a settings class/object or a dict overriding ``Config``."""
    # The instance folder keeps the generated secrets (and, by default, the database and data).
    instance = ((config.get("INSTANCE_DIR") if isinstance(config, dict) else getattr(config, "INSTANCE_DIR", None))
                or os.environ.get("ILMS_INSTANCE_DIR"))
    app = Flask(__name__, instance_relative_config=True, instance_path=os.path.abspath(instance) if instance else None,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    from .web import IdConverter
    app.url_map.converters["int"] = IdConverter   # before any route is added: ids bounded everywhere

    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "ilms.sqlite")
    if not app.config.get("DATA_DIR"):
        app.config["DATA_DIR"] = app.instance_path
    os.makedirs(app.config["DATA_DIR"], exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(_translation_dirs())

    _init_extensions(app)
    for name in DOMAINS + CROSS_CUTTING:
        importlib.import_module(f".{name}", __name__).init_app(app)

    from . import web
    web.init_app(app)
    return app


def _translation_dirs():
    dirs = [PACKAGE / "translations"] + [PACKAGE / name / "translations" for name in DOMAINS + CROSS_CUTTING]
    return [str(d) for d in dirs if d.is_dir()]


def _init_extensions(app):
    from .common.db import configure_engine
    from .extensions import babel, csrf, db, login_manager, migrate
    from .web import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    with app.app_context():
        configure_engine(db.engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
