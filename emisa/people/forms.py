"""Forms of the profile editor, the expertise vocabulary and the network pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from emisa.access.visibility import FIELD_DEFAULTS, VISIBILITY_LABELS, VISIBILITY_WORDS
from emisa.accounts.forms import COUNTRY_CHOICES
from emisa.people.models import AGENCY_LABELS
from emisa.people.operations import LANGUAGES, LIMITS


def agency_choices(blank: bool = True) -> list[SelectChoice]:
    choices = [SelectChoice(value.value, label) for value, label in AGENCY_LABELS.items()]
    return [SelectChoice("", _l("Not said")), *choices] if blank else choices


VISIBILITY_CHOICES = [
    SelectChoice(VISIBILITY_WORDS[level], label) for level, label in VISIBILITY_LABELS.items()
]
LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGES.items()]
FIELD_LABELS = {
    "profile": _l("Who can find my profile"),
    "name": _l("Name"),
    "organisation": _l("Organisation"),
    "country": _l("Country"),
    "position": _l("Position"),
    "agency_type": _l("Agency type"),
    "languages": _l("Languages spoken"),
    "expertise": _l("Areas of expertise"),
    "bio": _l("Short biography"),
    "photo": _l("Photo"),
    "phone": _l("Work phone"),
    "secure_email": _l("Secure email"),
    "other_contact": _l("Other contact"),
}


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=LIMITS["name"])])
    organisation = StringField(
        _l("Organisation"), validators=[DataRequired(), Length(max=LIMITS["organisation"])]
    )
    position = StringField(_l("Position"), validators=[Optional(), Length(max=LIMITS["position"])])
    agency_type = SelectField(_l("Agency type"), choices=agency_choices(), default="")
    languages = SelectMultipleField(
        _l("Languages spoken"), choices=LANGUAGE_CHOICES, validators=[Optional()]
    )
    expertise = StringField(
        _l("Areas of expertise (separated by commas)"), validators=[Optional(), Length(max=2000)]
    )
    bio = TextAreaField(_l("Short biography"), validators=[Optional(), Length(max=LIMITS["bio"])])
    phone = StringField(_l("Work phone"), validators=[Optional(), Length(max=LIMITS["phone"])])
    secure_email = StringField(
        _l("Secure email"), validators=[Optional(), Length(max=LIMITS["secure_email"])]
    )
    other_contact = TextAreaField(
        _l("Other contact"), validators=[Optional(), Length(max=LIMITS["other_contact"])]
    )


# One "who can see this" choice per field, named vis_<field>.
for _field in FIELD_DEFAULTS:
    _label = (
        FIELD_LABELS["profile"]
        if _field == "profile"
        else _l("Who can see it: %(field)s", field=FIELD_LABELS[_field])
    )
    setattr(ProfileForm, f"vis_{_field}", SelectField(_label, choices=VISIBILITY_CHOICES))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG or WebP)"))


class TermForm(FlaskForm):
    label = StringField(_l("New tag"), validators=[DataRequired(), Length(max=LIMITS["tag"])])


class NetworkForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=2, max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    countries = SelectMultipleField(
        _l("Countries of the network"), choices=COUNTRY_CHOICES, validators=[Optional()]
    )


class CountriesForm(FlaskForm):
    countries = SelectMultipleField(
        _l("Countries of the network"), choices=COUNTRY_CHOICES, validators=[Optional()]
    )


class CoordinatorForm(FlaskForm):
    email = EmailField(_l("Email of the account"), validators=[DataRequired(), Length(max=254)])


class DesignateForm(FlaskForm):
    """On a person's profile page: their country is the one they serve."""

    network = SelectField(_l("Network"), coerce=int)
    agency_type = SelectField(_l("For"), choices=agency_choices(blank=False))
