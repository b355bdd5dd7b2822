"""Article files -> :class:`Article` records, or a :class:`Rejection` saying exactly why not.

This is the only module that reads YAML. Everything in an article file is untrusted:

* Front matter is the YAML between a first line ``---`` and the next line ``---``
  (UTF-8 with or without a BOM, LF or CRLF). Whatever follows the closing line is
  never read, so it may be anything, even bytes that are not UTF-8.
* YAML is parsed with libyaml through PyYAML's safe constructor (the pure-Python
  parser only when the C extension is missing): no tag can build a Python object.
  Timestamps are *not* resolved implicitly, so a date is a string until the field
  that needs it parses it; an impossible date in a field we ignore cannot reject a
  record.
* Speed: most records use a narrow YAML subset (one ``key: value`` per line, block
  mappings and sequences, one-line scalars), which :mod:`syndicate.frontmatter`
  reads several times faster than the full path. It returns exactly what the full
  path would, or steps aside: anything else, and every error, goes through the
  full path (``parse_article(..., fast=False)`` forces that; the tests compare).
* Work per file is bounded: the composer counts nodes, nesting depth and aliases and
  stops early (an alias bomb is refused after a few aliases, before anything is
  expanded), and every text field and list has a size cap. What exceeds a cap on a
  required or headline field (title, excerpt, link, list lengths) rejects the file;
  a bad *optional* part (one image, one topic, the provider) is dropped with a
  warning that names the field, so the report can say why.
* Positions are 1-based lines and columns in the *file* (the opening ``---`` is
  line 1); columns count characters.
"""

from __future__ import annotations

import html
import logging
import math
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from fnmatch import translate
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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
from syndicate.model import Article, Image, Provider, Rejection, RelatedLink

log = logging.getLogger(__name__)

# Caps on one record. Real records are a few KB; these leave ample room while keeping
# the work for a hostile file small and predictable.
MAX_TITLE = 2_000  # characters, before cleaning
MAX_EXCERPT = 20_000
MAX_URL = 4_096
MAX_NAME = 500  # provider name, one topic
MAX_TYPE = 64
MAX_DATE = 64  # an ISO 8601 string is ~35 characters at most
# Plausible article dates (UTC), fixed so output never depends on the build's clock.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ITEMS = 100  # topics, images, related
MAX_EMBED_HTML = 10_000  # featuredContent is one <iframe> tag, ~300 characters in practice
MAX_PIXELS = 1_000_000  # image width/height
MAX_YAML_NODES = 20_000  # a full real record has ~200
MAX_YAML_DEPTH = 32  # real records nest 4 deep
MAX_YAML_ALIASES = 16  # real records use none; an alias bomb needs many

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
# C0 controls except tab/LF/CR, U+FFFE/U+FFFF and lone surrogates: XML 1.0 cannot carry
# them, so a feed containing one is not well-formed. Also DEL and the C1 controls (NEL
# is whitespace and collapses), the non-characters U+FDD0..U+FDEF and U+FFFD: XML 1.0
# discourages them, validators flag them, and U+FFFD only ever stands for bytes that were
# lost before the record reached us.
_XML_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff]")
_URL_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_HOST_CHARS = re.compile(r"[\w.-]+")  # Unicode \w: IDN hosts are fine
_ASCII_DOMAIN = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!-)[a-z0-9-]{1,63}(?<!-)")
# An http(s) URL every check in _http_url passes as it is (lower-case scheme, plain
# ASCII host without user or port, no space, control character or backslash): most
# links are like this, and urlsplit costs more than the rest of the record.
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][^\s\x00-\x1f\x7f-\x9f\\]*)?")
_OPENING = re.compile(rb"---[ \t]*\r?\n")
_CLOSING = re.compile(rb"---[ \t]*\r?$", re.MULTILINE)  # at a line start (see _closing)
# One <iframe ...> start tag (quoted attribute values may hold '>'), then its src.
_IFRAME = re.compile(r"""<iframe\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_SRC = re.compile(r"""(?:^|\s)src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""",
                  re.IGNORECASE)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
               # A FIFO named like an article must not block the build on open().
               | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))


# --------------------------------------------------------------------------- files

def iter_source_files(folder: Path, patterns: tuple[str, ...]) -> Iterator[Path]:
    """Every file below ``folder`` whose *name* matches one of the glob ``patterns``.

    Order is deterministic: that of the sorted relative POSIX path strings (code
    point order), produced while walking. Hidden entries (name starting with ``.``: ``.git``,
    ``.syndicate``, editor lock files, macOS ``._*`` forks) are skipped. Matching is
    case-sensitive on every platform.

    Symlinked folders are never followed (no cycles, nothing outside the tree). A
    symlink whose name matches is yielded whatever it points to, so the caller
    accounts for it: :func:`read_article` rejects one that leads outside the source
    folder, to a folder, or nowhere. A sub-folder that cannot be listed is yielded
    itself, for the same reason (:func:`read_article` rejects it with the OS error).
    An unreadable or missing ``folder`` itself raises :class:`OSError`.
    """
    matches = _compile_patterns(patterns)
    stack = [iter(_sorted_entries(folder))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        name = entry.name
        if name.startswith("."):
            continue
        try:
            if entry.is_symlink():
                if matches(name):
                    yield Path(entry.path)
                elif entry.is_dir():
                    log.warning("not following symlinked folder %s: its files are not read",
                                entry.path)
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(iter(_sorted_entries(Path(entry.path))))
                continue
        except OSError as exc:
            log.warning("cannot list %s: %s", entry.path, exc.strerror or exc)
            yield Path(entry.path)
            continue
        if matches(name):
            yield Path(entry.path)


def _compile_patterns(patterns: tuple[str, ...]) -> Callable[[str], object]:
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns)).match


def _sorted_entries(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as entries:
        return sorted(entries, key=_path_order)


def _path_order(entry: os.DirEntry[str]) -> str:
    # A folder sorts as "name/": walking depth first then yields exactly the order of
    # sorted(relative POSIX paths) ("a.md" before "a/b.md"), without holding them all.
    try:
        return entry.name + "/" if entry.is_dir(follow_symlinks=False) else entry.name
    except OSError:
        return entry.name


def read_article(file: Path, path: str, *, max_bytes: int) -> Article | Rejection:
    """Read and parse one file; never raises for anything about the file.

    The file is opened once and ``fstat``-ed before any byte is read: a folder, a
    device or FIFO, or a file over ``max_bytes`` is rejected without reading it (a
    file that grows past the limit while being read is rejected too, after reading
    at most ``max_bytes + 1`` bytes). A symlink that resolves outside the source
    folder (the folder ``path`` is relative to) is rejected without opening it. OS
    errors become Rejections carrying the OS message.
    """
    try:
        if os.path.islink(file) and _leaves_source(file, path):
            return Rejection(path, "symlink points outside the source folder; not read")
        fd = os.open(file, _OPEN_FLAGS)
        try:
            info = os.fstat(fd)  # the opened file itself: no race with a swapped path
            if stat.S_ISDIR(info.st_mode):
                return Rejection(path, "is a folder, not a file")
            if not stat.S_ISREG(info.st_mode):
                return Rejection(path, "not a regular file (device, FIFO or socket)")
            if info.st_size > max_bytes:
                return _too_large(path, info.st_size, max_bytes)
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(max_bytes + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        return Rejection(path, f"cannot read: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return _too_large(path, len(data), max_bytes)
    return parse_article(data, path)


def _too_large(path: str, size: int, max_bytes: int) -> Rejection:
    return Rejection(path, f"file too large: {size} bytes, more than the limit of {max_bytes} "
                           f"(source.max_file_bytes); not read")


def _leaves_source(file: Path, path: str) -> bool:
    depth = len(PurePosixPath(path).parts)
    root = file.parents[depth - 1] if 0 < depth <= len(file.parents) else file.parent
    real_root = os.path.realpath(root)
    real = os.path.realpath(file)
    return os.path.commonpath([real, real_root]) != real_root


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


# --------------------------------------------------------------------------- parsing

class _Invalid(Exception):
    """A field problem: ``key`` is the top-level key (for the line), ``message`` the text."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def parse_article(data: bytes, path: str, *, fast: bool = True) -> Article | Rejection:
    """Front matter bytes -> a validated :class:`Article`, or a :class:`Rejection`.

    Pure: no I/O, no clock. ``path`` (POSIX, relative to the source folder) goes into
    the record and messages. Never raises for anything in ``data``. The rules, which
    the tests spell out one by one:

    * link: ``webUrl``, else (missing, null or empty) ``originalUrl``; an absolute
      http(s) URL with a host. A bad ``webUrl`` rejects even if ``originalUrl`` is
      good: the canonical link decides identity and is never guessed.
    * title (required), excerpt: HTML character references decoded once, characters
      XML 1.0 forbids removed, whitespace collapsed. Tags stay literal text.
    * publishedDateTime (required), updatedDateTime: ISO 8601 (``Z``, offsets,
      fractional seconds, or a date alone, meaning midnight) converted to UTC; **a
      time without an offset is taken as UTC**. A bad updatedDateTime, or one before
      the published time, is replaced by the published time with a warning.
    * quality (required) and heat: int or float, finite; a boolean or a numeric
      string is not a number. A bad heat becomes None with a warning.
    * published: only a YAML 1.2 boolean ``true`` publishes (YAML 1.1's ``yes``/``on``
      are strings here); anything else is unpublished with a warning (except an
      explicit false).
    * provider: dropped with a warning unless it has a name and a plain host name as
      domain (lower-cased); topics, images, related: bad items dropped with a warning.
    * featuredContent: for ``type: video``, the first iframe's http(s) ``src``.

    ``fast=False`` skips the subset reader (:mod:`syndicate.frontmatter`) and always
    runs the full YAML loader; the result is the same either way (the tests compare
    them), only slower.
    """
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
    if isinstance(loaded, Rejection):
        return loaded
    record, key_lines = loaded
    warnings: list[str] = []
    try:
        return _article(record, path, warnings)
    except _Invalid as exc:
        line, column = key_lines.get(exc.key, (None, None))
        return Rejection(path, exc.message, line, column)


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


def _article(record: dict[Any, Any], path: str, warnings: list[str]) -> Article:
    link = _link(record)
    title = _text(record.get("title"), "title", MAX_TITLE, "title")
    if not title:
        raise _Invalid("title", "title: empty")
    excerpt = _excerpt(record, warnings)
    published = _required_datetime(record, "publishedDateTime")
    updated = _updated(record, published, warnings)
    kind = _type(record, warnings)
    return Article(
        path=path,
        link=link,
        title=title,
        excerpt=excerpt,
        published=published,
        updated=updated,
        type=kind,
        quality=_quality(record),
        heat=_heat(record, warnings),
        is_published=_is_published(record, warnings),
        provider=_provider(record.get("provider"), warnings),
        topics=_topics(record.get("topics"), warnings),
        images=_images(record.get("images"), warnings),
        related=_related(record.get("related"), warnings),
        embed_url=_embed_url(record.get("featuredContent"), warnings) if kind == "video" else None,
        warnings=tuple(warnings),
    )


# --- link

def _link(record: dict[Any, Any]) -> str:
    for key in ("webUrl", "originalUrl"):
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return _http_url(value, key, key)
    raise _Invalid("webUrl", "webUrl: missing, and no originalUrl either: an article needs a link")


def _http_url(value: object, field: str, key: str) -> str:
    """An absolute http(s) URL with a host; surrounding spaces are trimmed, inner
    whitespace, control characters and backslashes are refused (browsers and
    ``urlsplit`` disagree about what they mean)."""
    if not isinstance(value, str):
        raise _Invalid(key, f"{field}: must be a URL string, got {_kind(value)}")
    if len(value) <= MAX_URL and _PLAIN_HTTP_URL.fullmatch(value):
        return value
    if len(value) > MAX_URL + 64:
        raise _Invalid(key, f"{field}: too long ({len(value)} characters, at most {MAX_URL})")
    url = value.strip()
    if not url:
        raise _Invalid(key, f"{field}: empty")
    if len(url) > MAX_URL:
        raise _Invalid(key, f"{field}: too long ({len(url)} characters, at most {MAX_URL})")
    if _URL_SPACE_OR_CONTROL.search(url):
        raise _Invalid(key, f"{field}: contains whitespace or control characters: {_show(url)}")
    if "\\" in url:
        raise _Invalid(key, f"{field}: malformed URL (backslash): {_show(url)}")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise _Invalid(key, f"{field}: malformed URL ({exc}): {_show(url)}") from None
    if not parts.scheme:
        raise _Invalid(key, f"{field}: must be an absolute http(s) URL, got a relative URL "
                            f"{_show(url)}")
    if parts.scheme not in ("http", "https"):
        raise _Invalid(key, f"{field}: must be an absolute http(s) URL, got a {parts.scheme}: "
                            f"URL")
    if not host:
        raise _Invalid(key, f"{field}: URL has no host: {_show(url)}")
    if ":" not in host and not _HOST_CHARS.fullmatch(host):
        raise _Invalid(key, f"{field}: malformed host name in URL: {_show(url)}")
    return url


# --- text

def _clean(raw: str) -> str:
    """Plain text: references decoded once (``&amp;#8217;`` stays ``&#8217;``), XML 1.0
    forbidden characters removed, whitespace runs collapsed to one space, Unicode in
    NFC (so ``Cafe\u0301`` and ``Caf\u00e9``, which look the same, are one topic, one
    provider and one slug, as the W3C character model asks of web text)."""
    if "&" in raw:
        raw = html.unescape(raw)
    if not raw.isascii() and not unicodedata.is_normalized("NFC", raw):
        raw = unicodedata.normalize("NFC", raw)
    if raw.isprintable() and "\ufffd" not in raw:
        # Nothing to remove (every forbidden character is unprintable) and no
        # whitespace but U+0020 (all other whitespace is unprintable too).
        if "  " not in raw and raw[:1] != " " and raw[-1:] != " ":
            return raw
    else:
        raw = _XML_FORBIDDEN.sub("", raw)
    return " ".join(raw.split())


def _text(value: object, field: str, limit: int, key: str) -> str:
    """A required text field, cleaned; raises for a missing, non-string or oversized one."""
    if value is None:
        raise _Invalid(key, f"{field}: missing")
    if not isinstance(value, str):
        raise _Invalid(key, f"{field}: must be text, got {_kind(value)} (quote it in the YAML)")
    if len(value) > limit:
        raise _Invalid(key, f"{field}: too long ({len(value)} characters, at most {limit})")
    return _clean(value)


def _excerpt(record: dict[Any, Any], warnings: list[str]) -> str:
    value = record.get("excerpt")
    if value is None:
        return ""
    if not isinstance(value, str):
        warnings.append(f"excerpt: must be text, got {_kind(value)}; left empty")
        return ""
    return _text(value, "excerpt", MAX_EXCERPT, "excerpt")


def _type(record: dict[Any, Any], warnings: list[str]) -> str:
    value = record.get("type")
    if value is None:
        return "article"
    if not isinstance(value, str) or len(value) > MAX_TYPE:
        what = _kind(value) if not isinstance(value, str) else f"{len(value)} characters"
        warnings.append(f"type: must be a short word such as 'article', got {what}; "
                        f"using 'article'")
        return "article"
    kind = _clean(value).lower()
    return kind or "article"


# --- time

def _datetime(value: object, field: str) -> datetime:
    """UTC from a datetime, a date (midnight) or an ISO 8601 string; naive means UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DATE:
            raise _Invalid(field, f"{field}: not an ISO 8601 date-time ({len(text)} characters)")
        try:
            # RFC 3339 (section 5.6) allows a lower-case t and z; fromisoformat does not.
            moment = datetime.fromisoformat(text.upper())
        except ValueError as exc:
            why = "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
            raise _Invalid(field, f"{field}: not a valid ISO 8601 date-time: "
                                  f"{_show(text)}{why}") from None
    else:
        raise _Invalid(field, f"{field}: must be an ISO 8601 date-time, got {_kind(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    else:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise _Invalid(field, f"{field}: out of range in UTC: {_show(str(value))}") from None
    if not EARLIEST <= moment < LATEST:
        # Year 1 or 9999 is a data error, not news; feed validators (the W3C one, and
        # `syndicate check`) flag dates before 1990 as implausible, and readers sort
        # such an entry to the top or bottom of the feed forever.
        raise _Invalid(field, f"{field}: implausible date {_show(str(value))}: must be from "
                              f"{EARLIEST.year} to {LATEST.year - 1}")
    return moment


def _required_datetime(record: dict[Any, Any], field: str) -> datetime:
    value = record.get(field)
    if value is None:
        raise _Invalid(field, f"{field}: missing")
    return _datetime(value, field)


def _updated(record: dict[Any, Any], published: datetime, warnings: list[str]) -> datetime:
    value = record.get("updatedDateTime")
    if value is None:
        return published
    try:
        updated = _datetime(value, "updatedDateTime")
    except _Invalid as exc:
        warnings.append(f"{exc.message}; using publishedDateTime")
        return published
    if updated < published:
        warnings.append("updatedDateTime: earlier than publishedDateTime; using publishedDateTime")
        return published
    return updated


# --- numbers and flags

def _number(value: object, field: str) -> float:
    # bool is an int subclass: `quality: true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = f" {_show(value)}" if isinstance(value, str) else ""
        raise _Invalid(field, f"{field}: must be a number, got {_kind(value)}{shown}")
    try:
        number = float(value)
    except OverflowError:
        raise _Invalid(field, f"{field}: number out of range") from None
    if not math.isfinite(number):
        raise _Invalid(field, f"{field}: must be a finite number, got {number}")
    return number


def _quality(record: dict[Any, Any]) -> float:
    value = record.get("quality")
    if value is None:
        raise _Invalid("quality", "quality: missing")
    return _number(value, "quality")


def _heat(record: dict[Any, Any], warnings: list[str]) -> float | None:
    value = record.get("heat")
    if value is None:
        return None
    try:
        return _number(value, "heat")
    except _Invalid as exc:
        warnings.append(f"{exc.message}; ignored")
        return None


def _is_published(record: dict[Any, Any], warnings: list[str]) -> bool:
    value = record.get("published", _MISSING)
    if isinstance(value, bool):
        return value
    if value is _MISSING:
        warnings.append("published: missing; not published")
    else:
        shown = f" {_show(value)}" if isinstance(value, str) else ""
        warnings.append(f"published: must be true or false, got {_kind(value)}{shown}; "
                        f"not published")
    return False


_MISSING = object()


# --- provider, topics, images, related, embed

def _provider(value: object, warnings: list[str]) -> Provider | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        warnings.append(f"provider: must be a mapping with name and domain, got {_kind(value)}; "
                        f"no provider")
        return None
    try:
        name = _text(value.get("name"), "provider.name", MAX_NAME, "provider")
        if not name:
            raise _Invalid("provider", "provider.name: empty")
        domain = _domain(value.get("domain"))
    except _Invalid as exc:
        warnings.append(f"{exc.message}; no provider")
        return None
    return Provider(name=name, domain=domain)


def _domain(value: object) -> str:
    """A lower-case plain host name: ASCII labels (IDNs checked in their punycode
    form), one optional trailing dot dropped, not an IP address."""
    field = "provider.domain"
    if value is None:
        raise _Invalid("provider", f"{field}: missing")
    if not isinstance(value, str):
        raise _Invalid("provider", f"{field}: must be a host name, got {_kind(value)}")
    domain = value.strip().lower()
    domain = domain.removesuffix(".")
    ascii_form = domain
    if not domain.isascii():
        try:
            ascii_form = domain.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_form = ""
    if (len(ascii_form) > 253 or not _ASCII_DOMAIN.fullmatch(ascii_form)
            or ascii_form.rpartition(".")[2].isdigit()):
        raise _Invalid("provider", f"{field}: must be a plain host name such as 'example.com', "
                                   f"got {_show(value)}")
    if "xn--" in ascii_form or not domain.isascii():
        # One host, one provider: 'Bücher.example', 'bu\u0308cher.example' and
        # 'xn--bcher-kva.example' are the same domain, kept in its readable form.
        try:
            return ascii_form.encode("ascii").decode("idna")
        except UnicodeError:
            return ascii_form
    return domain


def _list(value: object, field: str, warnings: list[str]) -> list[Any]:
    """A list field: None -> empty, not a list -> empty with a warning; more than
    MAX_ITEMS items rejects the record (the work per file stays bounded)."""
    if value is None:
        return []
    if not isinstance(value, list):
        warnings.append(f"{field}: must be a list, got {_kind(value)}; ignored")
        return []
    if len(value) > MAX_ITEMS:
        raise _Invalid(field, f"{field}: too many items ({len(value)}, at most {MAX_ITEMS})")
    return value


def _topics(value: object, warnings: list[str]) -> tuple[str, ...]:
    topics: dict[str, str] = {}  # merge key -> first spelling
    for i, item in enumerate(_list(value, "topics", warnings)):
        field = f"topics[{i}]"
        if not isinstance(item, str):
            warnings.append(f"{field}: must be text, got {_kind(item)}; dropped")
            continue
        if len(item) > MAX_NAME:
            warnings.append(f"{field}: too long ({len(item)} characters, at most {MAX_NAME}); "
                            f"dropped")
            continue
        name = _clean(item)
        if not name:
            warnings.append(f"{field}: empty; dropped")
            continue
        # Same rule as select.topic_key: casefolded, whitespace collapsed (done by _clean).
        topics.setdefault(name.casefold(), name)
    return tuple(topics.values())


def _images(value: object, warnings: list[str]) -> tuple[Image, ...]:
    images: list[Image] = []
    for i, item in enumerate(_list(value, "images", warnings)):
        field = f"images[{i}]"
        if not isinstance(item, dict):
            warnings.append(f"{field}: must be a mapping with url, width, height, got "
                            f"{_kind(item)}; image dropped")
            continue
        try:
            url = _http_url(item.get("url"), f"{field}.url", "images")
            width = _pixels(item.get("width"), f"{field}.width")
            height = _pixels(item.get("height"), f"{field}.height")
        except _Invalid as exc:
            warnings.append(f"{exc.message}; image dropped")
            continue
        images.append(Image(url=url, width=width, height=height))
    return tuple(images)


def _pixels(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("images", f"{field}: must be a whole number of pixels, got {_kind(value)}")
    if not 0 < value <= MAX_PIXELS:
        raise _Invalid("images", f"{field}: must be between 1 and {MAX_PIXELS}, got {value}")
    return value


def _related(value: object, warnings: list[str]) -> tuple[RelatedLink, ...]:
    related: list[RelatedLink] = []
    for i, item in enumerate(_list(value, "related", warnings)):
        field = f"related[{i}]"
        if not isinstance(item, dict):
            warnings.append(f"{field}: must be a mapping with title and webUrl, got "
                            f"{_kind(item)}; dropped")
            continue
        try:
            title = _text(item.get("title"), f"{field}.title", MAX_TITLE, "related")
            if not title:
                raise _Invalid("related", f"{field}.title: empty")
            url = _related_url(item, field)
        except _Invalid as exc:
            warnings.append(f"{exc.message}; dropped")
            continue
        related.append(RelatedLink(url=url, title=title,
                                   provider=_related_provider(item.get("provider"), field,
                                                              warnings)))
    return tuple(related)


def _related_provider(value: object, field: str, warnings: list[str]) -> Provider | None:
    """A related item's provider, read like the article's; a bad one costs the item
    only its provider (the link and title are still worth showing)."""
    if value is None:
        return None
    found: list[str] = []
    provider = _provider(value, found)
    warnings.extend(f"{field}.{message}" for message in found)
    return provider


def _related_url(item: dict[Any, Any], field: str) -> str:
    for key in ("webUrl", "originalUrl"):
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return _http_url(value, f"{field}.{key}", "related")
    raise _Invalid("related", f"{field}.webUrl: missing, and no originalUrl either")


def _embed_url(value: object, warnings: list[str]) -> str | None:
    """The http(s) ``src`` of the first ``<iframe>``; the HTML itself is never kept."""
    if value is None:
        return None
    if not isinstance(value, str):
        warnings.append(f"featuredContent: must be HTML text, got {_kind(value)}; no embed")
        return None
    if len(value) > MAX_EMBED_HTML:
        warnings.append(f"featuredContent: too long ({len(value)} characters, at most "
                        f"{MAX_EMBED_HTML}); no embed")
        return None
    tag = _IFRAME.search(value)
    src = _SRC.search(tag.group(1)) if tag else None
    if src is None:
        warnings.append("featuredContent: no <iframe> with a src; no embed")
        return None
    raw = html.unescape(next(g for g in src.groups() if g is not None))
    try:
        return _http_url(raw, "featuredContent iframe src", "featuredContent")
    except _Invalid as exc:
        warnings.append(f"{exc.message}; no embed")
        return None


# --- messages

_KINDS: dict[type, str] = {
    type(None): "nothing (null)", bool: "a boolean", int: "an integer", float: "a number",
    str: "a string", list: "a list", dict: "a mapping", datetime: "a date-time",
    date: "a date", bytes: "binary data", set: "a set", tuple: "a pair",
}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _show(value: object) -> str:
    """A short, safe rendering of untrusted text for a message (never of a structure,
    which could be huge or cyclic)."""
    if not isinstance(value, str):
        return _kind(value)
    text = value if len(value) <= 80 else value[:77] + "..."
    return repr(text)
