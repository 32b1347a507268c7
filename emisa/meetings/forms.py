"""Meeting forms: schedule and edit, the reader's time zone."""

from __future__ import annotations

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
    title = StringField("Title", validators=[DataRequired(), Length(min=3, max=200)])
    starts_at = DateTimeLocalField("Starts", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField("Ends", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    agenda = TextAreaField("Agenda (one item per line)", validators=[Optional(), Length(max=20000)])
    tlp = SelectField("TLP label", choices=TLP_CHOICES, default=Tlp.AMBER.value)
    invitees = SelectMultipleField(
        "Invitees (TLP:RED only: the named members; other labels invite every member)",
        coerce=int,
        validators=[Optional()],
    )
    releasable_to = SelectMultipleField(
        "Releasable to (optional: only members from these countries)",
        choices=COUNTRY_CHOICES,
        validators=[Optional()],
    )


class TimeZoneForm(FlaskForm):
    time_zone = SelectField("Your time zone", validators=[DataRequired()])
