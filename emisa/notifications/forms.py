"""Notification settings: what to hear of in the platform, and how each kind by email."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, FormField, RadioField, SelectChoice

from emisa.notifications.kinds import KINDS, MODE_LABELS, MODES


class _EmailModes(Form):
    """One radio group per kind, named after it; built from ``KINDS``."""


for _kind, _spec in KINDS.items():
    setattr(
        _EmailModes,
        _kind,
        RadioField(_spec.label, choices=[SelectChoice(mode, MODE_LABELS[mode]) for mode in MODES]),
    )


class SettingsForm(FlaskForm):
    mentions = BooleanField(_l("When someone @mentions me"))
    replies = BooleanField(_l("When someone replies to my posts or threads"))
    new_threads = BooleanField(_l("When a thread starts in a group I follow"))
    email = FormField(_EmailModes, label=_l("Email"))
