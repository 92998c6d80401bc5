"""Forms of the desk: the scan box, holds, tallies, loan rules, settings, closed days."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from ..common.fields import DateField
from ..catalog.models import MaterialType
from ..patrons.models import NoticeChannel, PatronCategory
from .models import TallyKind

MODES = ("checkout", "return", "renew", "visit")


class ScanForm(FlaskForm):
    code = StringField(_l("Scan a card or a copy"), validators=[Length(max=60)])
    mode = HiddenField(default="checkout")
    reader = HiddenField()


class DeskForm(FlaskForm):
    institution = SelectField(_l("Desk of"), choices=[], validate_choice=False)


class HoldForm(FlaskForm):
    reader = StringField(_l("Reader card"), validators=[DataRequired(), Length(max=60)])
    title = StringField(_l("Copy barcode, ISBN or title"), validators=[DataRequired(), Length(max=300)])
    record = HiddenField()
    pickup = SelectField(_l("Collect at"), choices=[], validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class TallyForm(FlaskForm):
    date = DateField(_l("Day"), validators=[DataRequired()])
    kind = SelectField(_l("What was counted"), choices=TallyKind.choices())
    count = IntegerField(_l("Number"), validators=[InputRequired(), NumberRange(min=0, max=100000)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


def _blank_first(label, choices):
    return [("", label)] + list(choices)


class RuleForm(FlaskForm):
    institution = SelectField(_l("Institution"), choices=[], validate_choice=False)
    category = SelectField(_l("Reader category"), choices=_blank_first(_l("any"), PatronCategory.choices()))
    material_type = SelectField(_l("Material type"), choices=_blank_first(_l("any"), MaterialType.choices()))
    loan_days = IntegerField(_l("Loan period (days; 0 = library use only)"),
                             validators=[InputRequired(), NumberRange(min=0, max=365)])
    max_loans = IntegerField(_l("Most items on loan"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    max_renewals = IntegerField(_l("Most renewals"), validators=[InputRequired(), NumberRange(min=0, max=20)])
    holds_allowed = BooleanField(_l("Holds allowed"), default=True)


class SettingsForm(FlaskForm):
    institution = SelectField(_l("Institution"), choices=[], validate_choice=False)
    closed_weekdays = StringField(_l("Closed weekdays (1 = Monday … 7 = Sunday)"),
                                  validators=[Optional(), Length(max=7)])
    hold_pickup_days = IntegerField(_l("Days to collect a hold"),
                                    validators=[InputRequired(), NumberRange(min=1, max=60)])
    overdue_block_days = IntegerField(_l("Stop lending when a loan is overdue by more than (days; empty = never)"),
                                      validators=[Optional(), NumberRange(min=0, max=3650)])
    fines_enabled = BooleanField(_l("Charge overdue fines"))
    fine_per_day = IntegerField(_l("Fine per day (đồng)"), validators=[Optional(), NumberRange(min=0)])
    fine_max = IntegerField(_l("Highest fine per loan (đồng; empty = no limit)"),
                            validators=[Optional(), NumberRange(min=0)])


class ClosedDayForm(FlaskForm):
    institution = SelectField(_l("Closed"), choices=[], validate_choice=False)
    date = DateField(_l("Day"), validators=[DataRequired()])
    name = StringField(_l("Why"), validators=[Optional(), Length(max=120)])


class HolidaysForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])


# -- the reader's own account in the OPAC ----------------------------------------------

class ReaderLoginForm(FlaskForm):
    card = StringField(_l("Card number"), validators=[DataRequired(), Length(max=40)])
    pin = PasswordField(_l("PIN"), validators=[DataRequired(), Length(max=64)])
    next = HiddenField()


class ReaderHoldForm(FlaskForm):
    pickup = SelectField(_l("Collect at"), choices=[], validate_choice=False)


class ReaderSettingsForm(FlaskForm):
    notice_channel = SelectField(_l("Send me reminders by"), choices=NoticeChannel.choices())
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone (for SMS)"), validators=[Optional(), Length(max=40)])
    keep_history = BooleanField(_l("Keep a list of the books I have borrowed"))


class ReaderPinForm(FlaskForm):
    current_pin = PasswordField(_l("Current PIN"), validators=[DataRequired(), Length(max=64)])
    new_pin = PasswordField(_l("New PIN (4 to 12 digits)"), validators=[DataRequired(), Length(max=64)])
    confirm = PasswordField(_l("New PIN again"), validators=[DataRequired(), EqualTo("new_pin", _l("The two PINs differ."))])


class NoticeTemplateForm(FlaskForm):
    subject = StringField(_l("Subject (e-mail)"), validators=[Optional(), Length(max=300)])
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=4000)])
