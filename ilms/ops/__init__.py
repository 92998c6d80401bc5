"""Bulk import and export of operational records (JSON Lines), through the domains' services."""
from ..common.modules import import_submodules


def init_app(app):
    from . import cli, models  # noqa: F401
    import_submodules(f"{__name__}.types")
    app.cli.add_command(cli.ops_cli)
