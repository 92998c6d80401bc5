"""Staff accounts: roles, institution scope, sign-in, sessions, API tokens."""
from flask import session
from flask_babel import lazy_gettext as _l

from ..common.registry import NavItem, register_nav
from ..extensions import login_manager


def init_app(app):
    from . import cli, views

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side session record does this job

    @login_manager.user_loader
    def load_user(user_id):
        from .services import session_user
        try:
            return session_user(session.get("sid"), int(user_id))
        except (TypeError, ValueError):
            return None

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.accounts_cli)
    register_nav(NavItem("accounts", "accounts.users", _l("Staff"), "accounts.manage", order=950))
