"""The shared catalogue: MARC21 records, copies, accession register."""


def init_app(app):
    from . import models  # noqa: F401
