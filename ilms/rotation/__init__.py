"""Book rotation: crates of copies travelling from libraries to postal cultural points and back."""
from flask_babel import lazy_gettext as _l

from ..common.checks import register_check
from ..common.registry import DashboardPanel, NavItem, register_nav, register_panel


def init_app(app):
    from . import models  # noqa: F401  (imported so the migrations see the tables)
    from . import cli, services, views
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.rotation_cli)
    register_nav(NavItem("rotation", "rotation.index", _l("Book rotation"), "rotation.edit", order=170))
    register_panel(DashboardPanel("rotation", "rotation/_panel.html", "rotation.edit",
                                  context=views.panel_context, order=30))
    register_check("rotation crates and copies", services.consistency_problems)
