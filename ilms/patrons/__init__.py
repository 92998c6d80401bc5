"""Readers and their cards."""
from flask_babel import lazy_gettext as _l

from ..common.registry import NavItem, register_nav

#: Sections other domains add to a reader's page (shown to the reader's own library only):
#: ``(template, context(patron, user) -> dict)``. Circulation adds loans, holds and fines.
READER_PANELS = []


def register_reader_panel(template, context):
    READER_PANELS.append((template, context))


#: Sections of the printable "your data" export of a reader, in the order given: ``(title, rows(patron))``
#: where ``rows`` returns ``(headings, [row, ...])`` of plain text. Every domain that keeps events linked
#: to a reader adds its own, so the export shows all that is still linked to the person.
READER_DATA = []


def register_reader_data(title, rows):
    if all(known is not rows for _title, known in READER_DATA):     # once, however many apps are made
        READER_DATA.append((title, rows))


def init_app(app):
    from ..audit import exclude_table
    from . import cli, models, views  # noqa: F401  (models: for migrations)
    # reader sign-in bookkeeping holds session ids and records no one's work, like staff sign-in's
    exclude_table("reader_sessions")
    exclude_table("reader_login_failures")
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.privacy_cli)
    register_nav(NavItem("patrons", "patrons.index", _l("Readers"), "patrons.view", order=200))
