"""Forms for readers: registration and editing, card renewal and replacement, blocks."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..common.fields import DateField
from ..common import ethnicity
from .models import BlockKind, NoticeChannel, PatronCategory, Sex


class PatronForm(FlaskForm):
    submission = HiddenField()   # one-time key: a second submit of the page registers nobody twice
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"), choices=PatronCategory.choices())
    ethnicity = SelectField(_l("Ethnic group"), choices=[], validate_choice=False)
    sex = SelectField(_l("Sex"), choices=[("", "—")] + Sex.choices())
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional(), NumberRange(min=1900, max=2100)])
    address = StringField(_l("Address (village, commune)"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    notice_channel = SelectField(_l("Reminders by"), choices=NoticeChannel.choices(), default="auto")
    institution = SelectField(_l("Home library"), choices=[], validate_choice=False)
    barcode = StringField(_l("Card number"), validators=[Optional(), Length(max=40)])
    card_issued = DateField(_l("Card issued"), validators=[Optional()])
    card_expires = DateField(_l("Card valid until"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ethnicity.choices = ethnicity.choices()


class RenewCardForm(FlaskForm):
    until = DateField(_l("Valid until"), validators=[Optional()])


class ReplaceCardForm(FlaskForm):
    barcode = StringField(_l("New card number"), validators=[Optional(), Length(max=40)])


class BlockForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=BlockKind.choices(), default="manual")
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])


class PinForm(FlaskForm):
    pin = StringField(_l("PIN chosen by the reader"), validators=[Optional(), Length(max=12)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})
