"""Staff screens of authority control: the authority list, one authority (change its heading), unlinked headings.

Changing an authorised heading rewrites every linked record at once (``authorities.update_heading``), in
the request's one transaction, as Koha's "merge" of an edited authority does; the page says how many
records were changed.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..common.errors import DomainError
from ..common.web import form_error, staff_required
from ..extensions import db
from . import authorities
from .models import Authority, Record, RecordHeading
from .opac import bp as opac_bp
from .views import bp

PER_PAGE = 50
#: labels of the heading types (authority 1XX tags)
TYPE_LABELS = {"100": _l("Person"), "110": _l("Organisation"), "111": _l("Meeting"), "130": _l("Uniform title"),
               "150": _l("Topic"), "151": _l("Place"), "155": _l("Genre, form")}


class AuthorityForm(FlaskForm):
    heading = StringField(_l("Authorised heading"), validators=[DataRequired(), Length(max=1000)],
                          description=_l("Subfields each a $ and its code, as in the MARC editor: "
                                         "$aNguyễn, Du,$d1765-1820. Plain text is one $a."))


def _page():
    try:
        return max(1, min(int(request.args.get("page", 1)), 10000))
    except ValueError:
        return 1


@bp.route("/authorities")
@staff_required()
def authority_list():
    text = (request.args.get("q") or "")[:200]
    kind = request.args.get("type") or ""
    page = _page()
    query = sa.select(Authority)
    if kind in TYPE_LABELS:
        query = query.where(Authority.heading_type == kind)
    if text.strip():
        key = authorities.heading_key(text)
        query = query.where(sa.or_(Authority.folded.like(key.replace("%", "") + "%"),
                                   Authority.variants.contains(text.strip(), autoescape=True)))
    rows = db.session.scalars(query.order_by(Authority.heading_sort, Authority.id)
                              .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    return render_template("catalog/authorities.html", authorities=rows[:PER_PAGE], more=len(rows) > PER_PAGE,
                           page=page, q=text, kind=kind, types=TYPE_LABELS,
                           unlinked=authorities.count_unlinked())


@bp.route("/authorities/<int:authority_id>", methods=["GET", "POST"])
@staff_required()
def authority(authority_id):
    found = authorities.get_authority(authority_id)
    form = AuthorityForm(data={"heading": authorities.heading_input(found)} if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            changed = authorities.update_heading(found, form.heading.data, actor=current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            flash(_("Heading saved; %(n)d linked record(s) updated.", n=changed), "success")
            return redirect(url_for("catalog.authority", authority_id=found.id))
    records = db.session.scalars(
        sa.select(Record).where(Record.id.in_(sa.select(RecordHeading.record_id)
                                              .where(RecordHeading.authority_id == found.id)))
        .order_by(Record.title_sort).limit(100)).all()
    return render_template("catalog/authority.html", authority=found, form=form, records=records,
                           linked=authorities.linked_record_count(found.id), types=TYPE_LABELS,
                           can_edit=current_user.can("catalog.edit"))


@bp.route("/authorities/unlinked")
@staff_required()
def unlinked_headings():
    page = _page()
    rows = authorities.unlinked_headings(limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    return render_template("catalog/unlinked_headings.html", rows=rows[:PER_PAGE], more=len(rows) > PER_PAGE,
                           page=page, types=TYPE_LABELS, total=authorities.count_unlinked())


@opac_bp.route("/browse/<any(author, subject):kind>")
def opac_browse(kind):
    """Browse by author or by subject: headings from a starting word, each linked to a search for it."""
    start = (request.args.get("from") or "")[:200]
    rows = authorities.browse(kind, start, limit=PER_PAGE + 1)
    return render_template("opac/browse.html", kind=kind, start=start, rows=rows[:PER_PAGE],
                           next_from=rows[PER_PAGE][0] if len(rows) > PER_PAGE else None)


@bp.route("/authorities/suggest")
@staff_required()
def authority_suggest():
    """JSON for the editor: authorised forms matching what the cataloguer types (``q``; ``tag``: 100, 650...)."""
    found = authorities.suggest((request.args.get("q") or "")[:200], (request.args.get("tag") or "")[:3] or None)
    return jsonify([{"id": a.id, "type": a.heading_type, "heading": a.heading, "input": authorities.heading_input(a),
                     "variants": a.variant_list[:5]} for a in found])
