"""Barcodes: Code128 as inline SVG (python-barcode), and barcode text hygiene."""
import io
import re

from barcode import Code128
from barcode.writer import SVGWriter
from markupsafe import Markup

# What a scanner or a librarian may send: letters, digits and a few separators.
_BARCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-./]{0,39}$")


def normalise_barcode(text):
    """Strip what scanners add (spaces, CR) and upper-case; ``None`` if empty."""
    if text is None:
        return None
    value = text.strip().upper()
    return value or None


def is_valid_barcode(text) -> bool:
    return bool(text) and bool(_BARCODE.match(text))


def code128_svg(data, *, module_width=0.25, module_height=10.0, show_text=True):
    """Return a Code128 barcode for ``data`` as an ``<svg>`` element (Markup).

    The XML declaration is dropped so the result can be placed inside HTML.
    """
    writer = SVGWriter()
    options = {
        "module_width": module_width,
        "module_height": module_height,
        "write_text": show_text,
        "font_size": 8,
        "text_distance": 3.5,
        "quiet_zone": 2.0,
    }
    buf = io.BytesIO()
    Code128(str(data), writer=writer).write(buf, options)
    svg = buf.getvalue().decode("utf-8")
    start = svg.find("<svg")
    svg = svg[start:]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return Markup(svg)
