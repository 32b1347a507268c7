"""Shared API schemas: the error body every failure uses, the one field for ids, and the one
way every date-time field of every schema is written (RFC 3339 with its offset)."""

from marshmallow import Schema, fields, validate

from emisa.timeutil import rfc3339
from emisa.web import DATABASE_ID_MAX

# marshmallow's public table of formats: "iso" (the default of every DateTime field) writes
# the database's naive UTC with its ``Z``.
fields.DateTime.SERIALIZATION_FUNCS = {**fields.DateTime.SERIALIZATION_FUNCS, "iso": rfc3339}


class DatabaseId(fields.Integer):
    """An id sent in a body or a query: a whole number a row can have, else 400."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=validate.Range(min=1, max=DATABASE_ID_MAX), **kwargs)


def written(min_chars: int = 1, max_chars: int | None = None) -> list:
    """Text with at least ``min_chars`` once its surrounding spaces are trimmed, as the
    operations count it (a title of spaces is refused), stated as a pattern for the document."""
    inner = "" if min_chars == 1 else f"[\\s\\S]{{{min_chars - 2},}}\\S"
    rules = [validate.Regexp(rf"^\s*\S{inner}", error="This cannot be empty.")]
    if max_chars is not None:
        rules.append(validate.Length(max=max_chars))
    return rules


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail, required=True)
