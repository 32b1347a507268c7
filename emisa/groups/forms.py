"""Working-group forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from emisa.access.roles import GroupRole, JoinPolicy
from emisa.accounts.forms import COUNTRY_CHOICES
from emisa.i18n import term_label

ROLE_CHOICES = [SelectChoice(role.value, term_label(role.value)) for role in GroupRole]


class GroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=3, max=120)])
    mandate = TextAreaField(_l("Mandate"), validators=[Optional(), Length(max=5000)])
    allowed_countries = SelectMultipleField(
        _l("Allowed countries (none selected: open to every country)"),
        choices=COUNTRY_CHOICES,
        validators=[Optional()],
    )
    join_policy = SelectField(
        _l("Join policy"), choices=[SelectChoice(p.value, term_label(p.value)) for p in JoinPolicy]
    )


class AddMemberForm(FlaskForm):
    email = EmailField(_l("Email of the account"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=GroupRole.MEMBER.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class JoinForm(FlaskForm):
    motivation = TextAreaField(
        _l("Why do you want to join?"), validators=[DataRequired(), Length(min=10, max=2000)]
    )


class DeleteGroupForm(FlaskForm):
    confirm_name = StringField(_l("Type the group's name to confirm"), validators=[DataRequired()])


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (required to reject)"), validators=[Optional(), Length(max=2000)]
    )
