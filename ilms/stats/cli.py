"""``flask indicators`` and ``flask plan load``."""
import datetime as dt
import json
import sys

import click
from flask.cli import with_appcontext

from ..common.errors import DomainError
from ..common.time import Period
from ..extensions import db
from . import registry, services


def period_from_options(year, start, end):
    """The period named by ``--year`` and/or ``--from``/``--to`` (dates fill in from the year)."""
    try:
        if year is None and not (start and end):
            raise click.UsageError("give --year, or both --from and --to")
        first = dt.date.fromisoformat(start) if start else dt.date(year, 1, 1)
        last = dt.date.fromisoformat(end) if end else dt.date(year if year else first.year, 12, 31)
        return Period(first, last)
    except ValueError as error:
        raise click.UsageError(str(error))


@click.command("indicators")
@click.option("--year", type=int, help="Calendar year, e.g. 2024.")
@click.option("--from", "start", help="First day, YYYY-MM-DD (default 1 January of --year).")
@click.option("--to", "end", help="Last day, YYYY-MM-DD (default 31 December).")
@click.option("--institution", help="Code of one institution (default: the whole province).")
@click.option("--scope", "scope_key", help="province, district:CODE, commune:CODE, kind:KIND, level:LEVEL "
                                           "or inst:CODE (instead of --institution).")
@click.option("--json", "as_json", is_flag=True, help="Print the exchange.md JSON document.")
@with_appcontext
def indicators_command(year, start, end, institution, scope_key, as_json):
    """Compute the plan's indicators from the operational data."""
    from ..org.services import get_by_code
    from .scope import parse_scope
    period = period_from_options(year, start, end)
    try:
        inst = get_by_code(institution) if institution else None
        scope = parse_scope(scope_key) if scope_key else None
    except DomainError as error:
        raise click.ClickException(str(error.message))
    document = services.indicator_document(period, inst, scope=scope)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=1))
        return
    click.echo(f"Period {document['period']['start']} .. {document['period']['end']}")
    for row in document["groups"]:
        ind = registry.get(row["indicator"])
        label = row.get("group") or row.get("level")
        click.echo(f"{row['indicator']:<26} {label:<24} {row['value']:>10}  {ind.name_en}")
    for row in document["targets"]:
        group = row.get("group") or row.get("level")
        click.echo(f"target {row['indicator']:<19} {str(group):<24} {row['value']:>10}  "
                   f"[{row['min']}, {row['max']}] {row['status']}")


@click.group("plan", help="Plans and their targets.")
def plan_cli():
    pass


@plan_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def load_plan(path):
    """Load (or reload) a plan's targets from a YAML file; loading twice changes nothing."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        plan = services.load_plan(text)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        click.echo(f"{path}: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"Plan {plan.code}: {len(plan.targets)} targets, years {plan.year_from}-{plan.year_to}.")


@click.command("report")
@click.option("--kind", type=click.Choice(["half_year", "annual"]), required=True,
              help="half_year (the 6-month report) or annual.")
@click.option("--year", type=click.IntRange(1990, 2100), required=True, help="The report's year, e.g. 2026.")
@click.option("--scope", default="province", show_default=True,
              help="province, district:CODE, commune:CODE or institution:CODE (inst:CODE).")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "xlsx"]),
              help="File format (default: from the --out file's extension).")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="The file to write.")
@click.option("--plan", "plan_code", help="Code of the plan (default: the plan in force that year).")
@with_appcontext
def report_command(kind, year, scope, fmt, out, plan_code):
    """Write a 6-month or annual report (DOCX, PDF or XLSX) as the report page would give it.

    The figures are counted now, with the text and issuing details saved on
    the report page, so a server can prepare the files before the deadline.
    """
    from pathlib import Path

    from ..common.permissions import SYSTEM
    from . import exports, letters, reports
    from .scope import ScopeError, parse_scope

    fmt = fmt or Path(out).suffix.lower().lstrip(".")
    if fmt not in exports.FILE_FORMATS:
        raise click.UsageError("say --format docx, pdf or xlsx (or give --out a .docx, .pdf or .xlsx name)")
    text = scope.strip()
    if text.startswith("institution:"):
        text = "inst:" + text.split(":", 1)[1]
    try:
        parsed = parse_scope(text)
    except ScopeError as error:
        raise click.BadParameter(str(error.message), param_hint="--scope")
    try:
        plan = _report_plan(year, plan_code)
        doc = reports.build_report(plan, kind, year, reports.report_scope(parsed.key), user=SYSTEM)
        data, _mimetype = exports.report_bytes(letters.attach(doc, parsed), fmt)
    except DomainError as error:
        raise click.ClickException(str(error.message))
    try:
        Path(out).write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"cannot write {out}: {error.strerror or error}")
    click.echo(f"{out}: {kind} report {year}, {parsed.key}, {fmt.upper()}, {len(data):,} bytes.")


def _report_plan(year, code):
    plans = services.all_plans()
    if code:
        plan = next((p for p in plans if p.code == code), None)
        if plan is None:
            raise DomainError(f"No plan has the code {code}; the plans are: "
                              + (", ".join(p.code for p in plans) or "none"))
        return plan
    covering = [p for p in plans if p.year_from <= year <= p.year_to]
    if not covering:
        raise DomainError(f"No plan covers {year}; load one with `flask plan load FILE` or choose another year.")
    return covering[0]          # the newest plan in force that year
