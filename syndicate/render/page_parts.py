"""What every HTML page shares: the one stylesheet, the head, the site navigation and
the item card (the index's headlines and each feed page's items).

Pages are valid HTML5 and self-contained: one inline ``<style>`` (the same bytes on
every page), no scripts, no fonts, no external CSS. The only thing a page may load
from elsewhere is an item's lead image, hot-linked from the record's own URL the way a
feed reader shows it; ``output.html_images = false`` writes no ``<img>`` at all.

Every record string goes through :func:`e` exactly once; URLs from records become
``href``/``src`` only when they are absolute http(s) URLs (:func:`body.web_link`).
Alt text rule (one for every page, the same as the item bodies in the feeds): a lead
image's ``alt`` is the article's title, since records carry no alt text of their own
and the image illustrates the story the title names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from html import escape

from syndicate.config import Config, Format
from syndicate.model import Article
from syndicate.render.body import web_link
from syndicate.render.common import (
    GENERATOR,
    GENERATOR_VERSION,
    MEDIA_TYPES,
    clean,
    provider_name,
    provider_uri,
    topic_names,
    url,
    utc,
)

FORMAT_LABELS: dict[Format, str] = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}

# Colours and their contrast ratios (WCAG 2 relative luminance), all >= 4.5:1:
# text #1a1a1a on #fff 17.4:1, on the box #f3f4f6 15.8:1; links #0645ad on #fff
# 8.5:1, on #f3f4f6 7.8:1; visited #5a3e9c 8.1:1 / 7.3:1; muted #595959 7.0:1 / 6.4:1.
# No fixed widths: readable at 390 px (images shrink, long URLs wrap anywhere).
CSS = """\
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;\
color:#1a1a1a;background:#fff}
a{color:#0645ad}a:visited{color:#5a3e9c}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
h1{font-size:1.6rem;line-height:1.25;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin-top:2rem}
h3{font-size:1.05rem;margin:0 0 .25rem;overflow-wrap:anywhere}
.muted,.item-meta,.item-topics{color:#595959}
.subscribe{background:#f3f4f6;padding:.75rem 1rem;border-radius:.5rem}
.subscribe h2{margin-top:0}
.subscribe ul{list-style:none;margin:0;padding:0}
.subscribe li{margin:.5rem 0}
.subscribe label{display:block;font-weight:600}
.subscribe input{box-sizing:border-box;width:100%;font:inherit;font-size:.9rem;\
padding:.25rem;color:#1a1a1a;background:#fff;border:1px solid #595959}
code,.feed-url{overflow-wrap:anywhere}
.items{list-style:none;margin:0;padding:0}
.item{display:flow-root;padding:.75rem 0;border-bottom:1px solid #ddd}
.item p{margin:.1rem 0}
.item img{float:right;width:30%;max-width:100%;height:auto;margin:0 0 .5rem .75rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top;\
overflow-wrap:anywhere}
td.n{text-align:right}
"""


def e(text: str) -> str:
    """Untrusted text as HTML text or attribute value: cleaned, escaped once."""
    return escape(clean(text), quote=True)


def html_datetime(moment: datetime) -> str:
    """A valid HTML global date-and-time string: HTML allows at most three fraction
    digits (the Nu Html Checker rejects Python's microseconds), so the fraction is cut
    to milliseconds, and left out when it is zero."""
    t = utc(moment)
    spec = "milliseconds" if t.microsecond // 1000 else "seconds"
    return t.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def time_tag(moment: datetime) -> str:
    return f'<time datetime="{html_datetime(moment)}">{utc(moment).date().isoformat()}</time>'


def head(config: Config, title: str, alternates: Sequence[tuple[Format, str, str]]) -> list[str]:
    """The document up to ``<body>``: language, title, autodiscovery
    ``(format, feed title, href)`` links, the stylesheet."""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{e(config.site.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{e(f"{GENERATOR} {GENERATOR_VERSION}")}">',
        f"<title>{e(title)}</title>",
    ]
    for fmt, feed_title, href in alternates:
        out.append(f'<link rel="alternate" type="{MEDIA_TYPES[fmt]}" '
                   f'title="{e(f"{feed_title} ({FORMAT_LABELS[fmt]})")}" href="{e(href)}">')
    out += [f"<style>\n{CSS}</style>", "</head>", "<body>"]
    return out


def site_nav(config: Config, up: str) -> str:
    """The navigation every page starts with; ``up`` leads to the output folder's top
    (``""`` or ``"../"``)."""
    links = [f'<li><a href="{up}index.html">All feeds</a></li>'] if config.output.index_html \
        else []
    links += [f'<li><a href="{up}all.html">Newest articles</a></li>',
              f'<li><a href="{e(url(config.site.home_url))}">Website</a></li>']
    if config.output.opml:
        links.append(f'<li><a href="{up}feeds.opml">All feeds as OPML</a></li>')
    return f'<nav aria-label="Site"><ul>{"".join(links)}</ul></nav>'


def item_list(items: Sequence[Article], images: bool) -> list[str]:
    """The items as ``<ol class="items">`` of cards, or a line saying there are none."""
    if not items:
        return ['<p class="muted">No items yet.</p>']
    return ['<ol class="items">', *(item_card(a, images) for a in items), "</ol>"]


# An article is on the all page, its topic pages and its provider page: its card is
# made once per process (the feed renderers cache their item bodies the same way).
@lru_cache(maxsize=1 << 12)
def item_card(article: Article, images: bool) -> str:
    """One item: thumbnail, title linked to the story, date, source linked to the
    provider's site, topics. A pure function of the article (no link relative to the
    page, so the same card fits every page)."""
    title = clean(article.title).strip()
    link = web_link(article.link)
    parts = ['<li class="item"><article>']
    if images and article.images:
        image = article.images[0]
        src = web_link(image.url)
        if src is not None:
            size = ""
            if image.width is not None and image.width > 0:
                size += f' width="{image.width}"'
            if image.height is not None and image.height > 0:
                size += f' height="{image.height}"'
            parts.append(f'<img src="{escape(src)}" alt="{escape(title)}"{size} '
                         'loading="lazy" decoding="async" referrerpolicy="no-referrer">')
    shown = escape(title or clean(article.link))
    parts.append(f'<h3 class="item-title"><a href="{escape(link)}">{shown}</a></h3>'
                 if link else f'<h3 class="item-title">{shown}</h3>')
    meta = [time_tag(article.published)]
    if article.provider is not None:
        name = escape(provider_name(article.provider))
        home = web_link(provider_uri(article.provider))
        meta.append(f'<a class="item-source" href="{escape(home)}">{name}</a>' if home
                    else f'<span class="item-source">{name}</span>')
    parts.append(f'<p class="item-meta">{" · ".join(meta)}</p>')
    topics = topic_names(article)
    if topics:
        parts.append(f'<p class="item-topics">Topics: {escape(", ".join(topics))}</p>')
    parts.append("</article></li>")
    return "".join(parts)
