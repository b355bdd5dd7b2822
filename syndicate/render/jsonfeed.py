"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/).

The same article data as Atom and RSS: the same ``id`` string, ``url``, times (RFC
3339), provider as author, topics as tags. ``content_html`` is the item body every
format carries (:mod:`syndicate.render.body`); ``content_text`` (which JSON Feed 1.1
allows beside it) holds the excerpt, or the title when the excerpt is empty, for
clients that show plain text only.

Authors are written twice, as JSON Feed 1.1 ``authors`` (an array) and as the 1.0
``author`` object beside it: 1.1 deprecates ``author`` but keeps it valid, and 1.0
clients (feedparser among them) read only the singular form.

Keys are written in a fixed order, UTF-8, two-space indent, with a trailing newline.
"""

from __future__ import annotations

import json
from typing import Any

from syndicate.archive import archive_links
from syndicate.config import Config
from syndicate.model import Article
from syndicate.plan import FeedPlan
from syndicate.render.archive_links import json_archive_fields
from syndicate.render.body import item_html
from syndicate.render.common import (
    clean,
    entry_id,
    feed_author,
    provider_name,
    provider_uri,
    rfc3339,
    topic_names,
    url,
)

VERSION = "https://jsonfeed.org/version/1.1"


def render_json(plan: FeedPlan, config: Config) -> bytes:
    """The plan as a JSON Feed 1.1 document. Pure."""
    site = config.site
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": clean(plan.title),
        "home_page_url": url(plan.page_url(config)),  # the feed's HTML page
        "feed_url": url(plan.url("json", config)),
        "description": clean(plan.subtitle),
    }
    if site.icon:
        # Atom <icon> and JSON Feed icon/favicon are all meant to be square.
        feed["icon"] = feed["favicon"] = url(site.icon)
    author = {"name": feed_author(config)}
    feed["authors"] = [author]
    feed["author"] = author
    feed["language"] = site.language
    if config.websub.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": url(hub)} for hub in config.websub.hubs]
    feed.update(json_archive_fields(archive_links(plan, "json", config)))
    feed["items"] = [_item(article) for article in plan.items]
    out: list[str] = []
    _dump(feed, "\n", out)
    out.append("\n")
    return "".join(out).encode("utf-8")


# ``json.dumps(value, ensure_ascii=False, indent=2)``, byte for byte, for the types a
# feed holds — without the pure-Python encoder that ``indent`` forces (a fifth of the
# rendering time); strings still go through json's C escaper. A test holds the two equal.
_string = json.encoder.encode_basestring


def _dump(value: Any, newline: str, out: list[str]) -> None:
    """Append ``value`` as indented JSON; ``newline`` is "\n" plus the current indent."""
    if type(value) is str:
        out.append(_string(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        sep = "{" + inner
        for key, item in value.items():
            out.append(sep + _string(key) + ": ")
            _dump(item, inner, out)
            sep = "," + inner
        out.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _dump(item, inner, out)
            sep = "," + inner
        out.append(newline + "]")
    else:
        # bool, None, numbers (and str subclasses): rare; json says how exactly.
        out.append(json.dumps(value, ensure_ascii=False))


def _item(article: Article) -> dict[str, Any]:
    title = clean(article.title)
    excerpt = clean(article.excerpt)
    item: dict[str, Any] = {
        "id": entry_id(article),
        "url": url(article.link),
        "title": title,
        "content_html": item_html(article),
        "content_text": excerpt or title or url(article.link),
    }
    if excerpt:
        item["summary"] = excerpt
    if article.images:
        item["image"] = url(article.images[0].url)
    item["date_published"] = rfc3339(article.published)
    item["date_modified"] = rfc3339(article.updated)
    if article.provider is not None:
        author = {"name": provider_name(article.provider),
                  "url": provider_uri(article.provider)}
        item["authors"] = [author]
        item["author"] = author
    tags = topic_names(article)
    if tags:
        item["tags"] = list(tags)
    return item
