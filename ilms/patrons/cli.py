"""``flask privacy anonymise``: detach old reader history from readers, keeping every figure."""
import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from ..common.privacy import anonymisers
from ..common.time import utcnow
from ..extensions import db


@click.group("privacy", help="Readers' privacy.")
def privacy_cli():
    pass


def anonymise(days, *, now=None):
    """Run every registered anonymiser for history that ended more than ``days`` days ago.

    Returns ``{name: records detached}``. Figures do not change: events keep
    their reader pseudonym (``reader_key``), only the link to the person goes.
    """
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    counts = {name: fn(cutoff) for name, fn in anonymisers().items()}
    db.session.commit()
    return counts


@privacy_cli.command("anonymise")
@click.option("--days", type=int, default=None,
              help="Detach history that ended more than this many days ago "
                   "(default: the ILMS_ANONYMISE_DAYS setting).")
@with_appcontext
def anonymise_command(days):
    """Detach returned loans, visits and ended holds older than N days from the readers."""
    if days is None:
        days = current_app.config.get("ANONYMISE_AFTER_DAYS") or 0
        if days <= 0:
            raise click.UsageError("give --days N (or set ILMS_ANONYMISE_DAYS): history older than N days "
                                   "is detached from readers")
    if days < 0:
        raise click.UsageError("--days must be 0 or more")
    counts = anonymise(days)
    for name, count in counts.items():
        click.echo(f"{name}: {count} record(s) detached from readers")
    click.echo(f"done: history that ended before {days} day(s) ago no longer names any reader; "
               "figures are unchanged.")
