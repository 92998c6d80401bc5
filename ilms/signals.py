"""Named signals that let one domain react to another without importing it."""
import contextlib
import contextvars

from blinker import Namespace

_signals = Namespace()

#: Any operational record that feeds an indicator was written; sender is the
#: domain name, ``institution_ids`` the institutions whose figures may change.
data_changed = _signals.signal("data-changed")

#: Inside :func:`data_changes_batched`: the institution ids of the ``data_changed`` sends, held back.
_batched: contextvars.ContextVar = contextvars.ContextVar("ilms_data_changed_batch", default=None)


def batching_data_changes(institution_ids):
    """For ``data_changed`` receivers: hold these ids back if a batch is open (then return True)."""
    batch = _batched.get()
    if batch is None:
        return False
    batch.update(institution_ids or (None,))
    return True


@contextlib.contextmanager
def data_changes_batched():
    """Inside the block, ``data_changed`` receivers that honour :func:`batching_data_changes` do their work
    once at the end (one send with every institution) instead of once per write: a bulk import of
    50,000 lines renews each institution's figure token once, not 50,000 times. The closing send happens
    in the caller's transaction, before its commit."""
    batch = set()
    token = _batched.set(batch)
    try:
        yield batch
    finally:
        _batched.reset(token)
    if batch:
        data_changed.send("batch", institution_ids=None if None in batch else sorted(batch))

#: A staff user was deactivated or their password reset: sessions and tokens end.
user_credentials_revoked = _signals.signal("user-credentials-revoked")

#: Catalogue: a bibliographic record was created/updated (``record_id``) or deleted.
record_saved = _signals.signal("record-saved")
record_deleted = _signals.signal("record-deleted")

#: Copies changed status or owner (``item_ids``): search facets on availability.
items_changed = _signals.signal("items-changed")
