"""SRU 1.2 at ``/sru``: ``searchRetrieve`` with a subset of CQL, and ``explain``.

CQL understood: indexes ``dc.title``, ``dc.creator``, ``dc.subject``,
``bath.isbn``, ``cql.anywhere`` / ``cql.serverChoice`` (a bare term means
anywhere) and ``cql.allRecords``; relations ``=`` (several words: a phrase),
``==``, ``adj``, ``exact`` (a phrase), ``all`` and ``any``; booleans ``and``,
``or``, ``not`` (left to right, as CQL has no precedence), parentheses and
quoted terms with ``*`` / ``?`` masks. The tree goes to
``search.structured_text``, so folding (``đ`` = ``d``) is the catalogue's.
Anything else is answered with an SRU diagnostic, never an error page.

Records come in record id order (stable across pages); ``recordSchema``
``marcxml`` (default) or ``dc``; ``recordPacking`` ``xml`` or ``string``.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import Blueprint, Response, current_app, g, request, url_for

from . import dublincore, indexing, oai, services
from .marcio import MARCXML_NS, xml_text
from .search import QueryTooBroad, SearchQuery, SearchUnavailable, structured_text

SRW_NS = "http://www.loc.gov/zing/srw/"
DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
VERSION = "1.2"
MAX_RECORDS = 100
DEFAULT_RECORDS = 10
MAX_TEXT = 500

#: recordSchema names and identifiers: (our format, the canonical identifier, namespace)
SCHEMAS = {
    "marcxml": ("marc21", "info:srw/schema/1/marcxml-v1.1", MARCXML_NS),
    "info:srw/schema/1/marcxml-v1.1": ("marc21", "info:srw/schema/1/marcxml-v1.1", MARCXML_NS),
    "dc": ("oai_dc", "info:srw/schema/1/dc-v1.1", dublincore.DC_NS),
    "info:srw/schema/1/dc-v1.1": ("oai_dc", "info:srw/schema/1/dc-v1.1", dublincore.DC_NS),
}
INDEXES = {
    "dc.title": "title", "title": "title",
    "dc.creator": "author", "creator": "author", "dc.author": "author",
    "dc.subject": "subject", "subject": "subject",
    "bath.isbn": "isbn", "isbn": "isbn",
    "cql.anywhere": None, "cql.serverchoice": None, "cql.keywords": None, "anywhere": None,
    "serverchoice": None,
}
RELATIONS = {"=": "phrase", "==": "phrase", "adj": "phrase", "exact": "phrase", "all": "all", "any": "any"}
UNSUPPORTED_RELATIONS = {"<", ">", "<=", ">=", "<>", "within", "encloses"}
PARAMETERS = {"operation", "version", "query", "startRecord", "maximumRecords", "recordPacking", "recordSchema",
              "recordXPath", "resultSetTTL", "sortKeys", "stylesheet", "extraRequestData"}

ET.register_namespace("diag", DIAG_NS)
ET.register_namespace("zr", ZEEREX_NS)
ET.register_namespace("srw", SRW_NS)


class Diagnostic(Exception):
    """An SRU diagnostic: ``info:srw/diagnostic/1/<number>``, with details and a message."""

    def __init__(self, number, details="", message=""):
        super().__init__(message or details)
        self.number = number
        self.details = details
        self.message = message


# -- CQL -------------------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<symbol>==|<>|<=|>=|[()=<>/])|(?P<word>[^\s()=<>/"]+))')
_UNCLOSED = re.compile(r'\s*"')


def _tokens(text):
    tokens, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise Diagnostic(10, text[pos:pos + 20], "Malformed query: an unclosed quotation mark")
        if match.group("quoted") is not None:
            raw = match.group("quoted")[1:-1]
            tokens.append(("term", re.sub(r"\\(.)", r"\1", raw)))
        elif match.group("symbol") is not None:
            tokens.append(("symbol", match.group("symbol")))
        else:
            tokens.append(("word", match.group("word")))
        pos = match.end()
    return tokens


class _Parser:
    """CQL by recursive descent: ``query := clause (boolean clause)*``, ``clause := ( query ) | [index rel] term``."""

    BOOLEANS = {"and", "or", "not", "prox"}

    def __init__(self, text):
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self, ahead=0):
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def parse(self):
        if not self.tokens:
            raise Diagnostic(27, "", "Empty query")
        node = self.query()
        kind, value = self.peek()
        if kind is not None:
            if kind == "word" and value.lower() == "sortby":
                raise Diagnostic(80, "sortby", "Sorting is not supported")
            raise Diagnostic(10, str(value), "Malformed query: unexpected text")
        return node

    def query(self):
        node = self.clause()
        while True:
            kind, value = self.peek()
            if kind != "word" or value.lower() not in self.BOOLEANS:
                return node
            self.take()
            op = value.lower()
            if op == "prox":
                raise Diagnostic(37, "prox", "Unsupported boolean operator")
            if self.peek() == ("symbol", "/"):
                raise Diagnostic(46, op, "Unsupported boolean modifier")
            node = (op, node, self.clause())

    def clause(self):
        kind, value = self.take()
        if kind is None:
            raise Diagnostic(10, "", "Malformed query: a term is missing at the end")
        if kind == "symbol" and value == "(":
            node = self.query()
            if self.take() != ("symbol", ")"):
                raise Diagnostic(13, "", "Malformed query: a parenthesis is not closed")
            return node
        if kind == "symbol":
            raise Diagnostic(10, value, "Malformed query: unexpected symbol")
        if kind == "word" and value.startswith(">"):
            raise Diagnostic(10, value, "Prefix assignments are not supported")
        next_kind, next_value = self.peek()
        is_relation = (next_kind == "symbol" and next_value not in ("(", ")", "/")) or (
            next_kind == "word" and (next_value.lower() in RELATIONS or next_value.lower() in UNSUPPORTED_RELATIONS)
            and self.peek(1)[0] in ("word", "term"))
        if not is_relation or kind != "word":
            if kind == "word" and value.lower() in self.BOOLEANS:
                raise Diagnostic(10, value, "Malformed query: a boolean where a term was expected")
            return ("clause", None, "phrase", value)
        index = value.lower()
        self.take()
        relation = next_value.lower()
        if self.peek() == ("symbol", "/"):
            raise Diagnostic(20, relation, "Unsupported relation modifier")
        if relation in UNSUPPORTED_RELATIONS or relation not in RELATIONS:
            raise Diagnostic(19, relation, "Unsupported relation")
        term_kind, term = self.take()
        if term_kind not in ("word", "term"):
            raise Diagnostic(10, str(term or ""), "Malformed query: a term is missing after the relation")
        if index == "cql.allrecords":
            return ("all",)
        if index not in INDEXES:
            raise Diagnostic(16, value, "Unsupported index")
        return ("clause", INDEXES[index], RELATIONS[relation], term)


def parse_cql(text):
    """The clause tree of a CQL query (see ``search.structured_text``); ``Diagnostic`` when it is not one."""
    return _Parser(text or "").parse()


def to_search_text(tree):
    """The catalogue's query text for a CQL tree; ``None`` means every record."""
    if tree == ("all",):
        return None
    if tree[0] in ("and", "or") and ("all",) in tree[1:]:
        if tree[0] == "or":
            return None
        return to_search_text(tree[2] if tree[1] == ("all",) else tree[1])
    try:
        text = structured_text(tree)
    except ValueError as error:
        if "empty" in str(error):
            raise Diagnostic(27, "", "Empty term unsupported") from None
        raise Diagnostic(10, str(error), "Malformed query") from None
    if len(text) > MAX_TEXT:
        raise Diagnostic(10, "", "Malformed query: too long for this server")
    return text


# -- responses -----------------------------------------------------------------------------------

def _q(name, ns=SRW_NS):
    return f"{{{ns}}}{name}"


def _sub(parent, tag, text=None, /, ns=SRW_NS, **attrs):
    node = ET.SubElement(parent, _q(tag, ns), {k: str(v) for k, v in attrs.items()})
    if text is not None:
        node.text = xml_text(str(text))
    return node


def _serialise(root):
    # ElementTree cannot make a namespace the default one while attributes have none; every element
    # of ours is namespaced and text is escaped, so "<srw:" only ever starts a tag of the envelope
    text = ET.tostring(root, encoding="unicode")
    text = text.replace("<srw:", "<").replace("</srw:", "</").replace("xmlns:srw=", "xmlns=", 1)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode("utf-8")


def _diagnostics(parent, diagnostics):
    if not diagnostics:
        return
    node = _sub(parent, "diagnostics")
    for diag in diagnostics:
        entry = _sub(node, "diagnostic", ns=DIAG_NS)
        _sub(entry, "uri", f"info:srw/diagnostic/1/{diag.number}", ns=DIAG_NS)
        if diag.details:
            _sub(entry, "details", diag.details, ns=DIAG_NS)
        if diag.message:
            _sub(entry, "message", diag.message, ns=DIAG_NS)


def _positive(args, name, default, *, zero=False):
    value = args.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or (int(value) == 0 and not zero) or len(value) > 9:
        raise Diagnostic(6, name, f"Unsupported parameter value: {name} must be a "
                                  f"{'non-negative' if zero else 'positive'} whole number")
    return int(value)


def search_retrieve(args):
    """The ``searchRetrieveResponse`` document for a request's arguments."""
    root = ET.Element(_q("searchRetrieveResponse"))
    _sub(root, "version", VERSION)
    try:
        _check_common(args)
        if not args.get("query"):
            raise Diagnostic(7, "query", "Mandatory parameter not supplied")
        for name, number, message in (("sortKeys", 80, "Sort not supported"),
                                      ("recordXPath", 72, "XPath retrieval unsupported"),
                                      ("stylesheet", 110, "Stylesheets not supported")):
            if args.get(name):
                raise Diagnostic(number, name, message)
        start = _positive(args, "startRecord", 1)
        maximum = min(_positive(args, "maximumRecords", DEFAULT_RECORDS, zero=True),
                      int(current_app.config.get("SRU_MAX_RECORDS") or MAX_RECORDS))
        schema_name = args.get("recordSchema") or "marcxml"
        if schema_name not in SCHEMAS:
            raise Diagnostic(66, schema_name, "Unknown schema for retrieval")
        packing = args.get("recordPacking") or "xml"
        if packing not in ("xml", "string"):
            raise Diagnostic(71, packing, "Unsupported record packing")
        text = to_search_text(parse_cql(args["query"]))
        try:
            ids = indexing.backend().ids(SearchQuery(text=text or "", facets=False))
        except SearchUnavailable:
            raise Diagnostic(1, "", "General system error: the search index is being rebuilt; try again soon") \
                from None
        except QueryTooBroad as error:
            # SRU's own numbers where one fits: 29 masked words too short, 30 too many masks, else 10
            number = {"leading": 29, "short": 29, "expansion": 29, "masks": 30}.get(error.reason, 10)
            raise Diagnostic(number, error.word, services.too_broad_message(error)) from None
    except Diagnostic as diag:
        _sub(root, "numberOfRecords", 0)
        _diagnostics(root, [diag])
        return _serialise(root)
    total = len(ids)
    _sub(root, "numberOfRecords", total)
    diagnostics = []
    if total and start > total:
        diagnostics.append(Diagnostic(61, str(start), "First record position out of range"))
    page = ids[start - 1:start - 1 + maximum]
    if page:
        records = _sub(root, "records")
        fmt, identifier, _ns = SCHEMAS[schema_name]
        for position, row in enumerate(services.records_by_ids(page), start=start):
            record = _sub(records, "record")
            _sub(record, "recordSchema", identifier)
            _sub(record, "recordPacking", packing)
            data = _sub(record, "recordData")
            element = oai.metadata_element(row, fmt)
            if packing == "xml":
                data.append(element)
            else:
                data.text = ET.tostring(element, encoding="unicode")
            _sub(record, "recordPosition", position)
    if start - 1 + maximum < total:
        _sub(root, "nextRecordPosition", start + maximum)
    echoed = _sub(root, "echoedSearchRetrieveRequest")
    _sub(echoed, "version", VERSION)
    _sub(echoed, "query", args["query"])
    _sub(echoed, "startRecord", start)
    _sub(echoed, "maximumRecords", maximum)
    _sub(echoed, "recordPacking", packing)
    _sub(echoed, "recordSchema", schema_name)
    _diagnostics(root, diagnostics)
    return _serialise(root)


def _check_common(args):
    version = args.get("version")
    if version and version not in ("1.1", "1.2"):
        raise Diagnostic(5, "1.2", "Unsupported version")
    for name in args.keys():
        if name not in PARAMETERS and not name.startswith("x-"):
            raise Diagnostic(8, name[:40], "Unsupported parameter")
        if len(args.getlist(name)) > 1:
            raise Diagnostic(6, name[:40], "Unsupported parameter value: the parameter is repeated")


def explain(args, *, base_url):
    """The ``explainResponse``: a ZeeRex record of the server, its indexes, schemas and limits."""
    from urllib.parse import urlsplit
    root = ET.Element(_q("explainResponse"))
    _sub(root, "version", VERSION)
    record = _sub(root, "record")
    _sub(record, "recordSchema", ZEEREX_NS)
    _sub(record, "recordPacking", "xml")
    data = _sub(record, "recordData")
    zr = _sub(data, "explain", ns=ZEEREX_NS)
    parts = urlsplit(base_url)
    server = _sub(zr, "serverInfo", ns=ZEEREX_NS, protocol="SRU", version=VERSION, transport=parts.scheme or "http")
    _sub(server, "host", parts.hostname or "localhost", ns=ZEEREX_NS)
    _sub(server, "port", parts.port or (443 if parts.scheme == "https" else 80), ns=ZEEREX_NS)
    _sub(server, "database", parts.path.lstrip("/") or "sru", ns=ZEEREX_NS)
    info = _sub(zr, "databaseInfo", ns=ZEEREX_NS)
    _sub(info, "title", current_app.config.get("OAI_REPOSITORY_NAME") or "ILMS", ns=ZEEREX_NS, lang="vi",
         primary="true")
    _sub(info, "description", "Mục lục liên hợp các thư viện tỉnh Lai Châu", ns=ZEEREX_NS, lang="vi",
         primary="true")
    indexes = _sub(zr, "indexInfo", ns=ZEEREX_NS)
    for name, identifier in (("dc", "info:srw/cql-context-set/1/dc-v1.1"), ("cql", "info:srw/cql-context-set/1/cql-v1.2"),
                             ("bath", "http://zing.z3950.org/cql/bath/2.0/")):
        _sub(indexes, "set", ns=ZEEREX_NS, identifier=identifier, name=name)
    for context, name, title in (("dc", "title", "Nhan đề"), ("dc", "creator", "Tác giả"),
                                 ("dc", "subject", "Chủ đề"), ("bath", "isbn", "ISBN"),
                                 ("cql", "anywhere", "Mọi trường"), ("cql", "allRecords", "Mọi biểu ghi")):
        index = _sub(indexes, "index", ns=ZEEREX_NS)
        _sub(index, "title", title, ns=ZEEREX_NS, lang="vi")
        mapping = _sub(index, "map", ns=ZEEREX_NS)
        _sub(mapping, "name", name, ns=ZEEREX_NS, set=context)
    schemas = _sub(zr, "schemaInfo", ns=ZEEREX_NS)
    for name, (_fmt, identifier, _ns) in SCHEMAS.items():
        if name.startswith("info:"):
            continue
        schema = _sub(schemas, "schema", ns=ZEEREX_NS, identifier=identifier, name=name, sort="false",
                      retrieve="true")
        _sub(schema, "title", "MARCXML" if name == "marcxml" else "Dublin Core", ns=ZEEREX_NS)
    config = _sub(zr, "configInfo", ns=ZEEREX_NS)
    _sub(config, "default", DEFAULT_RECORDS, ns=ZEEREX_NS, type="numberOfRecords")
    _sub(config, "setting", int(current_app.config.get("SRU_MAX_RECORDS") or MAX_RECORDS), ns=ZEEREX_NS,
         type="maximumRecords")
    _sub(config, "default", "marcxml", ns=ZEEREX_NS, type="retrieveSchema")
    _sub(config, "default", "cql.anywhere", ns=ZEEREX_NS, type="index")
    for relation in RELATIONS:
        _sub(config, "supports", relation, ns=ZEEREX_NS, type="relation")
    try:
        _check_common(args)
    except Diagnostic as diag:
        _diagnostics(root, [diag])
    return _serialise(root)


# -- the endpoint -------------------------------------------------------------------------------------

bp = Blueprint("sru", __name__)


@bp.before_request
def _public():
    g.private_page = False


@bp.route("/sru")
def endpoint():
    operation = request.args.get("operation") or ("searchRetrieve" if request.args.get("query") else "explain")
    if operation == "searchRetrieve":
        body = search_retrieve(request.args)
    elif operation == "explain":
        body = explain(request.args, base_url=url_for("sru.endpoint", _external=True))
    else:
        root = ET.Element(_q("searchRetrieveResponse"))
        _sub(root, "version", VERSION)
        _sub(root, "numberOfRecords", 0)
        _diagnostics(root, [Diagnostic(4, operation[:40], "Unsupported operation")])
        body = _serialise(root)
    return Response(body, content_type="text/xml; charset=utf-8")
