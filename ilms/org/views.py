"""Staff screens for the network: the tree, one institution, create and edit (administrators)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..common.errors import DomainError
from ..common.web import form_error, staff_required
from ..extensions import db
from . import services
from .forms import InstitutionForm
from .models import InstitutionKind

bp = Blueprint("org", __name__, url_prefix="/institutions")


def _parent_choices(exclude=None):
    return [("", _("— none (top of the tree) —"))] + [
        (str(inst.id), ("\u2003" * depth) + inst.name)
        for inst, depth in services.tree() if exclude is None or inst.id != exclude.id]


def _form_fields(form):
    parent = services.get(int(form.parent.data)) if form.parent.data else None
    return dict(code=form.code.data, name=form.name.data, kind=form.kind.data, level=form.level.data,
                parent=parent, address=form.address.data or "", phone=form.phone.data or "",
                email=form.email.data or "", barcode_prefix=form.barcode_prefix.data or None,
                active=form.active.data, district_code=form.district_code.data or None,
                commune_code=form.commune_code.data or None, go_live=form.go_live.data)


def _area_choices(form):
    """The administrative areas to choose from (none: the institution serves the whole province)."""
    none = [("", "—")]
    form.district_code.choices = none + [(a.code, f"{a.name} ({a.code})") for a in services.all_areas("district")]
    form.commune_code.choices = none + [(a.code, f"{a.name} ({a.code})") for a in services.all_areas("commune")]


@bp.route("/")
@staff_required()
def index():
    kind = request.args.get("kind") or None
    rows = services.tree()
    if kind in {k.value for k in InstitutionKind}:
        rows = [(inst, 0) for inst, _depth in rows if inst.kind.value == kind]
    return render_template("org/index.html", rows=rows, kinds=InstitutionKind, kind=kind)


@bp.route("/<int:institution_id>")
@staff_required()
def view(institution_id):
    inst = services.get(institution_id)
    from ..accounts.models import User
    staff = (db.session.query(User).filter(User.institution_id == inst.id).order_by(User.username).all()
             if current_user.can("accounts.manage") else [])
    return render_template("org/view.html", inst=inst, staff=staff, ancestors=services.ancestors(inst),
                           can_edit=current_user.can("org.edit", inst))


@bp.route("/new", methods=["GET", "POST"])
@staff_required("org.edit")
def create():
    form = InstitutionForm()
    form.parent.choices = _parent_choices()
    _area_choices(form)
    if request.method == "GET" and request.args.get("parent"):
        form.parent.data = request.args["parent"]
    if form.validate_on_submit():
        try:
            inst = services.create_institution(actor=current_user, **_form_fields(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(name)s has been added to the network.", name=inst.name), "success")
            return redirect(url_for("org.view", institution_id=inst.id))
    return render_template("org/edit.html", form=form, inst=None)


@bp.route("/<int:institution_id>/edit", methods=["GET", "POST"])
@staff_required(write="org.edit")
def edit(institution_id):
    inst = services.get(institution_id)
    if not current_user.can("org.edit", inst):
        abort(403)
    form = InstitutionForm(obj=inst if request.method == "GET" else None)
    form.parent.choices = _parent_choices(exclude=inst)
    _area_choices(form)
    if request.method == "GET":
        form.kind.data = inst.kind.value
        form.level.data = inst.level.value
        form.parent.data = str(inst.parent_id or "")
    if form.validate_on_submit():
        try:
            services.update_institution(inst, actor=current_user, **_form_fields(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Changes to %(name)s saved.", name=inst.name), "success")
            return redirect(url_for("org.view", institution_id=inst.id))
    return render_template("org/edit.html", form=form, inst=inst)

