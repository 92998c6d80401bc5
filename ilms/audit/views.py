"""The audit trail for administrators: filter by user, table, record and dates."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..common.web import page_number, staff_required
from ..extensions import db
from . import services
from .forms import ACTION_LABELS, AuditFilterForm

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@staff_required("audit.view")
def index():
    form = AuditFilterForm(request.args)
    form.table.choices = ([("", _("any")), ("*", _("bulk jobs"))]
                          + [(name, name) for name in services.audited_tables()])
    valid = form.validate()
    filters = services.AuditFilter()
    if valid:
        filters = services.AuditFilter(
            actor=(form.actor.data or "").strip(), table=form.table.data or "",
            record=(form.record.data or "").strip(), action=form.action.data or "",
            start=form.start.data, end=form.end.data)
    status = 200 if valid else 400
    page = db.paginate(services.query(filters, actor=current_user), page=page_number(),
                       per_page=100, error_out=False)
    return render_template("audit/index.html", form=form, page=page, actions=ACTION_LABELS,
                           actors=services.actors()), status
