"""The orjson provider writes the same JSON as Flask's own, only faster."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import date, datetime

import pytest
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup


@dataclasses.dataclass
class _Point:
    x: int
    label: str


def _sample() -> dict:
    return {
        "when": datetime(2026, 11, 22, 13, 5, 9, 120000),
        "day": date(2026, 11, 22),
        "amount": decimal.Decimal("12.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "point": _Point(3, "Tunis"),
        "html": Markup("<p>ok</p>"),
        7: "numeric key",
        "text": 'Sécurité "quoted" \u0627\u0644\u0623\u0645\u0646 <script>\n',
        "nested": [1, 2.5, None, True, {"a": []}],
    }


def test_same_json_as_flask_for_every_kind_of_value(app):
    flask_json = DefaultJSONProvider(app)
    flask_json.sort_keys = False
    ours = app.json
    assert type(ours) is not DefaultJSONProvider
    assert json.loads(ours.dumps(_sample())) == json.loads(flask_json.dumps(_sample()))
    with app.test_request_context():
        response = ours.response(_sample())
        expected = flask_json.response(_sample())
    assert response.mimetype == "application/json"
    assert response.get_json() == expected.get_json()
    assert json.loads(response.get_data())["when"] == "Sun, 22 Nov 2026 13:05:09 GMT"


def test_unknown_values_are_refused_as_before(app):
    with pytest.raises(TypeError, match="not JSON serializable"):
        app.json.dumps({"x": object()})
