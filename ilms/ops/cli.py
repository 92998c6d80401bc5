"""``flask ops import`` and ``flask ops export`` (JSON Lines, shared/spec/exchange.md)."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..stats.cli import period_from_options
from . import services
from .progress import Progress, TerminalBar

#: What the command line says once for every line refused for the same missing prerequisite.
PREREQUISITES = {
    "record": ("{lines} item line(s) name catalogue records that are not in this database ({n} control number(s) "
               "(001), e.g. {examples}). The catalogue travels as MARC: on the old server `flask catalog "
               "export-marc > catalogue.mrc`, here `flask catalog import-marc catalogue.mrc`; then run this "
               "import again."),
    "copy": ("{lines} later line(s) name copies whose own item line was refused (e.g. {examples}); they were "
             "refused with it and go through once the item lines do."),
}


class NotText(Exception):
    def __init__(self, line, error):
        super().__init__(f"line {line}: not UTF-8 text ({error.reason} at byte {error.start} of the line)")


def read_lines(binary, bar=None):
    """The lines of a binary stream as text, one at a time (never the whole file in memory)."""
    done = 0
    for number, chunk in enumerate(binary, start=1):
        done += len(chunk)
        if bar is not None:
            bar.update(number - 1, done)
        try:
            yield chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            raise NotText(number, error)


@click.group("ops", help="Import and export operational records as JSON Lines.")
def ops_cli():
    pass


@ops_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check every line, change nothing.")
@click.option("--partial", is_flag=True,
              help="Import the good lines; write the refused ones to FILE.rejected.jsonl.")
@click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False),
              help="Where --partial writes the refused lines (default FILE.rejected.jsonl; "
                   "stdin.rejected.jsonl when FILE is -).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="List here the lines imported past the desk's policy (overdue, loan limit, card...).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on standard error (default: when it is a terminal).")
@with_appcontext
def import_command(path, dry_run, partial, rejected_path, report_path, progress):
    """Import FILE.jsonl (``-``: standard input). By default one bad line means nothing is imported.

    A line is refused for integrity (unknown copy, copy on loan, times out of
    order...), never for the desk's policy of the day: a historical loan past
    a loan limit or an overdue block is imported as recorded, counted in the
    summary and listed with --report.
    """
    if path == "-":
        binary, name, size = sys.stdin.buffer, "stdin.jsonl", None
    else:
        source = Path(path)
        if not source.is_file():
            raise click.ClickException(f"{path}: no such file")
        binary, name, size = source.open("rb"), source.name, source.stat().st_size
    if rejected_path is None:
        folder = Path(".") if path == "-" else Path(path).parent
        rejected_path = folder / (name.removesuffix(".jsonl") + ".rejected.jsonl")
    bar = TerminalBar(Progress(total_bytes=size), enabled=progress)
    sinks = _Sinks(Path(rejected_path) if partial and not dry_run else None, report_path, bar)
    try:
        report = services.import_lines(read_lines(binary, bar), partial=partial, dry_run=dry_run,
                                       description=f"ops import {name}", on_error=sinks.error,
                                       on_override=sinks.override)
    except NotText as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}; nothing was imported")
    finally:
        bar.clear()
        sinks.close()
        if binary is not sys.stdin.buffer:
            binary.close()
    for kind, seen in report.missing.items():
        examples = ", ".join(repr(v) for v in list(seen)[:3])
        click.echo(PREREQUISITES[kind].format(lines=sum(seen.values()), n=len(seen), examples=examples), err=True)
    if sinks.rejected_count:
        click.echo(f"{sinks.rejected_count} refused line(s) written to {rejected_path}", err=True)
    by_type = ", ".join(f"{n} {t}" for t, n in sorted(report.counts.items())) or "nothing"
    if dry_run:
        verdict = "dry run: nothing was changed"
    elif report.committed:
        verdict = "imported"
    else:
        verdict = "NOTHING was imported: fix the lines above and run again (or use --partial)"
    click.echo(f"{report.applied} line(s) applied ({by_type}), {report.already} already imported, "
               f"{report.refused} refused; {verdict}.")
    if report.overridden_lines:
        rules = ", ".join(f"{n} {rule}" for rule, n in sorted(report.overrides.items()))
        where = f" (listed in {report_path})" if report_path else " (--report FILE lists them)"
        click.echo(f"{report.overridden_lines} line(s) recorded past the desk's policy: {rules}{where}.")
    if report.refused:
        sys.exit(1)


class _Sinks:
    """Writes refusals to standard error and the rejected file, overrides to the report, as they happen."""

    def __init__(self, rejected_path, report_path, bar):
        self.rejected_path, self.report_path, self.bar = rejected_path, report_path, bar
        self.rejected = self.report = None
        self.rejected_count = 0
        if report_path:
            self.report = open(report_path, "w", encoding="utf-8")

    def error(self, error):
        if error.prerequisite is None:
            self.bar.clear()
            click.echo(f"{error.line}: {error.message}", err=True)
        if self.rejected_path is not None:
            if self.rejected is None:
                self.rejected = self.rejected_path.open("w", encoding="utf-8")
            self.rejected.write(error.raw.rstrip("\n") + "\n")
            self.rejected_count += 1

    def override(self, override):
        if self.report is not None:
            self.report.write(f"{override.line}: {', '.join(override.rules)}: {' / '.join(override.messages)}\n")

    def close(self):
        for fh in (self.rejected, self.report):
            if fh is not None:
                fh.close()


@ops_cli.command("export")
@click.option("--year", type=int)
@click.option("--from", "start")
@click.option("--to", "end")
@click.option("--progress/--no-progress", default=None,
              help="Show the lines written and the rate on standard error (default: when it is a terminal).")
@with_appcontext
def export_command(year, start, end, progress):
    """Write the period's records as JSON Lines to standard output, in time order."""
    period = period_from_options(year, start, end)
    bar = TerminalBar(Progress(), enabled=progress)
    out = sys.stdout
    for number, line in enumerate(services.export_lines(period), start=1):
        out.write(line + "\n")
        bar.update(number)
    out.flush()
    bar.clear()
