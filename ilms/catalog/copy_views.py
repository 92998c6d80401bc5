"""Staff screens of copy cataloguing: "find in other libraries", import, and the targets administrators configure.

The search page is a GET form (it reads only); every target is asked at
once and the page comes back within the slowest target's timeout, with a
message for each target that failed. "Import" posts the record's MARCXML
back (the cataloguer may import any record by typing it, so the posted
record is trusted as far as the MARC editor's input is), brings it in
through the MARC importer and opens the new record's copy form, with a link
to the editor; a record the catalogue already has (same ISBN) is shown as a
candidate first (``duplicates.find``: ISBN, LCCN, 035, title + author +
year), so the cataloguer chooses to add copies to it or import a second
record anyway.
"""
from __future__ import annotations

import copy

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..common.errors import DomainError
from ..common.web import EmptyForm, form_error, staff_required
from ..extensions import db
from . import copycat, marcedit
from .copy_forms import CopySearchForm, CopyTargetForm
from .models import CopyTarget, Record
from .views import bp

#: Records asked of each target for one search page.
PAGE_RECORDS = 10


@bp.route("/copy")
@staff_required("catalog.edit")
def copy_search():
    form = CopySearchForm(request.args)
    configured = copycat.targets()
    form.target.choices = [(str(t.id), t.name) for t in configured]
    chosen = [t for t in configured if str(t.id) in set(form.target.data or [])] or configured
    results, cql = [], None
    if form.terms.data and form.validate():
        try:
            cql = copycat.build_cql(form.kind.data, form.terms.data)
        except DomainError as error:
            form_error(form, error)
        else:
            results = copycat.search([copycat.Target.of(t) for t in chosen], cql, maximum=PAGE_RECORDS)
    return render_template("catalog/copy_search.html", form=form, results=results, cql=cql,
                           configured=configured, chosen={t.id for t in chosen}, marcedit=marcedit,
                           candidates=_candidates)


def _candidates(record, source):
    """Catalogue records that may be ``record`` (``duplicates.find``): the cataloguer sees them before importing.

    Asked of the record as it would be imported (its 001 as an 035), so an earlier copy is found too.
    """
    from . import duplicates
    return duplicates.find(copycat.prepare(copy.deepcopy(record), source))[:5]


@bp.route("/copy/import", methods=["POST"])
@staff_required("catalog.edit")
def copy_import():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    source = (request.form.get("source") or "")[:120] or "SRU"
    try:
        record = copycat.record_from_marcxml(request.form.get("marcxml", ""))
        summary, ids = copycat.import_records([record], source_name=source, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("catalog.copy_search"))
    if not ids:
        flash(_("The record could not be imported: %(reason)s",
                reason="; ".join(p.text for p in summary.problems) or "?"), "error")
        return redirect(url_for("catalog.copy_search"))
    rec = db.session.get(Record, ids[0])
    if summary.created:
        flash(_("“%(title)s” has been copied from %(source)s. Check it in the editor, then add your copies.",
                title=rec.title, source=source), "success")
    else:
        flash(_("“%(title)s” was copied from %(source)s before; the catalogue record is up to date with it.",
                title=rec.title, source=source), "success")
    return redirect(url_for("catalog.add_copies", record_id=rec.id, copied=1))


# -- targets (administrators) ---------------------------------------------------------------------

@bp.route("/copy/targets")
@staff_required("org.edit")
def copy_targets():
    return render_template("catalog/copy_targets.html", targets=copycat.targets(active_only=False),
                           form=EmptyForm())


def _target_values(form):
    return {name: getattr(form, name).data for name in
            ("name", "url", "version", "record_schema", "encoding", "timeout", "active")}


@bp.route("/copy/targets/new", methods=["GET", "POST"])
@bp.route("/copy/targets/<int:target_id>/edit", methods=["GET", "POST"])
@staff_required("org.edit")
def copy_target_edit(target_id=None):
    target = db.get_or_404(CopyTarget, target_id) if target_id is not None else None
    form = CopyTargetForm(obj=target)
    if form.validate_on_submit():
        try:
            saved = copycat.save_target(actor=current_user, values=_target_values(form), target=target)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The target “%(name)s” has been saved.", name=saved.name), "success")
            return redirect(url_for("catalog.copy_targets"))
    return render_template("catalog/copy_target_edit.html", form=form, target=target)


@bp.route("/copy/targets/<int:target_id>/delete", methods=["POST"])
@staff_required("org.edit")
def copy_target_delete(target_id):
    target = db.get_or_404(CopyTarget, target_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = target.name
    copycat.delete_target(target, actor=current_user)
    db.session.commit()
    flash(_("The target “%(name)s” has been removed.", name=name), "success")
    return redirect(url_for("catalog.copy_targets"))


# -- duplicates ---------------------------------------------------------------------------------------

@bp.route("/records/<int:record_id>/merge", methods=["POST"])
@staff_required("catalog.edit")
def merge(record_id):
    """Merge this record into the one chosen among its possible duplicates (``duplicates.merge``)."""
    from . import duplicates, services
    rec = services.get_record(record_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    into_id = request.form.get("into", "")
    keeper = db.session.get(Record, int(into_id)) if into_id.isdigit() and len(into_id) < 12 else None
    if keeper is None:
        flash(_("The record to merge into no longer exists."), "error")
        return redirect(url_for("catalog.record", record_id=record_id))
    title = rec.title
    try:
        duplicates.merge(rec, into=keeper, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("catalog.record", record_id=record_id))
    flash(_("“%(title)s” has been merged into this record; its old links lead here.", title=title), "success")
    return redirect(url_for("catalog.record", record_id=keeper.id))


@bp.route("/duplicates")
@staff_required("catalog.edit")
def duplicates_report():
    from . import duplicates
    return render_template("catalog/duplicates.html", groups=duplicates.report())
