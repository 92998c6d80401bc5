"""The child process of a parallel bulk import: ``python -m ilms.catalog.search_worker ROOT TIMEOUT RFD WFD``.

Its own module, so the index's classes are pickled under their real name
(``ilms.catalog.search``), not under ``__main__``.
"""
import sys

from ilms.catalog.search import _worker_entry

if __name__ == "__main__":
    _worker_entry(sys.argv[1:])
