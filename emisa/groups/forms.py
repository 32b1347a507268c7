"""Working-group forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from emisa.access.roles import GroupRole, JoinPolicy
from emisa.accounts.forms import COUNTRY_CHOICES

ROLE_CHOICES = [role.value for role in GroupRole]


class GroupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(min=3, max=120)])
    mandate = TextAreaField("Mandate", validators=[Optional(), Length(max=5000)])
    allowed_countries = SelectMultipleField(
        "Allowed countries (none selected: open to every country)",
        choices=COUNTRY_CHOICES,
        validators=[Optional()],
    )
    join_policy = SelectField("Join policy", choices=[p.value for p in JoinPolicy])


class AddMemberForm(FlaskForm):
    email = EmailField("Email of the account", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=GroupRole.MEMBER.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class JoinForm(FlaskForm):
    motivation = TextAreaField(
        "Why do you want to join?", validators=[DataRequired(), Length(min=10, max=2000)]
    )


class DeleteGroupForm(FlaskForm):
    confirm_name = StringField("Type the group's name to confirm", validators=[DataRequired()])


class DecisionForm(FlaskForm):
    reason = TextAreaField("Reason (required to reject)", validators=[Optional(), Length(max=2000)])
