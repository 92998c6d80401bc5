"""Forms of the statistics pages: plan upload, plan header, a report's letter, freezing a report."""
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
TEXT = Length(max=20000)


def _rows(n):
    return {"rows": n}


class LetterForm(FlaskForm):
    """The issuing details and narrative of a report (``stats.letters``); every field may stay empty."""

    parent_body = StringField(_l("Parent body"), validators=[Optional(), Length(max=200)])
    issuer = StringField(_l("Issuing body"), validators=[Optional(), Length(max=200)])
    number = StringField(_l("Number (e.g. 15/BC-TVT)"), validators=[Optional(), Length(max=60)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=80)])
    subject = StringField(_l("Summary line under “BÁO CÁO”"), validators=[Optional(), Length(max=300)])
    results = TextAreaField(_l("Results achieved"), validators=[Optional(), TEXT], render_kw=_rows(5))
    shortcomings = TextAreaField(_l("Shortcomings, limitations and their causes"),
                                 validators=[Optional(), TEXT], render_kw=_rows(5))
    tasks = TextAreaField(_l("Tasks for the next period"), validators=[Optional(), TEXT], render_kw=_rows(5))
    recommendations = TextAreaField(_l("Proposals and recommendations"), validators=[Optional(), TEXT],
                                    render_kw=_rows(5))
    recipients = TextAreaField(_l("Recipients (one per line)"), validators=[Optional(), Length(max=2000)],
                               render_kw=_rows(4))
    signer_position = TextAreaField(_l("Signer's position (e.g. KT. GIÁM ĐỐC, then PHÓ GIÁM ĐỐC)"),
                                    validators=[Optional(), Length(max=120)], render_kw=_rows(2))
    signer_name = StringField(_l("Signer's name"), validators=[Optional(), Length(max=120)])
