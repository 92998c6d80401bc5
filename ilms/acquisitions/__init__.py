"""Acquisitions and periodicals: vendors and donors, funds, orders and receiving, donations, transfers,
the accession register, subscriptions and issue check-in."""
from flask_babel import lazy_gettext as _l

from ..common.registry import NavItem, register_nav


def init_app(app):
    from . import models  # noqa: F401  (imported so the migrations see the tables)
    from . import cli, views
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.acquisitions_cli)
    register_nav(NavItem("acquisitions", "acquisitions.index", _l("Acquisitions"), "acquisitions.edit", order=250))
