"""Institutions and the network tree."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCText, SortKey, UTCDateTime
from ..common.enums import LabelledEnum, enum_column_type
from ..common.text import sort_key
from ..common.time import utcnow
from ..extensions import db


class InstitutionKind(LabelledEnum):
    PROVINCIAL_LIBRARY = "provincial_library"
    DISTRICT_LIBRARY = "district_library"
    COMMUNE_LIBRARY = "commune_library"
    POSTAL_CULTURAL_POINT = "postal_cultural_point"
    MUSEUM = "museum"
    CULTURAL_CENTER = "cultural_center"
    CULTURAL_HOUSE = "cultural_house"
    INTERNET_POINT = "internet_point"


InstitutionKind.__labels__ = {
    "provincial_library": _l("Provincial library"),
    "district_library": _l("District library"),
    "commune_library": _l("Commune library"),
    "postal_cultural_point": _l("Postal cultural point"),
    "museum": _l("Provincial museum"),
    "cultural_center": _l("Cultural centre"),
    "cultural_house": _l("Cultural house"),
    "internet_point": _l("Public internet point"),
}


class Level(LabelledEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    VILLAGE = "village"

    @property
    def rank(self):
        return list(Level).index(self)


Level.__labels__ = {
    "province": _l("Province"),
    "district": _l("District"),
    "commune": _l("Commune"),
    "village": _l("Village"),
}

#: Which levels each kind of institution may sit at (domain.md).
ALLOWED_LEVELS = {
    InstitutionKind.PROVINCIAL_LIBRARY: {Level.PROVINCE},
    InstitutionKind.DISTRICT_LIBRARY: {Level.DISTRICT},
    InstitutionKind.COMMUNE_LIBRARY: {Level.COMMUNE},
    InstitutionKind.POSTAL_CULTURAL_POINT: {Level.COMMUNE},
    InstitutionKind.MUSEUM: {Level.PROVINCE},
    InstitutionKind.CULTURAL_CENTER: {Level.PROVINCE, Level.DISTRICT},
    InstitutionKind.CULTURAL_HOUSE: {Level.DISTRICT, Level.COMMUNE, Level.VILLAGE},
    InstitutionKind.INTERNET_POINT: set(Level),
}

#: Units run by the institution above them: a library's staff also work for
#: its postal cultural points, a cultural centre's staff for its houses.
DEPENDENT_KINDS = {
    InstitutionKind.POSTAL_CULTURAL_POINT,
    InstitutionKind.CULTURAL_HOUSE,
    InstitutionKind.INTERNET_POINT,
}

LIBRARY_KINDS = {InstitutionKind.PROVINCIAL_LIBRARY, InstitutionKind.DISTRICT_LIBRARY,
                 InstitutionKind.COMMUNE_LIBRARY}


class Institution(db.Model):
    __tablename__ = "institutions"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(20), nullable=False, unique=True)
    name = sa.Column(NFCText(200), nullable=False)
    name_sort = sa.Column(SortKey(400), nullable=False, default="", index=True)
    kind = sa.Column(enum_column_type(InstitutionKind), nullable=False, index=True)
    level = sa.Column(enum_column_type(Level), nullable=False)
    parent_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), index=True)
    address = sa.Column(NFCText(300), nullable=False, default="")
    phone = sa.Column(sa.String(40), nullable=False, default="")
    email = sa.Column(sa.String(120), nullable=False, default="")
    barcode_prefix = sa.Column(sa.String(12), unique=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    #: The administrative area the institution sits in: its commune, and the district that commune
    #: belonged to while districts existed (until 30 June 2025); codes of ``areas``. A province-level
    #: institution serving the whole province may have none.
    district_code = sa.Column(sa.String(20), index=True)
    commune_code = sa.Column(sa.String(20), index=True)
    #: The day the institution started recording its work in ILMS, set by an administrator; when
    #: empty, its first operational record stands for it (projections trust only later full years).
    go_live = sa.Column(sa.Date)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    parent = relationship("Institution", remote_side=[id], back_populates="children")
    children = relationship("Institution", back_populates="parent", order_by="Institution.name_sort")

    def __repr__(self):
        return f"<Institution {self.code}>"

    def __str__(self):
        return self.name

    @property
    def is_library(self):
        return self.kind in LIBRARY_KINDS


class AreaLevel(LabelledEnum):
    DISTRICT = "district"
    COMMUNE = "commune"


AreaLevel.__labels__ = {"district": _l("District area"), "commune": _l("Commune")}


class Area(db.Model):
    """An administrative area: a district (kept as the area of a former district) or a commune.

    ``district_code`` names the district a commune belonged to while districts existed. Areas
    only group institutions for figures; dated changes of the network are recorded elsewhere.
    """

    __tablename__ = "areas"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(20), nullable=False, unique=True)
    name = sa.Column(NFCText(200), nullable=False)
    level = sa.Column(enum_column_type(AreaLevel), nullable=False)
    district_code = sa.Column(sa.String(20))

    def __str__(self):
        return self.name


@sa.event.listens_for(Institution.name, "set", retval=True)
def _keep_sort_key(target, value, oldvalue, initiator):
    target.name_sort = sort_key(value or "")
    return value


class InstitutionVersion(db.Model):
    """What an institution was (parent, name, kind, level, area) from ``valid_from`` to ``valid_to``.

    Both ends are local dates and inclusive; an empty ``valid_from`` reaches back to the beginning
    and an empty ``valid_to`` is open. An institution without versions has always been what its
    ``institutions`` row says; once a dated change is recorded it has versions covering all time
    without overlap (``flask check``), and the row keeps the values in force today so the rest of
    ILMS reads today's network as before.
    """

    __tablename__ = "institution_versions"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    valid_from = sa.Column(sa.Date)
    valid_to = sa.Column(sa.Date)
    name = sa.Column(NFCText(200), nullable=False)
    kind = sa.Column(enum_column_type(InstitutionKind), nullable=False)
    level = sa.Column(enum_column_type(Level), nullable=False)
    parent_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"))
    district_code = sa.Column(sa.String(20))
    commune_code = sa.Column(sa.String(20))
    note = sa.Column(NFCText(300), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    def covers(self, day):
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)
