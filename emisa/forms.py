"""Forms every package shares."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a button that changes something (pin, lock, delete, follow, revoke)."""
