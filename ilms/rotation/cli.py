"""``flask rotation overdue``: crates that should be back at their library by now."""
import click
from flask.cli import with_appcontext

from ..common.permissions import SYSTEM
from ..common.time import local_today
from . import services


@click.group("rotation", help="Book rotation crates.")
def rotation_cli():
    pass


@rotation_cli.command("overdue")
@with_appcontext
def overdue_command():
    """List the crates still at a point after their due-back date (exit status 1 when there are some)."""
    today = local_today()
    late = [trip for trip in services.open_trips(SYSTEM) if trip.due_back < today]
    for trip in late:
        click.echo(f"{trip.crate.code}\t{trip.institution.code}\t{trip.point.code}\t"
                   f"{trip.due_back.strftime('%d/%m/%Y')}\t{(today - trip.due_back).days}")
    if late:
        raise SystemExit(1)
