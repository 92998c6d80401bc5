import sqlalchemy as sa

from ilms.accounts.models import User
from ilms.accounts.permissions import Role
from ilms.extensions import db
from ilms.org.models import Institution


def test_demo_network_loads_once(app, runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Institution))
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Institution)) == count
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
    kinds = dict(db.session.execute(sa.select(Institution.kind, sa.func.count()).group_by(Institution.kind)).all())
    assert kinds["district_library"] == 8
    assert kinds["provincial_library"] == 1 and kinds["museum"] == 1
    assert kinds["postal_cultural_point"] >= 16
    roles = {u.role for u in db.session.scalars(sa.select(User))}
    assert roles == set(Role)
    names = {i.name for i in db.session.scalars(sa.select(Institution))}
    assert "Thư viện huyện Mường Tè" in names and "Thư viện thành phố Lai Châu" in names
