"""Shared pieces of the request flow: access decorators, bare POST forms, domain errors on forms."""
import functools
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..extensions import db
from .db import valid_id
from .errors import DomainError


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST buttons (logout, revoke...)."""


def staff_required(capability=None, *, write=None):
    """Signed-in staff only; with ``capability``, users whose role lacks it get 403.

    ``write``: a page that more roles may read than change (GET for all
    staff, POST with ``write``) declares the capability its writes need, so
    it is refused before the view runs and the capability table
    (docs/capabilities.md, tested route by route) knows it.

    Institution scope is checked by the service the view calls, where the
    institution is known.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
                return redirect(url_for("accounts.profile"))
            if capability and not current_user.can(capability):
                abort(403)
            if write and request.method not in ("GET", "HEAD", "OPTIONS") and not current_user.can(write):
                abort(403)
            return view(*args, **kwargs)

        wrapper.staff_capability = capability
        wrapper.staff_write_capability = write or capability
        return wrapper

    return decorator


PASSWORD_CHANGE_ENDPOINTS = {"accounts.profile", "accounts.change_password", "accounts.logout",
                             "accounts.set_language"}


def is_safe_next(target) -> bool:
    """Only paths on this site: ``/circulation``, never ``//evil.example`` or ``https://...``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def redirect_back(default_endpoint, **values):
    target = request.form.get("next") or request.args.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def client_address():
    return (request.remote_addr or "")[:64]


def form_error(form, error: DomainError):
    """Put a domain refusal next to the field it concerns, or at the top of the page."""
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors or []) + [str(error.message)]
    else:
        flash(str(error.message), "error")


def run_form_service(form, call):
    """Run ``call()`` (one service call), commit once; on a DomainError show it on ``form``.

    Returns the service's result, or ``None`` when it was refused.
    """
    try:
        result = call()
        db.session.commit()
        return result if result is not None else True
    except DomainError as error:
        form_error(form, error)
        return None


#: No list is paged further than this: a larger page number would ask the database for an offset past
#: its integers (a 500), and no one reads page ten thousand.
MAX_PAGE_NUMBER = 10000


def page_number():
    value = (request.args.get("page") or "").strip()
    if not value.isdigit() or len(value) > 6:
        return 1
    return max(1, min(int(value), MAX_PAGE_NUMBER))


def id_arg(name):
    """The query-string parameter ``name`` as a row id, or ``None`` (absent, not a number, out of range)."""
    return valid_id(request.args.get(name, ""))
