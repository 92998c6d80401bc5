"""The demo province: ``flask demo load`` builds a realistic Lai Châu network (idempotent)."""


def init_app(app):
    from . import cli, network  # noqa: F401  (network registers the first loader)
    app.cli.add_command(cli.demo_cli)
