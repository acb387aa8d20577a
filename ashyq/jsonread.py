"""Reading JSON that comes from outside (issue 13): UTF-8 only, nested at most ``MAX_DEPTH``
levels, every failure one :class:`JsonRefused` with a code. The depth is measured before
parsing, so no input can make the parser recurse. Used by the API's body reader
(``submit_api.inputs``) and the budget file reader (``ashyq.budget``)."""
from __future__ import annotations

import json
import re

MAX_DEPTH = 32  # the deepest document of the portal has 4 levels

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonRefused(ValueError):
    "The JSON cannot be read: code ``json_malformed`` or ``json_too_deep``"

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


def nesting(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    deepest = level = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        level += 1 if bracket in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def loads(data: bytes | str, max_depth: int = MAX_DEPTH, **options):
    """``json.loads`` for untrusted input; ``options`` go to it (e.g. ``parse_float``)."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused("json_malformed", f"not UTF-8: {exc}") from exc
    if nesting(data) > max_depth:
        raise JsonRefused("json_too_deep", f"nested deeper than {max_depth} levels")
    try:
        return json.loads(data, **options)
    except (ValueError, RecursionError) as exc:
        raise JsonRefused("json_malformed", str(exc)) from exc
