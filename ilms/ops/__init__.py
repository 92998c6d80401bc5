"""Bulk import and export of operational records (JSON Lines), through the domains' services."""


def init_app(app):
    from . import cli, models  # noqa: F401
    app.cli.add_command(cli.ops_cli)
