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
