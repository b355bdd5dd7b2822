"""A browser view of every feed: ``P.html`` beside ``P.atom``/``P.rss``/``P.json``.

``syndicate serve`` and the shipped server configs answer a browser that asks for a
feed with this page (content negotiation), and each feed's ``alternate`` link points
here, so a person who meets a feed sees what it is, how to subscribe, and its newest
items (the plan's items, in the feed's order). No XSLT: browsers are removing it.

A pure function of the plan and the config (no build time), so rebuilds are
byte-identical and a page is re-rendered only when its feed's fingerprint moves
(:mod:`syndicate.render_all`). Feed links are relative to the page (it sits beside its
feeds); the subscribe box shows the absolute URLs a reader needs.
"""

from __future__ import annotations

import dataclasses

from syndicate.archive import html_page_path
from syndicate.config import Config
from syndicate.plan import EXTENSIONS, FeedPlan, feed_name
from syndicate.render.common import MEDIA_TYPES, url
from syndicate.render.page_parts import (
    FORMAT_LABELS,
    e,
    head,
    item_list,
    site_nav,
    time_tag,
)

_OPEN = {"atom": "Atom feed", "rss": "RSS feed", "json": "JSON Feed"}
_FAMILY_NOUNS = {"all": "All articles", "topic": "Topic", "provider": "Source",
                 "custom": "Selection"}


def render_feed_page(plan: FeedPlan, config: Config, *, archive_url: str | None = None) -> bytes:
    """The HTML page of ``plan``'s feeds, UTF-8. ``archive_url``: where older items
    are (the HTML view of the newest RFC 5005 archive page, relative to this page),
    shown as "Older items" after the list when given."""
    formats = config.output.formats
    name = plan.slug  # its feeds are beside it: f"{slug}.atom"
    up = "../" if "/" in plan.page_path() else ""
    out = head(config, plan.title,
               [(fmt, plan.title, f"{name}{EXTENSIONS[fmt]}") for fmt in formats])
    out.append(site_nav(config, up))
    count = len(plan.items)
    noun = "item" if count == 1 else "items"
    summary = f"{_FAMILY_NOUNS[plan.family]} · {count} {noun}"
    if plan.items:
        summary += f" · newest {time_tag(plan.items[0].published)}"
    out += ["<main>",
            f'<h1 class="feed-title">{e(plan.title)}</h1>',
            f'<p class="feed-description">{e(plan.subtitle)}</p>',
            f'<p class="feed-summary muted">{summary}</p>']
    out += _subscribe(plan, config, name, up)
    out += ['<section class="feed-items" aria-labelledby="items">',
            '<h2 id="items">Newest items</h2>']
    out += item_list(plan.items, config.output.html_images)
    if archive_url is not None:
        out.append(f'<p class="older"><a href="{e(archive_url)}">Older items →</a></p>')
    out += ["</section>", "</main>", "</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def render_archive_page(plan: FeedPlan, config: Config) -> bytes:
    """The HTML view of one RFC 5005 archive page (``plan``, with ``archive.page`` set),
    UTF-8: what it is, the date range and cards of its items, links to the newer and
    older pages. Autodiscovery and the subscribe box name the *current* feed, never
    the page: readers subscribe to the feed, the archive is for reading back.

    It shows nothing that changes while the page's entries do not: no page count,
    and the newer page of a complete page always exists (syndicate.archive), so a
    complete page's view is as final as its feeds. The newest page's "Newer items"
    is the current feed's page."""
    spot = plan.archive
    assert spot is not None and spot.page
    current = dataclasses.replace(plan, archive=None)
    up = "../" * html_page_path(plan).count("/")
    feed = up + feed_name(current)  # the current feed's files, without extension
    title = f"{plan.title} — archive page {spot.page}"
    out = head(config, title, [(fmt, plan.title, f"{feed}{EXTENSIONS[fmt]}")
                               for fmt in config.output.formats])
    out.append(site_nav(config, up))
    count = len(plan.items)
    summary = f"Archive page {spot.page} · {count} {'item' if count == 1 else 'items'}"
    if plan.items:
        dates = [a.published for a in plan.items]
        summary += f" · from {time_tag(min(dates))} to {time_tag(max(dates))}"
    if not spot.complete:
        summary += " · the newest archive page: it fills up as items arrive"
    out += ["<main>",
            f'<h1 class="feed-title">{e(title)}</h1>',
            (f'<p class="feed-description">Older items of <a href="{feed}.html">'
             f"{e(plan.title)}</a>, kept for reading back.</p>"),
            f'<p class="feed-summary muted">{summary}</p>',
            '<section class="feed-items" aria-labelledby="items">',
            '<h2 id="items">Items</h2>']
    out += item_list(plan.items, config.output.html_images)
    newer = f"{spot.page + 1}.html" if spot.complete else f"{feed}.html"
    pager = [f'<li><a class="newer" href="{newer}">← Newer items</a></li>']
    if spot.page > 1:
        pager.append(f'<li><a class="older" href="{spot.page - 1}.html">Older items →</a></li>')
    out += ["</section>",
            f'<nav class="pager" aria-label="Archive pages"><ul>{"".join(pager)}</ul></nav>']
    out += _subscribe(current, config, feed, up)
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def _subscribe(plan: FeedPlan, config: Config, name: str, up: str) -> list[str]:
    out = ['<section class="subscribe" aria-labelledby="subscribe">',
           '<h2 id="subscribe">Subscribe</h2>',
           ("<p>A feed reader is an app or website that checks feeds for you and shows "
            "what is new. Copy one of these addresses into yours (opened in a browser, "
            "an address shows this page; a feed reader gets the feed itself):</p>"),
           "<ul>"]
    for fmt in config.output.formats:
        label = FORMAT_LABELS[fmt]
        out.append(
            f'<li><label for="url-{fmt}">{label}</label>'
            f'<input id="url-{fmt}" class="feed-url" type="url" readonly '
            f'value="{e(url(plan.url(fmt, config)))}"> '
            f'<a href="{name}{EXTENSIONS[fmt]}" type="{MEDIA_TYPES[fmt]}">Open the {_OPEN[fmt]}</a>'
            "</li>")
    out.append("</ul>")
    if config.output.index_html:
        out.append(f'<p><a href="{up}index.html">Every feed of this site</a></p>')
    out.append("</section>")
    return out
