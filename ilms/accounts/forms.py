"""Forms for signing in, profiles, tokens and staff administration."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from .permissions import Role


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
    days = SelectField(_l("Valid for"), choices=[("30", _l("30 days")), ("365", _l("1 year")),
                                                   ("0", _l("Until revoked"))], default="365")


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=120)])
    role = SelectField(_l("Role"), choices=Role.choices())
    institution = SelectField(_l("Home institution"), choices=[], validate_choice=False)
    password = PasswordField(_l("Initial password"), validators=[Optional(), Length(max=200)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("Temporary password"), validators=[DataRequired(), Length(max=200)])


class LanguageForm(FlaskForm):
    language = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class ActiveForm(FlaskForm):
    active = BooleanField()
