"""JSON decoding that remembers line numbers, so JSON findings can name a line too.

The standard library's pure-Python scanner is driven with wrapped object/array parsers
that record where each value starts. Objects become ``LinedDict`` (line of ``{`` and of
each member's value), arrays ``LinedList`` (line of ``[`` and of each element).
"""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import JSONArray, JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any

_NEWLINE = re.compile("\n")


class LinedDict(dict[str, Any]):
    line: int = 1
    lines: dict[str, int]


class LinedList(list[Any]):
    line: int = 1
    lines: list[int]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Decoder(json.JSONDecoder):
    def __init__(self, text: str) -> None:
        super().__init__(parse_constant=_reject_constant)
        self._newlines = [m.start() for m in _NEWLINE.finditer(text)]
        self.parse_object = self._object
        self.parse_array = self._array
        self.scan_once = py_make_scanner(self)

    def line(self, index: int) -> int:
        return bisect.bisect_left(self._newlines, index) + 1

    def _object(self, s_and_end: tuple[str, int], strict: bool, scan_once: Any,
                object_hook: Any, object_pairs_hook: Any, memo: Any = None) -> tuple[Any, int]:
        starts: list[int] = []

        def recording(s: str, idx: int) -> Any:
            starts.append(idx)
            return scan_once(s, idx)

        pairs, end = JSONObject(s_and_end, strict, recording, None, lambda p: p, memo)
        obj = LinedDict()
        obj.line = self.line(s_and_end[1] - 1)
        obj.lines = {}
        for (key, value), start in zip(pairs, starts, strict=False):
            obj[key] = value
            obj.lines[key] = self.line(start)
        return obj, end

    def _array(self, s_and_end: tuple[str, int], scan_once: Any) -> tuple[Any, int]:
        starts: list[int] = []

        def recording(s: str, idx: int) -> Any:
            starts.append(idx)
            return scan_once(s, idx)

        values, end = JSONArray(s_and_end, recording)
        arr = LinedList(values)
        arr.line = self.line(s_and_end[1] - 1)
        arr.lines = [self.line(i) for i in starts[:len(values)]]
        return arr, end


class _NoLines(dict[str, int]):
    """Member lines when none were recorded: every member is on line 1."""

    def __missing__(self, key: str) -> int:
        return 1


def _lined(value: Any) -> Any:
    if isinstance(value, list) and not isinstance(value, LinedList):
        arr = LinedList(_lined(v) for v in value)
        arr.lines = []
        return arr
    return value


def _object_without_lines(pairs: list[tuple[str, Any]]) -> LinedDict:
    obj = LinedDict()
    obj.lines = _NoLines()
    for key, value in pairs:
        obj[key] = _lined(value)
    return obj


def loads_fast(text: str) -> Any:
    """Parse ``text`` with the C decoder into the same shapes as :func:`loads_with_lines`
    but every line 1: for documents expected to have no findings (then the line-keeping
    parse, several times slower, is not needed). Raises as json.loads does."""
    return _lined(json.loads(text, object_pairs_hook=_object_without_lines,
                             parse_constant=_reject_constant))


def loads_with_lines(text: str) -> Any:
    """Parse ``text`` like json.loads (NaN/Infinity refused); raises JSONDecodeError,
    ValueError or RecursionError (absurd nesting)."""
    return _Decoder(text).decode(text)
