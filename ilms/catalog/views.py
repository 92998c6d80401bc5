"""Staff screens of the catalogue: search and browse, records, copies, labels, import and export."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ..common.errors import DomainError
from ..common.time import local_today
from ..common.web import EmptyForm, form_error, staff_required
from ..extensions import db
from ..org import services as org
from . import display, duplicates, exporter, indexing, jobs, marc, marcedit, services
from .forms import CopiesForm, ImportForm, ItemForm, MarcForm, RecordForm, WithdrawForm
from .models import ImportJob, Item, ItemStatus, Record
from .search import QueryTooBroad

bp = Blueprint("catalog", __name__, url_prefix="/catalog")

#: Labels on one A4 sheet (3 columns × 8 rows of 70 × 37 mm).
LABELS_PER_SHEET = 24
MAX_LABELS = 1000


def _facet_names(result):
    codes = {code for code, _count in result.facets.get("library", [])}
    return services.institutions_by_code(codes)


@bp.route("/")
@staff_required()
def index():
    query = services.query_from_args(request.args)
    if not query.text and request.args.get("sort") is None:
        query.sort = "title"
    result, records, index_ok = services.search(query)
    return render_template(
        "catalog/index.html", query=query, result=result, records=records, index_ok=index_ok,
        availability=services.availability([r.id for r in records]), institutions=_facet_names(result),
        language_name=display.language_name, flagged=db.session.scalar(
            sa.select(sa.func.count(Record.id)).where(Record.needs_reindex.is_(True))),
        index_missing=not indexing.backend().exists())


@bp.route("/records/<int:record_id>")
@staff_required()
def record(record_id):
    if db.session.get(Record, record_id) is None and (kept := duplicates.redirect_of(record_id)) is not None:
        return redirect(url_for("catalog.record", record_id=kept), 301)     # merged into another record
    rec = services.get_record(record_id)
    parsed = marc.from_json(rec.marc)
    copies = list(db.session.scalars(sa.select(Item).where(Item.record_id == rec.id)
                                     .order_by(Item.institution_id, Item.barcode)))
    return render_template(
        "catalog/record.html", record=rec, readable=display.readable(parsed), links=display.links(parsed),
        tagged=display.tagged(parsed), copies=copies, holdings=services.availability([rec.id])[rec.id],
        can_edit=current_user.can("catalog.edit"), view=request.args.get("view", "card"),
        can_copy=lambda item: current_user.can("catalog.edit", item.institution),
        copy_libraries=_copy_libraries(), ItemStatus=ItemStatus,
        duplicates=duplicates.find(parsed, exclude=rec.id) if current_user.can("catalog.edit") else [])


def _copy_libraries():
    """Libraries whose copies the current user may add or change."""
    return [inst for inst in services.libraries() if current_user.can("catalog.edit", inst)]


@bp.route("/records/new", methods=["GET", "POST"])
@staff_required("catalog.edit")
def create():
    form = RecordForm()
    if form.validate_on_submit():
        try:
            rec = services.create_record(actor=current_user, form=_form_values(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The record “%(title)s” has been created. Add its copies below.", title=rec.title), "success")
            return redirect(url_for("catalog.record", record_id=rec.id))
    return render_template("catalog/edit.html", form=form, record=None)


def _form_values(form):
    return {name: getattr(form, name).data for name in marcedit.FORM_FIELDS}


@bp.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@staff_required("catalog.edit")
def edit(record_id):
    rec = services.get_record(record_id)
    form = RecordForm(data=marcedit.form_values(marc.from_json(rec.marc)) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_record(rec, actor=current_user, form=_form_values(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Changes to “%(title)s” saved.", title=rec.title), "success")
            return redirect(url_for("catalog.record", record_id=rec.id))
    return render_template("catalog/edit.html", form=form, record=rec)


@bp.route("/records/<int:record_id>/marc", methods=["GET", "POST"])
@staff_required("catalog.edit")
def edit_marc(record_id):
    rec = services.get_record(record_id)
    form = MarcForm(data={"text": marcedit.to_text(marc.from_json(rec.marc))} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_record(rec, actor=current_user, marc_record=marcedit.from_text(form.text.data))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Changes to “%(title)s” saved.", title=rec.title), "success")
            return redirect(url_for("catalog.record", record_id=rec.id, view="marc"))
    return render_template("catalog/edit_marc.html", form=form, record=rec)


@bp.route("/records/<int:record_id>/delete", methods=["POST"])
@staff_required("catalog.edit")
def delete(record_id):
    rec = services.get_record(record_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    title = rec.title
    try:
        services.delete_record(rec, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("catalog.record", record_id=record_id))
    flash(_("The record “%(title)s” has been deleted.", title=title), "success")
    return redirect(url_for("catalog.index"))


# -- copies ---------------------------------------------------------------------------------------

@bp.route("/records/<int:record_id>/copies/new", methods=["GET", "POST"])
@staff_required("catalog.edit")
def add_copies(record_id):
    rec = services.get_record(record_id)
    libraries = _copy_libraries()
    if not libraries:
        abort(403)
    form = CopiesForm()
    form.institution.choices = [(str(i.id), i.name) for i in libraries]
    if request.method == "GET":
        form.accessioned.data = local_today()
        form.call_number.data = rec.call_number
        mine = getattr(current_user, "institution_id", None)
        form.institution.data = str(mine if any(i.id == mine for i in libraries) else libraries[0].id)
    if form.validate_on_submit():
        institution = next((i for i in libraries if str(i.id) == form.institution.data), None)
        barcodes = [line.strip() for line in (form.barcodes.data or "").splitlines() if line.strip()]
        try:
            if institution is None:
                raise DomainError(_("Choose one of your libraries."), field="institution")
            made = services.add_copies(rec, institution=institution, actor=current_user,
                                       source=form.source.data, accessioned=form.accessioned.data,
                                       count=form.count.data or 1, barcodes=barcodes or None,
                                       price=form.price.data, shelf=form.shelf.data or "",
                                       call_number=form.call_number.data, note=form.note.data or "")
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(n)d copies added: %(first)s … %(last)s.", n=len(made), first=made[0].barcode,
                    last=made[-1].barcode) if len(made) > 1 else
                  _("Copy %(barcode)s added.", barcode=made[0].barcode), "success")
            return redirect(url_for("catalog.record", record_id=rec.id, _anchor="copies"))
    return render_template("catalog/add_copies.html", form=form, record=rec)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@staff_required("catalog.edit")
def edit_item(item_id):
    item = services.get_item(item_id)
    if not current_user.can("catalog.edit", item.institution):
        abort(403)
    form = ItemForm(obj=item if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_item(item, actor=current_user, shelf=form.shelf.data or "",
                                 call_number=form.call_number.data or "", price=form.price.data,
                                 note=form.note.data or "")
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Copy %(barcode)s saved.", barcode=item.barcode), "success")
            return redirect(url_for("catalog.record", record_id=item.record_id, _anchor="copies"))
    return render_template("catalog/edit_item.html", form=form, item=item)


@bp.route("/items/<int:item_id>/withdraw", methods=["GET", "POST"])
@staff_required("catalog.edit")
def withdraw(item_id):
    item = services.get_item(item_id)
    if not current_user.can("catalog.edit", item.institution):
        abort(403)
    form = WithdrawForm()
    if request.method == "GET":
        form.date.data = local_today()
    if form.validate_on_submit():
        try:
            services.withdraw_item(item, actor=current_user, reason=form.reason.data, date=form.date.data,
                                   note=form.note.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Copy %(barcode)s has been withdrawn.", barcode=item.barcode), "success")
            return redirect(url_for("catalog.record", record_id=item.record_id, _anchor="copies"))
    return render_template("catalog/withdraw.html", form=form, item=item)


@bp.route("/items")
@staff_required()
def find_item():
    """Go to a copy's record by its barcode (a scanner in the search box of the catalogue)."""
    barcode = request.args.get("barcode", "")
    if not barcode.strip():
        flash(_("The barcode box is empty: scan or type the copy’s barcode, then press “Open the copy”."), "error")
        return redirect(url_for("catalog.index"))
    item = services.item_by_barcode(barcode, required=False)
    if item is None:
        flash(_("No copy has the barcode %(barcode)s. Check the label, or scan it again.",
                barcode=barcode.strip()[:60]), "error")
        return redirect(url_for("catalog.index"))
    return redirect(url_for("catalog.record", record_id=item.record_id, _anchor=f"item-{item.id}"))


# -- labels -----------------------------------------------------------------------------------------

def _ids(values):
    out = []
    for value in values:
        for part in str(value).replace(" ", ",").split(","):
            if part.strip().isdigit():
                out.append(int(part))
    return list(dict.fromkeys(out))[:MAX_LABELS]


@bp.route("/labels")
@staff_required()
def labels():
    """Spine and barcode labels for the copies ``items`` (ids, several or comma separated) on A4 sheets.

    ``start`` skips labels already used on the first sheet. Acquisitions
    links here after receiving copies.
    """
    items = services.items_by_ids(_ids(request.args.getlist("items")))
    try:
        start = max(1, min(int(request.args.get("start", 1)), LABELS_PER_SHEET))
    except ValueError:
        start = 1
    cells = [None] * (start - 1) + items
    sheets = [cells[i:i + LABELS_PER_SHEET] for i in range(0, len(cells), LABELS_PER_SHEET)] if items else []
    return render_template("catalog/labels.html", items=items, sheets=sheets, start=start,
                           per_sheet=LABELS_PER_SHEET)


# -- import and export ------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@staff_required("catalog.edit")
def import_marc():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            job = jobs.create_job(form.file.data, actor=current_user, with_items=form.with_items.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            jobs.start(job.id)
            return redirect(url_for("catalog.import_job", job_id=job.id))
    recent = list(db.session.scalars(_visible_jobs(sa.select(ImportJob)).order_by(ImportJob.created_at.desc())
                                     .limit(10)))
    return render_template("catalog/import.html", form=form, recent=recent, jobs=jobs)


def _visible_jobs(query):
    """Import jobs the user may see: their library's (and its dependent units'), or every job when
    province-wide. A job carries the file's name, the importer and the first problems: another library's
    is not shown, and is a 404 by id."""
    if current_user.province_wide:
        return query
    return query.where(sa.or_(ImportJob.institution_id.in_(current_user.scope_ids()),
                              ImportJob.user_id == current_user.id))


def _job_or_404(job_id):
    job = db.session.scalar(_visible_jobs(sa.select(ImportJob).where(ImportJob.id == job_id)))
    if job is None:
        abort(404)
    return job


@bp.route("/import/<int:job_id>")
@staff_required("catalog.edit")
def import_job(job_id):
    job = _job_or_404(job_id)
    return render_template("catalog/import_job.html", job=job, problems=jobs.problems(job), jobs=jobs,
                           interrupted=jobs.is_interrupted(job))


@bp.route("/import/<int:job_id>/status")
@staff_required("catalog.edit")
def import_status(job_id):
    """The progress as JSON, for the page's small script (the page also refreshes itself without it)."""
    job = _job_or_404(job_id)
    return {"status": job.status.value, "label": str(job.status.label), "bytes_done": job.bytes_done,
            "size": job.size, "read": job.read, "created": job.created, "updated": job.updated,
            "unchanged": job.unchanged, "repeated": job.repeated, "skipped": job.skipped, "interrupted": jobs.is_interrupted(job)}


@bp.route("/import/<int:job_id>/restart", methods=["POST"])
@staff_required("catalog.edit")
def restart_import(job_id):
    job = _job_or_404(job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        jobs.restart(job, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        jobs.start(job.id)
    return redirect(url_for("catalog.import_job", job_id=job.id))


@bp.route("/export")
@staff_required()
def export():
    """Download records: ``scope`` = all | search (the current search) | library (``lib``'s holdings)."""
    fmt = request.args.get("format", "marcxml")
    if fmt not in exporter.FORMATS:
        abort(400)
    scope = request.args.get("scope", "search")
    ids, institution = None, None
    if scope == "library":
        institution = org.get_by_code(request.args.get("lib", ""), required=False)
        if institution is None:
            abort(404)
    elif scope == "search":
        query = services.query_from_args(request.args)
        try:
            ids = indexing.backend().ids(query)
        except indexing.SearchUnavailable:
            flash(_("The search index cannot be read now; export the whole catalogue instead."), "error")
            return redirect(url_for("catalog.index"))
        except QueryTooBroad as error:
            flash(services.too_broad_message(error), "error")
            return redirect(url_for("catalog.index"))
    id_query = exporter.selection(institution=institution, ids=ids)
    mimetype, extension = exporter.FORMATS[fmt]
    name = f"ilms-catalogue-{dt.date.today().isoformat()}.{extension}"
    return Response(stream_with_context(exporter.stream(fmt, id_query)), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
