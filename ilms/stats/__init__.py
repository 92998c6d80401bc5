"""Indicators computed from operational data, plans and their targets (read-only over every domain)."""
from ..common.modules import import_submodules


def init_app(app):
    from . import cli, models  # noqa: F401  (models: for migrations)
    import_submodules(f"{__name__}.indicators")
    app.cli.add_command(cli.indicators_command)
    app.cli.add_command(cli.plan_cli)
