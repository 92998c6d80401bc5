"""The public calendar: upcoming exhibitions and events for readers (no sign-in), and iCalendar feeds.

Only what an institution announces is shown: titles, dates, times, places,
organisers and descriptions. No reader, visitor count, school group or staff
member ever appears here, and staff training courses are left out.
"""
import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_babel import gettext as _

from ..common.time import local_today
from ..extensions import db
from ..org import services as org
from ..org.models import Institution
from . import calendar, ical
from .models import Activity, Exhibition, Festival

bp = Blueprint("public", __name__, url_prefix="/calendar")

#: How far ahead the public page looks by default, and how far back a feed reaches.
UPCOMING_DAYS = 120
FEED_PAST_DAYS = 180
FEED_FUTURE_DAYS = 730


@bp.before_request
def _public_page():
    g.private_page = False


def _institution(code):
    inst = org.get_by_code(code, required=False) if code else None
    if code and (inst is None or not inst.active):
        abort(404)
    return inst


def _organisers():
    """Institutions that have announced something, for the filter (name order)."""
    ids = set(db.session.scalars(sa.select(Exhibition.institution_id).distinct()))
    ids |= set(db.session.scalars(sa.select(Festival.institution_id).distinct()))
    ids |= set(db.session.scalars(sa.select(Activity.institution_id).distinct()))
    if not ids:
        return []
    return db.session.scalars(sa.select(Institution).where(Institution.id.in_(ids), Institution.active.is_(True))
                              .order_by(Institution.name_sort)).all()


def _months(items, first):
    groups = []
    for item in items:
        day = max(item.start, first)
        key = (day.year, day.month)
        if not groups or groups[-1][0] != key:
            groups.append((key, []))
        groups[-1][1].append(item)
    return [(dt.date(year, month, 1), rows) for (year, month), rows in groups]


@bp.route("/")
def upcoming():
    today = local_today()
    inst = _institution(request.args.get("institution", "").strip().upper())
    ids = sorted(org.scope_ids(inst.id)) if inst else None
    first = today
    month = request.args.get("month", "")
    if month:
        chosen = calendar.Month.parse(month, today)
        first, last = max(chosen.first, today - dt.timedelta(days=366)), chosen.last
    else:
        last = today + dt.timedelta(days=UPCOMING_DAYS)
    items = calendar.items_between(first, last, ids, public=True)
    return render_template("events/public/upcoming.html", months=_months(items, first), today=today,
                           institution=inst, organisers=_organisers(), first=first, last=last, month=month)


@bp.route("/exhibitions/<int:exhibition_id>")
def exhibition(exhibition_id):
    item = db.session.get(Exhibition, exhibition_id)
    if item is None:
        abort(404)
    return render_template("events/public/exhibition.html", exhibition=item, today=local_today())


def item_url(item):
    if item.source == "exhibition":
        return url_for("public.exhibition", exhibition_id=item.record_id, _external=True)
    return url_for("public.upcoming", _external=True)


def _feed(institution):
    today = local_today()
    ids = sorted(org.scope_ids(institution.id)) if institution else None
    items = calendar.items_between(today - dt.timedelta(days=FEED_PAST_DAYS),
                                   today + dt.timedelta(days=FEED_FUTURE_DAYS), ids, public=True)
    name = institution.name if institution else _("Lai Châu province: exhibitions and events")
    text = ical.build_feed(items, name=name, url_for_item=item_url)
    filename = f"{institution.code if institution else 'lai-chau'}.ics"
    response = Response(text, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=900"
    return response


@bp.route("/province.ics")
def province_feed():
    return _feed(None)


@bp.route("/<code>.ics")
def institution_feed(code):
    return _feed(_institution(code.strip().upper()))
