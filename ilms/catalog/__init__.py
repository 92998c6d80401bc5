"""The shared catalogue: MARC21 records, copies, accession register, search, OPAC, labels."""
import os

from flask import request
from flask_babel import lazy_gettext as _l

from ..common.checks import register_check
from ..common.registry import DashboardPanel, NavItem, register_nav, register_panel


#: Query arguments a search page passes on (anything else, ``_anchor`` and the like included, is dropped).
SEARCH_ARGS = ("q", "lang", "type", "lib", "avail", "from", "to", "sort", "page")


def _search_args():
    return {k: v for k, v in request.args.items() if k in SEARCH_ARGS}


def url_with(**changes):
    """The current page's URL with some query arguments changed (``None`` removes one); page 1 again."""
    from flask import url_for
    args = _search_args()
    args.pop("page", None)
    for key, value in changes.items():
        if key == "page_":
            args["page"] = value
        elif value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **{**args, **(request.view_args or {})})


def export_url(fmt, scope="search"):
    """Download link for the current search (or the whole catalogue) in ``fmt``."""
    from flask import url_for
    args = _search_args() if scope == "search" else {}
    args.pop("page", None)
    return url_for("catalog.export", **{**args, "format": fmt, "scope": scope})


def material_label(code):
    from .models import MaterialType
    try:
        return MaterialType(code).label
    except ValueError:
        return code


def _panel_context(user):
    import sqlalchemy as sa

    from ..extensions import db
    from .models import ImportJob, Item, ItemStatus, Record
    institution_id = getattr(user, "institution_id", None)
    copies = None
    if institution_id:
        copies = db.session.scalar(sa.select(sa.func.count(Item.id)).where(
            Item.institution_id == institution_id, Item.status != ItemStatus.WITHDRAWN))
    return {
        "records": db.session.scalar(sa.select(sa.func.count(Record.id))),
        "copies": copies,
        "flagged": db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.needs_reindex.is_(True))),
        "imports": list(db.session.scalars(sa.select(ImportJob).order_by(ImportJob.created_at.desc()).limit(3)))
        if user.can("catalog.edit") else [],
    }


def init_app(app):
    from ..extensions import csrf
    from . import (authority_views, cli, copy_views, indexing, models, oai, opac, sru, stocktake,  # noqa: F401
                   stocktake_views, views)
    # (models, stocktake: mappers; indexing: hooks; copy_views, stocktake_views: routes on views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(opac.bp)
    # OAI-PMH and SRU are protocols for other systems: public, no cookies, nothing written (POST only reads)
    app.register_blueprint(oai.bp)
    app.register_blueprint(sru.bp)
    csrf.exempt(oai.bp)
    csrf.exempt(sru.bp)
    app.cli.add_command(cli.catalog_cli)
    indexing.backend_name(app)   # a wrong ILMS_SEARCH_BACKEND stops the start, not the first search
    register_check("catalog search index", indexing.index_problems, repair=indexing.repair_index)
    register_check("stocktake figures", stocktake.figure_problems, repair=stocktake.repair_figures)
    app.jinja_env.globals.setdefault("catalog_url_with", url_with)
    app.jinja_env.globals.setdefault("material_label", material_label)
    app.jinja_env.globals.setdefault("catalog_export_url", export_url)
    app.config.setdefault("SEARCH_WRITE_TIMEOUT", 2.0)
    app.config.setdefault("CATALOG_PARALLEL_INDEX_BYTES", 1 << 20)
    app.config.setdefault("OAI_REPOSITORY_ID", os.environ.get("ILMS_OAI_REPOSITORY_ID") or oai.DEFAULT_REPOSITORY_ID)
    app.config.setdefault("OAI_REPOSITORY_NAME", os.environ.get("ILMS_OAI_REPOSITORY_NAME")
                          or "ILMS — Thư viện tỉnh Lai Châu")
    app.config.setdefault("OAI_ADMIN_EMAIL", os.environ.get("ILMS_OAI_ADMIN_EMAIL") or "")
    app.config.setdefault("OAI_PAGE_SIZE", int(os.environ.get("ILMS_OAI_PAGE_SIZE") or oai.DEFAULT_PAGE_SIZE))
    app.config.setdefault("SRU_MAX_RECORDS", int(os.environ.get("ILMS_SRU_MAX_RECORDS") or sru.MAX_RECORDS))
    register_nav(NavItem("catalog", "catalog.index", _l("Catalogue"), None, order=200))
    register_panel(DashboardPanel("catalog", "catalog/_panel.html", None, _panel_context, order=200))
