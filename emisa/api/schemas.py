"""Shared API schemas: the error body every failure uses, the one field for ids."""

from marshmallow import Schema, fields, validate

from emisa.web import DATABASE_ID_MAX


class DatabaseId(fields.Integer):
    """An id sent in a body or a query: a whole number a row can have, else 400."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=validate.Range(min=1, max=DATABASE_ID_MAX), **kwargs)


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail, required=True)
