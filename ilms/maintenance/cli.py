"""``flask backup create|restore``, ``flask check`` and ``flask db copy``."""
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_group

from ..audit import paused as audit_paused
from ..common.errors import DomainError
from ..extensions import db
from . import backup as backups
from .checks import run_checks
from .copy import copy_database


def _fail(error):
    message = error.message if isinstance(error, DomainError) else error
    raise click.ClickException(str(message))


@click.group("backup", help="Back up and restore the database, the data folder and the secrets.")
def backup_cli():
    pass


@backup_cli.command("create")
@click.option("--to", "destination", type=click.Path(), default=None,
              help="A folder or an archive file name [DATA_DIR/backups].")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Afterwards keep only the newest N archives in the default folder.")
@with_appcontext
def create_command(destination, keep):
    """Make a consistent backup archive, even while ILMS is in use."""
    try:
        archive = backups.create_backup(destination)
    except (DomainError, OSError) as error:
        _fail(error)
    manifest = backups.read_manifest(archive)
    rows = sum(manifest["counts"].values())
    click.echo(f"{archive}: {rows} row(s) in {len(manifest['counts'])} tables, "
               f"{len(manifest['files'])} file(s), schema revision {manifest['revision']}")
    if keep:
        old = sorted(backups.default_backup_dir().glob("ilms-backup-*.tar.gz"),
                     key=lambda p: (p.stat().st_mtime_ns, p.name))[:-keep]
        for path in old:
            path.unlink()
            click.echo(f"removed old backup {path}")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@with_appcontext
def restore_command(archive):
    """Restore ARCHIVE into an empty database and a fresh data folder, then check it."""
    try:
        with audit_paused():
            backups.restore_backup(Path(archive), echo=click.echo)
    except (DomainError, OSError) as error:
        _fail(error)
    problems = run_checks(echo=click.echo)
    if problems:
        click.echo(f"restored, but {len(problems)} problem(s) found: see above", err=True)
        sys.exit(1)
    click.echo("restore complete: every table has the row count of the backup and the checks pass")


@click.command("check")
@click.option("--repair", is_flag=True, help="Repair what can be repaired (indexes, sequences...), then check again.")
@with_appcontext
def check_command(repair):
    """Check the database's integrity and every registered check (search index...)."""
    problems = run_checks(repair=repair, echo=click.echo)
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo("all checks passed")


@db_group.command("copy")
@click.option("--to", "target", required=True, metavar="URL",
              help="The target database, e.g. postgresql+psycopg://ilms:PASSWORD@localhost/ilms")
@with_appcontext
def copy_command(target):
    """Copy the configured database into an empty database migrated to the same revision."""
    source = db.engine
    click.echo(f"copying {source.url.render_as_string(hide_password=True)} into "
               f"{_hide_password(target)}")
    try:
        counts = copy_database(source, target, echo=click.echo)
    except DomainError as error:
        _fail(error)
    except (sa.exc.SQLAlchemyError, OSError) as error:  # wrong password, no server: a message, not a traceback
        raise click.ClickException(f"the copy failed and the target is unchanged: {type(error).__name__}: {error}")
    click.echo(f"copied {sum(counts.values())} row(s) in {len(counts)} tables; row counts verified. "
               "Now set ILMS_DATABASE_URL to the new database and restart ILMS.")


def _hide_password(url):
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        raise click.ClickException(f"{url!r} is not a database URL (postgresql+psycopg://user:password@host/name)")
