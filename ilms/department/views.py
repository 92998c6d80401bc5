"""Staff pages of the Department's follow-up: inspections and their answers, publicity, funding, school
programmes, permanent displays and exchange visits."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..common import uploads
from ..common.errors import DomainError
from ..common.time import Period, local_today
from ..common.web import form_error, staff_required
from ..extensions import db
from ..org.models import InstitutionKind
from . import services
from .forms import (AnswerForm, CompleteSectionForm, DisplayArtifactForm, DisplayForm, ExchangeForm, FundingForm,
                    InspectionForm, MediaItemForm, ProgrammeForm, RecommendationForm, ReopenForm, SectionForm,
                    SessionForm)
from .models import FundingSource

bp = Blueprint("department", __name__, url_prefix="/department")

#: Evidence and scans: a PDF or a photograph of a paper, at most 5 MB.
FILE_AREA = "department"
FILE_KINDS = uploads.DOCUMENTS + uploads.IMAGES
FILE_MAX_BYTES = 5 * uploads.MB


# -- helpers ------------------------------------------------------------------------------------------

def _year_arg():
    value = request.args.get("year", "")
    if value.isdigit() and 1990 <= int(value) <= 2100:
        return int(value)
    return local_today().year


def _choices(field, capability, *, kinds=None):
    insts = [i for i in services.writable_institutions(current_user, capability) if kinds is None or i.kind in kinds]
    field.choices = [(i.id, i.name) for i in insts]
    if field.data is None and insts:
        mine = [i.id for i in insts if i.id == current_user.institution_id]
        field.data = mine[0] if mine else insts[0].id
    return insts


def _store_file(form):
    """The uploaded file of ``form.file``, checked and stored; ``None`` when none was chosen."""
    data = form.file.data
    if data is None or not getattr(data, "filename", ""):
        return None
    return uploads.store(data, FILE_AREA, kinds=FILE_KINDS, max_bytes=FILE_MAX_BYTES)


def _run(form, call, *, stored=None):
    """Run one service call and commit; on a refusal roll back, drop the stored file and show the message."""
    try:
        result = call()
        db.session.commit()
        return result
    except DomainError as error:
        if stored is not None:
            stored.discard()
        form_error(form, error)
        return None
    except BaseException:
        db.session.rollback()
        if stored is not None:
            stored.discard()
        raise


def _with_file(form, call):
    """Store the form's file then run ``call(stored)``; a refused file is shown on the form like any refusal."""
    try:
        stored = _store_file(form)
    except DomainError as error:
        form_error(form, error)
        return None
    return _run(form, lambda: call(stored), stored=stored)


def _form_page(form, title, *, multipart=False, back=None, status=200):
    return render_template("department/form.html", form=form, title=title, multipart=multipart,
                           back=back or url_for("department.index")), status


# -- overview -----------------------------------------------------------------------------------------

@bp.route("/")
@staff_required("department.view")
def index():
    year = _year_arg()
    today = local_today()
    period = Period.year(year)
    ids = services.visible_ids(current_user)
    receipts = services.funding_receipts(actor=current_user, year=year)
    totals = {source: sum(r.amount for r in receipts if r.source == source) for source in FundingSource}
    return render_template(
        "department/index.html", year=year, today=today,
        inspections=services.inspections(actor=current_user, year=year),
        overdue=services.overdue_recommendations(actor=current_user, today=today),
        media=services.media_items(actor=current_user, year=year), receipts=receipts, totals=totals,
        donations=services.book_donations(period, ids), programmes=services.programmes(actor=current_user),
        displays=services.displays(actor=current_user), exchanges=services.exchanges(actor=current_user, year=year),
        can_edit=current_user.can("department.edit"), can_record=current_user.can("department.record"))


@bp.route("/overdue")
@staff_required("department.view")
def overdue():
    today = local_today()
    return render_template("department/overdue.html", today=today,
                           rows=services.overdue_recommendations(actor=current_user, today=today))


def panel_context(user):
    """The home page: the open recommendations of the user's institution, overdue ones first and marked."""
    if not user.institution_id:
        return {"recommendations": [], "overdue": len(services.overdue_recommendations(actor=user)), "today": None}
    today = local_today()
    rows = services.open_recommendations(institution_ids=user.scope_ids(), today=today)
    return {"recommendations": rows[:10], "more": max(0, len(rows) - 10), "today": today,
            "overdue": sum(1 for r in rows if r.overdue_on(today))}


# -- inspections ----------------------------------------------------------------------------------------

@bp.route("/inspections/new", methods=["GET", "POST"])
@staff_required("department.edit")
def inspection_new():
    form = InspectionForm()
    _choices(form.institution, "department.edit")
    if form.validate_on_submit():
        made = _run(form, lambda: services.record_inspection(
            actor=current_user, institution=form.institution.data, kind=form.kind.data, date=form.date.data,
            inspectors=form.inspectors.data, scope=form.scope.data, findings=form.findings.data))
        if made is not None:
            flash(_("Inspection %(code)s recorded; add its recommendations.", code=made.code), "success")
            return redirect(url_for("department.inspection", inspection_id=made.id))
    return _form_page(form, _("Record an inspection"), status=400 if form.errors else 200)


def _render_inspection(inspection, *, recommendation_form=None, answer_forms=None, status=200):
    can_edit = current_user.can("department.edit", inspection.institution)
    can_answer = current_user.can("department.answer", inspection.institution)
    answer_forms = answer_forms or {}
    for rec in inspection.recommendations:
        answer_forms.setdefault(rec.id, AnswerForm(prefix=f"r{rec.id}", formdata=None))
    return render_template("department/inspection.html", inspection=inspection, today=local_today(),
                           can_edit=can_edit, can_answer=can_answer, answer_forms=answer_forms,
                           reopen_form=ReopenForm(formdata=None),
                           recommendation_form=recommendation_form or RecommendationForm(formdata=None)), status


@bp.route("/inspections/<int:inspection_id>")
@staff_required("department.view")
def inspection(inspection_id):
    return _render_inspection(services.get_inspection(inspection_id, actor=current_user))


@bp.route("/inspections/<int:inspection_id>/recommendations", methods=["POST"])
@staff_required("department.edit")
def recommendation_add(inspection_id):
    item = services.get_inspection(inspection_id, actor=current_user)
    form = RecommendationForm()
    if form.validate_on_submit():
        made = _run(form, lambda: services.add_recommendation(
            item, actor=current_user, text=form.text.data, responsible=form.responsible.data,
            deadline=form.deadline.data))
        if made is not None:
            flash(_("Recommendation %(n)d added.", n=made.position), "success")
            return redirect(url_for("department.inspection", inspection_id=item.id))
    if "csrf_token" in form.errors:
        abort(400)
    item = services.get_inspection(inspection_id, actor=current_user)
    return _render_inspection(item, recommendation_form=form, status=400)


@bp.route("/recommendations/<int:recommendation_id>/answer", methods=["POST"])
@staff_required("department.answer")
def recommendation_answer(recommendation_id):
    rec = services.get_recommendation(recommendation_id, actor=current_user)
    form = AnswerForm(prefix=f"r{rec.id}")
    if form.validate_on_submit():
        done = _with_file(form, lambda stored: services.answer_recommendation(
            rec, actor=current_user, note=form.note.data, done_on=form.done_on.data, evidence=stored))
        if done is not None:
            flash(_("Recommendation %(n)d marked done.", n=done.position), "success")
            return redirect(url_for("department.inspection", inspection_id=done.inspection_id))
    if "csrf_token" in form.errors:
        abort(400)
    rec = services.get_recommendation(recommendation_id, actor=current_user)
    return _render_inspection(rec.inspection, answer_forms={rec.id: form}, status=400)


@bp.route("/recommendations/<int:recommendation_id>/reopen", methods=["POST"])
@staff_required("department.edit")
def recommendation_reopen(recommendation_id):
    rec = services.get_recommendation(recommendation_id, actor=current_user)
    form = ReopenForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Say why the answer is not enough, so the institution knows what to do."), "error")
    elif _run(form, lambda: services.reopen_recommendation(rec, actor=current_user, reason=form.reason.data)):
        flash(_("Recommendation %(n)d is open again.", n=rec.position), "success")
    return redirect(url_for("department.inspection", inspection_id=rec.inspection_id))


@bp.route("/recommendations/<int:recommendation_id>/evidence")
@staff_required("department.view")
def evidence(recommendation_id):
    rec = services.get_recommendation(recommendation_id, actor=current_user)
    if not rec.evidence_name:
        abort(404)
    return uploads.send(FILE_AREA, rec.evidence_name, content_type=rec.evidence_content_type,
                        download_name=rec.evidence_original_name or rec.evidence_name)


# -- publicity, funding, exchanges ----------------------------------------------------------------------------

@bp.route("/media/new", methods=["GET", "POST"])
@staff_required("department.record")
def media_new():
    form = MediaItemForm()
    _choices(form.institution, "department.record")
    if form.validate_on_submit():
        made = _with_file(form, lambda stored: services.record_media_item(
            actor=current_user, institution=form.institution.data, medium=form.medium.data, date=form.date.data,
            title=form.title.data, made_by=form.made_by.data, link=form.link.data, scan=stored))
        if made is not None:
            flash(_("“%(title)s” recorded.", title=made.title), "success")
            return redirect(url_for("department.index", year=made.date.year))
    return _form_page(form, _("Record a publicity item"), multipart=True, status=400 if form.errors else 200)


@bp.route("/media/<int:item_id>/scan")
@staff_required("department.view")
def media_scan(item_id):
    item = services.get_media_item(item_id, actor=current_user)
    if not item.scan_name:
        abort(404)
    return uploads.send(FILE_AREA, item.scan_name, content_type=item.scan_content_type,
                        download_name=item.scan_original_name or item.scan_name)


@bp.route("/funding/new", methods=["GET", "POST"])
@staff_required("department.edit")
def funding_new():
    form = FundingForm()
    _choices(form.institution, "department.edit")
    if form.validate_on_submit():
        made = _run(form, lambda: services.record_funding(
            actor=current_user, institution=form.institution.data, source=form.source.data, date=form.date.data,
            amount=form.amount.data, purpose=form.purpose.data, donor=form.donor.data))
        if made is not None:
            flash(_("Funding recorded."), "success")
            return redirect(url_for("department.index", year=made.date.year))
    return _form_page(form, _("Record funding received"), status=400 if form.errors else 200)


@bp.route("/exchanges/new", methods=["GET", "POST"])
@staff_required("department.record")
def exchange_new():
    form = ExchangeForm()
    _choices(form.institution, "department.record")
    if form.validate_on_submit():
        made = _run(form, lambda: services.record_exchange(
            actor=current_user, institution=form.institution.data, direction=form.direction.data,
            date=form.date.data, title=form.title.data, partners=form.partners.data,
            out_of_province=form.out_of_province.data, participants=form.participants.data))
        if made is not None:
            flash(_("Exchange visit recorded."), "success")
            return redirect(url_for("department.index", year=made.date.year))
    return _form_page(form, _("Record an exchange visit"), status=400 if form.errors else 200)


# -- school programmes ----------------------------------------------------------------------------------------

@bp.route("/programmes/new", methods=["GET", "POST"])
@staff_required("department.record")
def programme_new():
    form = ProgrammeForm()
    _choices(form.institution, "department.record")
    if form.validate_on_submit():
        made = _run(form, lambda: services.create_programme(
            actor=current_user, institution=form.institution.data, title=form.title.data,
            agreement=form.agreement.data, start=form.start.data, end=form.end.data))
        if made is not None:
            flash(_("Programme %(code)s recorded.", code=made.code), "success")
            return redirect(url_for("department.programme", programme_id=made.id))
    return _form_page(form, _("Record a school programme"), status=400 if form.errors else 200)


@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@staff_required("department.view")
def programme(programme_id):
    item = services.get_programme(programme_id, actor=current_user)
    form = SessionForm()
    status = 200
    if request.method == "POST":
        if not current_user.can("department.record", item.institution):
            abort(403)
        if form.validate_on_submit():
            made = _run(form, lambda: services.record_session(
                item, actor=current_user, school=form.school.data, commune=form.commune.data, date=form.date.data,
                place=form.place.data, students=form.students.data, topic=form.topic.data))
            if made is not None:
                flash(_("Session recorded."), "success")
                return redirect(url_for("department.programme", programme_id=item.id))
        if "csrf_token" in form.errors:
            abort(400)
        status = 400
        item = services.get_programme(programme_id, actor=current_user)
    return render_template("department/programme.html", programme=item, form=form,
                           can_record=current_user.can("department.record", item.institution)), status


# -- displays ----------------------------------------------------------------------------------------------------

@bp.route("/displays/new", methods=["GET", "POST"])
@staff_required("department.record")
def display_new():
    form = DisplayForm()
    _choices(form.institution, "department.record", kinds={InstitutionKind.MUSEUM})
    if form.validate_on_submit():
        made = _run(form, lambda: services.create_display(
            actor=current_user, institution=form.institution.data, kind=form.kind.data, code=form.code.data,
            title=form.title.data, opened_on=form.opened_on.data))
        if made is not None:
            flash(_("Display %(code)s recorded; add its planned sections.", code=made.code), "success")
            return redirect(url_for("department.display", display_id=made.id))
    return _form_page(form, _("Record a permanent or outdoor display"), status=400 if form.errors else 200)


def _render_display(display, *, section_form=None, artifact_form=None, status=200):
    return render_template("department/display.html", display=display, today=local_today(),
                           can_record=current_user.can("department.record", display.institution),
                           section_form=section_form or SectionForm(formdata=None),
                           complete_form=CompleteSectionForm(formdata=None),
                           artifact_form=artifact_form or DisplayArtifactForm(formdata=None)), status


@bp.route("/displays/<int:display_id>")
@staff_required("department.view")
def display(display_id):
    return _render_display(services.get_display(display_id, actor=current_user))


@bp.route("/displays/<int:display_id>/sections", methods=["POST"])
@staff_required("department.record")
def section_add(display_id):
    item = services.get_display(display_id, actor=current_user)
    form = SectionForm()
    if form.validate_on_submit() and _run(form, lambda: services.add_section(
            item, actor=current_user, title=form.title.data, planned_by=form.planned_by.data)):
        flash(_("Section added."), "success")
        return redirect(url_for("department.display", display_id=display_id))
    if "csrf_token" in form.errors:
        abort(400)
    return _render_display(services.get_display(display_id, actor=current_user), section_form=form, status=400)


@bp.route("/displays/<int:display_id>/sections/<int:section_id>/complete", methods=["POST"])
@staff_required("department.record")
def section_complete(display_id, section_id):
    item = services.get_display(display_id, actor=current_user)
    section = next((s for s in item.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    form = CompleteSectionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Give a date (dd/mm/yyyy)."), "error")
    elif _run(form, lambda: services.complete_section(section, actor=current_user, on=form.completed_on.data)):
        flash(_("Section completed."), "success")
    return redirect(url_for("department.display", display_id=display_id))


@bp.route("/displays/<int:display_id>/artifacts", methods=["POST"])
@staff_required("department.record")
def display_artifact_add(display_id):
    item = services.get_display(display_id, actor=current_user)
    form = DisplayArtifactForm()
    if form.validate_on_submit() and _run(form, lambda: services.add_display_artifact(
            item, actor=current_user, artifact=form.code.data)):
        flash(_("Artifact added to the display."), "success")
        return redirect(url_for("department.display", display_id=display_id))
    if "csrf_token" in form.errors:
        abort(400)
    return _render_display(services.get_display(display_id, actor=current_user), artifact_form=form, status=400)
