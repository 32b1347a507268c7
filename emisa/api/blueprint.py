"""A flask-smorest blueprint that documents the platform's error answers on every operation."""

from __future__ import annotations

from flask_smorest import Blueprint

from emisa.api.schemas import ErrorBody

Blueprint.ARGUMENTS_PARSER.DEFAULT_VALIDATION_STATUS = 400

ERRORS = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found or not visible to the caller",
    409: "Conflicts with the current state",
    413: "Too large",
    429: "Too many attempts",
    507: "No room left to store the file; nothing was stored",
}


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    return Blueprint(name, import_name, url_prefix="/api/v1", description=description)


def errors(blp: Blueprint, *statuses: int):
    """Document the error answers an operation can give, all in the one error format."""

    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=ErrorBody, description=ERRORS[status])(view)
        return view

    return decorate
