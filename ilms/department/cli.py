"""``flask department``: the overdue recommendations, for a reminder sent by mail or printed."""
import click
from flask.cli import with_appcontext

from ..common.time import local_today
from . import services


@click.group("department", help="The Department's follow-up: inspections and their recommendations.")
def department_cli():
    pass


@department_cli.command("overdue")
@with_appcontext
def overdue_command():
    """List the open recommendations whose deadline has passed, by institution."""
    today = local_today()
    rows = services.overdue_recommendations(today=today)
    for rec in rows:
        inspection = rec.inspection
        click.echo(f"{inspection.institution.code:<12} {inspection.code:<14} {rec.deadline.isoformat()} "
                   f"({(today - rec.deadline).days} d) {rec.responsible}: {rec.text.splitlines()[0][:80]}")
    click.echo(f"{len(rows)} overdue")
