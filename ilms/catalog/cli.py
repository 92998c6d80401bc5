"""``flask catalog ...``: import and export MARC files, rebuild the search index."""
import re
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..extensions import db
from ..org import services as org
from . import exporter, importer, indexing
from .search import SearchQuery


def _institution(code):
    """The institution a command's ``--institution`` names (``None`` without one); a clear error if unknown."""
    if not code:
        return None
    institution = org.get_by_code(code, required=False)
    if institution is None:
        raise click.ClickException(_("No institution has the code %(code)s.", code=code))
    return institution


@click.group("catalog", help="The shared catalogue: MARC import and export, search index.")
def catalog_cli():
    pass


@catalog_cli.command("import-marc")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--institution", "code", help="Library that owns the copies made from 852/952 fields.")
@click.option("--items", is_flag=True, help="Create copies from the holdings fields (852, Koha 952).")
@click.option("--batch-size", default=importer.BATCH_SIZE, show_default=True,
              help="Records per transaction.")
@with_appcontext
def import_marc(path, code, items, batch_size):
    """Import an ISO 2709 (MARC-8 or UTF-8) or MARCXML file; records are matched by 001, then ISBN."""
    source = Path(path)
    if not source.is_file():
        raise click.ClickException(_("%(path)s: no such file", path=path))
    institution = _institution(code)
    size = max(source.stat().st_size, 1)

    with source.open("rb") as fh:
        def progress(summary):
            click.echo(_("… %(read)d records read (%(percent)d%%)", read=summary.read,
                         percent=min(100, fh.tell() * 100 // size)), err=True)

        summary = importer.MarcImporter(
            institution=institution, items=items, batch_size=max(1, batch_size), progress=progress,
            parallel=size > int(current_app.config.get("CATALOG_PARALLEL_INDEX_BYTES", 1 << 20)),
        ).run(importer.marcio.read_file(fh))
    for problem in summary.problems:
        click.echo(str(problem), err=True)
    if summary.problems_dropped:
        click.echo(_("… and %(n)d more problems", n=summary.problems_dropped), err=True)
    click.echo(_("%(read)d records read: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                 "%(repeated)d repeated in the file, %(skipped)d skipped (unreadable).", read=summary.read,
                 created=summary.created, updated=summary.updated, unchanged=summary.unchanged,
                 repeated=summary.repeated, skipped=summary.skipped))
    if items:
        click.echo(_("Copies: %(made)d created, %(skipped)d not created (see above).",
                     made=summary.copies_created, skipped=summary.copies_skipped))
    if not summary.indexed:
        click.echo(_("The search index could not be updated; run “flask catalog reindex --pending”."), err=True)
    if summary.skipped:
        sys.exit(1)


@catalog_cli.command("export-marc")
@click.option("--format", "fmt", type=click.Choice(sorted(exporter.FORMATS)), default="marcxml",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="File to write (default: standard output).")
@click.option("--institution", "code", help="Only records with copies at this institution.")
@click.option("--query", "text", help="Only the records this search finds.")
@with_appcontext
def export_marc(fmt, output, code, text):
    """Write records as MARCXML or ISO 2709 (UTF-8)."""
    institution = _institution(code)
    ids = None
    if text:
        try:
            ids = indexing.backend().ids(SearchQuery(text=text))
        except QueryTooBroad as error:
            raise click.UsageError(f"--query: {error}") from None
    query = exporter.selection(institution=institution, ids=ids)
    out = sys.stdout.buffer if output == "-" else open(output, "wb")
    try:
        for chunk in exporter.stream(fmt, query):
            out.write(chunk)
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        else:
            out.flush()
    if output != "-":
        click.echo(_("Export written to %(path)s.", path=output), err=True)


@catalog_cli.command("reindex")
@click.option("--pending", is_flag=True, help="Only the records marked for re-indexing.")
@with_appcontext
def reindex(pending):
    """Rebuild the search index from the database (into a new directory, then swapped in)."""
    if pending:
        done = indexing.catch_up(progress=lambda n: click.echo(_("… %(n)d records", n=n), err=True))
        left = len(indexing.flagged_ids())
        click.echo(_("%(n)d records re-indexed.", n=done))
        if left:
            raise click.ClickException(_("%(n)d records could not be indexed: the index is busy or damaged; "
                                         "run “flask catalog reindex”.", n=left))
        return
    try:
        count = indexing.reindex_all(progress=lambda n: click.echo(_("… %(n)d records", n=n), err=True))
    except indexing.SearchUnavailable as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    click.echo(_("Search index rebuilt: %(n)d records.", n=count))


@catalog_cli.command("harvest")
@click.argument("url")
@click.option("--set", "set_spec", help="Only this set of the source (e.g. library:TVT).")
@click.option("--from", "from_date", help="Only records changed since this date (YYYY-MM-DD or "
                                          "YYYY-MM-DDThh:mm:ssZ, UTC): the responseDate of the last harvest.")
@click.option("--institution", "code", help="Make copies from the holdings fields (852/952); copies of "
                                            "libraries outside the network belong to this one.")
@with_appcontext
def harvest_command(url, set_spec, from_date, code):
    """Harvest MARC 21 records from another library system's OAI-PMH provider at URL."""
    from . import harvest
    institution = _institution(code)
    if from_date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?", from_date):
        raise click.ClickException(_("--from is a date YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC)."))

    def progress(summary):
        click.echo(_("… %(read)d records read", read=summary.read), err=True)

    try:
        report = harvest.harvest(url, set_spec=set_spec, from_date=from_date, institution=institution,
                                 progress=progress)
    except harvest.HarvestError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    summary = report.summary
    for identifier, message in report.problems:
        click.echo(f"{identifier}: {message}", err=True)
    for identifier, reason in report.kept:
        click.echo(_("%(identifier)s: deleted at the source, kept here: %(reason)s", identifier=identifier,
                     reason=reason), err=True)
    click.echo(_("%(read)d records harvested in %(pages)d pages: %(created)d created, %(updated)d updated, "
                 "%(unchanged)d unchanged, %(skipped)d skipped; %(deleted)d deleted, %(kept)d deletions not "
                 "applied.", read=summary.read, pages=report.pages, created=summary.created,
                 updated=summary.updated, unchanged=summary.unchanged, skipped=summary.skipped,
                 deleted=report.deleted, kept=len(report.kept)))
    if institution is not None:
        click.echo(_("Copies: %(made)d created, %(skipped)d not created (see above).",
                     made=summary.copies_created, skipped=summary.copies_skipped))
    if report.response_date:
        click.echo(_("Next time, harvest only the changes with --from %(date)s", date=report.response_date))
    if not summary.indexed:
        click.echo(_("The search index could not be updated; run “flask catalog reindex --pending”."), err=True)
    if summary.skipped:
        sys.exit(1)


def _copy_query(terms, kind):
    from . import copycat
    try:
        return copycat.build_cql(kind, terms)
    except copycat.CopyError as error:
        raise click.ClickException(str(error.message)) from None


def _copy_target(name_or_url):
    from ..common.errors import NotFound
    from . import copycat
    try:
        return copycat.resolve(name_or_url)
    except NotFound as error:
        raise click.ClickException(str(error.message)) from None


_KINDS = click.Choice(["keyword", "isbn", "title", "author", "cql"])


@catalog_cli.command("copy-search")
@click.option("--target", "target_name", required=True, help="A configured target's name, or an SRU URL.")
@click.option("--by", "kind", type=_KINDS, default="keyword", show_default=True, help="What the query is.")
@click.option("--max", "maximum", default=10, show_default=True, help="Records to show (at most 50).")
@click.argument("query")
@with_appcontext
def copy_search(target_name, kind, maximum, query):
    """Search another library's SRU server; one line per record: position, title, author, year, ISBN."""
    from . import copycat
    target = _copy_target(target_name)
    result = copycat.search([target], _copy_query(query, kind), maximum=maximum)[0]
    if result.error:
        raise click.ClickException(str(result.error))
    click.echo(_("%(name)s: %(total)d records found.", name=target.name, total=result.total))
    for hit in result.hits:
        columns = hit.columns
        click.echo("\t".join([str(hit.position), columns["title"], columns["authors"], str(columns["year"] or ""),
                              columns["isbn"] or ""]))


@catalog_cli.command("copy-import")
@click.option("--target", "target_name", required=True, help="A configured target's name, or an SRU URL.")
@click.option("--by", "kind", type=_KINDS, default="keyword", show_default=True, help="What the query is.")
@click.option("--max", "maximum", default=1, show_default=True, help="Records to import (at most 50).")
@click.argument("query")
@with_appcontext
def copy_import(target_name, kind, maximum, query):
    """Import the first records (--max) another library's SRU server finds; prints each record's number here."""
    from ..common.permissions import SYSTEM
    from . import copycat
    target = _copy_target(target_name)
    result = copycat.search([target], _copy_query(query, kind), maximum=maximum)[0]
    if result.error:
        raise click.ClickException(str(result.error))
    if not result.hits:
        raise click.ClickException(_("%(name)s found nothing.", name=target.name))
    summary, ids = copycat.import_records([h.record for h in result.hits], source_name=target.name, actor=SYSTEM)
    db.session.commit()
    for problem in summary.problems:
        click.echo(str(problem), err=True)
    click.echo(_("%(read)d records copied from %(name)s: %(created)d created, %(updated)d updated, "
                 "%(unchanged)d unchanged.", read=summary.read, name=target.name, created=summary.created,
                 updated=summary.updated, unchanged=summary.unchanged))
    for record_id in ids:
        click.echo(str(record_id))


@catalog_cli.command("duplicates")
@click.option("--limit", default=200, show_default=True, help="Groups to list.")
@with_appcontext
def duplicates_command(limit):
    """List groups of records that may be one book (same ISBN, or same title, author and year)."""
    from . import duplicates
    groups = duplicates.report(limit=limit)
    for group in groups:
        click.echo(f"{group.label}: " + " | ".join(f"#{r.id} {r.title}" for r in group.records))
    click.echo(_("%(n)d groups of possible duplicates.", n=len(groups)))


@catalog_cli.command("import-authorities")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def import_authorities_command(path):
    """Import MARC21 authority records (ISO 2709 or MARCXML, MARC-8 or UTF-8) and link matching headings."""
    from . import authorities
    source = Path(path)
    if not source.is_file():
        raise click.ClickException(_("%(path)s: no such file", path=path))
    with source.open("rb") as fh:
        try:
            counts = authorities.import_authorities(fh)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    for problem in counts["problems"]:
        click.echo(problem, err=True)
    click.echo(_("%(read)d authority records read: %(created)d created, %(updated)d updated, %(skipped)d skipped; "
                 "%(linked)d catalogue headings newly linked.", **{k: v for k, v in counts.items()
                                                                   if k != "problems"}))
    if counts["skipped"]:
        sys.exit(1)


@catalog_cli.command("unlinked-headings")
@click.option("--limit", default=200, show_default=True, help="How many headings to list.")
@with_appcontext
def unlinked_headings_command(limit):
    """List the catalogue's headings (1XX, 6XX, 7XX) that no authority controls, most used first."""
    from . import authorities
    rows = authorities.unlinked_headings(limit=max(1, min(limit, 100000)))
    for kind, heading, records, suggestion in rows:
        line = f"{kind}\t{records}\t{heading}"
        if suggestion is not None:
            line += "\t→ " + suggestion.heading
        click.echo(line)
    click.echo(_("%(n)d unlinked heading(s) in all.", n=authorities.count_unlinked()), err=True)
