"""Application-wide web pieces: language, Jinja filters, error pages, security headers, the dashboard."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, has_request_context, jsonify, render_template, request, session
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .common import registry
from .common.barcodes import code128_svg
from .common.db import MAX_ID
from .common.errors import DomainError
from .common.time import LOCAL_TZ, to_local
from .common.web import EmptyForm, staff_required
from .extensions import db

bp = Blueprint("main", __name__)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a whole number that fits the database's ids (a signed 32-bit
    INTEGER on PostgreSQL, 64-bit on SQLite); larger ones, which no row can have, are a 404 before
    reaching a query that would fail on them."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands
        return current_app.config["CLI_LANGUAGE"]
    if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in languages:
        return current_user.locale
    lang = session.get("lang")
    return lang if lang in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    return str(LOCAL_TZ)


@bp.route("/")
@staff_required()
def dashboard():
    panels = [(panel, panel.context(current_user) if panel.context else {})
              for panel in registry.panels_for(current_user)]
    return render_template("main/dashboard.html", panels=panels)


@bp.route("/healthz")
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


# -- Jinja ---------------------------------------------------------------

def date_vn(value):
    """dd/mm/yyyy, the Vietnamese way."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def datetime_vn(value):
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def time_vn(value):
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M")


def number(value, digits=0):
    if value is None:
        return ""
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt)


# -- errors ----------------------------------------------------------------

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You are not allowed to see this page"),
    404: _l("Page not found"),
    405: _l("This action is not available here"),
    409: _l("This clashes with the current state"),
    413: _l("The file is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
}


def _wants_json():
    return request.path.startswith("/api/")


def render_error(status, message=None):
    title = ERROR_TITLES.get(status, ERROR_TITLES[500])
    if _wants_json():
        return jsonify({"error": {"status": status, "message": str(message or title)}}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _handle_http(error: HTTPException):
    message = None
    if error.code in (400, 413) and error.description and not error.description.startswith("The browser"):
        message = error.description
    return render_error(error.code or 500, message)


def _handle_domain(error: DomainError):
    db.session.rollback()
    return render_error(error.status_code, error.message)


def _handle_csrf(error: CSRFError):
    return render_error(400, _l("This form has expired or was not sent from ILMS. "
                                "Go back, reload the page and send it again."))


def _handle_unexpected(error):
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500)


# -- headers ---------------------------------------------------------------

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("HTTPS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if getattr(g, "private_page", True) and current_user and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
    return response


def use_base_url(app):
    """Absolute links from ``BASE_URL`` rather than from the request's Host header.

    Every ``url_for(..., _external=True)`` (templates, feeds, OAI-PMH, SRU)
    goes through the URL adapter Flask makes per request; with ``BASE_URL``
    set, that adapter's scheme, host and path prefix are the configured
    ones, so a forged ``Host:`` never reaches a public link. Matching of the
    request itself is unchanged (the map does not match on hosts). Without
    ``BASE_URL`` links follow the request, as before (a development server).
    """
    base = app.config.get("BASE_URL")
    if not base:
        return
    parts = urlsplit(base.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuntimeError(f"ILMS_BASE_URL must look like https://thuvien.example.vn, not {base!r}")
    make_adapter = app.create_url_adapter

    def create_url_adapter(request):
        adapter = make_adapter(request)
        if request is not None and adapter is not None:
            adapter.url_scheme, adapter.server_name = parts.scheme, parts.netloc
            adapter.script_name = (parts.path or "") + "/"
        return adapter

    app.create_url_adapter = create_url_adapter


def init_app(app):
    app.register_blueprint(bp)
    use_base_url(app)
    app.jinja_env.filters.update(date_vn=date_vn, datetime_vn=datetime_vn, time_vn=time_vn, number=number)
    app.jinja_env.globals.update(
        nav_items=lambda: registry.nav_for(current_user) if current_user.is_authenticated else [],
        code128_svg=code128_svg, EmptyForm=EmptyForm, get_locale=get_locale,
        languages=app.config["LANGUAGES"])
    app.jinja_env.add_extension("jinja2.ext.do")
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(CSRFError, _handle_csrf)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
    app.after_request(_security_headers)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
