"""The institution form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..common.fields import DateField
from .models import InstitutionKind, Level


class InstitutionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Type"), choices=InstitutionKind.choices())
    level = SelectField(_l("Level"), choices=Level.choices())
    parent = SelectField(_l("Belongs to"), choices=[], validate_choice=False)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=120)])
    barcode_prefix = StringField(_l("Barcode prefix"), validators=[Optional(), Length(max=12)])
    active = BooleanField(_l("Active"), default=True)
    district_code = SelectField(_l("District area (former district)"), choices=[], validate_choice=False)
    commune_code = SelectField(_l("Commune"), choices=[], validate_choice=False)
    go_live = DateField(_l("Started recording in ILMS on"), validators=[Optional()])
