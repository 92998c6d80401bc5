"""Free internet points: public computers, sessions for readers and guests, trainings, connectivity."""
from flask_babel import lazy_gettext as _l

from ..common.privacy import register_anonymiser
from ..common.registry import NavItem, register_nav


def init_app(app):
    from . import models  # noqa: F401  (imported so the migrations see the tables)
    from . import cli, services, views
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.internet_cli)
    register_nav(NavItem("internet", "internet.index", _l("Internet"), "internet.edit", order=60))
    views.register_panels()
    register_anonymiser("internet", services.anonymise)
    from ..patrons import register_reader_data
    register_reader_data(_l("Internet sessions"), views.reader_sessions_data)
    register_reader_data(_l("Computer and internet trainings attended"), views.reader_trainings_data)
