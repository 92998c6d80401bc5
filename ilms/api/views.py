"""API v1 endpoints."""
import datetime as dt

from flask import Blueprint, abort, jsonify, request

from ..common.errors import DomainError, PermissionDenied
from ..common.time import Period
from ..org import services as org
from ..stats import services as stats
from ..stats.scope import check_scope, network, parse_scope, visible_ids
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
    except (ValueError, OverflowError) as error:   # a year past 9999 is an OverflowError
        abort(400, description=f"bad period: {error}")


@bp.route("/indicators")
@token_required("stats.view")
def indicators():
    """The indicator document of exchange.md, the same as ``flask indicators --json``.

    A token reaches what its user may see on the indicator pages: managers and
    administrators the whole province or any institution; other staff their
    own institution and its units only (without ``institution``, their own).
    """
    period = _period_from_args(request.args)
    user = api_user()
    allowed = visible_ids(user)
    institution = None
    if request.args.get("scope"):
        # an area (district:CODE, commune:CODE) or another scope of the indicator pages, same rules
        try:
            scope = parse_scope(request.args["scope"][:100])
            members = scope.members(network())
            if not members:
                abort(404, description="no active institution in this scope")
            check_scope(user, scope, members)
        except PermissionDenied:
            abort(403, description="this token may read the figures of its own institution and its units only")
        except DomainError as error:
            abort(400, description=str(error.message))
        return jsonify(stats.indicator_document(period, scope=scope))
    if request.args.get("institution"):
        try:
            institution = org.get_by_code(request.args["institution"])
        except DomainError:
            abort(404)
    elif allowed is not None:
        institution = user.institution
    if allowed is not None and (institution is None or institution.id not in allowed):
        abort(403, description="this token may read the figures of its own institution and its units only")
    return jsonify(stats.indicator_document(period, institution))
