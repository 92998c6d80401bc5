"""Staff pages: the calendar, exhibitions with stops and visitors, venues, artifacts and collections,
festivals and their compliance, clubs, activities and training courses."""
import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..catalog.models import Record
from ..common import ethnicity, uploads
from ..common.db import valid_id
from ..common.errors import DomainError
from ..common.text import fold
from ..common.time import local_today
from ..common.web import EmptyForm, form_error, page_number, staff_required
from ..extensions import db
from ..org import services as org
from ..org.models import Institution, Level
from . import calendar, services
from .forms import (ActivityForm, ArtifactForm, ClubForm, CollectionForm, CourseForm, ExhibitionForm,
                    FeatureArtifactForm, FestivalForm, ImageForm, MoveForm, StopForm, VisitorForm)
from .models import (EXHIBITION_TRANSITIONS, Activity, ActivityKind, Artifact, Club, Course, Exhibition,
                     ExhibitionKind, ExhibitionStatus, Festival, Heritage, Venue)

bp = Blueprint("events", __name__, url_prefix="/events")

IMAGE_AREA = "artifacts"
IMAGE_MAX_BYTES = 5 * uploads.MB


# -- helpers ------------------------------------------------------------------------------------

def _can_edit(obj):
    return current_user.can(services.CAPABILITY, obj.institution)


def _institution_choices(field, *, kinds=None):
    insts = [i for i in services.scoped_institutions(current_user) if kinds is None or i.kind in kinds]
    field.choices = [(i.id, i.name) for i in insts]
    if field.data is None and insts:
        mine = [i.id for i in insts if i.id == current_user.institution_id]
        field.data = mine[0] if mine else insts[0].id
    return insts


def _institution_arg(name="institution"):
    """The institution picked in a filter (``?institution=<id>``), or ``None`` for the whole province."""
    value = valid_id(request.args.get(name, ""))
    return db.session.get(Institution, value) if value else None


def _year_arg(default=None):
    value = request.args.get("year", "")
    if value.isdigit() and 1900 <= int(value) <= 2100:
        return int(value)
    return default if default is not None else local_today().year


def _done(message, endpoint, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _act(call, endpoint, **values):
    """A bare POST button: run one service call, commit, flash its message; a refusal is flashed instead."""
    try:
        message = call()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _scope_ids(institution):
    return sorted(org.scope_ids(institution.id)) if institution is not None else None


def _all_institutions():
    return org.all_institutions(active_only=True)


# -- calendar -----------------------------------------------------------------------------------

@bp.route("/")
@staff_required()
def calendar_view():
    today = local_today()
    month = calendar.Month.parse(request.args.get("month"), today)
    scope = request.args.get("scope")
    institution = None
    if scope != "province":
        institution = _institution_arg("scope") if scope else current_user.institution
    ids = _scope_ids(institution)
    view = "list" if request.args.get("view") == "list" else "month"
    if view == "list":
        items = calendar.items_between(month.first, month.last, ids)
        weeks, ongoing = None, None
    else:
        items = calendar.items_between(month.grid_first, month.grid_last, ids)
        weeks, ongoing = calendar.month_view(month, items)
    return render_template("events/calendar_view.html", month=month, items=items, weeks=weeks, ongoing=ongoing,
                           view=view, institution=institution, institutions=_all_institutions(), today=today)


# -- exhibitions --------------------------------------------------------------------------------

@bp.route("/exhibitions")
@staff_required()
def exhibitions():
    year = _year_arg()
    institution = _institution_arg()
    query = (sa.select(Exhibition).where(Exhibition.start <= dt.date(year, 12, 31),
                                         Exhibition.end >= dt.date(year, 1, 1))
             .order_by(Exhibition.start.desc(), Exhibition.id.desc()))
    kind = request.args.get("kind")
    if kind in {k.value for k in ExhibitionKind}:
        query = query.where(Exhibition.kind == kind)
    status = request.args.get("status")
    if status in {s.value for s in ExhibitionStatus}:
        query = query.where(Exhibition.status == status)
    if institution is not None:
        query = query.where(Exhibition.institution_id.in_(_scope_ids(institution)))
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(Exhibition.title_folded.contains(fold(q), autoescape=True))
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("events/exhibitions.html", page=page, year=year, kind=kind, status=status, q=q,
                           institution=institution, institutions=_all_institutions(), kinds=ExhibitionKind,
                           statuses=ExhibitionStatus)


def _exhibition_fields(form):
    return dict(kind=form.kind.data, institution=form.institution.data, title=form.title.data,
                theme=form.theme.data or "", description=form.description.data or "",
                partners=form.partners.data or "", start=form.start.data, end=form.end.data,
                opens_at=form.opens_at.data, closes_at=form.closes_at.data)


def _usual_kind(user):
    """What an institution usually plans: a library a book display, a museum or cultural centre an exhibition."""
    kind = user.institution.kind.value if user.institution is not None else None
    library = kind in ("provincial_library", "district_library", "postal_cultural_point")
    return ExhibitionKind.LIBRARY_DISPLAY if library else ExhibitionKind.THEMATIC


@bp.route("/exhibitions/new", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def exhibition_new():
    form = ExhibitionForm()
    if request.method == "GET" and request.args.get("kind") in {k.value for k in ExhibitionKind}:
        form.kind.data = request.args["kind"]
    elif request.method == "GET":
        form.kind.data = _usual_kind(current_user).value
    _institution_choices(form.institution)
    if form.validate_on_submit():
        try:
            exhibition = services.create_exhibition(actor=current_user, code=form.code.data or None,
                                                    venue=form.venue.data or None,
                                                    venue_address=form.venue_address.data or "",
                                                    new_venue=form.new_venue.data, **_exhibition_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("“%(title)s” is planned (%(code)s).", title=exhibition.title, code=exhibition.code),
                         "events.exhibition", exhibition_id=exhibition.id)
    return render_template("events/exhibition_form.html", form=form, exhibition=None,
                           venue_names=services.venue_names())


@bp.route("/exhibitions/<int:exhibition_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def exhibition_edit(exhibition_id):
    exhibition = services.get_exhibition(exhibition_id)
    if not _can_edit(exhibition):
        abort(403)
    form = ExhibitionForm(obj=exhibition if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = exhibition.kind.value
        form.institution.data = exhibition.institution_id
        form.venue.data = exhibition.venue.name if exhibition.venue else ""
    _institution_choices(form.institution)
    if form.validate_on_submit():
        try:
            services.update_exhibition(exhibition, actor=current_user, code=form.code.data or exhibition.code,
                                       venue=None if exhibition.is_travelling and not form.venue.data
                                       else form.venue.data or None,
                                       venue_address=form.venue_address.data or "", new_venue=form.new_venue.data,
                                       **_exhibition_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Changes to “%(title)s” saved.", title=exhibition.title), "events.exhibition",
                         exhibition_id=exhibition.id)
    return render_template("events/exhibition_form.html", form=form, exhibition=exhibition,
                           venue_names=services.venue_names())


def _visitor_form(exhibition, form=None):
    form = form or VisitorForm(formdata=None, prefix="visit")
    form.stop.choices = [("", "—")] + [(s.id, f"{s.venue.name} ({services.day_text(s.start)}–"
                                             f"{services.day_text(s.end)})") for s in exhibition.stops]
    if form.date.data is None:
        today = local_today()
        form.date.data = min(max(today, exhibition.start), exhibition.end)
    return form


def _render_exhibition(exhibition, *, stop_form=None, visitor_form=None, artifact_form=None, status=200):
    q = (request.args.get("q") or "").strip()
    found = services.search_records(q) if q and exhibition.kind == ExhibitionKind.LIBRARY_DISPLAY else []
    stop_form = stop_form or StopForm(formdata=None, prefix="stop")
    if stop_form.start.data is None:
        stop_form.start.data, stop_form.end.data = exhibition.start, exhibition.end
    return render_template(
        "events/exhibition.html", exhibition=exhibition, can_edit=_can_edit(exhibition),
        targets=EXHIBITION_TRANSITIONS.targets(exhibition.status), stop_form=stop_form,
        visitor_form=_visitor_form(exhibition, visitor_form), artifact_form=artifact_form or FeatureArtifactForm(
            formdata=None, prefix="artifact"), q=q, found=found, schools=services.schools_of(exhibition),
        venue_names=services.venue_names(), featured_ids={f.record_id for f in exhibition.featured_records},
        statuses=ExhibitionStatus), status


@bp.route("/exhibitions/<int:exhibition_id>")
@staff_required()
def exhibition(exhibition_id):
    return _render_exhibition(services.get_exhibition(exhibition_id))


def _exhibition_for_change(exhibition_id):
    exhibition = services.get_exhibition(exhibition_id)
    if not current_user.can(services.CAPABILITY):
        abort(403)
    return exhibition


def _post_checked():
    if not EmptyForm().validate_on_submit():
        abort(400)


@bp.route("/exhibitions/<int:exhibition_id>/status", methods=["POST"])
@staff_required(services.CAPABILITY)
def exhibition_status(exhibition_id):
    _post_checked()
    exhibition = _exhibition_for_change(exhibition_id)
    target = request.form.get("status", "")

    def change():
        services.set_exhibition_status(exhibition, target, actor=current_user)
        return _("“%(title)s” is now: %(state)s.", title=exhibition.title, state=exhibition.status.label)
    return _act(change, "events.exhibition", exhibition_id=exhibition.id)


@bp.route("/exhibitions/<int:exhibition_id>/stops", methods=["POST"])
@staff_required(services.CAPABILITY)
def stop_add(exhibition_id):
    exhibition = _exhibition_for_change(exhibition_id)
    form = StopForm(prefix="stop")
    if form.validate_on_submit():
        try:
            stop = services.add_stop(exhibition, actor=current_user, venue=form.venue.data, host=form.host.data,
                                     start=form.start.data, end=form.end.data, note=form.note.data or "",
                                     new_venue=form.new_venue.data)
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Stop at %(venue)s added.", venue=stop.venue.name), "events.exhibition",
                         exhibition_id=exhibition.id)
    return _render_exhibition(exhibition, stop_form=form, status=400)


@bp.route("/exhibitions/<int:exhibition_id>/stops/<int:stop_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def stop_edit(exhibition_id, stop_id):
    exhibition = _exhibition_for_change(exhibition_id)
    stop = services.get_stop(exhibition, stop_id)
    if not _can_edit(exhibition):
        abort(403)
    form = StopForm(obj=stop if request.method == "GET" else None)
    if request.method == "GET":
        form.venue.data = stop.venue.name
    if form.validate_on_submit():
        try:
            services.update_stop(stop, actor=current_user, venue=form.venue.data, start=form.start.data,
                                 end=form.end.data, host=form.host.data or "", note=form.note.data or "",
                                 new_venue=form.new_venue.data)
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Stop at %(venue)s saved.", venue=stop.venue.name), "events.exhibition",
                         exhibition_id=exhibition.id)
    return render_template("events/stop_form.html", form=form, exhibition=exhibition, stop=stop,
                           venue_names=services.venue_names())


@bp.route("/exhibitions/<int:exhibition_id>/stops/<int:stop_id>/delete", methods=["POST"])
@staff_required(services.CAPABILITY)
def stop_delete(exhibition_id, stop_id):
    _post_checked()
    exhibition = _exhibition_for_change(exhibition_id)
    stop = services.get_stop(exhibition, stop_id)

    def remove():
        name = stop.venue.name
        services.remove_stop(stop, actor=current_user)
        return _("Stop at %(venue)s removed.", venue=name)
    return _act(remove, "events.exhibition", exhibition_id=exhibition.id)


@bp.route("/exhibitions/<int:exhibition_id>/visitors", methods=["POST"])
@staff_required(services.CAPABILITY)
def visitors_add(exhibition_id):
    exhibition = _exhibition_for_change(exhibition_id)
    form = _visitor_form(exhibition, VisitorForm(prefix="visit"))
    if form.validate_on_submit():
        try:
            stop = services.get_stop(exhibition, form.stop.data) if form.stop.data else None
            count = services.record_visitors(exhibition, actor=current_user, date=form.date.data,
                                             visitors=form.visitors.data, students=form.students.data or 0,
                                             school=form.school.data or "", stop=stop, note=form.note.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("%(n)d visitors recorded on %(day)s, %(s)d of them students.", n=count.visitors,
                           day=services.day_text(count.date), s=count.students), "events.exhibition",
                         exhibition_id=exhibition.id)
    return _render_exhibition(exhibition, visitor_form=form, status=400)


@bp.route("/exhibitions/<int:exhibition_id>/visitors/<int:count_id>/delete", methods=["POST"])
@staff_required(services.CAPABILITY)
def visitors_delete(exhibition_id, count_id):
    _post_checked()
    exhibition = _exhibition_for_change(exhibition_id)
    count = services.get_visitor_count(exhibition, count_id)

    def delete():
        services.delete_visitor_count(count, actor=current_user)
        return _("The visitor count was deleted.")
    return _act(delete, "events.exhibition", exhibition_id=exhibition.id)


@bp.route("/exhibitions/<int:exhibition_id>/records", methods=["POST"])
@staff_required(services.CAPABILITY)
def record_add(exhibition_id):
    _post_checked()
    exhibition = _exhibition_for_change(exhibition_id)
    record_id = request.form.get("record_id", "")
    record = db.session.get(Record, valid_id(record_id)) if valid_id(record_id) else None
    if record is None:
        abort(404)
    def add():
        services.feature_record(exhibition, record, actor=current_user)
        return _("“%(title)s” added to the display.", title=record.title)
    return _act(add, "events.exhibition", exhibition_id=exhibition.id, q=request.form.get("q") or None)


@bp.route("/exhibitions/<int:exhibition_id>/records/<int:record_id>/remove", methods=["POST"])
@staff_required(services.CAPABILITY)
def record_remove(exhibition_id, record_id):
    _post_checked()
    exhibition = _exhibition_for_change(exhibition_id)
    def remove():
        services.unfeature_record(exhibition, record_id, actor=current_user)
        return _("Removed from the display.")
    return _act(remove, "events.exhibition", exhibition_id=exhibition.id)


@bp.route("/exhibitions/<int:exhibition_id>/artifacts", methods=["POST"])
@staff_required(services.CAPABILITY)
def artifact_feature(exhibition_id):
    exhibition = _exhibition_for_change(exhibition_id)
    form = FeatureArtifactForm(prefix="artifact")
    if form.validate_on_submit():
        try:
            artifact = services.artifact_by_code(form.code.data)
            services.feature_artifact(exhibition, artifact, actor=current_user)
        except DomainError as error:
            error.field = "code"
            form_error(form, error)
        else:
            return _done(_("%(code)s is now shown in this exhibition.", code=artifact.code), "events.exhibition",
                         exhibition_id=exhibition.id)
    return _render_exhibition(exhibition, artifact_form=form, status=400)


@bp.route("/exhibitions/<int:exhibition_id>/artifacts/<int:artifact_id>/remove", methods=["POST"])
@staff_required(services.CAPABILITY)
def artifact_unfeature(exhibition_id, artifact_id):
    _post_checked()
    exhibition = _exhibition_for_change(exhibition_id)
    def remove():
        services.unfeature_artifact(exhibition, artifact_id, actor=current_user)
        return _("Removed from the exhibition.")
    return _act(remove, "events.exhibition", exhibition_id=exhibition.id)


# -- venues ---------------------------------------------------------------------------------------

@bp.route("/venues")
@staff_required()
def venues():
    rows = db.session.scalars(sa.select(Venue).order_by(Venue.name_folded)).all()
    return render_template("events/venues.html", venues=rows)


@bp.route("/venues/<int:venue_id>")
@staff_required()
def venue(venue_id):
    place = services.get_venue(venue_id)
    start = local_today() - dt.timedelta(days=365) if request.args.get("all") != "1" else None
    return render_template("events/venue.html", venue=place, bookings=services.venue_bookings(place, start=start),
                           showing_all=start is None)


# -- collections and artifacts ------------------------------------------------------------------------

@bp.route("/collections")
@staff_required()
def collections():
    rows = services.collections_of()
    counts = dict(db.session.execute(sa.select(Artifact.collection_id, sa.func.count())
                                     .group_by(Artifact.collection_id)).all())
    return render_template("events/collections.html", collections=rows, counts=counts)


def _collection_fields(form):
    return dict(name=form.name.data, description=form.description.data or "",
                completeness=form.completeness.data, completeness_note=form.completeness_note.data or "")


@bp.route("/collections/new", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def collection_new():
    form = CollectionForm()
    _institution_choices(form.institution)
    if form.validate_on_submit():
        try:
            collection = services.create_collection(actor=current_user, institution=form.institution.data,
                                                    **_collection_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Collection “%(name)s” created.", name=collection.name), "events.collection",
                         collection_id=collection.id)
    return render_template("events/form.html", form=form, title=_("New collection"),
                           back=url_for("events.collections"))


@bp.route("/collections/<int:collection_id>")
@staff_required()
def collection(collection_id):
    item = services.get_collection(collection_id)
    artifacts = db.session.scalars(sa.select(Artifact).where(Artifact.collection_id == item.id)
                                   .order_by(Artifact.code)).all()
    return render_template("events/collection.html", collection=item, artifacts=artifacts, can_edit=_can_edit(item))


@bp.route("/collections/<int:collection_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def collection_edit(collection_id):
    item = services.get_collection(collection_id)
    if not _can_edit(item):
        abort(403)
    form = CollectionForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.completeness.data = item.completeness.value
    form.institution.choices = [(item.institution_id, item.institution.name)]
    form.institution.data = item.institution_id
    if form.validate_on_submit():
        try:
            services.update_collection(item, actor=current_user, **_collection_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Changes to “%(name)s” saved.", name=item.name), "events.collection",
                         collection_id=item.id)
    return render_template("events/form.html", form=form, title=item.name,
                           back=url_for("events.collection", collection_id=item.id), skip={"institution"})


@bp.route("/artifacts")
@staff_required()
def artifacts():
    institution = _institution_arg()
    collection_id = request.args.get("collection", "")
    heritage = request.args.get("heritage") if request.args.get("heritage") in {h.value for h in Heritage} else None
    group = request.args.get("ethnicity") if ethnicity.by_code(request.args.get("ethnicity", "")) else None
    query = services.search_artifacts(q=request.args.get("q", ""),
                                      institution_ids=_scope_ids(institution) if institution else None,
                                      collection_id=valid_id(collection_id),
                                      heritage=heritage, ethnicity_code=group)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("events/artifacts.html", page=page, collections=services.collections_of(),
                           heritages=Heritage, groups=ethnicity.groups(), q=request.args.get("q", ""),
                           collection_id=collection_id, heritage=heritage, group=group,
                           current_location=services.current_location)


def _collection_choices(form, institution_id=None):
    rows = services.collections_of([institution_id] if institution_id else None)
    form.collection.choices = [("", "—")] + [(c.id, c.name) for c in rows]


def _artifact_fields(form):
    return dict(code=form.code.data, name=form.name.data, collection=form.collection.data,
                object_type=form.object_type.data or "", material=form.material.data or "",
                heritage=form.heritage.data, ethnicity=form.ethnicity.data or None,
                provenance=form.provenance.data or "", condition=form.condition.data,
                description=form.description.data or "", accessioned=form.accessioned.data)


@bp.route("/artifacts/new", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def artifact_new():
    form = ArtifactForm()
    insts = _institution_choices(form.institution)
    _collection_choices(form, form.institution.data if request.method == "POST" else None)
    if request.method == "GET" and request.args.get("collection", "").isdigit():
        form.collection.data = int(request.args["collection"])
    if request.method == "GET" and form.accessioned.data is None:
        form.accessioned.data = local_today()
    if form.validate_on_submit():
        try:
            fields = _artifact_fields(form)
            artifact = services.create_artifact(actor=current_user, institution=form.institution.data,
                                                code=fields.pop("code"), name=fields.pop("name"),
                                                accessioned=fields.pop("accessioned"), **fields)
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("%(code)s entered in the register.", code=artifact.code), "events.artifact",
                         artifact_id=artifact.id)
    return render_template("events/form.html", form=form, title=_("New artifact"), back=url_for("events.artifacts"),
                           skip=set() if len(insts) > 1 else {"institution"})


@bp.route("/artifacts/<int:artifact_id>")
@staff_required()
def artifact(artifact_id):
    item = services.get_artifact(artifact_id)
    move_form = MoveForm(formdata=None)
    move_form.date.data = local_today()
    _move_choices(move_form, item)
    return render_template("events/artifact.html", artifact=item, can_edit=_can_edit(item),
                           where=services.current_location(item), move_form=move_form,
                           image_form=ImageForm(formdata=None), group=ethnicity.by_code(item.ethnicity or ""),
                           today=local_today())


def _move_choices(form, item):
    live = db.session.scalars(sa.select(Exhibition).where(
        Exhibition.institution_id == item.institution_id, Exhibition.status != ExhibitionStatus.CANCELLED,
        Exhibition.end >= local_today() - dt.timedelta(days=365)).order_by(Exhibition.start.desc())).all()
    form.exhibition.choices = [("", "—")] + [(e.id, f"{e.code} · {e.title}") for e in live]


@bp.route("/artifacts/<int:artifact_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def artifact_edit(artifact_id):
    item = services.get_artifact(artifact_id)
    if not _can_edit(item):
        abort(403)
    form = ArtifactForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.collection.data = item.collection_id
        form.heritage.data, form.condition.data = item.heritage.value, item.condition.value
        form.ethnicity.data = item.ethnicity or ""
    form.institution.choices = [(item.institution_id, item.institution.name)]
    form.institution.data = item.institution_id
    _collection_choices(form, item.institution_id)
    if form.validate_on_submit():
        try:
            services.update_artifact(item, actor=current_user, **_artifact_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Changes to %(code)s saved.", code=item.code), "events.artifact", artifact_id=item.id)
    return render_template("events/form.html", form=form, title=str(item),
                           back=url_for("events.artifact", artifact_id=item.id), skip={"institution"})


@bp.route("/artifacts/<int:artifact_id>/move", methods=["POST"])
@staff_required(services.CAPABILITY)
def artifact_move(artifact_id):
    item = services.get_artifact(artifact_id)
    form = MoveForm()
    _move_choices(form, item)
    if form.validate_on_submit():
        try:
            exhibition = services.get_exhibition(form.exhibition.data) if form.exhibition.data else None
            services.move_artifact(item, actor=current_user, kind=form.kind.data, date=form.date.data,
                                   exhibition=exhibition, place=form.place.data or "", note=form.note.data or "")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            return _done(_("The move of %(code)s is recorded.", code=item.code), "events.artifact",
                         artifact_id=item.id)
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for("events.artifact", artifact_id=item.id))


@bp.route("/artifacts/<int:artifact_id>/images", methods=["POST"])
@staff_required(services.CAPABILITY)
def artifact_image_add(artifact_id):
    item = services.get_artifact(artifact_id)
    form = ImageForm()
    if not form.validate_on_submit():
        abort(400)
    if not _can_edit(item):
        abort(403)
    stored = None
    try:
        stored = uploads.store(form.file.data, IMAGE_AREA, kinds=uploads.IMAGES, max_bytes=IMAGE_MAX_BYTES)
        services.add_artifact_image(item, actor=current_user, stored=stored, caption=form.caption.data or "")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if stored is not None:
            stored.discard()
        flash(str(error.message), "error")
    except BaseException:
        db.session.rollback()
        if stored is not None:
            stored.discard()
        raise
    else:
        flash(_("The photograph “%(name)s” was added.", name=stored.original_name), "success")
    return redirect(url_for("events.artifact", artifact_id=item.id))


@bp.route("/artifacts/images/<int:image_id>")
@staff_required()
def artifact_image(image_id):
    image = services.get_artifact_image(image_id)
    return uploads.send(IMAGE_AREA, image.stored_name, content_type=image.content_type,
                        download_name=image.original_name or image.stored_name)


@bp.route("/artifacts/images/<int:image_id>/delete", methods=["POST"])
@staff_required(services.CAPABILITY)
def artifact_image_delete(image_id):
    _post_checked()
    image = services.get_artifact_image(image_id)
    artifact_id = image.artifact_id
    try:
        stored_name = services.remove_artifact_image(image, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        uploads.delete(IMAGE_AREA, stored_name)   # only once the record is gone for good
        flash(_("The photograph was removed."), "success")
    return redirect(url_for("events.artifact", artifact_id=artifact_id))


# -- festivals --------------------------------------------------------------------------------------

@bp.route("/festivals")
@staff_required()
def festivals():
    year = _year_arg()
    query = (sa.select(Festival).join(Institution)
             .where(Festival.date >= dt.date(year, 1, 1), Festival.date <= dt.date(year, 12, 31))
             .order_by(Festival.date.desc(), Festival.id.desc()))
    level = request.args.get("level")
    if level in {lv.value for lv in Level}:
        query = query.where(Institution.level == level)
    rows = db.session.scalars(query).all()
    return render_template("events/festivals.html", festivals=rows, year=year, level=level, levels=Level)


@bp.route("/festivals/compliance")
@staff_required()
def festival_compliance():
    year = _year_arg()
    today = local_today()
    until = today if year == today.year else None
    return render_template("events/festival_compliance.html", year=year,
                           rows=services.festival_compliance(year, until=until), until=until,
                           cycles=services.FESTIVAL_CYCLE_YEARS)


def _festival_fields(form):
    return dict(kind=form.kind.data, title=form.title.data, date=form.date.data, end=form.end.data,
                venue=form.venue.data or "", participants=form.participants.data, note=form.note.data or "")


@bp.route("/festivals/new", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def festival_new():
    form = FestivalForm()
    insts = _institution_choices(form.institution, kinds=services.CULTURAL_KINDS)
    if not insts:
        flash(_("Festivals are held by cultural centres and cultural houses; none of them is yours."), "warning")
        return redirect(url_for("events.festivals"))
    if form.validate_on_submit():
        try:
            festival = services.create_festival(actor=current_user, institution=form.institution.data,
                                                **_festival_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Festival “%(title)s” recorded.", title=festival.title), "events.festivals",
                         year=festival.date.year)
    return render_template("events/form.html", form=form, title=_("New festival"), back=url_for("events.festivals"))


@bp.route("/festivals/<int:festival_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def festival_edit(festival_id):
    item = services.get_festival(festival_id)
    if not _can_edit(item):
        abort(403)
    form = FestivalForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = item.kind.value
    form.institution.choices = [(item.institution_id, item.institution.name)]
    form.institution.data = item.institution_id
    if form.validate_on_submit():
        try:
            services.update_festival(item, actor=current_user, **_festival_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Changes to “%(title)s” saved.", title=item.title), "events.festivals",
                         year=item.date.year)
    return render_template("events/form.html", form=form, title=item.title, back=url_for("events.festivals"),
                           skip={"institution"},
                           delete_url=url_for("events.festival_delete", festival_id=item.id))


@bp.route("/festivals/<int:festival_id>/delete", methods=["POST"])
@staff_required(services.CAPABILITY)
def festival_delete(festival_id):
    _post_checked()
    item = services.get_festival(festival_id)
    year, title = item.date.year, item.title

    def delete():
        services.delete_festival(item, actor=current_user)
        return _("“%(title)s” was deleted.", title=title)
    return _act(delete, "events.festivals", year=year)


# -- clubs ----------------------------------------------------------------------------------------

@bp.route("/clubs")
@staff_required()
def clubs():
    show = request.args.get("show", "active")
    query = sa.select(Club).order_by(Club.name_sort)
    if show != "all":
        today = local_today()
        query = query.where(Club.active_from <= today, sa.or_(Club.active_to.is_(None), Club.active_to >= today))
    institution = _institution_arg()
    if institution is not None:
        query = query.where(Club.institution_id.in_(_scope_ids(institution)))
    rows = db.session.scalars(query).all()
    return render_template("events/clubs.html", clubs=rows, show=show, institution=institution,
                           institutions=_all_institutions(), members=sum(c.members for c in rows))


def _club_fields(form):
    return dict(name=form.name.data, interest=form.interest.data or "", setting=form.setting.data,
                place=form.place.data or "", head=form.head.data or "", members=form.members.data,
                meetings=form.meetings.data or "", active_from=form.active_from.data,
                active_to=form.active_to.data)


@bp.route("/clubs/new", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def club_new():
    form = ClubForm()
    _institution_choices(form.institution)
    if request.method == "GET" and form.active_from.data is None:
        form.active_from.data = local_today()
    if form.validate_on_submit():
        try:
            club = services.create_club(actor=current_user, institution=form.institution.data,
                                        code=form.code.data or None, **_club_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Club “%(name)s” registered.", name=club.name), "events.club", club_id=club.id)
    return render_template("events/form.html", form=form, title=_("New club"), back=url_for("events.clubs"))


@bp.route("/clubs/<int:club_id>")
@staff_required()
def club(club_id):
    item = services.get_club(club_id)
    meetings = db.session.scalars(sa.select(Activity).where(Activity.club_id == item.id)
                                  .order_by(Activity.date.desc()).limit(100)).all()
    return render_template("events/club.html", club=item, meetings=meetings, can_edit=_can_edit(item),
                           today=local_today())


@bp.route("/clubs/<int:club_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def club_edit(club_id):
    item = services.get_club(club_id)
    if not _can_edit(item):
        abort(403)
    form = ClubForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.setting.data = item.setting.value
        form.institution.data = item.institution_id
    _institution_choices(form.institution)
    if form.validate_on_submit():
        try:
            services.update_club(item, actor=current_user, institution=form.institution.data,
                                 code=form.code.data or item.code, **_club_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Changes to “%(name)s” saved.", name=item.name), "events.club", club_id=item.id)
    return render_template("events/form.html", form=form, title=item.name,
                           back=url_for("events.club", club_id=item.id))


# -- activities -------------------------------------------------------------------------------------

@bp.route("/activities")
@staff_required()
def activities():
    month = calendar.Month.parse(request.args.get("month"), local_today())
    query = (sa.select(Activity).where(Activity.date >= month.first, Activity.date <= month.last)
             .order_by(Activity.date, Activity.starts_at, Activity.id))
    institution = _institution_arg()
    if institution is not None:
        query = query.where(Activity.institution_id.in_(_scope_ids(institution)))
    kind = request.args.get("kind")
    if kind in {k.value for k in ActivityKind}:
        query = query.where(Activity.kind == kind)
    rows = db.session.scalars(query).all()
    return render_template("events/activities.html", activities=rows, month=month, institution=institution,
                           institutions=_all_institutions(), kind=kind, kinds=ActivityKind)


def _club_choices(form, institution_id=None):
    rows = services.clubs_active_on(local_today())
    form.club.choices = [("", "—")] + [(c.id, c.name) for c in rows]


def _activity_fields(form):
    return dict(kind=form.kind.data, title=form.title.data or "", starts_at=form.starts_at.data,
                ends_at=form.ends_at.data, place=form.place.data or "", participants=form.participants.data,
                note=form.note.data or "", club=form.club.data)


@bp.route("/activities/new", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def activity_new():
    form = ActivityForm()
    _institution_choices(form.institution)
    _club_choices(form)
    if request.method == "GET":
        form.date.data = form.date.data or local_today()
        if request.args.get("club", "").isdigit():
            form.club.data = int(request.args["club"])
    if form.validate_on_submit():
        try:
            made = services.schedule_activity(actor=current_user, institution=form.institution.data,
                                              date=form.date.data, repeat=form.repeat.data or None,
                                              until=form.until.data, **_activity_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            message = (_("%(n)d occurrences scheduled, the last on %(day)s.", n=len(made),
                         day=services.day_text(made[-1].date)) if len(made) > 1
                       else _("The activity is recorded."))
            return _done(message, "events.activities", month=made[0].date.strftime("%Y-%m"))
    return render_template("events/form.html", form=form, title=_("New activity"),
                           back=url_for("events.activities"))


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def activity_edit(activity_id):
    item = services.get_activity(activity_id)
    if not _can_edit(item):
        abort(403)
    form = ActivityForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = item.kind.value
        form.club.data = item.club_id
    form.institution.choices = [(item.institution_id, item.institution.name)]
    form.institution.data = item.institution_id
    _club_choices(form)
    if form.validate_on_submit():
        try:
            services.update_activity(item, actor=current_user, date=form.date.data, **_activity_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("The activity is saved."), "events.activities", month=item.date.strftime("%Y-%m"))
    extra = None
    if item.series_id is not None:
        extra = url_for("events.activity_cancel_series", activity_id=item.id)
    return render_template("events/form.html", form=form, title=item.label, back=url_for("events.activities"),
                           skip={"institution", "repeat", "until"},
                           delete_url=url_for("events.activity_delete", activity_id=item.id),
                           series_url=extra)


@bp.route("/activities/<int:activity_id>/delete", methods=["POST"])
@staff_required(services.CAPABILITY)
def activity_delete(activity_id):
    _post_checked()
    item = services.get_activity(activity_id)
    month = item.date.strftime("%Y-%m")

    def delete():
        services.delete_activity(item, actor=current_user)
        return _("The activity was deleted.")
    return _act(delete, "events.activities", month=month)


@bp.route("/activities/<int:activity_id>/cancel-series", methods=["POST"])
@staff_required(services.CAPABILITY)
def activity_cancel_series(activity_id):
    _post_checked()
    item = services.get_activity(activity_id)
    month = item.date.strftime("%Y-%m")

    def cancel():
        n = services.cancel_rest_of_series(item, actor=current_user)
        return _("%(n)d occurrences cancelled (those with participants recorded are kept).", n=n)
    return _act(cancel, "events.activities", month=month)


# -- courses ----------------------------------------------------------------------------------------

@bp.route("/courses")
@staff_required()
def courses():
    year = _year_arg()
    rows = db.session.scalars(sa.select(Course).where(Course.start >= dt.date(year, 1, 1),
                                                      Course.start <= dt.date(year, 12, 31))
                              .order_by(Course.start.desc(), Course.id.desc())).all()
    return render_template("events/courses.html", courses=rows, year=year,
                           trainees=sum(c.trainees for c in rows), minority=sum(c.minority_trainees for c in rows))


def _course_fields(form):
    return dict(title=form.title.data, audience=form.audience.data, start=form.start.data, end=form.end.data,
                place=form.place.data or "", trainees=form.trainees.data,
                minority_trainees=form.minority_trainees.data or 0, note=form.note.data or "")


@bp.route("/courses/new", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def course_new():
    form = CourseForm()
    _institution_choices(form.institution)
    if form.validate_on_submit():
        try:
            course = services.create_course(actor=current_user, institution=form.institution.data,
                                            **_course_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Course “%(title)s” recorded.", title=course.title), "events.courses",
                         year=course.start.year)
    return render_template("events/form.html", form=form, title=_("New training course"),
                           back=url_for("events.courses"))


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@staff_required(services.CAPABILITY)
def course_edit(course_id):
    item = services.get_course(course_id)
    if not _can_edit(item):
        abort(403)
    form = CourseForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.audience.data = item.audience.value
    form.institution.choices = [(item.institution_id, item.institution.name)]
    form.institution.data = item.institution_id
    if form.validate_on_submit():
        try:
            services.update_course(item, actor=current_user, **_course_fields(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _done(_("Changes to “%(title)s” saved.", title=item.title), "events.courses",
                         year=item.start.year)
    return render_template("events/form.html", form=form, title=item.title, back=url_for("events.courses"),
                           skip={"institution"}, delete_url=url_for("events.course_delete", course_id=item.id))


@bp.route("/courses/<int:course_id>/delete", methods=["POST"])
@staff_required(services.CAPABILITY)
def course_delete(course_id):
    _post_checked()
    item = services.get_course(course_id)
    year, title = item.start.year, item.title

    def delete():
        services.delete_course(item, actor=current_user)
        return _("“%(title)s” was deleted.", title=title)
    return _act(delete, "events.courses", year=year)


# -- dashboard --------------------------------------------------------------------------------------

def panel_context(user):
    today = local_today()
    ids = sorted(user.scope_ids()) if getattr(user, "institution_id", None) else None
    items = calendar.items_between(today, today + dt.timedelta(days=14), ids)
    # What began before today is running, not coming up: listed apart, with its last day, never a past date.
    running = [item for item in items if item.start < today]
    upcoming = [item for item in items if item.start >= today]
    return {"upcoming": upcoming[:8], "more": max(0, len(upcoming) - 8), "running": running[:8], "today": today}

