"""A fast, pure-Python reader for the small YAML subset real front matter uses.

Why it exists: composing and constructing YAML through PyYAML (libyaml events plus
the bounded Python composer in :mod:`syndicate.articles`) costs ~3x the rest of
reading an article, and a cold build of a large folder is mostly that. Article
records are written by exporters in one narrow shape: block mappings and block
sequences, one ``key: value`` per line, values that are double-quoted, single-quoted
or plain one-line scalars. That shape can be read line by line with one regular
expression, several times faster.

Why it is safe: :func:`load` either returns *exactly* what the libyaml path would
construct, or ``None`` ("not sure: use the full parser"). It never raises and never
reports an error itself; every error message, position and cap still comes from the
full parser. Anything it does not understand completely falls back, for example:

* flow collections, anchors, aliases, tags, block scalars (``|``, ``>``), complex
  keys (``?``), directives and document markers, multi-line scalars of any style;
* tabs anywhere, a lone CR, characters YAML treats as line breaks (NEL, LS, PS), a
  BOM inside the text, characters the YAML reader refuses (C0/C1 controls ...);
* a key that is not a simple identifier-like plain scalar resolving to a string,
  a duplicate key at any level (the full parser rejects top-level duplicates with a
  position, and keeps the last one below);
* an indentless sequence (``key:`` followed by ``- item`` at the same indentation),
  an empty sequence entry, any indentation that is not exactly an enclosing level;
* a plain scalar starting with an indicator character, containing ``": "`` or
  ending with ``":"``; a double-quoted escape outside YAML's set or an escaped
  code point that is not a character; a value the implicit resolver types as
  anything other than null, bool, int, float or str (merge ``<<``, value ``=``);
* more values or deeper nesting than the caps the caller passes.

Plain scalars are typed by the caller's resolver table (the same regular
expressions the full loader uses) and built by the caller's constructor, so
``1`` stays an ``int``, ``1.0`` a ``float``, ``true`` a ``bool`` and a timestamp a
string, exactly as in the full path. ``tests/test_frontmatter.py`` checks this
equivalence on every real and generated record and on thousands of mutations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from re import Pattern
from typing import Any

from yaml.nodes import ScalarNode

__all__ = ["Loaded", "PlainResolver", "load"]

#: The loaded top-level mapping and the 1-based (line, column) of each top-level key.
Loaded = tuple[dict[str, Any], dict[str, tuple[int, int]]]

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

# One line: indentation, a "- " sequence entry, a simple key (followed by ':' and a
# space or the end of the line), and the rest of the line. The rest may only hold
# characters this reader judges itself: no tab, CR or other control character, none
# the YAML reader refuses (surrogates, U+FFFE/U+FFFF), no YAML 1.1 line break Python
# does not split on (NEL, LS, PS), no BOM (libyaml skips one at a line start). A
# line holding one does not match to its end, so findall yields no row for it and
# the row count (checked) gives it away.
_LINE = re.compile(
    "^( *)(- +)?(?:([A-Za-z_][A-Za-z0-9_-]{0,99}):(?= |$))? *"
    "([^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*)$",
    re.MULTILINE)
# One-line quoted scalars at the start of a value (the common cases are handled
# with string methods; these are for values holding quotes or escapes, or followed
# by a comment).
_DOUBLE_QUOTED = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_SINGLE_QUOTED = re.compile(r"'[^']*(?:''[^']*)*'")
# Characters that cannot start a plain scalar (or that this reader leaves to the
# full parser: '-', '?' and ':' start one only when followed by a non-space).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")

# Every backslash in a double-quoted scalar starts one of YAML's escapes (libyaml's
# set: no \' and no escaped line break on one line).
_VALID_ESCAPES = re.compile(
    r'(?:[^\\]|\\(?:[0abtnvfre "/\\N_LP]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}))*')
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_SIMPLE_INT = re.compile(r"-?[1-9][0-9]{0,17}|0")
_SIMPLE_FLOAT = re.compile(r"-?[0-9]{1,15}\.[0-9]{1,15}")
_KEY_CACHE_LIMIT = 4096
_VALUE_CACHE_LIMIT = 8192
_CACHED_LENGTH = 40
_NOTHING: Any = object()  # no value on the line (None is a value)


class _Fallback(Exception):
    """Internal: the input is outside the subset."""


def _unescape_match(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 1:
        return _SIMPLE_ESCAPES[code]
    point = int(code[1:], 16)
    if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
        raise _Fallback  # libyaml: "found invalid Unicode character escape code"
    return chr(point)


def _double_quoted(value: str) -> str:
    """A double-quoted scalar at the start of ``value``, alone or before a comment."""
    match = _DOUBLE_QUOTED.match(value)
    if match is None:
        raise _Fallback  # not closed on this line
    _check_rest(value, match.end())
    body = match.group()[1:-1]
    if "\\" not in body:
        return body
    if _VALID_ESCAPES.fullmatch(body) is None:
        raise _Fallback
    return _ESCAPE.sub(_unescape_match, body)


def _single_quoted(value: str) -> str:
    """A single-quoted scalar at the start of ``value``, alone or before a comment."""
    match = _SINGLE_QUOTED.match(value)
    if match is None:
        raise _Fallback
    _check_rest(value, match.end())
    return match.group()[1:-1].replace("''", "'")


def _check_rest(value: str, end: int) -> None:
    """After a quoted scalar: nothing, or spaces and a comment (trailing spaces are
    already gone)."""
    if end < len(value) and not (value[end] == " " and value[end:].lstrip(" ")[:1] == "#"):
        raise _Fallback


class PlainResolver:
    """Types and builds plain scalars with a loader's own resolver table and
    constructor, so the fast path cannot disagree with the full one.

    ``implicit`` is a ``Resolver.yaml_implicit_resolvers`` table (first character ->
    ``[(tag, regexp)]``); ``constructor`` a ``SafeConstructor`` used for the rare
    integer and float spellings beyond plain decimals (``0x1F``, ``1_000``,
    ``1:20``, ``.inf`` ...).
    """

    def __init__(self, implicit: Mapping[Any, Sequence[tuple[str, Pattern[str]]]],
                 constructor: Any) -> None:
        wildcard = list(implicit.get(None, ()))
        self._by_first: dict[str, list[tuple[str, Pattern[str]]]] = {
            first: [*resolvers, *wildcard] for first, resolvers in implicit.items()
            if first is not None}
        self._wildcard = wildcard
        self._constructor = constructor
        self._bool_values: Mapping[str, bool] = constructor.bool_values
        # Short plain scalars repeat across records ("true", "article", "50", a
        # domain): their (immutable) values are remembered. Bounded: cleared when full.
        self.values: dict[str, Any] = {}
        self.string_keys: set[str] = set()

    def tag(self, value: str) -> str:
        """The tag the loader's resolver gives a plain scalar ``value``."""
        first = value[0] if value else ""
        for tag, regexp in self._by_first.get(first, self._wildcard):
            if regexp.match(value):
                return tag
        return _STR

    def value(self, text: str) -> Any:
        """A non-empty plain scalar as the full loader constructs it."""
        value = self._value(text)
        if len(text) <= _CACHED_LENGTH:
            if len(self.values) >= _VALUE_CACHE_LIMIT:
                self.values.clear()
            self.values[text] = value
        return value

    def _value(self, text: str) -> Any:
        tag = self.tag(text)
        if tag == _STR:
            return text
        if tag == _INT:
            if _SIMPLE_INT.fullmatch(text):
                return int(text)
            return self._construct("construct_yaml_int", tag, text)
        if tag == _FLOAT:
            if _SIMPLE_FLOAT.fullmatch(text):
                return float(text)
            return self._construct("construct_yaml_float", tag, text)
        if tag == _BOOL:
            return self._bool_values[text.lower()]
        if tag == _NULL:
            return None
        raise _Fallback  # merge (<<), value (=) or a tag we do not build here

    def _construct(self, method: str, tag: str, text: str) -> Any:
        build: Callable[[ScalarNode], Any] = getattr(self._constructor, method)
        try:
            return build(ScalarNode(tag, text))
        except (ValueError, OverflowError, TypeError, IndexError, KeyError):
            raise _Fallback from None  # the full path turns it into a Rejection

    def is_string_key(self, key: str) -> bool:
        """Whether a simple key resolves to a string (``null:``, ``true:`` do not)."""
        if self.tag(key) != _STR:
            return False
        if len(self.string_keys) < _KEY_CACHE_LIMIT:
            self.string_keys.add(key)
        return True


def load(text: str, resolver: PlainResolver, *, first_line: int, max_nodes: int,
         max_depth: int) -> Loaded | None:
    """The top-level mapping of ``text`` and the file position of each top-level key,
    exactly as the full loader gives them; ``None`` when ``text`` is outside the
    subset (the caller then runs the full loader, which also produces every error).

    ``first_line`` is the file line of ``text``'s first line. ``max_nodes`` and
    ``max_depth`` are the full loader's caps: a text that may come near them
    falls back, so the full loader's refusal is what the caller sees.
    """
    try:
        return _load(text, resolver, first_line, max_nodes, max_depth)
    except _Fallback:
        return None


def _load(text: str, resolver: PlainResolver, first_line: int, max_nodes: int,
          max_depth: int) -> Loaded | None:
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None  # a lone CR is a line break to YAML, not to this reader
    rows = _LINE.findall(text)
    if len(rows) != text.count("\n") + 1:
        return None  # a line with a character this reader does not judge
    if len(rows) * 3 > max_nodes:  # a line makes at most 3 nodes (entry, key, value)
        return None
    plain = resolver.value
    known_values = resolver.values
    string_key = resolver.is_string_key
    string_keys = resolver.string_keys
    indicators = _INDICATORS
    record: dict[str, Any] = {}
    key_lines: dict[str, tuple[int, int]] = {}
    # Open blocks, innermost last: (indentation, container). A mapping inside a
    # sequence entry is indented at its first key's column.
    stack: list[tuple[int, Any]] = [(0, record)]
    indent = 0
    block: Any = record
    # A "key:" with nothing after it: (its mapping, the key, the mapping's
    # indentation). A more indented next line opens the key's block; otherwise
    # the key's value stays None (YAML's empty plain scalar is null).
    pending: tuple[dict[str, Any], str, int] | None = None
    for line_no, (i, d, k, v) in enumerate(rows, first_line):
        if not v:
            if not k and not d:
                continue  # a blank line
            value: Any = _NOTHING
        else:
            value = _NOTHING
            if v[-1] == " ":
                v = v.rstrip(" ")
            first = v[0]
            if first == '"':
                body = v[1:-1]
                if v[-1] == '"' and len(v) > 1 and '"' not in body and "\\" not in body:
                    value = body
                else:
                    value = _double_quoted(v)
            elif first == "'":
                body = v[1:-1]
                if v[-1] == "'" and len(v) > 1 and "'" not in body:
                    value = body
                else:
                    value = _single_quoted(v)
            elif first == "#":
                pass  # a comment
            else:
                if first in indicators and (first != "-" or len(v) < 2 or v[1] == " "):
                    return None
                if " #" in v:
                    v = v[:v.index(" #")].rstrip(" ")
                if ": " in v or v[-1] == ":":
                    return None
                value = known_values.get(v, _NOTHING)
                if value is _NOTHING:
                    value = plain(v)
        if not k and not d:
            if value is not _NOTHING:
                return None  # a bare scalar line: a continuation, or not a mapping
            continue  # blank or comment line
        ind = len(i)
        if pending is not None:
            if ind > pending[2]:
                child: Any = [] if d else {}
                pending[0][pending[1]] = child
                stack.append((ind, child))
                if len(stack) > max_depth:
                    return None
                indent, block = ind, child
            pending = None
        if ind != indent:
            if ind > indent:
                return None  # more indented: a multi-line scalar, or an error
            while ind < indent:
                stack.pop()
                indent, block = stack[-1]
            if ind != indent:
                return None  # between two levels
        if d:
            if block.__class__ is not list:
                return None  # an indentless sequence, or an error
            if not k:
                if value is _NOTHING:
                    return None  # an empty entry, or one whose block follows
                block.append(value)
                continue
            item: dict[str, Any] = {}
            block.append(item)
            indent = ind + len(d)
            block = item
            stack.append((indent, item))
            if len(stack) > max_depth:
                return None
        elif block.__class__ is not dict:
            return None  # a key among sequence entries
        if k in block or (k not in string_keys and not string_key(k)):
            return None
        if value is _NOTHING:
            block[k] = None
            pending = (block, k, indent)
        else:
            block[k] = value
        if block is record:
            key_lines[k] = (line_no, 1)
    if not record:
        return None  # empty front matter: the full path words the rejection
    return record, key_lines
