"""Front matter bytes -> :class:`Article` records, or a :class:`Rejection` saying exactly why not.

Everything in an article file is untrusted. The YAML itself is read by
:mod:`syndicate.yamlread` (bounded, safe); this module checks the fields. Every text
field and list has a size cap. What exceeds a cap on a required or headline field
(title, excerpt, link, list lengths) rejects the file; a bad *optional* part (one
image, one topic, the provider) is dropped with a warning that names the field, so
the report can say why. Single values (URLs, dates, numbers, host names) are checked
by :mod:`syndicate.article_values`. Files are read by :mod:`syndicate.source`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from syndicate import plaintext
from syndicate.article_values import (
    Invalid,
    host_name,
    http_url,
    kind_of,
    number,
    parse_datetime,
    show,
)
from syndicate.model import Article, Image, Provider, Rejection, RelatedLink
from syndicate.yamlread import load_front_matter

# Caps on one record. Real records are a few KB; these leave ample room while keeping
# the work for a hostile file small and predictable.
MAX_TITLE = 2_000  # characters, before cleaning
MAX_EXCERPT = 20_000
MAX_NAME = 500  # provider name, one topic
MAX_TYPE = 64
MAX_ITEMS = 100  # topics, images, related
MAX_EMBED_HTML = 10_000  # featuredContent is one <iframe> tag, ~300 characters in practice
MAX_PIXELS = 1_000_000  # image width/height

# C0 controls except tab/LF/CR, U+FFFE/U+FFFF and lone surrogates: XML 1.0 cannot carry
# them, so a feed containing one is not well-formed. Also DEL and the C1 controls (NEL
# is whitespace and collapses), the non-characters U+FDD0..U+FDEF and U+FFFD: XML 1.0
# discourages them, validators flag them, and U+FFFD only ever stands for bytes that were
# lost before the record reached us.
_XML_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff]")
# One <iframe ...> start tag (quoted attribute values may hold '>'), then its src.
_IFRAME = re.compile(r"""<iframe\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_SRC = re.compile(r"""(?:^|\s)src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""",
                  re.IGNORECASE)


# --------------------------------------------------------------------------- parsing

def parse_article(data: bytes, path: str, *, fast: bool = True) -> Article | Rejection:
    """Front matter bytes -> a validated :class:`Article`, or a :class:`Rejection`.

    Pure: no I/O, no clock. ``path`` (POSIX, relative to the source folder) goes into
    the record and messages. Never raises for anything in ``data``. The rules, which
    the tests spell out one by one:

    * link: ``webUrl``, else (missing, null or empty) ``originalUrl``; an absolute
      http(s) URL with a host. A bad ``webUrl`` rejects even if ``originalUrl`` is
      good: the canonical link decides identity and is never guessed.
    * title (required), excerpt, related titles, provider and topic names: HTML
      character references decoded once, characters XML 1.0 forbids removed,
      whitespace collapsed, NFC, then the markup of HTML elements removed
      (:mod:`syndicate.plaintext`; look-alikes such as ``List<T>`` stay), with a
      warning per field; a title that is empty then rejects the record.
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
    loaded = load_front_matter(data, path, fast=fast)
    if isinstance(loaded, Rejection):
        return loaded
    record, key_lines = loaded
    warnings: list[str] = []
    try:
        return _article(record, path, warnings)
    except Invalid as exc:
        line, column = key_lines.get(exc.key, (None, None))
        return Rejection(path, exc.message, line, column)


def _article(record: dict[Any, Any], path: str, warnings: list[str]) -> Article:
    link = _link(record)
    title = _text(record.get("title"), "title", MAX_TITLE, "title")
    if not title[0]:
        raise Invalid("title", _empty("title", title))
    _kept(title, "title", warnings)
    excerpt = _excerpt(record, warnings)
    published = _required_datetime(record, "publishedDateTime")
    updated = _updated(record, published, warnings)
    kind = _type(record, warnings)
    return Article(
        path=path,
        link=link,
        title=title[0],
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
        return http_url(value, key, key)
    raise Invalid("webUrl", "webUrl: missing, and no originalUrl either: an article needs a link")


# --- text

def _clean(raw: str) -> str:
    """Plain text: references decoded once (``&amp;#8217;`` stays ``&#8217;``), XML 1.0
    forbidden characters removed, whitespace runs collapsed to one space, Unicode in
    NFC (so ``Cafe\u0301`` and ``Caf\u00e9``, which look the same, are one topic, one
    provider and one slug, as the W3C character model asks of web text)."""
    if "&" in raw:
        raw = html.unescape(raw)
    if not raw.isprintable() or "\ufffd" in raw:
        raw = " ".join(_XML_FORBIDDEN.sub("", raw).split())
    elif "  " in raw or raw[:1] == " " or raw[-1:] == " ":
        # Printable: no forbidden character and no whitespace but U+0020.
        raw = " ".join(raw.split())
    if not raw.isascii() and not unicodedata.is_normalized("NFC", raw):
        # After removing characters: 'e', a control, U+0301 must compose too.
        raw = unicodedata.normalize("NFC", raw)
    return raw


# A text field's plain text and what markup it lost (plaintext.Plain's labels): a bare
# tuple, since building a NamedTuple for every field of every record costs more than
# the rest of the field's fast path.
_Plain = tuple[str, tuple[str, ...]]


def _plain(raw: str) -> _Plain:
    """:func:`_clean`, then the markup of HTML elements removed
    (:mod:`syndicate.plaintext`).

    References are decoded first, so markup a scraper escaped once (``&lt;b&gt;``) is
    markup like ``<b>`` (only ``&amp;lt;b&amp;gt;`` stays, as the text ``&lt;b&gt;``);
    and the tokenizer sees exactly the characters that will be published, so a tag
    split by a control character or a no-break space is still found."""
    text = _clean(raw)
    if "<" not in text:  # nearly every field: no tokenizer run
        return text, ()
    plain = plaintext.strip_markup(text)
    return plain.text, plain.removed


def _kept(plain: _Plain, field: str, warnings: list[str]) -> str:
    """The text, after noting in ``warnings`` what markup it lost."""
    text, removed = plain
    if removed:
        shown = ", ".join(removed[:5]) + (", ..." if len(removed) > 5 else "")
        warnings.append(f"{field}: HTML tags removed ({shown})")
    return text


def _empty(field: str, plain: _Plain) -> str:
    _, removed = plain
    if removed:
        return f"{field}: empty once HTML tags are removed ({', '.join(removed[:5])})"
    return f"{field}: empty"


def _text(value: object, field: str, limit: int, key: str) -> _Plain:
    """A text field as plain text (:func:`_plain`); raises for a missing, non-string or
    oversized one."""
    if value is None:
        raise Invalid(key, f"{field}: missing")
    if not isinstance(value, str):
        raise Invalid(key, f"{field}: must be text, got {kind_of(value)} (quote it in the YAML)")
    if len(value) > limit:
        raise Invalid(key, f"{field}: too long ({len(value)} characters, at most {limit})")
    return _plain(value)


def _excerpt(record: dict[Any, Any], warnings: list[str]) -> str:
    value = record.get("excerpt")
    if value is None:
        return ""
    if not isinstance(value, str):
        warnings.append(f"excerpt: must be text, got {kind_of(value)}; left empty")
        return ""
    return _kept(_text(value, "excerpt", MAX_EXCERPT, "excerpt"), "excerpt", warnings)


def _type(record: dict[Any, Any], warnings: list[str]) -> str:
    value = record.get("type")
    if value is None:
        return "article"
    if not isinstance(value, str) or len(value) > MAX_TYPE:
        what = kind_of(value) if not isinstance(value, str) else f"{len(value)} characters"
        warnings.append(f"type: must be a short word such as 'article', got {what}; "
                        f"using 'article'")
        return "article"
    kind = _clean(value).lower()
    return kind or "article"


# --- time

def _required_datetime(record: dict[Any, Any], field: str) -> datetime:
    value = record.get(field)
    if value is None:
        raise Invalid(field, f"{field}: missing")
    return parse_datetime(value, field)


def _updated(record: dict[Any, Any], published: datetime, warnings: list[str]) -> datetime:
    value = record.get("updatedDateTime")
    if value is None:
        return published
    try:
        updated = parse_datetime(value, "updatedDateTime")
    except Invalid as exc:
        warnings.append(f"{exc.message}; using publishedDateTime")
        return published
    if updated < published:
        # A date alone means "that day", not its midnight: updated on the day it was
        # published is consistent, and published is the one instant the record gives.
        if not (_date_only(value) and updated.date() == published.date()):
            warnings.append("updatedDateTime: earlier than publishedDateTime; "
                            "using publishedDateTime")
        return published
    return updated


def _date_only(value: object) -> bool:
    if isinstance(value, str):  # a time follows a 'T' or a space (valid values only here)
        text = value.strip().upper()
        return "T" not in text and " " not in text
    return isinstance(value, date) and not isinstance(value, datetime)


# --- numbers and flags

def _quality(record: dict[Any, Any]) -> float:
    value = record.get("quality")
    if value is None:
        raise Invalid("quality", "quality: missing")
    return number(value, "quality")


def _heat(record: dict[Any, Any], warnings: list[str]) -> float | None:
    value = record.get("heat")
    if value is None:
        return None
    try:
        return number(value, "heat")
    except Invalid as exc:
        warnings.append(f"{exc.message}; ignored")
        return None


def _is_published(record: dict[Any, Any], warnings: list[str]) -> bool:
    value = record.get("published", _MISSING)
    if isinstance(value, bool):
        return value
    if value is _MISSING:
        warnings.append("published: missing; not published")
    else:
        shown = f" {show(value)}" if isinstance(value, str) else ""
        warnings.append(f"published: must be true or false, got {kind_of(value)}{shown}; "
                        f"not published")
    return False


_MISSING = object()


# --- provider, topics, images, related, embed

def _provider(value: object, warnings: list[str]) -> Provider | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        warnings.append(f"provider: must be a mapping with name and domain, got {kind_of(value)}; "
                        f"no provider")
        return None
    try:
        name = _text(value.get("name"), "provider.name", MAX_NAME, "provider")
        if not name[0]:
            raise Invalid("provider", _empty("provider.name", name))
        domain = host_name(value.get("domain"))
    except Invalid as exc:
        warnings.append(f"{exc.message}; no provider")
        return None
    return Provider(name=_kept(name, "provider.name", warnings), domain=domain)


def _list(value: object, field: str, warnings: list[str]) -> list[Any]:
    """A list field: None -> empty, not a list -> empty with a warning; more than
    MAX_ITEMS items rejects the record (the work per file stays bounded)."""
    if value is None:
        return []
    if not isinstance(value, list):
        warnings.append(f"{field}: must be a list, got {kind_of(value)}; ignored")
        return []
    if len(value) > MAX_ITEMS:
        raise Invalid(field, f"{field}: too many items ({len(value)}, at most {MAX_ITEMS})")
    return value


def _topics(value: object, warnings: list[str]) -> tuple[str, ...]:
    topics: dict[str, str] = {}  # merge key -> first spelling
    for i, item in enumerate(_list(value, "topics", warnings)):
        field = f"topics[{i}]"
        if not isinstance(item, str):
            warnings.append(f"{field}: must be text, got {kind_of(item)}; dropped")
            continue
        if len(item) > MAX_NAME:
            warnings.append(f"{field}: too long ({len(item)} characters, at most {MAX_NAME}); "
                            f"dropped")
            continue
        plain = _plain(item)
        if not plain[0]:
            warnings.append(f"{_empty(field, plain)}; dropped")
            continue
        name = _kept(plain, field, warnings)
        # Same rule as select.topic_key: casefolded, whitespace collapsed (done by _clean).
        topics.setdefault(name.casefold(), name)
    return tuple(topics.values())


def _images(value: object, warnings: list[str]) -> tuple[Image, ...]:
    images: list[Image] = []
    for i, item in enumerate(_list(value, "images", warnings)):
        field = f"images[{i}]"
        if not isinstance(item, dict):
            warnings.append(f"{field}: must be a mapping with url, width, height, got "
                            f"{kind_of(item)}; image dropped")
            continue
        try:
            url = http_url(item.get("url"), f"{field}.url", "images")
            width = _pixels(item.get("width"), f"{field}.width")
            height = _pixels(item.get("height"), f"{field}.height")
        except Invalid as exc:
            warnings.append(f"{exc.message}; image dropped")
            continue
        images.append(Image(url=url, width=width, height=height))
    return tuple(images)


def _pixels(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("images", f"{field}: must be a whole number of pixels, got {kind_of(value)}")
    if not 0 < value <= MAX_PIXELS:
        raise Invalid("images", f"{field}: must be between 1 and {MAX_PIXELS}, got {value}")
    return value


def _related(value: object, warnings: list[str]) -> tuple[RelatedLink, ...]:
    related: list[RelatedLink] = []
    for i, item in enumerate(_list(value, "related", warnings)):
        field = f"related[{i}]"
        if not isinstance(item, dict):
            warnings.append(f"{field}: must be a mapping with title and webUrl, got "
                            f"{kind_of(item)}; dropped")
            continue
        try:
            title = _text(item.get("title"), f"{field}.title", MAX_TITLE, "related")
            if not title[0]:
                raise Invalid("related", _empty(f"{field}.title", title))
            url = _related_url(item, field)
        except Invalid as exc:
            warnings.append(f"{exc.message}; dropped")
            continue
        related.append(RelatedLink(url=url, title=_kept(title, f"{field}.title", warnings),
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
        return http_url(value, f"{field}.{key}", "related")
    raise Invalid("related", f"{field}.webUrl: missing, and no originalUrl either")


def _embed_url(value: object, warnings: list[str]) -> str | None:
    """The http(s) ``src`` of the first ``<iframe>``; the HTML itself is never kept."""
    if value is None:
        return None
    if not isinstance(value, str):
        warnings.append(f"featuredContent: must be HTML text, got {kind_of(value)}; no embed")
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
        return http_url(raw, "featuredContent iframe src", "featuredContent")
    except Invalid as exc:
        warnings.append(f"{exc.message}; no embed")
        return None

