"""Shared API schemas: the error body every failure uses."""

from marshmallow import Schema, fields


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail, required=True)
