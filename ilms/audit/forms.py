"""The filter form of the audit trail page (GET, so no CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from ..common.fields import DateField

ACTION_LABELS = {
    "insert": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "bulk": _l("bulk job"),
    "override": _l("policy override"),
}


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("User"), validators=[Optional(), Length(max=64)], render_kw={"list": "audit-actors"})
    table = SelectField(_l("Table"), choices=[], default="")
    record = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    action = SelectField(_l("Action"), default="",
                         choices=[("", _l("any"))] + list(ACTION_LABELS.items()))
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
