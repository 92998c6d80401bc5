"""Forms of acquisitions and periodicals."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..common.fields import DateField
from ..catalog.models import AcquisitionSource
from .models import Frequency, FundKind, PartyKind, SerialKind


class SupplierForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=PartyKind.choices())
    is_vendor = BooleanField(_l("Vendor (we buy from them)"))
    is_donor = BooleanField(_l("Donor (they give books)"))
    contact = StringField(_l("Contact (phone, e-mail, person)"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    active = BooleanField(_l("Active"), default=True)


class FundForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of fund"), choices=FundKind.choices())
    allocated = IntegerField(_l("Allocated (đồng)"), validators=[DataRequired(), NumberRange(0, 10 ** 13)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class OrderForm(FlaskForm):
    vendor = SelectField(_l("Vendor"), choices=[], validate_choice=False, validators=[DataRequired()])
    ordered_on = DateField(_l("Order date"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class LineForm(FlaskForm):
    record = StringField(_l("Title already in the catalogue (record number or ISBN)"),
                         validators=[Optional(), Length(max=40)])
    title = StringField(_l("Or a new title"), validators=[Optional(), Length(max=300)])
    author = StringField(_l("Author"), validators=[Optional(), Length(max=200)])
    isbn = StringField(_l("ISBN"), validators=[Optional(), Length(max=20)])
    quantity = IntegerField(_l("Copies"), validators=[DataRequired(), NumberRange(1, 1000)])
    unit_price = IntegerField(_l("Unit price (đồng)"), validators=[DataRequired(), NumberRange(0, 10 ** 10)])
    fund = SelectField(_l("Fund"), choices=[], validate_choice=False, validators=[DataRequired()])


class ReceiveForm(FlaskForm):
    count = IntegerField(_l("Copies received"), validators=[DataRequired(), NumberRange(1, 1000)])
    on = DateField(_l("Received on"), validators=[DataRequired()])


class DonationForm(FlaskForm):
    donor = SelectField(_l("Donor"), choices=[], validate_choice=False, validators=[Optional()])
    new_donor = StringField(_l("Or a new donor's name"), validators=[Optional(), Length(max=200)])
    source = SelectField(_l("Kind of gift"), choices=[(s.value, s.label) for s in
                                                    (AcquisitionSource.DONATION, AcquisitionSource.LEGAL_DEPOSIT)])
    on = DateField(_l("Received on"), validators=[DataRequired()])
    entries = TextAreaField(_l("Titles, one per line: ISBN or title, a semicolon, the number of copies"),
                            validators=[DataRequired(), Length(max=20000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class TransferForm(FlaskForm):
    to = SelectField(_l("To"), choices=[], validate_choice=False, validators=[DataRequired()])
    on = DateField(_l("Date"), validators=[DataRequired()])
    barcodes = TextAreaField(_l("Barcodes of the copies, one per line (scan them)"),
                             validators=[DataRequired(), Length(max=100000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class SerialForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    issn = StringField(_l("ISSN"), validators=[Optional(), Length(max=9)])
    kind = SelectField(_l("Kind"), choices=SerialKind.choices())
    frequency = SelectField(_l("Frequency"), choices=Frequency.choices())
    publisher = StringField(_l("Publisher"), validators=[Optional(), Length(max=200)])


class SubscriptionForm(FlaskForm):
    serial = SelectField(_l("Newspaper or magazine"), choices=[], validate_choice=False,
                         validators=[DataRequired()])
    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("Until"), validators=[DataRequired()])
    copies = IntegerField(_l("Copies"), default=1, validators=[DataRequired(), NumberRange(1, 100)])
    fund = SelectField(_l("Fund"), choices=[], validate_choice=False, validators=[Optional()])
    price = IntegerField(_l("Price for the whole term (đồng)"), validators=[Optional(), NumberRange(0, 10 ** 11)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class CheckInForm(FlaskForm):
    serial = SelectField(_l("Newspaper or magazine"), choices=[], validate_choice=False,
                         validators=[DataRequired()])
    issue_date = DateField(_l("Issue date"), validators=[DataRequired()])
    number = StringField(_l("Issue number"), validators=[Optional(), Length(max=40)])
