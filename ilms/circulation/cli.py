"""``flask circulation expire-holds`` and ``send-notices`` (run daily, e.g. from cron) and ``load-holidays``."""
import click
from flask.cli import with_appcontext

from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..extensions import db
from . import policy, services


@click.group("circulation", help="The checkout desk.")
def circulation_cli():
    pass


@circulation_cli.command("expire-holds")
@with_appcontext
def expire_holds_command():
    """End holds not collected by their last day; each copy goes to the next reader or home."""
    results = services.expire_holds(actor=SYSTEM)
    db.session.commit()
    for hold, result in results:
        where = hold.pickup_institution.code
        click.echo(f"{where}: hold {hold.id} ended; {result.instruction if result else 'no copy to move'}")
    click.echo(f"{len(results)} hold(s) ended.")


@circulation_cli.command("load-holidays")
@click.option("--year", type=int, required=True)
@with_appcontext
def load_holidays_command(year):
    """Add Vietnam's public holidays of YEAR as closed days of the whole network."""
    try:
        added = policy.load_national_holidays(actor=SYSTEM, year=year)
    except DomainError as error:
        raise click.ClickException(str(error.message))
    db.session.commit()
    click.echo(f"{added} public holiday(s) of {year} added.")


@circulation_cli.command("send-notices")
@with_appcontext
def send_notices_command():
    """Send today's notices to readers (due soon, overdue, hold ready) by e-mail or SMS; safe to run twice.

    Run it daily (cron). Each notice is sent once; failures are logged and tried again on the next run;
    readers with neither e-mail nor phone get a letter to print at the desk.
    """
    from .notices.services import send_notices
    result = send_notices()
    click.echo(f"{result['new']} new notice(s); {result['sent']} sent, {result['failed']} failed (retried next run), "
               f"{result['gave_up']} given up; {result['letters']} letter(s) to print.")
