from xml.etree import ElementTree

from ilms.common.barcodes import code128_svg, is_valid_barcode, normalise_barcode


def test_code128_svg_is_an_svg_element_with_bars():
    svg = str(code128_svg("TVT-000123"))
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    bars = [el for el in root.iter() if el.tag.endswith("rect")]
    assert len(bars) > 20
    assert "TVT-000123" in svg


def test_scanner_input_is_normalised():
    assert normalise_barcode("  tvt-000123\r\n") == "TVT-000123"
    assert normalise_barcode("   ") is None
    assert is_valid_barcode("TVT-000123")
    assert not is_valid_barcode("<script>")
