"""``flask ops import`` and ``flask ops export`` (JSON Lines, shared/spec/exchange.md)."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..stats.cli import period_from_options
from . import services


@click.group("ops", help="Import and export operational records as JSON Lines.")
def ops_cli():
    pass


@ops_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every line, change nothing.")
@click.option("--partial", is_flag=True,
              help="Import the good lines; write the refused ones to FILE.rejected.jsonl.")
@with_appcontext
def import_command(path, dry_run, partial):
    """Import FILE.jsonl. By default one bad line means nothing is imported."""
    source = Path(path)
    if not source.is_file():
        raise click.ClickException(f"{path}: no such file")
    try:
        with source.open(encoding="utf-8") as fh:
            report = services.import_lines(fh, partial=partial, dry_run=dry_run,
                                           description=f"ops import {source.name}")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})")
    for error in report.errors:
        click.echo(f"{error.line}: {error.message}", err=True)
    if partial and report.errors and not dry_run:
        rejected = source.with_name(source.name.removesuffix(".jsonl") + ".rejected.jsonl")
        with rejected.open("w", encoding="utf-8") as fh:
            for error in report.errors:
                fh.write(error.raw.rstrip("\n") + "\n")
        click.echo(f"{len(report.errors)} refused line(s) written to {rejected}", err=True)
    by_type = ", ".join(f"{n} {t}" for t, n in sorted(report.counts.items())) or "nothing"
    if dry_run:
        verdict = "dry run: nothing was changed"
    elif report.committed:
        verdict = "imported"
    else:
        verdict = "NOTHING was imported: fix the lines above and run again (or use --partial)"
    click.echo(f"{report.applied} line(s) applied ({by_type}), {report.already} already imported, "
               f"{len(report.errors)} refused; {verdict}.")
    if report.errors:
        sys.exit(1)


@ops_cli.command("export")
@click.option("--year", type=int)
@click.option("--from", "start")
@click.option("--to", "end")
@with_appcontext
def export_command(year, start, end):
    """Write the period's records as JSON Lines to standard output, in time order."""
    period = period_from_options(year, start, end)
    for line in services.export_lines(period):
        click.echo(line)
