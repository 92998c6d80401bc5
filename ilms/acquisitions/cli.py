"""``flask acquisitions register``: the accession register's totals for a library and year."""
import click
from flask.cli import with_appcontext

from ..org import services as org
from . import services


@click.group("acquisitions", help="Acquisitions and periodicals.")
def acquisitions_cli():
    pass


@acquisitions_cli.command("register")
@click.option("--institution", "code", required=True, help="Institution code, e.g. TVT.")
@click.option("--year", type=int, required=True)
@with_appcontext
def register_totals(code, year):
    """Print the register's totals by source; 'acquired' equals LIB.COPIES_ADDED."""
    institution = org.get_by_code(code, required=False)
    if institution is None:
        raise click.ClickException(f"No institution has the code {code}.")
    register = services.accession_register(institution, year)
    for source, (count, value) in sorted(register["totals"].items(), key=lambda kv: kv[0].value):
        click.echo(f"{source.value}\t{count}\t{value}")
    click.echo(f"acquired\t{register['acquired']}\t{register['acquired_value']}")
