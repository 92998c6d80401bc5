"""The Department's follow-up of the plan: inspections, publicity, funding, school programmes, displays, exchanges."""
from flask_babel import lazy_gettext as _l

from ..common.registry import DashboardPanel, NavItem, register_nav, register_panel


def init_app(app):
    from . import cli, models, views  # noqa: F401  (models: for migrations)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.department_cli)
    register_nav(NavItem("department", "department.index", _l("Follow-up"), "department.view", order=650))
    register_panel(DashboardPanel("department", "department/_panel.html", "department.view",
                                  context=views.panel_context, order=150))
