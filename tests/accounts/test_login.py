import sqlalchemy as sa

from ilms.accounts import services as accounts
from ilms.accounts.models import ApiToken, StaffSession
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from tests.conftest import csrf_token, login, post_form


def test_login_and_dashboard_in_vietnamese(app, client, factories):
    factories.user("thuthu")
    response = login(client, "thuthu", follow=True)
    page = response.get_data(as_text=True)
    assert "Xin chào" in page and "Đăng xuất" in page


def test_wrong_password_is_refused_with_a_message(app, client, factories):
    factories.user("thuthu")
    response = login(client, "thuthu", "wrong-password")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_ends_the_session_for_a_copied_cookie(app, factories):
    factories.user("thuthu")
    browser = app.test_client()
    login(browser, "thuthu")
    cookie = browser.get_cookie("ilms_session").value
    assert browser.get("/").status_code == 200
    post_form(browser, "/logout", page="/profile")
    assert browser.get("/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("ilms_session", cookie)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 0


def test_next_only_goes_to_local_paths(app, client, factories):
    factories.user("thuthu")
    for target, expected in [("//evil.example", "/"), ("https://evil.example/x", "/"),
                             ("/\\evil.example", "/"), ("/profile", "/profile")]:
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"csrf_token": token, "username": "thuthu",
                                               "password": "correct-horse-1", "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == expected, target
        post_form(client, "/logout", page="/profile")


def test_sixth_failed_login_in_a_minute_is_refused_even_with_the_right_password(app, client, factories):
    factories.user("thuthu")
    for _ in range(5):
        assert login(client, "thuthu", "nope-nope").status_code == 401
    response = login(client, "thuthu")
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in response.get_data(as_text=True)


def test_throttling_per_address_covers_many_usernames(app, client, factories):
    for n in range(20):   # four times the failures allowed for one username
        login(client, f"ghost{n}", "nope-nope")
    factories.user("thuthu")
    assert login(client, "thuthu").status_code == 429


def _from(app, address):
    """A browser at ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(app, factories):
    """The probe: five wrong passwords from any address made the right one fail everywhere for a minute."""
    factories.user("thuthu")
    stranger = _from(app, "203.0.113.7")
    for _ in range(5):
        assert login(stranger, "thuthu", "nope-nope").status_code == 401
    assert login(stranger, "thuthu").status_code == 429          # that address, that account: wait
    assert login(_from(app, "10.0.0.5"), "thuthu").status_code == 302   # the owner, at the library


def test_many_addresses_against_one_account_slow_new_browsers_but_not_the_owners(app, factories):
    factories.user("thuthu")
    owner = _from(app, "10.0.0.5")
    assert login(owner, "thuthu").status_code == 302   # signed in here before: this browser is known
    post_form(owner, "/logout", page="/profile")
    for n in range(20):
        assert login(_from(app, f"198.51.100.{n}"), "thuthu", "nope-nope").status_code == 401
    assert login(_from(app, "198.51.100.200"), "thuthu").status_code == 429   # a new browser waits
    assert login(_from(app, "10.0.0.9"), "thuthu").status_code == 429
    assert login(owner, "thuthu").status_code == 302                          # the owner's does not


def test_post_without_csrf_token_is_refused(app, client, factories):
    factories.user("thuthu")
    response = client.post("/login", data={"username": "thuthu", "password": "correct-horse-1"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not signed in


def test_deactivation_ends_sessions_and_tokens_at_once(app, factories):
    admin = factories.user("admin1", role="admin")
    victim = factories.user("thuthu")
    _token, secret = accounts.create_token(victim, name="script")
    db.session.commit()
    browser = app.test_client()
    login(browser, "thuthu")
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    accounts.set_active(victim, False, actor=admin)
    db.session.commit()
    assert browser.get("/").status_code == 302
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert login(app.test_client(), "thuthu").status_code == 401


def test_a_password_change_ends_the_api_tokens_and_the_page_says_so(app, factories):
    """The probe: API tokens survived a password change (and an administrator's reset)."""
    admin = factories.user("admin1", role="admin")
    user = factories.user("thuthu")
    _token, mine = accounts.create_token(user, name="script")
    db.session.commit()
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {mine}"}).status_code == 200
    browser = app.test_client()
    login(browser, "thuthu")
    assert "ends your API tokens" in browser.get("/profile?hl=en").get_data(as_text=True) or \
        "chấm dứt các mã API" in browser.get("/profile").get_data(as_text=True)
    response = post_form(browser, "/profile/password", page="/profile",
                         data={"current_password": "correct-horse-1", "new_password": "another-horse-2",
                               "confirm": "another-horse-2"})
    assert response.status_code == 302
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {mine}"}).status_code == 401
    assert browser.get("/profile").status_code == 200   # this browser stays signed in

    _token, again = accounts.create_token(user, name="script 2")
    accounts.reset_password(user, "temporary-pw-3", actor=admin)
    db.session.commit()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {again}"}).status_code == 401


def test_session_cookie_settings(app, client, factories):
    factories.user("thuthu")
    response = login(client, "thuthu")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_hashed(app, factories):
    user = factories.user("thuthu")
    assert "correct-horse-1" not in user.password_hash
    assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))


def test_admin_reset_forces_a_new_password(app, client, factories):
    admin = factories.user("admin1", role="admin")
    user = factories.user("thuthu")
    accounts.reset_password(user, "temporary-123", actor=admin)
    db.session.commit()
    login(client, "thuthu", "temporary-123")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile")
    response = post_form(client, "/profile/password", {"current_password": "temporary-123",
                                                        "new_password": "my-own-pass-1", "confirm": "my-own-pass-1"},
                         page="/profile")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_api_tokens_are_stored_hashed_and_revocable(app, client, factories):
    user = factories.user("thuthu")
    login(client, "thuthu")
    page = post_form(client, "/profile/tokens", {"name": "báo cáo", "days": "30"}, page="/profile")
    secret = page.get_data(as_text=True).split('data-testid="token-secret">')[1].split("<")[0]
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert secret not in (stored.token_hash, stored.prefix) and stored.token_hash == ApiToken.hash(secret)
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json["username"] == "thuthu"
    post_form(client, f"/profile/tokens/{stored.id}/revoke", page="/profile")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_api_ignores_session_cookies(app, client, factories):
    factories.user("thuthu")
    login(client, "thuthu")
    assert client.get("/api/v1/me").status_code == 401


def test_admin_manages_staff_accounts(app, client, factories):
    inst = factories.institution("TVH-TD")
    factories.user("admin1", role="admin")
    login(client, "admin1")
    response = post_form(client, "/admin/users/new", {
        "username": "Moi.ThuThu", "full_name": "Lò Văn Mới", "role": "desk", "institution": str(inst.id),
        "password": "mat-khau-moi"}, page="/admin/users/new")
    assert response.status_code == 302
    created = accounts.find_user("moi.thuthu")
    assert created.institution == inst and created.role.value == "desk"
    response = post_form(client, f"/admin/users/{created.id}/active", {"active": "0"},
                         page=f"/admin/users/{created.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert not created.active


def test_non_admin_cannot_reach_staff_administration(app, client, factories):
    factories.user("thuthu")
    login(client, "thuthu")
    assert client.get("/admin/users").status_code == 403


def test_create_admin_command(app, runner):
    result = runner.invoke(args=["accounts", "create-admin", "--username", "root", "--password",
                                 "root-password-1"])
    assert result.exit_code == 0, result.output
    assert accounts.find_user("root").role.value == "admin"
    result = runner.invoke(args=["accounts", "create-admin", "--username", "root", "--password", "short"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_language_switch_is_remembered_per_user(app, factories):
    factories.user("thuthu")
    browser = app.test_client()
    login(browser, "thuthu")
    post_form(browser, "/language", {"language": "en", "next": "/"}, page="/")
    assert "Hello" in browser.get("/").get_data(as_text=True)
    other = app.test_client()
    login(other, "thuthu")
    assert "Hello" in other.get("/").get_data(as_text=True)
    assert accounts.find_user("thuthu").locale == "en"


def test_system_actor_creates_users(app):
    user = accounts.create_user(actor=SYSTEM, username="sys", full_name="", password="abcdefgh1",
                                role="manager")
    assert user.full_name == "sys"
