"""Fixtures of the internet tests: a district library with a postal point, its computers, staff and readers."""
import datetime as dt
from types import SimpleNamespace

import pytest

from ilms.common.permissions import SYSTEM
from ilms.common.time import local_datetime
from ilms.extensions import db
from ilms.internet import services
from ilms.patrons.models import Patron, Sex

#: A fixed past day, so the tests never depend on today's date (a Tuesday).
DAY = dt.date(2024, 3, 5)


def at(hour, minute=0, day=DAY):
    """An aware UTC instant from a local wall-clock time on ``day``."""
    return local_datetime(day, dt.time(hour, minute))


def make_patron(barcode, institution, *, name=None, ethnicity=None, sex=None, **fields):
    """A reader row (readers' own services belong to another module; the tests only need the row)."""
    if isinstance(sex, str):
        sex = Sex(sex)
    patron = Patron(barcode=barcode, name=name or f"Bạn đọc {barcode}", institution_id=institution.id,
                    ethnicity=ethnicity, sex=sex, **fields)
    db.session.add(patron)
    db.session.commit()
    return patron


@pytest.fixture
def net(app, factories):
    """TVT, a district library with a postal cultural point, another district library, staff, computers, readers."""
    province = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
    library = factories.institution("TVH-TD", parent=province, name="Thư viện huyện Tam Đường")
    point = factories.institution("BD-TD-BL", kind="postal_cultural_point", parent=library,
                                  name="Điểm Bưu điện văn hóa xã Bình Lư")
    other = factories.institution("TVH-PT", parent=province, name="Thư viện huyện Phong Thổ")
    staff = factories.user("mai", role="internet", institution=library)
    outsider = factories.user("phongtho", role="internet", institution=other)
    since = dt.date(2020, 1, 1)
    pc1 = services.create_station(actor=SYSTEM, institution=library, code="TD-PC1", label="Máy 1", in_service_from=since)
    pc2 = services.create_station(actor=SYSTEM, institution=library, code="TD-PC2", label="Máy 2", in_service_from=since)
    pc3 = services.create_station(actor=SYSTEM, institution=point, code="BL-PC1", in_service_from=since)
    pt1 = services.create_station(actor=SYSTEM, institution=other, code="PT-PC1", in_service_from=since)
    db.session.commit()
    lan = make_patron("HTD000001", library, name="Lò Thị Lan", ethnicity="03", sex="F")
    pao = make_patron("HTD000002", library, name="Giàng A Páo", ethnicity="08", sex="M")
    return SimpleNamespace(province=province, library=library, point=point, other=other, staff=staff,
                           outsider=outsider, pc1=pc1, pc2=pc2, pc3=pc3, pt1=pt1, lan=lan, pao=pao)
