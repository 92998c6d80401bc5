"""Forms of the Department's follow-up pages. Dates are typed dd/mm/yyyy (the shared day-first field)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..common.fields import DateField
from .models import DisplayKind, ExchangeDirection, FundingSource, InspectionKind, Medium, SessionPlace

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _date(label, required=True):
    validators = [InputRequired(message=_l("Give a date (dd/mm/yyyy)."))] if required else [Optional()]
    return DateField(label, format=DATE_FORMATS, validators=validators)


def _int_coerce(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class InspectionForm(FlaskForm):
    institution = SelectField(_l("Institution visited"), coerce=_int_coerce, choices=[])
    kind = SelectField(_l("Kind"), choices=InspectionKind.choices())
    date = _date(_l("Day of the visit"))
    inspectors = StringField(_l("Inspectors"), validators=[DataRequired(), Length(max=300)])
    scope = StringField(_l("Scope of the visit"), validators=[Optional(), Length(max=500)])
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=20000)])


class RecommendationForm(FlaskForm):
    text = TextAreaField(_l("Recommendation"), validators=[DataRequired(), Length(max=2000)])
    responsible = StringField(_l("Person responsible"), validators=[DataRequired(), Length(max=200)])
    deadline = _date(_l("Deadline"))


class AnswerForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=4000)])
    done_on = _date(_l("Finished on"), required=False)
    file = FileField(_l("Evidence (PDF, JPEG, PNG; at most 5 MB)"))


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why the answer is not enough"), validators=[DataRequired(), Length(max=2000)])


class MediaItemForm(FlaskForm):
    institution = SelectField(_l("Made or requested by"), coerce=_int_coerce, choices=[])
    medium = SelectField(_l("Medium"), choices=Medium.choices())
    date = _date(_l("Published on"))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    made_by = StringField(_l("Made by (newspaper, station, page)"), validators=[Optional(), Length(max=200)])
    link = StringField(_l("Web address"), validators=[Optional(), Length(max=500)])
    file = FileField(_l("Scan (PDF, JPEG, PNG; at most 5 MB)"))


class FundingForm(FlaskForm):
    institution = SelectField(_l("Received by"), coerce=_int_coerce, choices=[])
    source = SelectField(_l("Source"), choices=FundingSource.choices())
    date = _date(_l("Received on"))
    amount = IntegerField(_l("Amount (VND)"), validators=[InputRequired(), NumberRange(min=1)])
    purpose = StringField(_l("Purpose"), validators=[DataRequired(), Length(max=300)])
    donor = StringField(_l("Donor or budget line"), validators=[Optional(), Length(max=200)])


class ProgrammeForm(FlaskForm):
    institution = SelectField(_l("Run by"), coerce=_int_coerce, choices=[])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    agreement = StringField(_l("Agreement with the Department of Education"), validators=[Optional(), Length(max=200)])
    start = _date(_l("First day"))
    end = _date(_l("Last day"), required=False)


class SessionForm(FlaskForm):
    school = StringField(_l("School"), validators=[DataRequired(), Length(max=200)])
    commune = StringField(_l("Commune of the school"), validators=[Optional(), Length(max=120)])
    date = _date(_l("Day"))
    place = SelectField(_l("Held"), choices=SessionPlace.choices())
    students = IntegerField(_l("Students"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)])
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=300)])


class DisplayForm(FlaskForm):
    institution = SelectField(_l("Museum"), coerce=_int_coerce, choices=[])
    kind = SelectField(_l("Kind"), choices=DisplayKind.choices())
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    opened_on = _date(_l("Opened on"), required=False)


class SectionForm(FlaskForm):
    title = StringField(_l("Section"), validators=[DataRequired(), Length(max=300)])
    planned_by = _date(_l("Planned by"), required=False)


class CompleteSectionForm(FlaskForm):
    completed_on = _date(_l("Completed on"))


class DisplayArtifactForm(FlaskForm):
    code = StringField(_l("Accession code"), validators=[DataRequired(), Length(max=40)])


class ExchangeForm(FlaskForm):
    institution = SelectField(_l("Our institution"), coerce=_int_coerce, choices=[])
    direction = SelectField(_l("Direction"), choices=ExchangeDirection.choices())
    out_of_province = BooleanField(_l("Outside the province"))
    date = _date(_l("Day"))
    title = StringField(_l("Purpose of the visit"), validators=[DataRequired(), Length(max=300)])
    partners = TextAreaField(_l("Other institutions involved (one per line)"),
                             validators=[DataRequired(), Length(max=2000)])
    participants = IntegerField(_l("Participants"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])
