"""Reader lints for JSON Feed (docs/checks.md, "Reader lints"); the XML ones and the
shared pieces are in lints.py."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from syndicate.check.findings import Finding, finding
from syndicate.check.jsontext import LinedDict, LinedList
from syndicate.check.lints import IMG_TAG, MAX_ITEMS, is_relative, summary
from syndicate.check.values import FUTURE_SLACK, rfc3339_moment

_JSON_URLS = ("home_page_url", "feed_url", "next_url", "icon", "favicon")
_ITEM_URLS = ("url", "external_url", "image", "banner_image")


def _json_urls(doc: LinedDict) -> Iterator[tuple[int, str]]:
    def author_urls(obj: LinedDict) -> Iterator[tuple[int, str]]:
        for author in _objects(obj.get("authors")) + (
                [obj["author"]] if isinstance(obj.get("author"), LinedDict) else []):
            yield from _members(author, ("url", "avatar"))

    yield from _members(doc, _JSON_URLS)
    yield from author_urls(doc)
    for hub in _objects(doc.get("hubs")):
        yield from _members(hub, ("url",))
    for item in _objects(doc.get("items")):
        yield from _members(item, _ITEM_URLS)
        yield from author_urls(item)
        for attachment in _objects(item.get("attachments")):
            yield from _members(attachment, ("url",))


def _objects(value: Any) -> list[LinedDict]:
    return [v for v in value if isinstance(v, LinedDict)] if isinstance(value, LinedList) \
        else []


def _members(obj: LinedDict, keys: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            yield obj.lines.get(key, obj.line), value.strip()


def _json_media_only(item: LinedDict) -> bool:
    if not any(isinstance(item.get(k), str) for k in ("image", "banner_image")):
        return False
    html = item.get("content_html")
    if isinstance(html, str) and IMG_TAG.search(html):
        return False
    return not any(isinstance(a.get("mime_type"), str)
                   and a["mime_type"].lower().startswith("image/")
                   for a in _objects(item.get("attachments")))


def json_lints(doc: LinedDict, now: datetime.datetime) -> list[Finding]:
    """Lints for a JSON Feed; ``now`` is the checking clock (read once by the caller)."""
    items = _objects(doc.get("items"))
    found = []
    if len(items) > MAX_ITEMS:
        found.append(finding("lint.too-many-items",
                             f"{len(items)} items; Inoreader refuses feeds with more than "
                             f"{MAX_ITEMS}", doc.lines.get("items", doc.line)))
    found += summary("lint.images-only-in-media",
                      [item.line for item in items if _json_media_only(item)], len(items),
                      "items have images only in image/banner_image: NetNewsWire and "
                      "feedparser-based readers ignore those members and show none; put an "
                      "<img> in content_html")
    relative = [line for line, value in _json_urls(doc) if is_relative(value)]
    found += summary("lint.relative-url", relative, len(relative),
                      "relative URLs in a JSON Feed, which has no base to resolve them: "
                      "write absolute URLs")
    future: list[int | None] = []
    dated = 0
    for item in items:
        for key in ("date_published", "date_modified"):
            value = item.get(key)
            moment = rfc3339_moment(value) if isinstance(value, str) else None
            if moment is None or moment.tzinfo is None:
                continue
            dated += 1
            if moment > now + FUTURE_SLACK:
                future.append(item.lines.get(key, item.line))
    found += summary("lint.future-date", future, dated,
                      "item dates are in the future (more than ten minutes ahead of the "
                      "checking clock): readers pin such items on top, Planet Venus "
                      "rewrites them to now; publish them when they are due")
    return found
