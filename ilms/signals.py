"""Named signals that let one domain react to another without importing it."""
from blinker import Namespace

_signals = Namespace()

#: Any operational record that feeds an indicator was written; sender is the
#: domain name, ``institution_ids`` the institutions whose figures may change.
data_changed = _signals.signal("data-changed")

#: A staff user was deactivated or their password reset: sessions and tokens end.
user_credentials_revoked = _signals.signal("user-credentials-revoked")

#: Catalogue: a bibliographic record was created/updated (``record_id``) or deleted.
record_saved = _signals.signal("record-saved")
record_deleted = _signals.signal("record-deleted")

#: Copies changed status or owner (``item_ids``): search facets on availability.
items_changed = _signals.signal("items-changed")
