"""JSON Feed 1.1 checks (https://jsonfeed.org/version/1.1; version 1 is accepted)."""

from __future__ import annotations

import re
from typing import Any

from syndicate.check.findings import Finding
from syndicate.check.jsontext import LinedDict, LinedList
from syndicate.check.tree import Sink, same_location
from syndicate.check.values import iri_problem, is_language_tag, rfc3339_problem

VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")

_STR, _URL, _BOOL, _NUM, _DATE, _LANG = "string", "url", "boolean", "number", "date", "lang"
_EXTENSION = re.compile(r"_[A-Za-z][^.]*\Z")
_FEED: dict[str, str] = {
    "version": _STR, "title": _STR, "home_page_url": _URL, "feed_url": _URL,
    "description": _STR, "user_comment": _STR, "next_url": _URL, "icon": _URL,
    "favicon": _URL, "language": _LANG, "expired": _BOOL,
    "author": "author", "authors": "authors", "hubs": "hubs", "items": "items",
}
_ITEM: dict[str, str] = {
    "id": "id", "url": _URL, "external_url": _URL, "title": _STR, "content_html": _STR,
    "content_text": _STR, "summary": _STR, "image": _URL, "banner_image": _URL,
    "date_published": _DATE, "date_modified": _DATE, "language": _LANG,
    "author": "author", "authors": "authors", "tags": "tags", "attachments": "attachments",
}
_AUTHOR = {"name": _STR, "url": _URL, "avatar": _URL}
_HUB = {"type": _STR, "url": _URL}
_ATTACHMENT = {"url": _URL, "mime_type": _STR, "title": _STR, "size_in_bytes": _NUM,
               "duration_in_seconds": _NUM}


def looks_like_jsonfeed(doc: Any) -> bool:
    """Detection: an object with a JSON Feed version, or with a version/items member."""
    if not isinstance(doc, dict):
        return False
    version = doc.get("version")
    if isinstance(version, str) and "jsonfeed.org/version/" in version:
        return True
    return "items" in doc and "title" in doc


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else type(value).__name__


def check_jsonfeed(doc: LinedDict, location: str | None) -> list[Finding]:
    return _JsonFeed(location).run(doc)


class _JsonFeed:
    def __init__(self, location: str | None) -> None:
        self.sink = Sink()
        self.location = location
        self.version = ""
        self.item_ids: dict[str, int] = {}

    def run(self, doc: LinedDict) -> list[Finding]:
        sink = self.sink
        version = doc.get("version")
        if not isinstance(version, str) or version not in VERSIONS:
            sink.add("jsonfeed.bad-version",
                     "missing version" if version is None else
                     f"version must be one of {', '.join(VERSIONS)}, got {version!r}",
                     doc.lines.get("version", doc.line))
        self.version = version if isinstance(version, str) else ""
        if "title" not in doc:
            sink.add("jsonfeed.missing-title", "missing title", doc.line)
        if "items" not in doc:
            sink.add("jsonfeed.missing-items", "missing items (an array, possibly empty)",
                     doc.line)
        for key, code in (("home_page_url", "jsonfeed.missing-home-page-url"),
                          ("feed_url", "jsonfeed.missing-feed-url")):
            if key not in doc:
                sink.add(code, f"{key} is strongly recommended", doc.line)
        self._members(doc, _FEED, "feed")
        feed_url = doc.get("feed_url")
        next_url = doc.get("next_url")
        if isinstance(next_url, str) and next_url == feed_url:
            sink.add("jsonfeed.next-url-is-feed-url",
                     "next_url must not be the same as feed_url (readers would loop)",
                     doc.lines["next_url"])
        if self.location is not None and isinstance(feed_url, str) \
                and not same_location(feed_url, self.location):
            sink.add("jsonfeed.feed-url-mismatch",
                     f"feed_url {feed_url!r} doesn't match document location "
                     f"{self.location!r}", doc.lines["feed_url"])
        return sink.findings

    # --- generic member walk

    def _members(self, obj: LinedDict, spec: dict[str, str], where: str) -> None:
        for key, value in obj.items():
            line = obj.lines.get(key, obj.line)
            kind = spec.get(key)
            if kind is None:
                if not key.startswith("_"):
                    self.sink.add("jsonfeed.unknown-member",
                                  f"{where} member {key!r} is not defined by JSON Feed "
                                  "(extensions start with an underscore)", line)
                elif not _EXTENSION.match(key):
                    self.sink.add("jsonfeed.bad-extension-name",
                                  f"extension name {key!r} must be '_' and a letter, then no "
                                  "'.'", line)
                continue
            self._value(obj, key, value, kind, f"{where}.{key}", line)

    def _bad_type(self, what: str, expected: str, value: Any, line: int) -> None:
        self.sink.add("jsonfeed.bad-type",
                      f"{what} must be {expected}, got {_type_name(value)}", line)

    def _value(self, obj: LinedDict, key: str, value: Any, kind: str, what: str,
               line: int) -> None:
        sink = self.sink
        if kind in (_STR, _URL, _DATE, _LANG) and not isinstance(value, str):
            self._bad_type(what, "a string", value, line)
        elif kind == _URL:
            if why := iri_problem(value):
                sink.add("jsonfeed.bad-url", f"{what} is not a valid URL ({why}): {value!r}",
                         line)
        elif kind == _DATE:
            if why := rfc3339_problem(value, strict_case=False):
                sink.add("jsonfeed.bad-date",
                         f"{what} must be an RFC 3339 date-time, got {value!r}: {why}", line)
        elif kind == _LANG:
            if not is_language_tag(value):
                sink.add("jsonfeed.bad-language",
                         f"{what} must be an RFC 5646 language tag such as en-US, got "
                         f"{value!r}", line)
        elif kind == _BOOL and not isinstance(value, bool):
            self._bad_type(what, "a boolean", value, line)
        elif kind == _NUM and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self._bad_type(what, "a number", value, line)
        elif kind == "author":
            if self.version.endswith("/1.1") and "authors" not in obj:
                sink.add("jsonfeed.deprecated-author",
                         f"{what} is deprecated in JSON Feed 1.1; use authors (an array)", line)
            self._object(value, what, line, self._author)
        elif kind in ("authors", "hubs", "items", "attachments", "tags"):
            if not isinstance(value, LinedList):
                self._bad_type(what, "an array", value, line)
                return
            for i, element in enumerate(value):
                el_line = value.lines[i] if i < len(value.lines) else value.line
                el_what = f"{what}[{i}]"
                if kind == "tags":
                    if not isinstance(element, str):
                        self._bad_type(el_what, "a string", element, el_line)
                else:
                    check = {"authors": self._author, "hubs": self._hub, "items": self._item,
                             "attachments": self._attachment}[kind]
                    self._object(element, el_what, el_line, check)
        elif kind == "id":
            self._id(value, what, line)

    def _object(self, value: Any, what: str, line: int,
                check: Any) -> None:
        if isinstance(value, LinedDict):
            check(value, what)
        else:
            self._bad_type(what, "an object", value, line)

    # --- objects

    def _author(self, obj: LinedDict, what: str) -> None:
        if not any(k in obj for k in _AUTHOR):
            self.sink.add("jsonfeed.author.empty",
                          f"{what} must have at least one of name, url or avatar", obj.line)
        self._members(obj, _AUTHOR, what)

    def _hub(self, obj: LinedDict, what: str) -> None:
        for key in ("type", "url"):
            if key not in obj:
                self.sink.add("jsonfeed.hub.missing-member", f"{what} is missing {key}",
                              obj.line)
        self._members(obj, _HUB, what)

    def _attachment(self, obj: LinedDict, what: str) -> None:
        for key in ("url", "mime_type"):
            if key not in obj:
                self.sink.add("jsonfeed.attachment.missing-member",
                              f"{what} is missing {key}", obj.line)
        self._members(obj, _ATTACHMENT, what)

    def _item(self, obj: LinedDict, what: str) -> None:
        if "id" not in obj:
            self.sink.add("jsonfeed.item.missing-id", f"{what} has no id", obj.line)
        if "url" not in obj:
            self.sink.add("jsonfeed.item.missing-url",
                          f"{what} should have a url (the permalink), even when it equals id",
                          obj.line)
        if "content_html" not in obj and "content_text" not in obj:
            self.sink.add("jsonfeed.item.missing-content",
                          f"{what} must have content_html or content_text", obj.line)
        self._members(obj, _ITEM, what)

    def _id(self, value: Any, what: str, line: int) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.sink.add("jsonfeed.item.id-not-string",
                          f"{what} is a number ({value!r}); it should be a string", line)
            value = str(value)
        elif not isinstance(value, str):
            self._bad_type(what, "a string", value, line)
            return
        if value in self.item_ids:
            self.sink.add("jsonfeed.item.duplicate-id",
                          f"{what} {value!r} is also the id of the item at line "
                          f"{self.item_ids[value]}", line)
        else:
            self.item_ids[value] = line
