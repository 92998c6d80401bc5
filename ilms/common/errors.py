"""Domain errors: refusals with a message a librarian can act on, never a 500."""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule of the domain refused the operation.

    ``message`` is shown to the person at the keyboard as it is, so it says
    what went wrong and, where possible, what to do about it. ``field`` names
    the form field the message belongs to, when there is one.
    """

    status_code = 400

    def __init__(self, message, *, field=None, code=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code or type(self).__name__

    def __str__(self):
        return str(self.message)


class PermissionDenied(DomainError):
    status_code = 403

    def __init__(self, message=None, **kw):
        super().__init__(message or _l("You are not allowed to do this."), **kw)


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The operation clashes with the current state (already on loan, overlapping dates...)."""

    status_code = 409


class InvalidTransition(Conflict):
    """A state machine was asked to move along an edge its table does not have."""
