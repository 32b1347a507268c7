"""Account forms; Flask-WTF adds the CSRF token to each."""

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from emisa.access.countries import COUNTRIES
from emisa.access.roles import AccountKind, PlatformRole

# SelectChoice, not (value, label) tuples: WTForms 3.3 deprecates tuples and 3.4 drops them.
COUNTRY_CHOICES = [SelectChoice(code, f"{name} ({code})") for code, name in COUNTRIES.items()]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField(
        "Repeat the password", validators=[EqualTo("password", "The passwords differ.")]
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])


class ReauthForm(FlaskForm):
    """Proof of presence before a sensitive change: password and a current code."""

    current_password = PasswordField("Current password", validators=[DataRequired()])
    code = StringField("Current code", validators=[DataRequired(), Length(max=40)])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])


def _country_field() -> SelectField:
    """No country is preselected: a default would be a wrong answer nobody noticed."""
    return SelectField(
        "Country",
        choices=[SelectChoice("", "Choose a country…"), *COUNTRY_CHOICES],
        validators=[DataRequired("Choose the account's country.")],
    )


def _role_field(label: str = "Platform role") -> SelectField:
    return SelectField(
        label, choices=[r.value for r in PlatformRole], default=PlatformRole.USER.value
    )


class AdminReauthFields(FlaskForm):
    """The acting administrator's password and a current code, needed to grant or remove the
    admin role (both optional here: the view asks for them when the role is at stake)."""

    current_password = PasswordField(
        "Your password (to grant or remove the admin role)", validators=[Length(max=1000)]
    )
    code = StringField("Your current code", validators=[Length(max=40)])


class InviteForm(AdminReauthFields):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    organisation = StringField("Organisation", validators=[DataRequired(), Length(max=200)])
    country = _country_field()
    kind = SelectField("Kind", choices=[k.value for k in AccountKind])
    role = _role_field()
    expires_on = DateField("Account expires on (optional)", validators=[Optional()])


class RoleForm(AdminReauthFields):
    role = _role_field("New platform role")


class AccountDetailsForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    organisation = StringField("Organisation", validators=[DataRequired(), Length(max=200)])
    country = _country_field()


class ExpiryForm(FlaskForm):
    expires_on = DateField("Expires on", validators=[Optional()])


class EmptyForm(FlaskForm):
    """A button that only needs its CSRF token."""
