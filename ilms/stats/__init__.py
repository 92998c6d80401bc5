"""Indicators computed from operational data, plans and their targets, reports (read-only over every domain)."""
from flask_babel import lazy_gettext as _l

from ..common.modules import import_submodules
from ..common.registry import DashboardPanel, NavItem, register_nav, register_panel


def init_app(app):
    from ..signals import data_changed
    from ..common.checks import exclude_from_backup, register_check
    from . import cache, cli, models, prepare, reader_days, views  # noqa: F401  (models: for migrations)
    import_submodules(f"{__name__}.indicators")
    app.config.setdefault("STATS_CACHE", True)
    app.config.setdefault("STATS_CACHE_SIZE", 20000)
    data_changed.connect(cache.on_data_changed)
    register_check("reader visits table", reader_days.problems, repair=reader_days.rebuild, order=5)
    exclude_from_backup("stats-figures.pickle")   # prepared figures: `flask indicators-prepare` makes them again
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.indicators_command)
    app.cli.add_command(cli.plan_cli)
    app.cli.add_command(prepare.prepare_command)
    app.cli.add_command(cli.report_command)
    register_nav(NavItem("stats", "stats.index", _l("Indicators"), "stats.view", order=700))
    register_panel(DashboardPanel("stats", "stats/_panel.html", "stats.view", context=_panel_context, order=10))


def _panel_context(user):
    from ..common.errors import DomainError
    from .glance import year_at_a_glance
    try:
        glance = year_at_a_glance(user)
    except DomainError as error:
        return {"stats_error": error.message}
    return {"stats_page": glance.page, "stats_targets": glance.targets, "stats_rows": glance.rows,
            "stats_glance": glance}
