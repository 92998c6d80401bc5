"""Reader pseudonyms for statistics, so anonymising a reader never changes a figure.

Every event that counts a reader (visit, loan, internet session) stores
``reader_key(patron_id)`` beside the patron id. Anonymisation removes the
patron id; distinct counts keep working on the key. The key is an HMAC with a
secret kept outside the database (``ILMS_READER_KEY_SECRET`` or the file
``reader_key_secret`` in the instance folder), so a copy of the database alone
cannot link an anonymised event back to a reader.
"""
import hashlib
import hmac
import os
from pathlib import Path

from flask import current_app

from ..config import load_secret_key


def _secret():
    cached = current_app.extensions.get("ilms_reader_secret")
    if cached is None:
        env = os.environ.get("ILMS_READER_KEY_SECRET") or current_app.config.get("READER_KEY_SECRET")
        if env:
            cached = env
        else:
            cached = load_secret_key(Path(current_app.instance_path), filename="reader_key_secret",
                                     env_name=None)
        current_app.extensions["ilms_reader_secret"] = cached
    return cached.encode("utf-8")


def reader_key(patron_id) -> str:
    """A stable pseudonym of a reader (24 hex characters), or ``""`` for nobody (a guest)."""
    if patron_id is None:
        return ""
    return hmac.new(_secret(), f"reader:{int(patron_id)}".encode(), hashlib.sha256).hexdigest()[:24]


# -- anonymisation ------------------------------------------------------------

#: Domains that keep reader-linked history register how to detach it:
#: ``fn(cutoff) -> number of records detached``, where ``cutoff`` is an aware
#: UTC datetime; records that ended before it lose their ``patron_id`` (their
#: ``reader_key`` stays, so figures do not change). ``flask privacy anonymise``
#: runs them all.
_ANONYMISERS = {}


def register_anonymiser(name, fn):
    _ANONYMISERS[name] = fn
    return fn


def anonymisers():
    return dict(sorted(_ANONYMISERS.items()))
