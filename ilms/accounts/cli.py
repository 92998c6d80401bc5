"""``flask accounts ...``: create the first administrator from the server's shell."""
import click
from flask.cli import with_appcontext

from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..extensions import db
from . import services
from .permissions import Role


@click.group("accounts", help="Staff accounts.")
def accounts_cli():
    pass


@accounts_cli.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--full-name", default="", help="Shown in the page header.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_admin(username, full_name, password):
    """Create an administrator account (province-wide)."""
    try:
        user = services.create_user(actor=SYSTEM, username=username, full_name=full_name or username,
                                    password=password, role=Role.ADMIN)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    click.echo(f"Administrator {user.username} created.")
