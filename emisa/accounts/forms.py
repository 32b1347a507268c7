"""Account forms; Flask-WTF adds the CSRF token to each."""

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from emisa.access.countries import COUNTRIES, country_name
from emisa.access.roles import AccountKind, PlatformRole
from emisa.accounts.preferences import time_zones
from emisa.i18n import language_names, term_label

# SelectChoice, not (value, label) tuples: WTForms 3.3 deprecates tuples and 3.4 drops them.
# Labels are lazy: each form names the countries in its reader's language.
COUNTRY_CHOICES = [
    SelectChoice(code, LazyString(lambda code=code: f"{country_name(code)} ({code})"))
    for code in COUNTRIES
]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", _l("The passwords differ."))]
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ReauthForm(FlaskForm):
    """Proof of presence before a sensitive change: password and a current code."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    code = StringField(_l("Current code"), validators=[DataRequired(), Length(max=40)])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


def _country_field() -> SelectField:
    """No country is preselected: a default would be a wrong answer nobody noticed."""
    return SelectField(
        _l("Country"),
        choices=[SelectChoice("", _l("Choose a country…")), *COUNTRY_CHOICES],
        validators=[DataRequired(_l("Choose the account's country."))],
    )


def _role_field(label=None) -> SelectField:
    return SelectField(
        label or _l("Platform role"),
        choices=[SelectChoice(r.value, term_label(r.value)) for r in PlatformRole],
        default=PlatformRole.USER.value,
    )


class AdminReauthFields(FlaskForm):
    """The acting administrator's password and a current code, needed to grant or remove the
    admin role (both optional here: the view asks for them when the role is at stake)."""

    current_password = PasswordField(
        _l("Your password (to grant or remove the admin role)"), validators=[Length(max=1000)]
    )
    code = StringField(_l("Your current code"), validators=[Length(max=40)])


class InviteForm(AdminReauthFields):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)])
    country = _country_field()
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, term_label(k.value)) for k in AccountKind]
    )
    role = _role_field()
    expires_on = DateField(_l("Account expires on (optional)"), validators=[Optional()])


class RoleForm(AdminReauthFields):
    role = _role_field(_l("New platform role"))


class AccountDetailsForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)])
    country = _country_field()


class ExpiryForm(FlaskForm):
    expires_on = DateField(_l("Expires on"), validators=[Optional()])


DIGIT_CHOICES = [
    SelectChoice("latn", _l("Latin digits (0123456789)")),
    SelectChoice("arab", _l("Eastern Arabic digits (٠١٢٣٤٥٦٧٨٩)")),
]


class PreferencesForm(FlaskForm):
    """Language, time zone and digits, on the account page and at first sign-in."""

    language = SelectField(_l("Language"), validators=[DataRequired()])
    time_zone = SelectField(_l("Time zone"), validators=[DataRequired()])
    digits = SelectField(_l("Digits"), choices=DIGIT_CHOICES, default="latn")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [SelectChoice(code, name) for code, name in language_names()]
        self.time_zone.choices = [SelectChoice(z, z.replace("_", " ")) for z in time_zones()]
