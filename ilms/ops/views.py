"""The administrator's page for importing a JSON Lines file (run in the background) and following it."""
from flask import Blueprint, jsonify, redirect, render_template, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from ..common.errors import DomainError
from ..common.web import form_error, staff_required
from . import jobs

bp = Blueprint("ops", __name__, url_prefix="/admin/ops-import")

RULE_LABELS = {
    "card": _l("card not valid that day"),
    "blocked": _l("reader blocked"),
    "overdue": _l("overdue copies"),
    "over_limit": _l("loan limit"),
    "not_for_loan": _l("library use only"),
    "max_renewals": _l("renewals allowed"),
    "on_hold": _l("another reader waiting"),
}


class UploadForm(FlaskForm):
    file = FileField(_l("JSON Lines file"), validators=[FileRequired(_l("Choose a file to upload."))],
                     description=_l("One JSON object per line, as “flask ops export” writes it (.jsonl)."))
    partial = BooleanField(_l("Import the good lines and set the refused ones aside (otherwise one refused "
                              "line means nothing is imported)"))


@bp.route("/", methods=["GET", "POST"])
@staff_required("ops.import")
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            job_id = jobs.create_job(form.file.data, actor=current_user, partial=form.partial.data)
        except DomainError as error:
            form_error(form, error)
        else:
            jobs.start(job_id, current_user.id)
            return redirect(url_for("ops.job", job_id=job_id))
    return render_template("ops/upload.html", form=form, recent=jobs.recent(), max_mb=jobs.max_bytes() >> 20)


@bp.route("/<job_id>")
@staff_required("ops.import")
def job(job_id):
    return render_template("ops/job.html", job=jobs.status(job_id), rules=RULE_LABELS)


@bp.route("/<job_id>/status")
@staff_required("ops.import")
def job_status(job_id):
    return jsonify(jobs.status(job_id))


@bp.route("/<job_id>/rejected.jsonl")
@staff_required("ops.import")
def rejected(job_id):
    state = jobs.status(job_id)
    name = state["filename"].removesuffix(".jsonl") + ".rejected.jsonl"
    return send_file(jobs.rejected_file(job_id), mimetype="application/x-ndjson", as_attachment=True,
                     download_name=name)
