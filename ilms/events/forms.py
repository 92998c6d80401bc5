"""Forms of the events pages. Dates are typed dd/mm/yyyy or picked (the browser sends yyyy-mm-dd)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..common.fields import DateField
from ..common import ethnicity
from .models import (ActivityKind, Audience, ClubSetting, Completeness, Condition, ExhibitionKind, FestivalKind,
                     Heritage, LocationKind, Repeat)

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
BLANK = [("", "—")]


def _date(label, required=True):
    validators = [InputRequired(message=_l("Give a date (dd/mm/yyyy)."))] if required else [Optional()]
    return DateField(label, format=DATE_FORMATS, validators=validators)


def _int_coerce(value):
    return int(value) if value not in (None, "") else None


class ExhibitionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=ExhibitionKind.choices())
    institution = SelectField(_l("Organised by"), coerce=_int_coerce, choices=[])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    theme = StringField(_l("Theme"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    partners = TextAreaField(_l("Partner units (one per line)"), validators=[Optional(), Length(max=5000)])
    start = _date(_l("First day"))
    end = _date(_l("Last day"))
    opens_at = TimeField(_l("Opens at"), validators=[Optional()])
    closes_at = TimeField(_l("Closes at"), validators=[Optional()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)],
                        render_kw={"list": "venue-names", "autocomplete": "off"})
    new_venue = BooleanField(_l("New venue: add it to the list of venues"))
    venue_address = StringField(_l("Venue address (new venues)"), validators=[Optional(), Length(max=300)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)])


class StopForm(FlaskForm):
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"list": "venue-names", "autocomplete": "off"})
    new_venue = BooleanField(_l("New venue: add it to the list of venues"))
    host = StringField(_l("Host (partner unit)"), validators=[Optional(), Length(max=200)])
    start = _date(_l("First day"))
    end = _date(_l("Last day"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class VisitorForm(FlaskForm):
    date = _date(_l("Day"))
    stop = SelectField(_l("Stop"), coerce=_int_coerce, choices=[], validate_choice=False)
    visitors = IntegerField(_l("Visitors"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)])
    students = IntegerField(_l("Of whom students"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    school = StringField(_l("School group (school's name)"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class FeatureArtifactForm(FlaskForm):
    code = StringField(_l("Accession code"), validators=[DataRequired(), Length(max=40)])


class CollectionForm(FlaskForm):
    institution = SelectField(_l("Institution"), coerce=_int_coerce, choices=[])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    completeness = SelectField(_l("Completeness"), choices=Completeness.choices())
    completeness_note = TextAreaField(_l("Completeness notes (what is missing, what is being collected)"),
                                      validators=[Optional(), Length(max=20000)])


class ArtifactForm(FlaskForm):
    institution = SelectField(_l("Institution"), coerce=_int_coerce, choices=[])
    code = StringField(_l("Accession code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    collection = SelectField(_l("Collection"), coerce=_int_coerce, choices=[], validate_choice=False)
    object_type = StringField(_l("Type"), validators=[Optional(), Length(max=120)])
    material = StringField(_l("Material"), validators=[Optional(), Length(max=120)])
    heritage = SelectField(_l("Heritage"), choices=Heritage.choices())
    ethnicity = SelectField(_l("Ethnic group of origin"), choices=ethnicity.choices())
    provenance = TextAreaField(_l("Provenance"), validators=[Optional(), Length(max=20000)])
    condition = SelectField(_l("Condition"), choices=Condition.choices())
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    accessioned = _date(_l("Accessioned on"))


class MoveForm(FlaskForm):
    kind = SelectField(_l("Goes to"), choices=LocationKind.choices())
    date = _date(_l("From"))
    exhibition = SelectField(_l("Exhibition"), coerce=_int_coerce, choices=[], validate_choice=False)
    place = StringField(_l("Place, borrower or restorer"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class ImageForm(FlaskForm):
    file = FileField(_l("Photograph (JPEG, PNG, GIF or WebP, at most 5 MB)"))
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=300)])


class FestivalForm(FlaskForm):
    institution = SelectField(_l("Organised by"), coerce=_int_coerce, choices=[])
    kind = SelectField(_l("Kind"), choices=FestivalKind.choices())
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    date = _date(_l("First day"))
    end = _date(_l("Last day"), required=False)
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    participants = IntegerField(_l("Participants"), validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


class ClubForm(FlaskForm):
    institution = SelectField(_l("Institution"), coerce=_int_coerce, choices=[])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    interest = StringField(_l("Interest"), validators=[Optional(), Length(max=200)])
    setting = SelectField(_l("Where"), choices=ClubSetting.choices())
    place = StringField(_l("Village or school"), validators=[Optional(), Length(max=200)])
    head = StringField(_l("Head of the club"), validators=[Optional(), Length(max=120)])
    members = IntegerField(_l("Members"), validators=[InputRequired(), NumberRange(min=0, max=100_000)])
    meetings = StringField(_l("Meets"), validators=[Optional(), Length(max=200)])
    active_from = _date(_l("Active from"))
    active_to = _date(_l("Active until"), required=False)
    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)])


class ActivityForm(FlaskForm):
    institution = SelectField(_l("Held by"), coerce=_int_coerce, choices=[])
    kind = SelectField(_l("Kind"), choices=ActivityKind.choices())
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    date = _date(_l("Day"))
    starts_at = TimeField(_l("Starts at"), validators=[Optional()])
    ends_at = TimeField(_l("Ends at"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    participants = IntegerField(_l("Participants"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    club = SelectField(_l("Club"), coerce=_int_coerce, choices=[], validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    repeat = SelectField(_l("Repeat"), choices=[("", _l("Does not repeat"))] + Repeat.choices(), default="")
    until = _date(_l("Repeat until"), required=False)


class CourseForm(FlaskForm):
    institution = SelectField(_l("Organised by"), coerce=_int_coerce, choices=[])
    title = StringField(_l("Topic"), validators=[DataRequired(), Length(max=300)])
    audience = SelectField(_l("For"), choices=Audience.choices())
    start = _date(_l("First day"))
    end = _date(_l("Last day"), required=False)
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    trainees = IntegerField(_l("Trainees"), validators=[InputRequired(), NumberRange(min=0, max=100_000)])
    minority_trainees = IntegerField(_l("Of whom from ethnic minorities"), default=0,
                                     validators=[Optional(), NumberRange(min=0, max=100_000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
