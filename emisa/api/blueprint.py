"""A flask-smorest blueprint that documents the platform's error answers and links on every
operation, and reads JSON bodies as the rest of the platform does."""

from __future__ import annotations

import re

from flask import abort, current_app
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request

from emisa.api.schemas import ErrorBody


class ArgumentsParser(FlaskParser):
    """Bodies read by the app's JSON provider, as ``request.get_json`` reads them.

    webargs parses with the standard library directly, which lets lone surrogates through to
    the operations (sealing such a title answered 500); the provider refuses them.
    """

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req, schema):
        raw = req.get_data(cache=True)
        if not raw or not is_json_request(req):
            return missing
        try:
            return current_app.json.loads(raw)
        except ValueError:  # not JSON, not UTF-8, or not storable
            abort(400, description=_("The body is not valid JSON."))


Blueprint.ARGUMENTS_PARSER = ArgumentsParser()

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


def links(blp: Blueprint, status: int, *targets: str):
    """Document (OpenAPI links) that the ``id`` answered with ``status`` is what the
    ``targets`` ("METHOD /path/{parameter}") take in their one path parameter, so a client,
    or a tester following links, knows where a created id is used next."""
    documented = {}
    for target in targets:
        method, path = target.split(" ")
        parameter = path[path.index("{") + 1 : path.index("}")]
        pointer = f"/api/v1{path}".replace("~", "~0").replace("/", "~1")
        name = re.sub(r"[^A-Za-z0-9]+", "_", f"{method} {path}").strip("_")
        documented[name] = {
            "operationRef": f"#/paths/{pointer}/{method.lower()}",
            "parameters": {parameter: "$response.body#/id"},
        }
    return blp.doc(responses={status: {"links": documented}})
