"""Keeping an installation healthy: backups and restores, checks with repairs, moving databases."""


def init_app(app):
    from . import cli
    from .checks import register_builtin_checks

    register_builtin_checks()
    app.cli.add_command(cli.backup_cli)
    app.cli.add_command(cli.check_command)
