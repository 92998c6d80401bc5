"""An OPAC record page links its MARCXML and Dublin Core, in the head for programs and on the page for people;
the linked documents and unAPI answer."""
import re

from lxml import etree

from ilms.catalog import services
from ilms.extensions import db


def test_record_page_links_marcxml_dublin_core_and_unapi(client, app):
    record = services.create_minimal_record(title="Truyện Kiều", authors=["Nguyễn Du"])
    db.session.commit()
    html = client.get(f"/opac/record/{record.id}").get_data(as_text=True)
    head = html.split("</head>")[0]
    alternate = re.search(r'<link rel="alternate" type="application/marcxml\+xml"[^>]*href="([^"]+)"', head)
    assert alternate, "no MARCXML alternate link in the head"
    assert re.search(r'<link rel="alternate" type="application/xml" title="Dublin Core"', head)
    assert 'rel="unapi-server"' in head and f'title="oai:ilms.local:{record.id}"' in html
    assert "Cho các hệ thống thư viện khác" in html      # the interface speaks Vietnamese
    assert f"verb=GetRecord&amp;metadataPrefix=marc21&amp;identifier=oai:ilms.local:{record.id}" in html

    marcxml = client.get(alternate.group(1))
    assert marcxml.status_code == 200 and marcxml.content_type.startswith("application/marcxml+xml")
    doc = etree.fromstring(marcxml.data)
    assert doc.tag == "{http://www.loc.gov/MARC21/slim}record"
    assert "Truyện Kiều" in doc.xpath("string(.//*[@tag='245']/*[@code='a'])")
    dc = etree.fromstring(client.get(f"/opac/record/{record.id}/dc").data)
    assert dc.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Nguyễn Du"

    formats = client.get(f"/opac/unapi?id=oai:ilms.local:{record.id}")
    assert formats.status_code == 300 and b'name="marcxml"' in formats.data
    assert client.get(f"/opac/unapi?id=oai:ilms.local:{record.id}&format=marcxml").headers["Location"].endswith(
        f"/opac/record/{record.id}/marcxml")
    assert client.get("/opac/unapi?id=oai:ilms.local:999999").status_code == 404
    assert client.get(f"/opac/unapi?id=oai:ilms.local:{record.id}&format=mods").status_code == 406
    assert client.get("/opac/record/999999/marcxml").status_code == 404
