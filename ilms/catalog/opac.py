"""The public catalogue (OPAC): search and record pages for readers, no sign-in, no JavaScript needed.

Pages show what a reader needs to find a book and go and get it: titles,
authors, where copies are and whether one is on the shelf. Never a
reader's name, a loan, a barcode or anything staff write in notes.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, session

from . import display, marc, services

bp = Blueprint("opac", __name__, url_prefix="/opac")

PER_PAGE = 20


@bp.before_request
def _language():
    """``?hl=en`` / ``?hl=vi`` switches the interface language for this browser (a link, no form)."""
    wanted = request.args.get("hl")
    if wanted in current_app.config["LANGUAGES"]:
        session["lang"] = wanted


@bp.route("/")
def search():
    query = services.query_from_args(request.args, per_page=PER_PAGE)
    searching = bool(query.text or query.language or query.material or query.library or query.available
                     or query.year_from or query.year_to)
    result = records = None
    index_ok = True
    if searching:
        result, records, index_ok = services.search(query)
    return render_template(
        "opac/search.html", query=query, searching=searching, result=result, records=records or [],
        index_ok=index_ok, availability=services.availability([r.id for r in records or []]),
        institutions=services.institutions_by_code({c for c, _n in (result.facets.get("library", [])
                                                                     if result else [])}),
        libraries=services.libraries() if not searching else [], language_name=display.language_name)


@bp.route("/record/<int:record_id>")
def record(record_id):
    rec = services.records_by_ids([record_id])
    if not rec:
        abort(404)
    rec = rec[0]
    parsed = marc.from_json(rec.marc)
    holdings = services.availability([rec.id])[rec.id]
    return render_template("opac/record.html", record=rec, readable=display.readable(parsed),
                           links=display.links(parsed), holdings=holdings,
                           shelves=services.public_shelves(rec.id))
