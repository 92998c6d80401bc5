"""The checkout desk: loans, returns, renewals, holds, transits, visits, tallies, overdues, loan rules."""
from flask_babel import lazy_gettext as _l

from ..common.privacy import register_anonymiser
from ..common.registry import DashboardPanel, NavItem, register_nav, register_panel


def init_app(app):
    from ..audit import mark_personal_table
    from ..patrons import register_reader_data, register_reader_panel
    from . import account, cli, models, selfservice, services, views  # noqa: F401  (models: for migrations)
    from .notices import models as notice_models  # noqa: F401
    from .notices import services as notice_services
    from .notices import views as notice_views
    from .dashboard import desk_panel_context

    app.register_blueprint(views.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(notice_views.bp)
    mark_personal_table("reading_history")      # what a person read: all values go when the trail is anonymised
    mark_personal_table("notices")              # addresses and letters to a person
    app.cli.add_command(cli.circulation_cli)
    register_nav(NavItem("circulation", "circulation.desk", _l("Desk"), "circulation.desk", order=150))
    register_panel(DashboardPanel("circulation", "circulation/_dashboard.html", "circulation.desk",
                                  context=desk_panel_context, order=20))
    register_reader_panel("circulation/_reader_history.html", views.reader_history_panel)
    register_reader_data(_l("Loans"), views.reader_loans_data)
    register_reader_data(_l("Visits to the library"), views.reader_visits_data)
    register_reader_data(_l("Holds"), views.reader_holds_data)
    register_reader_data(_l("Reading list kept at the reader's request"), selfservice.reader_history_data)
    register_anonymiser("circulation.loans", services.anonymise_loans)
    register_anonymiser("circulation.visits", services.anonymise_visits)
    register_anonymiser("circulation.holds", services.anonymise_holds)
    register_anonymiser("circulation.notices", notice_services.anonymise_notices)
    register_reader_data(_l("Notices sent"), notice_services.patron_notices_data)
