"""Health checks that ``flask --app ilms check`` runs, and what backups leave out.

A domain registers a check when it is imported::

    from ..common.checks import register_check

    def _index_matches():
        return [f"record {rid} is missing from the search index" for rid in ...]

    def _rebuild_index():
        n = rebuild()
        return f"search index rebuilt ({n} records)"

    register_check("catalog search index", _index_matches, repair=_rebuild_index)

``fn()`` returns a list of problems, each a sentence an operator can act on
(empty: all is well). ``repair()``, when given, fixes what ``fn`` finds and
returns a short summary; ``flask check --repair`` runs it when ``fn`` found
problems, then runs ``fn`` again. Both run in an app context; a repair's
database changes are committed by the command.

Files under the data directory that can be rebuilt from the database (a
search index) are left out of backups with :func:`exclude_from_backup`.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], list]
    repair: Callable[[], object] | None = None
    order: int = 100


_CHECKS: dict[str, Check] = {}
_BACKUP_EXCLUDES: set[str] = set()


def register_check(name, fn, repair=None, *, order=100):
    """Add (or replace) the check called ``name``. Database checks come first (order 0-9)."""
    _CHECKS[name] = Check(name, fn, repair, order)
    return fn


def unregister_check(name):
    _CHECKS.pop(name, None)


def checks():
    return sorted(_CHECKS.values(), key=lambda c: (c.order, c.name))


def exclude_from_backup(relative_path):
    """Leave ``DATA_DIR/relative_path`` (a file or folder that can be rebuilt) out of backups."""
    _BACKUP_EXCLUDES.add(str(relative_path).strip("/"))


def backup_excludes():
    return frozenset(_BACKUP_EXCLUDES)
