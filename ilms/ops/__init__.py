"""Bulk import and export of operational records (JSON Lines), through the domains' services."""
from ..common.modules import import_submodules


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..common.registry import NavItem, register_nav
    from . import cli, models, views  # noqa: F401
    import_submodules(f"{__name__}.types")
    app.cli.add_command(cli.ops_cli)
    app.register_blueprint(views.bp)
    register_nav(NavItem("ops", "ops.upload", _l("Import operational data"), "ops.import", order=970))
