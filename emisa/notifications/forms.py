"""Notification settings."""

from flask_wtf import FlaskForm
from wtforms import BooleanField


class SettingsForm(FlaskForm):
    mentions = BooleanField("When someone @mentions me")
    replies = BooleanField("When someone replies to my posts or threads")
    new_threads = BooleanField("When a thread starts in a group I follow")
    daily_digest = BooleanField("Send me a daily email digest of unread notifications")
