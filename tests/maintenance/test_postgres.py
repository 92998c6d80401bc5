"""What only the PostgreSQL run can check: the migrated schema keeps SQLite's byte-wise sort keys."""
import pytest
import sqlalchemy as sa

from ilms.common.dbtypes import SortKey
from ilms.common.permissions import SYSTEM
from ilms.common.text import sort_key
from ilms.extensions import db
from ilms.org import services as org
from ilms.org.models import Institution

pytestmark = pytest.mark.postgres_only

NAMES = ["Đông Pao", "Dào San", "Đồng Tâm", "Bản Hon", "Bình Lư", "Ô Quy Hồ", "Ơ Mế", "An Bình", "ăn uống",
         "Â Lù", "Sì Lở Lầu", "Sin Suối Hồ", "Tà Lèng", "Tả Lèng", "Thèn Sin"]


def test_every_sort_key_column_is_compared_byte_by_byte(app):
    expected = {(table.name, column.name) for table in db.metadata.tables.values()
                for column in table.columns if isinstance(column.type, SortKey)}
    assert expected, "the models have SortKey columns"
    rows = db.session.execute(sa.text(
        "SELECT table_name, column_name, collation_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()")).all()
    collations = {(table, column): collation for table, column, collation in rows}
    assert {key: collations.get(key) for key in expected} == {key: "C" for key in expected}


def test_vietnamese_names_sort_in_dictionary_order_in_sql(app):
    for n, name in enumerate(NAMES):
        org.create_institution(actor=SYSTEM, code=f"S{n}", name=name, kind="cultural_house", level="village")
    db.session.commit()
    in_sql = list(db.session.scalars(sa.select(Institution.name).order_by(Institution.name_sort)))
    assert in_sql == sorted(NAMES, key=sort_key)
    assert in_sql.index("Dào San") < in_sql.index("Đông Pao")  # đ comes after d, as in a dictionary
