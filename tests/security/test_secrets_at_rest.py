"""Passwords, API tokens and session ids are never stored in the clear, anywhere in the database."""
import datetime as dt

import sqlalchemy as sa

from ilms.accounts.models import ApiToken, StaffSession
from ilms.common.time import utcnow
from ilms.extensions import db
from tests.conftest import login, post_form

PASSWORD = "correct-horse-1"


def _every_stored_value():
    """All values of all rows of all tables, as text (the audit trail included)."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            values += [str(value) for value in row if value is not None]
    return "\n".join(values)


def _new_token(client, name="báo cáo"):
    page = post_form(client, "/profile/tokens", {"name": name, "days": "30"}, page="/profile")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store", "the page showing a secret must not be cached"
    return page.get_data(as_text=True).split('data-testid="token-secret">')[1].split("<")[0]


def _api(app, secret):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_no_secret_is_stored_in_the_clear_anywhere(app, client, factories):
    factories.user("thuthu")
    login(client, "thuthu")
    ended = _new_token(client)
    post_form(client, "/profile/password", {"current_password": PASSWORD, "new_password": "mat-khau-moi-2",
                                            "confirm": "mat-khau-moi-2"}, page="/profile")
    secret = _new_token(client)            # a password change ends the tokens made before it
    cookie = client.get_cookie("ilms_session").value
    db.session.expire_all()
    stored = _every_stored_value()
    assert _api(app, ended) == 401 and _api(app, secret) == 200
    for clear in (ended, ended[12:], secret, secret[12:], PASSWORD, "mat-khau-moi-2"):
        assert clear not in stored
    session_ids = list(db.session.scalars(sa.select(StaffSession.id)))
    assert session_ids
    audit = "\n".join(db.session.scalars(sa.text("SELECT changes || summary || record_id FROM audit_entries")))
    for session_id in session_ids:
        assert session_id not in audit, "session ids stay out of the audit trail"
    assert cookie not in stored


def test_tokens_are_revocable_by_their_owner_and_by_an_administrator(app, factories):
    factories.user("thuthu")
    factories.user("quantri", role="admin")
    owner, admin = app.test_client(), app.test_client()
    login(owner, "thuthu")
    login(admin, "quantri")
    first, second = _new_token(owner, "một"), _new_token(owner, "hai")
    assert _api(app, first) == 200 and _api(app, second) == 200
    ids = dict(db.session.execute(sa.select(ApiToken.name, ApiToken.id)).all())
    post_form(owner, f"/profile/tokens/{ids['một']}/revoke", page="/profile")
    assert _api(app, first) == 401 and _api(app, second) == 200
    post_form(admin, f"/profile/tokens/{ids['hai']}/revoke", page="/profile")
    assert _api(app, second) == 401


def test_a_user_cannot_revoke_someone_elses_token(app, factories):
    factories.user("thuthu")
    factories.user("nguoikhac")
    owner, other = app.test_client(), app.test_client()
    login(owner, "thuthu")
    login(other, "nguoikhac")
    secret = _new_token(owner)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    response = post_form(other, f"/profile/tokens/{token_id}/revoke", page="/profile")
    assert response.status_code == 404
    assert _api(app, secret) == 200


def test_expired_tokens_and_forged_ones_are_refused(app, client, factories):
    factories.user("thuthu")
    login(client, "thuthu")
    secret = _new_token(client)
    token = db.session.scalar(sa.select(ApiToken))
    token.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert _api(app, secret) == 401
    for forged in ("", "ilms_", secret[:-1], "ilms_" + "A" * 43, token.token_hash):
        assert _api(app, forged) == 401, forged
