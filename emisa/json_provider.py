"""JSON responses encoded by orjson, otherwise exactly as Flask's own provider encodes them.

A thread of a hundred posts is tens of kilobytes of escaped HTML, which the standard
library's encoder spends a visible share of ``GET /api/v1/threads/{id}`` on; orjson
(maintained, Rust, SIMD string escaping) does it in a small fraction of that. Dates,
dataclasses and the rest still go through Flask's ``default``, so every value is written
as before; only non-ASCII text is sent as UTF-8 instead of ``\\u`` escapes (the same JSON).
Reading request bodies stays with the standard library, which accepts two things no stored
text or number can hold: lone surrogates (``"\\ud800"``, valid JSON, not text: sealing it
failed with a 500) and integers beyond 64 bits. Both are refused as malformed JSON, a 400.
Only the provider's public methods are overridden: Flask's own ``response()`` builds the
answer from ``dumps``.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

# Datetimes and dataclasses go to ``default`` (Flask's formats), dict keys may be numbers
# (the standard library writes them as strings, and so does this).
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


class OrjsonProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        value = super().loads(s, **kwargs)
        try:
            # orjson writes exactly the values a text column and a 64-bit id can hold.
            orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError as error:
            raise ValueError(f"not storable: {error}") from error
        return value

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Flask's ``response()`` calls this with ``indent=2`` when debugging, otherwise with
        compact separators (orjson writes compact JSON unless told to indent)."""
        options = _OPTIONS
        if kwargs.get("indent"):
            options |= orjson.OPT_INDENT_2
        if kwargs.get("sort_keys") or self.sort_keys:
            options |= orjson.OPT_SORT_KEYS
        return orjson.dumps(obj, default=self.default, option=options).decode()
