"""Staff pages of notices: the log of what was sent or failed (with a retry), and the wording editor."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...common.errors import DomainError
from ...common.web import EmptyForm, page_number, staff_required
from ...extensions import db
from ..forms import NoticeTemplateForm
from ..views import desk_institution
from . import services
from .models import NoticeKind, NoticeStatus, SendChannel

bp = Blueprint("notices", __name__, url_prefix="/circulation/notices")

EDITABLE = [(kind, channel) for kind in NoticeKind for channel in (SendChannel.EMAIL, SendChannel.SMS)]


def _desk():
    institution = desk_institution()
    if institution is None:
        abort(403)
    return institution


def _choice(value, enum):
    return value if value in {m.value for m in enum} else None


@bp.route("/")
@staff_required("circulation.desk")
def log():
    """What was sent from this library, newest first; failures say why and are retried by the next run."""
    institution = _desk()
    status, kind = _choice(request.args.get("status"), NoticeStatus), _choice(request.args.get("kind"), NoticeKind)
    query = services.log_query([institution.id], status=status, kind=kind)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("circulation/notices.html", institution=institution, page=page, status=status,
                           kind=kind, statuses=NoticeStatus, kinds=NoticeKind, action_form=EmptyForm())


@bp.route("/<int:notice_id>/retry", methods=["POST"])
@staff_required("circulation.desk")
def retry(notice_id):
    EmptyForm().validate_on_submit() or abort(400)
    institution = _desk()
    notice = services.get_notice(notice_id, {institution.id})
    try:
        services.retry_notice(notice, actor=current_user)
        db.session.commit()
        flash(_("The notice will be sent again by the next run of send-notices."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("notices.log"))


@bp.route("/templates")
@staff_required("circulation.rules")
def templates():
    institution = _desk()
    if not current_user.can("circulation.rules", institution):
        abort(403)
    rows = []
    for kind, channel in EDITABLE:
        subject, body = services.template_for(institution.id, kind, channel)
        form = NoticeTemplateForm(prefix=f"{kind.value}-{channel.value}", data={"subject": subject, "body": body})
        rows.append((kind, channel, form, services.preview(institution, kind, channel)))
    return render_template("circulation/notice_templates.html", institution=institution, rows=rows,
                           placeholders=services.PLACEHOLDERS, action_form=EmptyForm())


@bp.route("/templates/<kind>/<channel>", methods=["POST"])
@staff_required("circulation.rules")
def save_template(kind, channel):
    institution = _desk()
    if (_choice(kind, NoticeKind), _choice(channel, SendChannel)) not in {(k.value, c.value) for k, c in EDITABLE}:
        abort(404)
    form = NoticeTemplateForm(prefix=f"{kind}-{channel}")
    form.validate_on_submit() or abort(400)
    try:
        if request.form.get("reset"):
            services.reset_template(actor=current_user, institution=institution, kind=kind, channel=channel)
            message = _("The wording is back to the network's.")
        else:
            services.save_template(actor=current_user, institution=institution, kind=kind, channel=channel,
                                   subject=form.subject.data or "", body=form.body.data or "")
            message = _("The wording of this notice is saved.")
        db.session.commit()
        flash(message, "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("notices.templates") + f"#{kind}-{channel}")
