"""Bearer-token authentication for the API; session cookies are ignored here."""
import functools

from flask import abort, g, request

from ..accounts.services import token_user


def api_user():
    return g.get("api_user")


def token_required(capability=None):
    """The call needs ``Authorization: Bearer <token>`` of an active user (and ``capability``)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, secret = header.partition(" ")
            user = token_user(secret.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                abort(401)
            if capability and not user.can(capability):
                abort(403)
            g.api_user = user
            return view(*args, **kwargs)

        wrapper.api_capability = capability
        return wrapper

    return decorator
