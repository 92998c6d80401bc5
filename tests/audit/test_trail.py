"""The audit trail: every write is recorded with who, when and what; secrets never are."""
import datetime as dt
import json

import sqlalchemy as sa
from flask import g

from ilms.accounts import services as accounts
from ilms.accounts.models import ApiToken, StaffSession, User
from ilms.audit import acting_as, bulk
from ilms.audit.models import AuditEntry
from ilms.common.permissions import SYSTEM
from ilms.common.time import utcnow
from ilms.extensions import db
from ilms.org import services as org
from ilms.org.models import Institution
from tests.conftest import login, post_form


def entries(**where):
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, name) == value)
    return list(db.session.scalars(stmt))


def all_audit_text():
    return "\n".join(f"{e.record_id} {e.changes} {e.summary} {e.source}" for e in entries())


def test_a_staff_action_on_a_page_is_recorded_with_who_what_and_where(app, client, factories):
    admin = factories.user("quantri", role="admin")
    home = factories.institution("TD1")
    login(client, "quantri")
    response = post_form(client, "/admin/users/new", {
        "username": "thuthu.moi", "full_name": "Lò Văn Mới", "role": "librarian",
        "institution": str(home.id), "password": "mat-khau-dai-1"})
    assert response.status_code == 302
    created = accounts.find_user("thuthu.moi")
    (entry,) = entries(table_name="users", record_id=str(created.id), action="insert")
    assert entry.actor == "quantri" and entry.user_id == admin.id
    assert entry.source == "POST /admin/users/new"
    assert entry.address == "127.0.0.1"
    assert abs((utcnow() - entry.at).total_seconds()) < 60
    values = entry.changes_dict()
    assert values["username"] == "thuthu.moi" and values["full_name"] == "Lò Văn Mới"
    assert values["institution_id"] == home.id and values["role"] == "librarian"
    assert values["password_hash"] == "[hidden]"
    assert created.password_hash not in all_audit_text()


def test_an_update_records_only_what_changed_old_and_new(app, client, factories):
    factories.user("quantri", role="admin")
    first, second = factories.institution("TD1"), factories.institution("TD2")
    staff = factories.user("thuthu", institution=first)
    login(client, "quantri")
    response = post_form(client, f"/admin/users/{staff.id}", {
        "username": "thuthu", "full_name": "Tên Đã Sửa", "role": "librarian",
        "institution": str(second.id), "email": ""})
    assert response.status_code == 302
    (entry,) = entries(table_name="users", record_id=str(staff.id), action="update")
    changes = entry.changes_dict()
    assert changes["full_name"][1] == "Tên Đã Sửa"
    assert changes["institution_id"] == [first.id, second.id]
    assert "username" not in changes and "role" not in changes
    assert entry.actor == "quantri"


def test_passwords_tokens_and_session_ids_are_never_stored(app, client, factories):
    staff = factories.user("thuthu")
    login(client, "thuthu")
    response = post_form(client, "/profile/password", {
        "current_password": "correct-horse-1", "new_password": "mot-mat-khau-moi", "confirm": "mot-mat-khau-moi"},
        page="/profile")
    assert response.status_code == 302
    response = post_form(client, "/profile/tokens", {"name": "báo cáo", "days": "30"}, page="/profile")
    assert response.status_code == 200
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    session_ids = list(db.session.scalars(sa.select(StaffSession.id)))
    assert session_ids
    text = all_audit_text()
    for secret in [staff.password_hash, token.token_hash, *session_ids]:
        assert secret not in text
    (change,) = [e for e in entries(table_name="users", action="update") if "password_hash" in e.changes_dict()]
    assert change.changes_dict()["password_hash"] == ["[hidden]", "[hidden]"]
    assert change.actor == "thuthu"
    (made,) = entries(table_name="api_tokens", action="insert")
    assert made.changes_dict()["token_hash"] == "[hidden]" and made.changes_dict()["name"] == "báo cáo"
    assert entries(table_name="staff_sessions") == [] and entries(table_name="login_failures") == []


def test_commands_are_recorded_as_system(app, runner):
    result = runner.invoke(args=["accounts", "create-admin", "--username", "goc", "--full-name", "Gốc",
                                 "--password", "mat-khau-goc-1"])
    assert result.exit_code == 0, result.output
    (entry,) = entries(table_name="users", action="insert")
    assert entry.actor == "system" and entry.user_id is None
    assert entry.source.startswith("cli:") and "create-admin" in entry.source


def test_api_token_user_is_the_actor_of_api_writes(app, factories):
    robot = factories.user("robot", role="admin")
    with app.test_request_context("/api/v1/institutions", method="POST"):
        g.api_user = robot
        org.create_institution(actor=robot, code="API1", name="Điểm bưu điện văn hoá", kind="postal_cultural_point",
                               level="commune")
        db.session.commit()
    (entry,) = entries(table_name="institutions", action="insert", actor="robot")
    assert entry.user_id == robot.id and entry.source == "POST /api/v1/institutions"


def test_deletes_are_recorded_with_the_old_values(app, factories):
    inst = factories.institution("XOA", name="Sẽ xoá")
    with acting_as(SYSTEM):
        db.session.delete(inst)
        db.session.commit()
    (entry,) = entries(table_name="institutions", action="delete")
    assert entry.record_id == str(inst.id)
    assert entry.changes_dict()["code"] == "XOA" and entry.changes_dict()["name"] == "Sẽ xoá"


def test_a_refused_write_leaves_no_entry(app, client, factories):
    factories.user("quantri", role="admin")
    login(client, "quantri")
    before = len(entries())
    response = post_form(client, "/admin/users/new", {
        "username": "quantri", "full_name": "Trùng tên", "role": "admin", "password": "mat-khau-dai-1"})
    assert response.status_code == 200 and "đã có người dùng" in response.get_data(as_text=True)
    assert len(entries()) == before


def test_statement_writes_are_recorded_with_their_row_count_but_not_their_values(app, factories):
    for n in range(3):
        factories.institution(f"BULK{n}")
    db.session.execute(sa.update(Institution).where(Institution.code.like("BULK%")).values(phone="0213 999 999"))
    db.session.commit()
    (entry,) = entries(table_name="institutions", action="update")
    assert entry.changes_dict() == {"rows": 3}
    assert "UPDATE institutions SET phone" in entry.summary
    assert "999" not in entry.summary


def test_bulk_job_leaves_one_summary_entry_exact_across_commits_and_rollbacks(app, factories):
    before = len(entries())
    with bulk("network import huyen.jsonl"):
        for n in range(5):
            org.create_institution(actor=SYSTEM, code=f"B{n}", name=f"Nhà văn hoá bản {n}",
                                   kind="cultural_house", level="village")
            db.session.flush()
        db.session.commit()                      # a first batch
        for n in range(5, 8):
            org.create_institution(actor=SYSTEM, code=f"B{n}", name=f"Nhà văn hoá bản {n}",
                                   kind="cultural_house", level="village")
        db.session.flush()
        db.session.rollback()                    # a batch that failed: not counted
        savepoint = db.session.begin_nested()
        org.create_institution(actor=SYSTEM, code="B9", name="Bản bị từ chối", kind="cultural_house",
                               level="village")
        db.session.flush()
        savepoint.rollback()                     # a refused line inside a batch: not counted
        org.create_institution(actor=SYSTEM, code="B10", name="Bản cuối", kind="cultural_house",
                               level="village")
        db.session.commit()
    made = entries()[before:]
    assert len(made) == 1
    (summary,) = made
    assert summary.action == "bulk" and summary.summary == "network import huyen.jsonl"
    assert summary.actor == "system"
    assert summary.changes_dict() == {"institutions": {"insert": 6}}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Institution)
                             .where(Institution.code.like("B%"))) == 6


def test_ops_import_is_one_bulk_entry(app, runner, tmp_path, factories):
    factories.institution("TVT", kind="provincial_library")
    source = tmp_path / "network.jsonl"
    lines = [json.dumps({"type": "institution", "code": f"BC{n}", "name": f"Điểm bưu điện {n}",
                         "kind": "postal_cultural_point", "level": "commune", "parent": "TVT"},
                        ensure_ascii=False) for n in range(4)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = len(entries())
    result = runner.invoke(args=["ops", "import", str(source)])
    assert result.exit_code == 0, result.output
    made = entries()[before:]
    assert [e.action for e in made] == ["bulk"]
    assert made[0].changes_dict()["institutions"] == {"insert": 4}
    assert "network.jsonl" in made[0].summary


def test_admin_browses_and_filters_the_trail(app, client, factories):
    admin = factories.user("quantri", role="admin")
    factories.institution("LOC1", name="Thư viện huyện Phong Thổ")
    staff = factories.user("thuthu")
    with acting_as(admin):
        accounts.update_user(staff, actor=admin, full_name="Lò Thị Lọc")
        db.session.commit()
    login(client, "quantri")

    response = client.get("/admin/audit/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nhật ký thay đổi" in page and "Lò Thị Lọc" in page and "Thư viện huyện Phong Thổ" in page

    response = client.get("/admin/audit/?actor=quantri&table=&record=&action=&start=&end=")  # as the form sends it
    assert response.status_code == 200
    by_user = response.get_data(as_text=True)
    assert "Lò Thị Lọc" in by_user and "Thư viện huyện Phong Thổ" not in by_user

    by_table = client.get("/admin/audit/?table=institutions").get_data(as_text=True)
    assert "Thư viện huyện Phong Thổ" in by_table and "Lò Thị Lọc" not in by_table

    by_record = client.get(f"/admin/audit/?table=users&record={staff.id}").get_data(as_text=True)
    assert by_record.count('data-testid="audit-entry"') == 2  # created, then renamed

    today = dt.date.today()
    later = (today + dt.timedelta(days=3)).isoformat()
    assert 'data-testid="audit-entry"' not in client.get(f"/admin/audit/?start={later}").get_data(as_text=True)
    earlier = (today - dt.timedelta(days=3)).isoformat()
    assert 'data-testid="audit-entry"' in client.get(f"/admin/audit/?start={earlier}&end={later}").get_data(
        as_text=True)


def test_trail_filters_are_allow_listed(app, client, factories):
    factories.user("quantri", role="admin")
    login(client, "quantri")
    for query in ["table=users;DROP TABLE users", "action=truncate", "start=hôm-qua"]:
        response = client.get(f"/admin/audit/?{query}")
        assert response.status_code == 400, query
        assert 'data-testid="audit-entry"' in response.get_data(as_text=True)  # unfiltered, nothing broken
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_only_administrators_read_the_trail(app, client, factories):
    factories.user("quanly", role="manager")
    factories.user("thuthu")
    for username in ("quanly", "thuthu"):
        browser = app.test_client()
        login(browser, username)
        assert browser.get("/admin/audit/").status_code == 403, username


def test_signing_in_is_recorded_under_the_person_who_signed_in(app, client, factories):
    staff = factories.user("thuthu")
    login(client, "thuthu")
    (entry,) = [e for e in entries(table_name="users", action="update") if "last_login_at" in e.changes_dict()]
    assert entry.actor == "thuthu" and entry.user_id == staff.id
    assert entry.source == "POST /login"
    login(app.test_client(), "thuthu", "wrong-password")  # a failed attempt changes no account
    assert len([e for e in entries(table_name="users", action="update")]) == 1


def test_anonymisation_removes_reader_data_from_old_entries(app, factories):
    from ilms.audit import privacy
    from ilms.common.privacy import anonymisers
    from ilms.patrons.models import Patron

    home = factories.institution("TVT", kind="provincial_library")
    db.session.add(Patron(barcode="TV000123", name="Lò Thị Bạn Đọc", phone="0912 345 678", birth_year=1990,
                          institution_id=home.id))
    factories.institution("PT", name="Thư viện huyện Phong Thổ", phone="0213 888 888")
    db.session.commit()
    privacy.mark_personal_column("phone")  # as a domain marks a column that points at a person
    try:
        cutoff = utcnow() + dt.timedelta(seconds=1)
        assert "audit trail" in anonymisers()
        changed = anonymisers()["audit trail"](cutoff)
        db.session.commit()
        again = anonymisers()["audit trail"](cutoff)
    finally:
        privacy.PERSONAL_COLUMNS.discard("phone")
    assert changed == 3 and again == 0, "every entry with reader data once, then nothing left to do"
    (reader,) = entries(table_name="patrons")
    assert "Lò Thị Bạn Đọc" not in reader.changes and "0912" not in reader.changes
    assert reader.changes_dict()["name"] == "[removed]" and reader.action == "insert"
    district = [e for e in entries(table_name="institutions") if e.changes_dict().get("code") == "PT"][0]
    assert district.changes_dict()["phone"] == "[removed]"
    assert district.changes_dict()["name"] == "Thư viện huyện Phong Thổ", "other values stay"


def test_the_indicator_cache_tokens_are_not_audited(app, factories):
    from ilms.stats.cache import renew_tokens
    inst = factories.institution("TD")
    renew_tokens([inst.id])
    db.session.commit()
    assert db.session.scalar(sa.text("SELECT count(*) FROM stats_data_versions")) >= 1
    assert entries(table_name="stats_data_versions") == []


def test_bulk_counts_released_savepoints_statements_and_rows_committed_after_the_block(app, factories):
    before = len(entries())
    with bulk("network tidy-up"):
        for n in range(3):
            savepoint = db.session.begin_nested()
            org.create_institution(actor=SYSTEM, code=f"S{n}", name=f"Bản {n}", kind="cultural_house",
                                   level="village")
            db.session.flush()
            savepoint.commit()                   # a line accepted inside its savepoint
        db.session.execute(sa.update(Institution).where(Institution.code.like("S%")).values(phone="0213"))
        org.create_institution(actor=SYSTEM, code="S9", name="Bản cuối", kind="cultural_house", level="village")
        db.session.flush()
    db.session.commit()                          # committed after the block ended
    made = entries()[before:]
    assert [e.action for e in made] == ["bulk"]
    assert made[0].changes_dict() == {"institutions": {"insert": 4, "update": 3}}
