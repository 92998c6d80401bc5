"""Reaching the desk from any page with the keyboard: the second Tab stop, or an access key."""
import re

from tests.conftest import login


def test_the_desk_is_the_second_tab_stop_of_every_page_and_has_an_access_key(app, factories):
    library = factories.institution("TV-REACH")
    factories.user("desk.reach", role="desk", institution=library)
    factories.user("events.reach", role="events", institution=library)
    client = app.test_client()
    login(client, "desk.reach")
    for url in ("/", "/catalog/"):
        html = client.get(url, follow_redirects=True).get_data(as_text=True)
        body = html[html.index("<body"):]
        stops = re.findall(r"<(?:a|button|input|select|textarea)\b[^>]*>", body)
        stops = [tag for tag in stops if 'type="hidden"' not in tag]
        assert 'href="#main"' in stops[0]
        assert 'href="/circulation/desk"' in stops[1] and 'accesskey="b"' in stops[1]
    other = app.test_client()
    login(other, "events.reach")
    assert 'data-testid="skip-desk"' not in other.get("/", follow_redirects=True).get_data(as_text=True)


def test_open_copy_with_an_empty_box_says_the_box_is_empty(app, factories):
    library = factories.institution("TV-EMPTY")
    factories.user("lib.empty", role="librarian", institution=library)
    client = app.test_client()
    login(client, "lib.empty")
    html = client.get("/catalog/items?barcode=+", follow_redirects=True).get_data(as_text=True)
    message = re.search(r'class="flash flash-error">([^<]*)<', html).group(1)
    assert "trống" in message and "—" not in message
