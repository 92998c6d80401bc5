"""``flask events``: the festival cycle by level, and an iCalendar feed written to a file."""
import datetime as dt

import click
from flask.cli import with_appcontext

from ..common.errors import DomainError
from ..common.time import local_today
from ..org import services as org
from . import calendar, ical, services


@click.group("events", help="Exhibitions, festivals and the events calendar.")
def events_cli():
    pass


@events_cli.command("compliance")
@click.option("--year", type=int, help="The year whose cycle ends (default: this year, counted up to today).")
@with_appcontext
def compliance_command(year):
    """Which institutions of each level held a festival in the plan's cycle."""
    today = local_today()
    year = year or today.year
    until = today if year == today.year else None
    for level, (first, last), members in services.festival_compliance(year, until=until):
        held = [inst for inst, latest in members if latest]
        click.echo(f"{level.value}: {len(held)}/{len(members)} held a festival between {first} and {last}")
        for inst, latest in members:
            click.echo(f"  {'OK ' if latest else '-- '} {inst.code:<12} {latest or ''}")


@events_cli.command("feed")
@click.option("--institution", help="Code of one institution (default: the whole province).")
@click.option("--days", type=int, default=365, show_default=True, help="How many days ahead.")
@with_appcontext
def feed_command(institution, days):
    """Print the public iCalendar feed (what /calendar/…ics serves) to standard output."""
    try:
        inst = org.get_by_code(institution) if institution else None
    except DomainError as error:
        raise click.ClickException(str(error.message))
    today = local_today()
    ids = sorted(org.scope_ids(inst.id)) if inst else None
    items = calendar.items_between(today, today + dt.timedelta(days=days), ids, public=True)
    click.echo(ical.build_feed(items, name=inst.name if inst else "Lai Châu"), nl=False)
