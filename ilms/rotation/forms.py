"""Forms of the rotation pages: crates, scanning, dispatch, return, missing copies, routes, the point desk."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..common.fields import DateField
from .models import CrateTheme, Resolution


class CrateForm(FlaskForm):
    institution = SelectField(_l("Library"), choices=[], validate_choice=False)
    code = StringField(_l("Crate code"), validators=[Optional(), Length(max=20)])
    theme = SelectField(_l("Theme"), choices=CrateTheme.choices())
    title = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ScanForm(FlaskForm):
    barcode = StringField(_l("Scan a copy"), validators=[Length(max=60)])


class DispatchForm(FlaskForm):
    point = SelectField(_l("Postal cultural point"), choices=[], validate_choice=False,
                        validators=[DataRequired()])
    due_back = DateField(_l("Due back on"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class NoteForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ResolveForm(FlaskForm):
    #: Nothing chosen at first: "found" preselected beside Save settled copies nobody had found.
    resolution = SelectField(_l("What became of it"), choices=[("", _l("— choose —"))] + Resolution.choices(),
                             validators=[InputRequired(message=_l("Choose what became of the copy (found, lost or "
                                                                  "found damaged), then save."))])
    into_crate = BooleanField(_l("Put it back in its crate if the crate is at the library"), default=True)


class StopForm(Form):
    point = SelectField(_l("Point"), choices=[], validate_choice=False)
    months = IntegerField(_l("Months at the point"), default=3, validators=[Optional(), NumberRange(min=1, max=24)])


class RouteForm(FlaskForm):
    stops = FieldList(FormField(StopForm), min_entries=6, max_entries=12)
    repeats = BooleanField(_l("After the last stop, start again at the first"))


class LendForm(FlaskForm):
    card = StringField(_l("Reader card"), validators=[DataRequired(), Length(max=60)])
    barcode = StringField(_l("Copy"), validators=[DataRequired(), Length(max=60)])


class BackForm(FlaskForm):
    #: Its own id: the lending form's copy box is "barcode" on the same page (a label finds its box by id).
    barcode = StringField(_l("Copy brought back"), id="back-barcode", validators=[DataRequired(), Length(max=60)])


class VisitForm(FlaskForm):
    card = StringField(_l("Reader card"), id="visit-card", validators=[DataRequired(), Length(max=60)])


class FindForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Crate code, copy barcode or title"), validators=[Optional(), Length(max=200)])
