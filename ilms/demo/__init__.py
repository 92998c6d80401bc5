"""The demo province: ``flask demo load`` builds a realistic Lai Châu (idempotent).

Each module of this package adds one part of the demo with ``register_demo``.
"""
from ..common.modules import import_submodules


def init_app(app):
    from . import cli
    import_submodules(__name__)
    app.cli.add_command(cli.demo_cli)
