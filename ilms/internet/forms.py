"""Forms of the internet points: sessions, computers, rules, trainings, connectivity."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField,
                     IntegerField, SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..common.fields import DateField, DateTimeField
from ..common import ethnicity
from .models import AgeBand, LinkType

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))


#: The groups of Lai Châu, most numerous first: they head the list, the other groups follow.
LOCAL_GROUPS = ("03", "08", "01", "09", "35", "25", "42", "29", "41", "48", "45", "50")


def ethnic_choices():
    local = [(code, ethnicity.name_of(code)) for code in LOCAL_GROUPS]
    others = [(g.code, g.name) for g in ethnicity.groups() if g.code not in LOCAL_GROUPS]
    return [("", "—")] + local + [("", "────────", {"disabled": True})] + others


def sex_choices():
    return [("", "—"), ("F", _l("Female")), ("M", _l("Male"))]


class CardStartForm(FlaskForm):
    station = HiddenField(validators=[DataRequired()])
    card = StringField(_l("Reader card"), validators=[DataRequired(), Length(max=40)])


#: The answer staff give for a question they did not ask a guest (stored as nothing, but chosen on purpose).
NOT_ASKED = "-"
#: Quick buttons on the guest form: Lai Châu's largest groups; the others are in a list beside them.
QUICK_GROUPS = LOCAL_GROUPS[:6]


class GuestStartForm(FlaskForm):
    """A guest without a card: age band, sex and ethnic group are asked (the minority figures count them).

    Each question needs an answer or an explicit "not asked", so a blank is a choice and not an oversight;
    "not asked" is stored as nothing, as before. The ethnic group is a quick button for Lai Châu's main
    groups or a pick from the full list (which wins when both are given).
    """

    station = HiddenField(validators=[DataRequired()])
    age_band = SelectField(_l("Age"), choices=AgeBand.choices() + [(NOT_ASKED, _l("Not asked"))],
                           validators=[InputRequired(_l("Choose the guest's age, or “Not asked”."))])
    sex = SelectField(_l("Sex"), choices=[("F", _l("Female")), ("M", _l("Male")), (NOT_ASKED, _l("Not asked"))],
                      validators=[InputRequired(_l("Choose the guest's sex, or “Not asked”."))])
    ethnicity = SelectField(_l("Ethnic group"), choices=[(code, ethnicity.name_of(code)) for code in QUICK_GROUPS]
                            + [(NOT_ASKED, _l("Not asked"))], validate_choice=False)
    ethnicity_other = SelectField(_l("Another group"), choices=ethnic_choices(), validators=[Optional()])

    def validate_ethnicity(self, field):
        if self.ethnicity_other.data:
            return
        if not field.data:
            raise ValidationError(_l("Choose the guest's ethnic group, or “Not asked”."))
        if field.data != NOT_ASKED and ethnicity.by_code(field.data) is None:
            raise ValidationError(_l("Choose the guest's ethnic group from the buttons or the list."))

    def answers(self):
        """The guest's details for ``services.start_session`` ("not asked" is nothing)."""
        group = self.ethnicity_other.data or self.ethnicity.data
        return {"age_band": _asked(self.age_band.data), "sex": _asked(self.sex.data), "ethnicity": _asked(group)}


def _asked(value):
    return None if value in (NOT_ASKED, "", None) else value


class ScanForm(FlaskForm):
    institution = HiddenField(validators=[DataRequired()])
    card = StringField(_l("Scan a reader card"), validators=[DataRequired(), Length(max=40)])


class VoidForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class StopAtForm(FlaskForm):
    ended_at = DateTimeField(_l("Ended at"), validators=[DataRequired()])


class StationForm(FlaskForm):
    institution = SelectField(_l("Institution"), choices=[], validate_choice=False)
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    label = StringField(_l("Name on the screen"), validators=[Optional(), Length(max=120)])
    in_service_from = DateField(_l("In service from"), validators=[DataRequired()])
    in_service_to = DateField(_l("In service until"), validators=[Optional()])
    training_only = BooleanField(_l("Kept for trainings (not a public computer)"))
    out_of_order = BooleanField(_l("Out of order"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class SettingsForm(FlaskForm):
    session_limit_minutes = IntegerField(_l("Session limit (minutes)"), validators=[Optional()])
    daily_limit_minutes = IntegerField(_l("Daily limit per reader (minutes)"), validators=[Optional()])
    use_default_hours = BooleanField(_l("Use the default opening hours"))
    day0 = StringField(WEEKDAYS[0], validators=[Optional(), Length(max=100)])
    day1 = StringField(WEEKDAYS[1], validators=[Optional(), Length(max=100)])
    day2 = StringField(WEEKDAYS[2], validators=[Optional(), Length(max=100)])
    day3 = StringField(WEEKDAYS[3], validators=[Optional(), Length(max=100)])
    day4 = StringField(WEEKDAYS[4], validators=[Optional(), Length(max=100)])
    day5 = StringField(WEEKDAYS[5], validators=[Optional(), Length(max=100)])
    day6 = StringField(WEEKDAYS[6], validators=[Optional(), Length(max=100)])


class CountRowForm(Form):
    ethnicity = SelectField(_l("Ethnic group"), choices=ethnic_choices(), validators=[Optional()])
    sex = SelectField(_l("Sex"), choices=sex_choices(), validators=[Optional()])
    count = IntegerField(_l("Number"), validators=[Optional(), NumberRange(min=0, max=10000)])


class TrainingForm(FlaskForm):
    institution = SelectField(_l("Institution"), choices=[], validate_choice=False)
    date = DateField(_l("Date"), validators=[DataRequired()])
    topic = StringField(_l("Class topic"), validators=[DataRequired(), Length(max=300)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    trainer = StringField(_l("Trainer"), validators=[Optional(), Length(max=200)])
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[Optional()])
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    counts = FieldList(FormField(CountRowForm), min_entries=6, max_entries=60)
    cards = TextAreaField(_l("Cards of named attendees (one per line)"), validators=[Optional(), Length(max=4000)])


class AttendeeForm(FlaskForm):
    card = StringField(_l("Reader card"), validators=[DataRequired(), Length(max=40)])


class ConnectivityForm(FlaskForm):
    date = DateField(_l("Date"), validators=[DataRequired()])
    connected = SelectField(_l("Internet"), choices=[("1", _l("Connected")), ("0", _l("Not connected"))])
    link_type = SelectField(_l("Link type"), choices=[("", "—")] + LinkType.choices(), validators=[Optional()])
    speed_mbps = StringField(_l("Speed (Mbit/s)"), validators=[Optional(), Length(max=12)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
