"""Forms of copy cataloguing: the search of other libraries and the targets administrators configure."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class CopyTargetForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                       description=_l("As librarians will see it: Thư viện Quốc hội Hoa Kỳ (LoC)"))
    url = StringField(_l("SRU address"), validators=[DataRequired(), Length(max=500)],
                      description=_l("The server's base URL, e.g. http://lx2.loc.gov:210/LCDB or https://…/sru"))
    version = SelectField(_l("SRU version"), choices=[("1.2", "1.2"), ("1.1", "1.1")], default="1.2")
    record_schema = StringField(_l("Record schema"), default="marcxml", validators=[DataRequired(), Length(max=120)],
                                description=_l("The name the server gives MARCXML: marcxml, or "
                                               "info:srw/schema/1/marcxml-v1.1"))
    encoding = SelectField(_l("Characters"), default="utf-8",
                           choices=[("utf-8", _l("Unicode (UTF-8)")), ("marc-8", _l("MARC-8 passed through")),
                                    ("auto", _l("Automatic (MARC-8 when leader/09 is blank)"))])
    timeout = FloatField(_l("Timeout (seconds)"), default=8.0, validators=[DataRequired(), NumberRange(0.5, 60)])
    active = BooleanField(_l("Searched by default"), default=True)


class CopySearchForm(FlaskForm):
    class Meta:
        csrf = False        # a GET search: reads only

    kind = SelectField(_l("Search by"), default="keyword",
                       choices=[("keyword", _l("Keyword")), ("isbn", _l("ISBN")), ("title", _l("Title")),
                                ("author", _l("Author")), ("cql", _l("CQL query"))])
    terms = StringField(_l("Look for"), validators=[Optional(), Length(max=300)])
    target = SelectMultipleField(_l("Libraries to search"), choices=[], validate_choice=False, coerce=str)
