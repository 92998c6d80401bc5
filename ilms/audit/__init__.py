"""The audit trail: who changed what and when, for every write, kept in the database.

Captured generically from SQLAlchemy's session events (see ``capture``), so
every domain is covered without code of its own. Bulk jobs use :func:`bulk`
to leave one summary entry instead of one per row. The trail is for
administrators to read; no indicator ever counts it.
"""
from flask_babel import lazy_gettext as _l

from ..common.registry import NavItem, register_nav
from .capture import (acting_as, bulk, current_actor, exclude_table, mark_secret, paused,
                      record_override)
from .privacy import mark_personal_column, mark_personal_table

__all__ = ["acting_as", "bulk", "current_actor", "exclude_table", "mark_personal_column",
           "mark_personal_table", "mark_secret", "paused", "record_override"]


def init_app(app):
    from ..common.privacy import register_anonymiser
    from . import capture, privacy, views

    app.extensions["ilms_audit"] = app.config.get("AUDIT_ENABLED", True)
    capture.install()
    register_anonymiser("audit trail", privacy.anonymise_audit)
    app.register_blueprint(views.bp)
    register_nav(NavItem("audit", "audit.index", _l("Audit trail"), "audit.view", order=960))
