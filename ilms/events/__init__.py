"""Exhibitions, heritage events, artifacts, festivals, clubs, cultural-house activities and staff training."""
from flask_babel import lazy_gettext as _l

from ..common.registry import DashboardPanel, NavItem, register_nav, register_panel


def init_app(app):
    from . import cli, models, public, views  # noqa: F401  (models: for migrations)
    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    app.cli.add_command(cli.events_cli)
    register_nav(NavItem("events", "events.calendar_view", _l("Events"), None, order=500))
    register_panel(DashboardPanel("events", "events/_panel.html", "events.edit", context=views.panel_context,
                                  order=500))
