"""Discussion forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from emisa.access.markings import Tlp
from emisa.accounts.forms import COUNTRY_CHOICES
from emisa.text.markdown import MAX_SOURCE_CHARS

TLP_CHOICES = [SelectChoice(label.value, label.value) for label in Tlp]
BODY_HELP = _l(
    "Markdown: **bold**, *italic*, lists, `code`, > quotes, tables, links. @Name mentions."
)


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=200)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_SOURCE_CHARS)])
    tlp = SelectField(_l("TLP label"), choices=TLP_CHOICES, default=Tlp.AMBER.value)
    releasable_to = SelectMultipleField(
        _l("Releasable to (none selected: no country restriction)"),
        choices=COUNTRY_CHOICES,
        validators=[Optional()],
    )
    recipients = SelectMultipleField(
        _l("Named recipients (TLP:RED only; you are always one)"),
        coerce=int,
        choices=[],
        validators=[Optional()],
        validate_choice=False,
    )


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your reply"), validators=[DataRequired(), Length(max=MAX_SOURCE_CHARS)]
    )
    parent_id = HiddenField(validators=[Optional()])


class EditForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_SOURCE_CHARS)])


class HideForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=3, max=500)])


class MoveForm(FlaskForm):
    target = SelectField(_l("Move to"), coerce=int, choices=[])
