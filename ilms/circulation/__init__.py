"""The checkout desk: loans, returns, renewals, holds, transits, visits, tallies, overdues, loan rules."""


def init_app(app):
    from . import models  # noqa: F401  (tables for migrations)
