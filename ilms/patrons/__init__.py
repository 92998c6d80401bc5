"""Readers and their cards."""
from flask_babel import lazy_gettext as _l

from ..common.registry import NavItem, register_nav

#: Sections other domains add to a reader's page (shown to the reader's own library only):
#: ``(template, context(patron, user) -> dict)``. Circulation adds loans, holds and fines.
READER_PANELS = []


def register_reader_panel(template, context):
    READER_PANELS.append((template, context))


def init_app(app):
    from . import cli, models, views  # noqa: F401  (models: for migrations)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.privacy_cli)
    register_nav(NavItem("patrons", "patrons.index", _l("Readers"), "patrons.view", order=200))
