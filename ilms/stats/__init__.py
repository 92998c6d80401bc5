"""Indicators computed from operational data, plans and their targets (read-only over every domain)."""


def init_app(app):
    from . import cli, models  # noqa: F401  (models: for migrations)
    app.cli.add_command(cli.indicators_command)
    app.cli.add_command(cli.plan_cli)
