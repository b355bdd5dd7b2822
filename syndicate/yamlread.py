"""Front matter -> a YAML mapping, safely: the only module that runs a YAML parser.

* Front matter is the YAML between a first line ``---`` and the next line ``---``
  (UTF-8 with or without a BOM, LF or CRLF). Whatever follows the closing line is
  never read, so it may be anything, even bytes that are not UTF-8.
* YAML is parsed with libyaml through PyYAML's safe constructor (the pure-Python
  parser only when the C extension is missing): no tag can build a Python object.
  Timestamps are *not* resolved implicitly, so a date is a string until the field
  that needs it parses it; an impossible date in a field we ignore cannot reject a
  record.
* Speed: most records use a narrow YAML subset, which :mod:`syndicate.frontmatter`
  reads several times faster than the full path. It returns exactly what the full
  path would, or steps aside: anything else, and every error, goes through the full
  path (``fast=False`` forces that; the tests compare).
* Work per file is bounded: the composer counts nodes, nesting depth and aliases and
  stops early (an alias bomb is refused after a few aliases, before anything is
  expanded).
* Positions are 1-based lines and columns in the *file* (the opening ``---`` is
  line 1); columns count characters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yaml import YAMLError
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from syndicate import frontmatter
from syndicate.model import Rejection

log = logging.getLogger(__name__)

MAX_YAML_NODES = 20_000  # a full real record has ~200
MAX_YAML_DEPTH = 32  # real records nest 4 deep
MAX_YAML_ALIASES = 16  # real records use none; an alias bomb needs many

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_OPENING = re.compile(rb"---[ \t]*\r?\n")
_CLOSING = re.compile(rb"---[ \t]*\r?$", re.MULTILINE)  # at a line start (see _closing)


# --------------------------------------------------------------------------- YAML

class _Resolver(Resolver):
    """YAML 1.1 implicit types minus timestamps (dates stay strings, see module doc),
    with YAML 1.2 booleans: only true/false (any case form YAML allows) are booleans.

    YAML 1.1 also reads yes/no/on/off/y/n as booleans; a record saying
    ``published: yes`` or ``published: on`` is ambiguous enough that publishing it by
    accident is worse than asking the editor to write ``true``.
    """


_BOOL_TAG = "tag:yaml.org,2002:bool"
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_Resolver.yaml_implicit_resolvers = {
    first: [(tag, _YAML12_BOOL if tag == _BOOL_TAG else rx)
            for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}


class _LimitExceeded(YAMLError):
    def __init__(self, reason: str, mark: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.mark = mark


class _BoundedComposer(Composer):
    """PyYAML's composer, rewritten with a budget.

    libyaml's own composer recurses in C without a limit (a few hundred thousand
    ``[`` crash the process) and would happily build an alias bomb's node graph;
    this one counts nodes, depth and aliases before it builds anything. It runs on
    libyaml's events and composes exactly what ``Composer.compose_node`` composes
    (same tags, marks and anchors; path resolvers are not used, so not consulted).
    """

    def __init__(self) -> None:
        super().__init__()
        self._nodes = 0
        self._aliases = 0
        self._depth = 0

    if TYPE_CHECKING:  # provided by the parser half of the loader
        def get_event(self) -> Any: ...
        def peek_event(self) -> Any: ...
        def resolve(self, kind: type[Node], value: str | None, implicit: Any) -> str: ...

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.get_event()
        start: Any = event.start_mark  # libyaml's Mark type, not yaml.error.Mark
        end: Any = event.end_mark
        self._nodes += 1
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _LimitExceeded(f"uses more than {MAX_YAML_ALIASES} YAML aliases (*name); "
                                     f"refused as a possible alias bomb", start)
            if event.anchor not in self.anchors:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", start)
            return self.anchors[event.anchor]
        if self._nodes > MAX_YAML_NODES:
            raise _LimitExceeded(f"has more than {MAX_YAML_NODES} YAML values", start)
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            raise ComposerError(f"found duplicate anchor {anchor!r}; first occurrence",
                                self.anchors[anchor].start_mark, "second occurrence", start)
        tag = event.tag
        node: Node
        if isinstance(event, ScalarEvent):
            if tag is None or tag == "!":
                tag = self.resolve(ScalarNode, event.value, event.implicit)
            node = ScalarNode(tag, event.value, start, end, style=event.style)
            if anchor is not None:
                self.anchors[anchor] = node
            return node
        if self._depth >= MAX_YAML_DEPTH:
            raise _LimitExceeded(f"nests deeper than {MAX_YAML_DEPTH} levels", start)
        self._depth += 1
        if isinstance(event, SequenceStartEvent):
            if tag is None or tag == "!":
                tag = self.resolve(SequenceNode, None, event.implicit)
            items: list[Node] = []
            node = SequenceNode(tag, items, start, None, flow_style=event.flow_style)
            if anchor is not None:
                self.anchors[anchor] = node
            while not isinstance(self.peek_event(), SequenceEndEvent):
                items.append(self.compose_node(node, None))
        else:  # MappingStartEvent: the parser emits nothing else here
            if tag is None or tag == "!":
                tag = self.resolve(MappingNode, None, event.implicit)
            pairs: list[tuple[Node, Node]] = []
            node = MappingNode(tag, pairs, start, None, flow_style=event.flow_style)
            if anchor is not None:
                self.anchors[anchor] = node
            while not isinstance(self.peek_event(), MappingEndEvent):
                key = self.compose_node(node, None)
                pairs.append((key, self.compose_node(node, key)))
        node.end_mark = self.get_event().end_mark
        self._depth -= 1
        return node


class _PureLoader(_BoundedComposer, Reader, Scanner, Parser, SafeConstructor, _Resolver):
    """The all-Python fallback, for a PyYAML built without libyaml."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)


_Loader: Callable[[str], Any] = _PureLoader
try:
    from yaml._yaml import CParser

    class _LibyamlLoader(_BoundedComposer, CParser, SafeConstructor, _Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            _Resolver.__init__(self)

    _Loader = _LibyamlLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    log.debug("libyaml is missing: YAML is parsed by the slower pure-Python parser")


# The fast path types plain scalars with the same resolver table and constructor.
_PLAIN = frontmatter.PlainResolver(_Resolver.yaml_implicit_resolvers, SafeConstructor())



def load_front_matter(data: bytes, path: str, *, fast: bool = True
                      ) -> frontmatter.Loaded | Rejection:
    """The top-level mapping of ``data``'s front matter and the (line, column) of each
    top-level key, or a Rejection saying why there is none. Pure; never raises for
    anything in ``data``. ``fast=False`` skips the subset reader."""
    doc = _front_matter(data, path)
    if isinstance(doc, Rejection):
        return doc
    text, first_line = doc
    loaded: frontmatter.Loaded | Rejection | None = None
    if fast:  # the subset reader: the same result, or None when unsure
        loaded = frontmatter.load(text, _PLAIN, first_line=first_line,
                                  max_nodes=MAX_YAML_NODES, max_depth=MAX_YAML_DEPTH)
    if loaded is None:
        loaded = _load_yaml(text, path, first_line)
    return loaded


def _front_matter(data: bytes, path: str) -> tuple[str, int] | Rejection:
    """The front matter text and the file line its first line is on."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Rejection(path, "not UTF-8 text: the file starts with a UTF-16 byte-order mark",
                         1, 1)
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    opening = _OPENING.match(data, start)
    if opening is None:
        return Rejection(path, "no front matter: the first line must be ---", 1, 1)
    closing = _closing(data, opening.end())
    if closing is None:
        return Rejection(path, "front matter is not closed: no line --- after the first", 1, 1)
    try:
        text = data[opening.end():closing.start()].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = opening.end() + exc.start
        line = data.count(b"\n", 0, offset) + 1
        line_start = data.rfind(b"\n", 0, offset) + 1
        column = len(data[line_start:offset].decode("utf-8", "replace")) + 1  # characters
        return Rejection(path, f"not UTF-8 text: invalid byte 0x{data[offset]:02x}",
                         line, column)
    return text, 2


def _closing(data: bytes, start: int) -> re.Match[bytes] | None:
    """The first line from ``start`` (a line start) that is ``---``: candidates found
    with bytes.find, much faster than a regex scan of every position."""
    at = start - 1  # the newline ending the opening line
    while (at := data.find(b"\n---", at)) >= 0:
        match = _CLOSING.match(data, at + 1)
        if match is not None:
            return match
        at += 1
    return None


def _load_yaml(text: str, path: str, first_line: int,
               ) -> tuple[dict[Any, Any], dict[str, tuple[int, int]]] | Rejection:
    """The top-level mapping and the (line, column) of each top-level key."""
    loader = None
    try:
        loader = _Loader(text)  # the pure-Python reader already checks characters here
        node = loader.get_single_node()
        if node is None:
            return Rejection(path, "front matter is empty", first_line, 1)
        if not isinstance(node, MappingNode):
            kind = "a list" if isinstance(node, SequenceNode) else "a single value"
            return Rejection(path, f"front matter must be a mapping of keys to values, got {kind}",
                             node.start_mark.line + first_line, node.start_mark.column + 1)
        key_lines: dict[str, tuple[int, int]] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG:
                where = (key_node.start_mark.line + first_line, key_node.start_mark.column + 1)
                if key_node.value in key_lines:
                    # YAML forbids it and PyYAML would silently keep the last one: a
                    # second `published: true` appended to a record must not win.
                    return Rejection(path, f"{key_node.value}: duplicate key (first on line "
                                           f"{key_lines[key_node.value][0]})", *where)
                key_lines[key_node.value] = where
        record = loader.construct_document(node)
    except _LimitExceeded as exc:
        line, column = _position(exc.mark, first_line)
        return Rejection(path, f"front matter {exc.reason}", line, column)
    except ReaderError as exc:
        # No mark here (and libyaml counts bytes, the pure reader characters): the
        # reader stops at the first unacceptable character, so find that one.
        index = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        line, column = (None, None) if index < 0 else (
            text.count("\n", 0, index) + first_line, index - text.rfind("\n", 0, index))
        code = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "character"
        return Rejection(path, f"invalid YAML: unacceptable character {code} (control "
                               f"characters are not allowed)", line, column)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = _position(mark, first_line)
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        context = getattr(exc, "context", None)
        detail = f"{problem} ({context})" if context else problem
        return Rejection(path, f"invalid YAML: {detail}", line, column)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # Constructor errors without a YAML mark: a 5,000-digit integer, bad !!binary,
        # an impossible explicit !!timestamp ...
        return Rejection(path, f"invalid YAML value: {' '.join(str(exc).split())}")
    except (IndexError, KeyError, AttributeError):
        # PyYAML's constructors index or look up without checking: `!!int ""`,
        # `!!bool x`, `!!timestamp x` fail this way.
        return Rejection(path, "invalid YAML value: a value that does not fit its explicit "
                               "tag (such as !!int, !!bool or !!timestamp)")
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(record, dict):
        return Rejection(path, "front matter must be a mapping of keys to values",
                         first_line, 1)
    return record, key_lines


def _position(mark: Mark | None, first_line: int) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return mark.line + first_line, mark.column + 1
