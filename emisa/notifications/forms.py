"""Notification settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class SettingsForm(FlaskForm):
    mentions = BooleanField(_l("When someone @mentions me"))
    replies = BooleanField(_l("When someone replies to my posts or threads"))
    new_threads = BooleanField(_l("When a thread starts in a group I follow"))
    daily_digest = BooleanField(_l("Send me a daily email digest of unread notifications"))
