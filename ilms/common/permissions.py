"""The one check every service makes before it changes anything."""
from flask_babel import lazy_gettext as _l

from .errors import PermissionDenied


class SystemActor:
    """The actor for imports and commands run by an operator on the server.

    It may do everything; it exists so services never take ``None`` for "no
    check" by accident.
    """

    is_authenticated = True
    is_system = True
    id = None
    username = "system"
    display_name = "ILMS"
    institution_id = None

    def can(self, capability, institution=None):
        return True

    def in_scope(self, institution):
        return True


SYSTEM = SystemActor()


def require(actor, capability, institution=None):
    """Raise ``PermissionDenied`` unless ``actor`` may use ``capability`` at ``institution``."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_l("Please sign in first."))
    if not actor.can(capability, institution):
        if institution is not None and actor.can(capability):
            raise PermissionDenied(
                _l("You can only change data of your own institution; %(name)s is not yours.",
                   name=getattr(institution, "name", institution)))
        raise PermissionDenied()
