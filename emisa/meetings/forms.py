"""Meeting forms: schedule and edit, the reader's time zone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from emisa.access.markings import Tlp
from emisa.accounts.forms import COUNTRY_CHOICES

TLP_CHOICES = [SelectChoice(label.value, label.value) for label in Tlp]


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=200)])
    starts_at = DateTimeLocalField(
        _l("Starts"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    agenda = TextAreaField(
        _l("Agenda (one item per line)"), validators=[Optional(), Length(max=20000)]
    )
    tlp = SelectField(_l("TLP label"), choices=TLP_CHOICES, default=Tlp.AMBER.value)
    invitees = SelectMultipleField(
        _l("Invitees (TLP:RED only: the named members; other labels invite every member)"),
        coerce=int,
        validators=[Optional()],
    )
    releasable_to = SelectMultipleField(
        _l("Releasable to (optional: only members from these countries)"),
        choices=COUNTRY_CHOICES,
        validators=[Optional()],
    )


class TimeZoneForm(FlaskForm):
    time_zone = SelectField(_l("Your time zone"), validators=[DataRequired()])
