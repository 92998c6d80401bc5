"""Forms of the catalogue screens."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .models import AcquisitionSource, MaterialType, WithdrawalReason


class RecordForm(FlaskForm):
    material_type = SelectField(_l("Type of material"), choices=MaterialType.choices(), default="book")
    title = StringField(_l("Title proper"), validators=[DataRequired(), Length(max=500)])
    subtitle = StringField(_l("Subtitle"), validators=[Optional(), Length(max=500)])
    responsibility = StringField(_l("Statement of responsibility"), validators=[Optional(), Length(max=500)],
                                 description=_l("As printed on the title page: Nguyễn Du ; Đào Duy Anh chú giải"))
    authors = TextAreaField(_l("Authors"), validators=[Optional(), Length(max=2000)],
                            description=_l("One per line; the first is the main author."))
    edition = StringField(_l("Edition"), validators=[Optional(), Length(max=200)])
    place = StringField(_l("Place of publication"), validators=[Optional(), Length(max=200)])
    publisher = StringField(_l("Publisher"), validators=[Optional(), Length(max=300)])
    year = StringField(_l("Year"), validators=[Optional(), Length(max=4)])
    physical = StringField(_l("Physical description"), validators=[Optional(), Length(max=300)],
                           description=_l("Pages and size: 320 tr. ; 21 cm"))
    series = StringField(_l("Series"), validators=[Optional(), Length(max=300)])
    isbns = TextAreaField(_l("ISBN"), validators=[Optional(), Length(max=500)],
                          description=_l("One per line."))
    language = StringField(_l("Language code"), default="vie", validators=[Optional(), Length(max=3)],
                           description=_l("vie, eng, fre, chi…"))
    classification = StringField(_l("DDC class"), validators=[Optional(), Length(max=60)])
    call_number = StringField(_l("Call number"), validators=[Optional(), Length(max=120)])
    subjects = TextAreaField(_l("Subjects"), validators=[Optional(), Length(max=3000)],
                             description=_l("One per line; subdivisions after “--”: Văn học -- Việt Nam"))
    notes = TextAreaField(_l("General notes"), validators=[Optional(), Length(max=3000)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])


class MarcForm(FlaskForm):
    text = TextAreaField(_l("MARC fields"), validators=[DataRequired(), Length(max=200_000)])


class CopiesForm(FlaskForm):
    institution = SelectField(_l("Library"), choices=[], validate_choice=False)
    count = IntegerField(_l("Number of copies"), default=1, validators=[Optional(), NumberRange(1, 1000)])
    barcodes = TextAreaField(_l("Barcodes already on the books"), validators=[Optional(), Length(max=20000)],
                             description=_l("One per line; leave empty to number them automatically."))
    source = SelectField(_l("Acquired by"), choices=AcquisitionSource.choices(), default="purchase")
    accessioned = DateField(_l("Accession date"), validators=[DataRequired()])
    price = IntegerField(_l("Price (VND)"), validators=[Optional(), NumberRange(0, 1_000_000_000)])
    shelf = StringField(_l("Shelf location"), validators=[Optional(), Length(max=120)])
    call_number = StringField(_l("Call number"), validators=[Optional(), Length(max=120)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ItemForm(FlaskForm):
    shelf = StringField(_l("Shelf location"), validators=[Optional(), Length(max=120)])
    call_number = StringField(_l("Call number"), validators=[Optional(), Length(max=120)])
    price = IntegerField(_l("Price (VND)"), validators=[Optional(), NumberRange(0, 1_000_000_000)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class WithdrawForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=WithdrawalReason.choices())
    date = DateField(_l("Withdrawal date"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class ImportForm(FlaskForm):
    file = FileField(_l("MARC file"), validators=[FileRequired(_l("Choose a file to upload."))],
                     description=_l("ISO 2709 (.mrc, MARC-8 or UTF-8) or MARCXML (.xml)"))
    with_items = BooleanField(_l("Also create copies for my library from the holdings fields (852, 952)"))
