"""OAI-PMH 2.0 provider at ``/oai``: the shared catalogue for other library systems to harvest.

Identifiers are ``oai:<ILMS_OAI_REPOSITORY_ID>:<record id>`` (record ids are
never reused). Datestamps are the records' ``updated_at`` (UTC, to the
second; days are accepted in ``from``/``until``); a deleted record answers
with its tombstone's ``deleted_at`` (``deletedRecord`` is ``persistent``).

Lists are read in (datestamp, id) order and a resumption token carries the
position of the last item sent, the original arguments and an upper bound
fixed when the harvest started. Records changed or added during a harvest
fall after that bound: they are neither skipped nor sent twice within the
harvest, and the next incremental harvest (``from`` = this one's
``responseDate``) gets them. Tokens are signed and never expire.

Sets: ``library`` and ``library:<code>`` (records with a copy, not
withdrawn, owned by that institution) and ``material`` and
``material:<type>``. A record's datestamp changes when the record changes,
not when a library gains or loses a copy of it.
"""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from ..common.time import UTC, utcnow
from ..extensions import db
from ..org.models import Institution
from . import dublincore, marc, marcio
from .models import Item, ItemStatus, MaterialType, OaiTombstone, Record

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = dublincore.XSI_NS
MARC_NS = marcio.MARCXML_NS
MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"

#: metadataPrefix: (schema, namespace)
FORMATS = {
    "oai_dc": (dublincore.OAI_DC_SCHEMA, dublincore.OAI_DC_NS),
    "marc21": (MARC_SCHEMA, MARC_NS),
}
#: verb: (required arguments, optional arguments); resumptionToken is exclusive
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
DEFAULT_REPOSITORY_ID = "ilms.local"
DEFAULT_PAGE_SIZE = 100
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
_PREFIX = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")

ET.register_namespace("marc", MARC_NS)
ET.register_namespace("xsi", XSI_NS)
ET.register_namespace("oai", OAI_NS)


class OaiError(Exception):
    """A protocol error: ``code`` (badArgument, badVerb...) and a message for the harvester's operator."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# -- settings and identifiers --------------------------------------------------------------

def repository_id(app=None):
    app = app or current_app
    return app.config.get("OAI_REPOSITORY_ID") or DEFAULT_REPOSITORY_ID


def page_size(app=None):
    app = app or current_app
    return max(1, int(app.config.get("OAI_PAGE_SIZE") or DEFAULT_PAGE_SIZE))


def identifier_of(record_id):
    return f"oai:{repository_id()}:{record_id}"


def record_id_of(identifier):
    """The record id an identifier names, or ``None`` (another repository's, or not one of ours at all)."""
    head = f"oai:{repository_id()}:"
    if not identifier or not identifier.startswith(head):
        return None
    tail = identifier[len(head):]
    return int(tail) if tail.isdigit() and len(tail) < 12 else None


def datestamp(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datestamp(text, *, end=False):
    """``(instant, granularity)``: the start of the day or second, or with ``end`` its last microsecond."""
    if _DAY.match(text):
        try:
            day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise OaiError("badArgument", f"{text} is not a date.") from None
        return (day + dt.timedelta(days=1, microseconds=-1) if end else day), "day"
    if _SECOND.match(text):
        try:
            moment = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise OaiError("badArgument", f"{text} is not a date and time.") from None
        return (moment + dt.timedelta(microseconds=999999) if end else moment), "second"
    raise OaiError("badArgument", "Dates are YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC).")


# -- sets ------------------------------------------------------------------------------------

def set_specs(record_ids):
    """``{record id: [set specs]}``: the owning libraries (copies not withdrawn) and the material type."""
    out = {rid: [] for rid in record_ids}
    if not out:
        return out
    for rid, code in db.session.execute(
            sa.select(Item.record_id, Institution.code).join(Institution, Institution.id == Item.institution_id)
            .where(Item.record_id.in_(list(out)), Item.status != ItemStatus.WITHDRAWN)
            .group_by(Item.record_id, Institution.code).order_by(Institution.code)):
        if _SPEC.match(f"library:{code}"):
            out[rid].append(f"library:{code}")
    for rid, material in db.session.execute(sa.select(Record.id, Record.material_type)
                                            .where(Record.id.in_(list(out)))):
        out[rid].append(f"material:{MaterialType(material).value}")
    return out


def _set_filters(spec):
    """``(condition on records, condition on tombstones)`` for a set, or ``None`` for a set we do not have."""
    if spec is None:
        return sa.true(), sa.true()
    head, _, tail = spec.partition(":")
    if head == "library":
        held = sa.select(Item.record_id).where(Item.status != ItemStatus.WITHDRAWN)
        if tail:
            held = held.join(Institution, Institution.id == Item.institution_id).where(Institution.code == tail)
            return Record.id.in_(held), OaiTombstone.set_specs.like(f"% library:{_like(tail)} %", escape="\\")
        return Record.id.in_(held), OaiTombstone.set_specs.like("% library:%")
    if head == "material":
        if not tail:
            return sa.true(), sa.true()
        if tail not in {m.value for m in MaterialType} or ":" in tail:
            return None
        return (Record.material_type == MaterialType(tail),
                OaiTombstone.set_specs.like(f"% material:{tail} %"))
    return None


def _like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- the response envelope ---------------------------------------------------------------------

def _q(name):
    return f"{{{OAI_NS}}}{name}"


def _sub(parent, name, text=None, **attrs):
    node = ET.SubElement(parent, _q(name), {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        node.text = marcio.xml_text(str(text))
    return node


def _envelope(base_url, request_args):
    root = ET.Element(_q("OAI-PMH"), {f"{{{XSI_NS}}}schemaLocation": f"{OAI_NS} {OAI_SCHEMA}"})
    _sub(root, "responseDate", datestamp(utcnow()))
    _sub(root, "request", base_url, **request_args)
    return root


def _serialise(root):
    # ElementTree cannot make a namespace the default one while attributes have none; every element
    # of ours is namespaced and text is escaped, so "<oai:" only ever starts a tag of the envelope
    text = ET.tostring(root, encoding="unicode")
    text = text.replace("<oai:", "<").replace("</oai:", "</").replace("xmlns:oai=", "xmlns=", 1)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode("utf-8")


# -- the protocol ---------------------------------------------------------------------------------

def respond(args, *, base_url) -> bytes:
    """The response document to a request's arguments (a ``MultiDict``), errors included."""
    verb = args.get("verb")
    try:
        arguments = _check_arguments(args)
    except OaiError as error:
        root = _envelope(base_url, {})
        _sub(root, "error", error.message, code=error.code)
        return _serialise(root)
    echoed = {k: v for k, v in arguments.items()}
    root = _envelope(base_url, {"verb": verb, **echoed})
    try:
        handler = _HANDLERS[verb]
        body = handler(arguments, base_url)
    except OaiError as error:
        # echo the arguments (they were well-formed), then the error
        _sub(root, "error", error.message, code=error.code)
        return _serialise(root)
    root.append(body)
    return _serialise(root)


def _check_arguments(args):
    verb_values = args.getlist("verb")
    if len(verb_values) != 1:
        raise OaiError("badVerb", "Give exactly one verb." if verb_values else "The verb argument is missing.")
    verb = verb_values[0]
    if verb not in VERBS:
        raise OaiError("badVerb", "This is not an OAI-PMH verb.")
    required, optional = VERBS[verb]
    arguments = {}
    for key in args.keys():
        if key == "verb":
            continue
        values = args.getlist(key)
        if key not in required | optional:
            raise OaiError("badArgument", f"{verb} takes no argument “{_short(key)}”.")
        if len(values) > 1:
            raise OaiError("badArgument", f"The argument {key} is repeated.")
        arguments[key] = values[0]
    if "resumptionToken" in arguments:
        if len(arguments) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
        return arguments
    missing = sorted(required - set(arguments))
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument {', '.join(missing)}.")
    if "metadataPrefix" in arguments and not _PREFIX.match(arguments["metadataPrefix"]):
        raise OaiError("badArgument", "The metadataPrefix is not well-formed.")
    if "set" in arguments and not _SPEC.match(arguments["set"]):
        raise OaiError("badArgument", "The set is not a well-formed setSpec.")
    low = high = None
    if "from" in arguments:
        low = parse_datestamp(arguments["from"])
    if "until" in arguments:
        high = parse_datestamp(arguments["until"], end=True)
    if low and high and low[1] != high[1]:
        raise OaiError("badArgument", "from and until must have the same granularity.")
    return arguments


def _short(text):
    return text[:40]


def _identify(arguments, base_url):
    node = ET.Element(_q("Identify"))
    _sub(node, "repositoryName", current_app.config.get("OAI_REPOSITORY_NAME") or "ILMS")
    _sub(node, "baseURL", base_url)
    _sub(node, "protocolVersion", "2.0")
    _sub(node, "adminEmail", current_app.config.get("OAI_ADMIN_EMAIL") or f"admin@{repository_id()}")
    earliest = [value for value in (db.session.scalar(sa.select(sa.func.min(Record.updated_at))),
                                    db.session.scalar(sa.select(sa.func.min(OaiTombstone.deleted_at))))
                if value is not None]
    _sub(node, "earliestDatestamp", datestamp(min(earliest) if earliest else utcnow()))
    _sub(node, "deletedRecord", "persistent")
    _sub(node, "granularity", GRANULARITY)
    return node


def _list_metadata_formats(arguments, base_url):
    identifier = arguments.get("identifier")
    if identifier is not None:
        kind, _row = _find(identifier)
        if kind == "deleted":
            raise OaiError("noMetadataFormats", "This record was deleted: it has no metadata any more.")
    node = ET.Element(_q("ListMetadataFormats"))
    for prefix, (schema, namespace) in FORMATS.items():
        fmt = _sub(node, "metadataFormat")
        _sub(fmt, "metadataPrefix", prefix)
        _sub(fmt, "schema", schema)
        _sub(fmt, "metadataNamespace", namespace)
    return node


def _list_sets(arguments, base_url):
    from flask_babel import force_locale, gettext as _
    if "resumptionToken" in arguments:
        raise OaiError("badResumptionToken", "ListSets is answered in one response: there is no token to resume.")
    node = ET.Element(_q("ListSets"))
    owners = set(db.session.scalars(sa.select(Item.institution_id).where(Item.status != ItemStatus.WITHDRAWN)
                                    .distinct()))
    from ..org.models import LIBRARY_KINDS
    institutions = db.session.scalars(sa.select(Institution).where(
        sa.or_(Institution.id.in_(owners) if owners else sa.false(), Institution.kind.in_(list(LIBRARY_KINDS))))
        .order_by(Institution.code))
    with force_locale("vi"):
        entries = [("library", _("Libraries of the network (records with copies)"))]
        entries += [(f"library:{inst.code}", inst.name) for inst in institutions
                    if _SPEC.match(f"library:{inst.code}")]
        entries.append(("material", _("Kinds of material")))
        entries += [(f"material:{m.value}", str(m.label)) for m in MaterialType]
    for spec, name in entries:
        entry = _sub(node, "set")
        _sub(entry, "setSpec", spec)
        _sub(entry, "setName", name)
    return node


def _find(identifier):
    """``("record", Record)``, ``("deleted", OaiTombstone)``, or ``idDoesNotExist``."""
    record_id = record_id_of(identifier)
    if record_id is not None:
        record = db.session.get(Record, record_id)
        if record is not None:
            return "record", record
        from .duplicates import redirect_of      # a merged duplicate: its identifier leads to the kept record
        merged = redirect_of(record_id)
        if merged is not None and db.session.get(Record, merged) is not None:
            return "record", db.session.get(Record, merged)
        tomb = db.session.scalar(sa.select(OaiTombstone).where(OaiTombstone.record_id == record_id))
        if tomb is not None:
            return "deleted", tomb
    raise OaiError("idDoesNotExist", "No record of this repository has this identifier.")


def _check_format(prefix):
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"Records are available as {', '.join(FORMATS)} only.")


def _get_record(arguments, base_url):
    _check_format(arguments["metadataPrefix"])
    kind, row = _find(arguments["identifier"])
    node = ET.Element(_q("GetRecord"))
    if kind == "deleted":
        _deleted_record(node, row)
    else:
        _full_record(node, row, arguments["metadataPrefix"], set_specs([row.id])[row.id])
    return node


def _header(parent, identifier, stamp, specs, deleted=False):
    header = _sub(parent, "header", status="deleted" if deleted else None)
    _sub(header, "identifier", identifier)
    _sub(header, "datestamp", datestamp(stamp))
    for spec in specs:
        _sub(header, "setSpec", spec)
    return header


def _tomb_specs(tomb):
    return [spec for spec in (tomb.set_specs or "").split() if spec]


def _deleted_record(parent, tomb):
    record = _sub(parent, "record")
    _header(record, identifier_of(tomb.record_id), tomb.deleted_at, _tomb_specs(tomb), deleted=True)


def _full_record(parent, row, prefix, specs):
    record = _sub(parent, "record")
    _header(record, identifier_of(row.id), row.updated_at, specs)
    metadata = _sub(record, "metadata")
    metadata.append(metadata_element(row, prefix))


def metadata_element(row, prefix):
    """A record's metadata in one of ``FORMATS`` (also used by SRU and the OPAC's download links)."""
    if prefix == "oai_dc":
        return dublincore.element(row, url=url_for("opac.record", record_id=row.id, _external=True))
    element = marcio.marcxml_element(marc.from_json(row.marc), MARC_NS)
    element.set(f"{{{XSI_NS}}}schemaLocation", f"{MARC_NS} {MARC_SCHEMA}")
    return element


# -- lists and resumption tokens ----------------------------------------------------------------------

def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ilms-oai-resumption")


def _list(arguments, base_url, verb):
    if "resumptionToken" in arguments:
        state = _read_token(arguments["resumptionToken"], verb)
    else:
        _check_format(arguments["metadataPrefix"])
        now = utcnow()
        low = parse_datestamp(arguments["from"])[0] if "from" in arguments else None
        high = parse_datestamp(arguments["until"], end=True)[0] if "until" in arguments else now
        state = {"v": verb, "p": arguments["metadataPrefix"], "s": arguments.get("set"),
                 "f": low.isoformat() if low else None, "u": min(high, now).isoformat(), "c": None, "n": 0}
    filters = _set_filters(state["s"])
    if filters is None:
        raise OaiError("noRecordsMatch", "This repository has no such set.")
    low = dt.datetime.fromisoformat(state["f"]) if state["f"] else None
    high = dt.datetime.fromisoformat(state["u"])
    cursor = (dt.datetime.fromisoformat(state["c"][0]), state["c"][1]) if state["c"] else None
    size = page_size()
    items = _page(filters, low, high, cursor, size + 1)
    if not items:
        raise OaiError("noRecordsMatch", "No record matches these arguments.")
    more = len(items) > size
    items = items[:size]
    node = ET.Element(_q(verb))
    live = [row for kind, row in items if kind == "record"]
    specs = set_specs([row.id for row in live])
    for kind, row in items:
        if kind == "deleted":
            if verb == "ListIdentifiers":
                _header(node, identifier_of(row.record_id), row.deleted_at, _tomb_specs(row), deleted=True)
            else:
                _deleted_record(node, row)
        elif verb == "ListIdentifiers":
            _header(node, identifier_of(row.id), row.updated_at, specs[row.id])
        else:
            _full_record(node, row, state["p"], specs[row.id])
    done = state["n"]
    if more or done:
        total = _count(filters, low, high)
        attrs = {"cursor": str(done), "completeListSize": str(max(total, done + len(items)))}
        token = ""
        if more:
            kind, row = items[-1]
            last = (row.deleted_at, row.record_id) if kind == "deleted" else (row.updated_at, row.id)
            token = _serializer().dumps({**state, "c": [last[0].isoformat(), last[1]], "n": done + len(items)})
        _sub(node, "resumptionToken", token, **attrs)
    return node


def _read_token(token, verb):
    try:
        state = _serializer().loads(token)
    except BadSignature:
        raise OaiError("badResumptionToken", "This resumption token is not one of ours, or it was altered.") \
            from None
    if not isinstance(state, dict) or state.get("v") != verb:
        raise OaiError("badResumptionToken", f"This resumption token belongs to another verb than {verb}.")
    return state


def _window(column, low, high):
    condition = column <= high
    if low is not None:
        condition = sa.and_(condition, column >= low)
    return condition


def _after(ts_column, id_column, cursor):
    if cursor is None:
        return sa.true()
    ts, last_id = cursor
    return sa.or_(ts_column > ts, sa.and_(ts_column == ts, id_column > last_id))


def _page(filters, low, high, cursor, limit):
    """Up to ``limit`` records and tombstones after ``cursor``, in (datestamp, id) order."""
    record_filter, tomb_filter = filters
    records = db.session.scalars(
        sa.select(Record).where(record_filter, _window(Record.updated_at, low, high),
                                _after(Record.updated_at, Record.id, cursor))
        .order_by(Record.updated_at, Record.id).limit(limit)).all()
    tombs = db.session.scalars(
        sa.select(OaiTombstone).where(tomb_filter, _window(OaiTombstone.deleted_at, low, high),
                                      _after(OaiTombstone.deleted_at, OaiTombstone.record_id, cursor))
        .order_by(OaiTombstone.deleted_at, OaiTombstone.record_id).limit(limit)).all()
    items = [((r.updated_at, r.id), "record", r) for r in records]
    items += [((t.deleted_at, t.record_id), "deleted", t) for t in tombs]
    items.sort(key=lambda entry: entry[0])
    return [(kind, row) for _key, kind, row in items[:limit]]


def _count(filters, low, high):
    record_filter, tomb_filter = filters
    return (db.session.scalar(sa.select(sa.func.count(Record.id))
                              .where(record_filter, _window(Record.updated_at, low, high)))
            + db.session.scalar(sa.select(sa.func.count(OaiTombstone.id))
                                .where(tomb_filter, _window(OaiTombstone.deleted_at, low, high))))


_HANDLERS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": lambda arguments, base_url: _list(arguments, base_url, "ListIdentifiers"),
    "ListRecords": lambda arguments, base_url: _list(arguments, base_url, "ListRecords"),
}


# -- tombstones ---------------------------------------------------------------------------------

def bury(record):
    """Leave a tombstone for a record about to be deleted (called by ``services.delete_record``)."""
    specs = set_specs([record.id])[record.id]
    db.session.add(OaiTombstone(record_id=record.id, control_number=record.control_number,
                                set_specs=" " + " ".join(specs) + " ", deleted_at=utcnow()))


# -- the endpoint -----------------------------------------------------------------------------------

bp = Blueprint("oai", __name__)


@bp.before_request
def _public():
    g.private_page = False
    g.read_only = True      # OAI-PMH over POST only reads


@bp.route("/oai", methods=["GET", "POST"])
def endpoint():
    args = request.form if request.method == "POST" else request.args
    body = respond(args, base_url=url_for("oai.endpoint", _external=True))
    return Response(body, mimetype="text/xml", content_type="text/xml; charset=utf-8")
