"""The capability table of docs/capabilities.md is what the application enforces, route by route.

Generated from the URL map: for every role and every POST route, a signed-in
user of that role with a valid CSRF token gets 403 exactly when the table
says the role lacks the route's capability. A new route or a change to the
roles is checked without writing a test here.
"""
import re
from pathlib import Path

from ilms.accounts.permissions import CAPABILITIES, ROLE_CAPABILITIES, Role
from tests.conftest import csrf_token, login
from tests.security.test_routes import _example_url

DOC = Path(__file__).resolve().parents[2] / "docs" / "capabilities.md"
#: Writes that end the caller's own session or are open to everyone: nothing to grant.
NOT_GRANTED = {"accounts.logout", "accounts.login", "accounts.set_language", "oai.endpoint"}


def documented_table():
    """``{role value: {capability, ...}}`` read from the markdown table of docs/capabilities.md."""
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[0] == "capability"
    roles = header[1:]
    table = {role: set() for role in roles}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        capability = cells[0].strip("`")
        for role, mark in zip(roles, cells[1:]):
            if mark == "yes":
                table[role].add(capability)
    return table, [re.sub(r"`", "", line.split("|")[1]).strip() for line in lines[1:]]


def test_the_documented_table_is_the_code_table():
    table, listed = documented_table()
    assert listed == list(CAPABILITIES), "docs/capabilities.md lists other capabilities than permissions.py"
    assert table == {role.value: set(ROLE_CAPABILITIES[role]) for role in Role}


def test_every_role_on_every_post_route_gets_what_the_table_says(app, factories):
    table, _listed = documented_table()
    home = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
    factories.user("bystander", role="librarian", institution=home)   # id 1: what "/…/1/deactivate" reaches
    clients = {}
    for role in Role:
        factories.user(f"role.{role.value}", role=role.value, institution=home)
        clients[role.value] = app.test_client()
        login(clients[role.value], f"role.{role.value}")
    wrong, checked = [], 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in NOT_GRANTED or rule.endpoint.startswith("api."):
            continue
        capability = getattr(app.view_functions[rule.endpoint], "staff_write_capability", None)
        for role, client in clients.items():
            allowed = capability is None or capability is True or capability in table[role]
            token = csrf_token(client, "/profile")
            response = client.post(_example_url(rule), data={"csrf_token": token})
            refused = response.status_code == 403
            if refused == allowed and not (allowed and _refused_for_scope(response)):
                wrong.append(f"{role} POST {rule.rule} ({capability}): {response.status_code}")
            checked += 1
    assert checked > 100
    assert not wrong, "roles not as docs/capabilities.md says: " + "; ".join(wrong)


def _refused_for_scope(response):
    """A 403 about where (another institution's object), not about who: the capability itself was granted."""
    return response.status_code == 403 and "not yours" in response.get_data(as_text=True)
