"""Forms of the statistics pages: plan upload, plan header, freezing a report."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..common.fields import DateField


class PlanUploadForm(FlaskForm):
    file = FileField(_l("Plan file (YAML)"), validators=[FileRequired(_l("Choose a .yaml file."))])


DUE = Regexp(r"^(\d\d-\d\d)?$", message=_l("Write the due day as MM-DD, e.g. 06-20."))


class PlanHeaderForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=60)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    issued = DateField(_l("Issued on"), validators=[Optional()])
    year_from = IntegerField(_l("First year"), validators=[DataRequired(), NumberRange(1990, 2100)])
    year_to = IntegerField(_l("Last year"), validators=[DataRequired(), NumberRange(1990, 2100)])
    half_year_due = StringField(_l("6-month report due (MM-DD)"), validators=[Optional(), DUE])
    annual_due = StringField(_l("Annual report due (MM-DD)"), validators=[Optional(), DUE])


class FreezeForm(FlaskForm):
    note = TextAreaField(_l("Note (required when a report is sent again)"), validators=[Optional(), Length(max=500)])


class PlanCopyForm(FlaskForm):
    """A plan copied to a new period: new code and years; its targets move by the same number of years."""

    code = StringField(_l("Code of the new plan"), validators=[DataRequired(), Length(max=60)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    year_from = IntegerField(_l("First year"), validators=[DataRequired(), NumberRange(1990, 2100)])
    year_to = IntegerField(_l("Last year"), validators=[DataRequired(), NumberRange(1990, 2100)])
