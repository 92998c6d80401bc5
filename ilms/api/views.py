"""API v1 endpoints."""
import datetime as dt

from flask import Blueprint, abort, jsonify, request

from ..common.errors import DomainError
from ..common.time import Period
from ..org import services as org
from ..stats import services as stats
from .auth import api_user, token_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/me")
@token_required()
def me():
    user = api_user()
    return jsonify({"username": user.username, "name": user.display_name, "role": user.role.value,
                    "institution": user.institution.code if user.institution else None})


def _period_from_args(args):
    try:
        year = int(args["year"]) if args.get("year") else None
        start = dt.date.fromisoformat(args["from"]) if args.get("from") else None
        end = dt.date.fromisoformat(args["to"]) if args.get("to") else None
        if year is None and not (start and end):
            raise ValueError("give year, or both from and to")
        return Period(start or dt.date(year, 1, 1), end or dt.date(year or start.year, 12, 31))
    except ValueError as error:
        abort(400, description=f"bad period: {error}")


@bp.route("/indicators")
@token_required("stats.view")
def indicators():
    """The indicator document of exchange.md, the same as ``flask indicators --json``."""
    period = _period_from_args(request.args)
    institution = None
    if request.args.get("institution"):
        try:
            institution = org.get_by_code(request.args["institution"])
        except DomainError:
            abort(404)
    return jsonify(stats.indicator_document(period, institution))
