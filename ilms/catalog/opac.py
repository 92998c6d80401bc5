"""The public catalogue (OPAC): search and record pages for readers, no sign-in, no JavaScript needed.

Pages show what a reader needs to find a book and go and get it: titles,
authors, where copies are and whether one is on the shelf. Never a
reader's name, a loan, a barcode or anything staff write in notes.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from markupsafe import escape

from . import display, marc, oai, services

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
        _redirect_if_merged(record_id, "opac.record")
        abort(404)
    rec = rec[0]
    parsed = marc.from_json(rec.marc)
    holdings = services.availability([rec.id])[rec.id]
    return render_template("opac/record.html", record=rec, readable=display.readable(parsed),
                           links=display.links(parsed), holdings=holdings,
                           shelves=services.public_shelves(rec.id), oai_identifier=oai.identifier_of(rec.id))


# -- machine-readable copies of a record (MARCXML, Dublin Core) and unAPI -----------------------------

#: unAPI format name: (OAI metadataPrefix, media type, documentation)
UNAPI_FORMATS = {
    "marcxml": ("marc21", "application/marcxml+xml", "http://www.loc.gov/standards/marcxml/"),
    "oai_dc": ("oai_dc", "application/xml", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
}


def _redirect_if_merged(record_id, endpoint):
    """A record merged into another (``duplicates.merge``) moved for good: 301 to the kept one."""
    from .duplicates import redirect_of
    kept = redirect_of(record_id)
    if kept is not None:
        abort(redirect(url_for(endpoint, record_id=kept), 301))


def _record_or_404(record_id):
    found = services.records_by_ids([record_id])
    if not found:
        _redirect_if_merged(record_id, request.endpoint)
        abort(404)
    return found[0]


def _xml(element, media_type):
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8")
    return Response(body, content_type=f"{media_type}; charset=utf-8")


@bp.route("/record/<int:record_id>/marcxml")
def record_marcxml(record_id):
    return _xml(oai.metadata_element(_record_or_404(record_id), "marc21"), "application/marcxml+xml")


@bp.route("/record/<int:record_id>/dc")
def record_dc(record_id):
    return _xml(oai.metadata_element(_record_or_404(record_id), "oai_dc"), "application/xml")


@bp.route("/unapi")
def unapi():
    """unAPI: the formats of a record (``id`` = its OAI identifier), or the record in one of them."""
    identifier, fmt = request.args.get("id"), request.args.get("format")
    if identifier:
        record_id = oai.record_id_of(identifier)
        if record_id is None or not services.records_by_ids([record_id]):
            abort(404)
    if identifier and fmt:
        if fmt not in UNAPI_FORMATS:
            abort(406)
        endpoint = "opac.record_marcxml" if fmt == "marcxml" else "opac.record_dc"
        return Response(status=302, headers={"Location": url_for(endpoint, record_id=record_id)})
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<formats{f" id={chr(34)}{escape(identifier)}{chr(34)}" if identifier else ""}>']
    for name, (_prefix, media_type, docs) in UNAPI_FORMATS.items():
        lines.append(f'<format name="{name}" type="{media_type}" docs="{docs}"/>')
    lines.append("</formats>")
    return Response("\n".join(lines).encode("utf-8"), status=300 if identifier else 200,
                    content_type="application/xml; charset=utf-8")
