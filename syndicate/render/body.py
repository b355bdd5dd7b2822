"""The HTML body of an item: what a reader that shows only an item's HTML sees.

NetNewsWire shows images from the HTML body only, Fluent Reader ignores ``media:*`` and
enclosures, e-mail digests drop ``media:thumbnail``: so every item also carries a small
HTML body built here, the same in every feed and format (Atom ``content type="html"``,
RSS ``content:encoded``, JSON Feed ``content_html``):

- the lead image, linked to the story, ``alt`` = the title (the image is the link's only
  content, so its text alternative names where the link goes), ``width``/``height``
  when the record gave them;
- the excerpt;
- "via <provider>", linked to ``https://<domain>/``;
- "Topics: a, b";
- "Related coverage": at most :data:`MAX_RELATED` other reports, title linked, provider
  named.

Built from the typed record only, never from a record's own markup
(``featuredContent``). Every record string goes through :func:`html.escape` exactly once
(the feed serialiser then escapes the whole body once more, as each format requires);
the only tags are the fixed ones written here, no attribute is taken from a record
except ``href``/``src`` (absolute http(s) URLs, else left out), ``alt`` and the sizes.
So no script, style, iframe or event attribute can get in. No newlines and no
indentation: the body is repeated in every feed and format that carries the article.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from syndicate.model import Article, Image, Provider
from syndicate.render.common import clean, provider_name, provider_uri, topic_names, url

MAX_RELATED = 5


def _e(text: str) -> str:
    return escape(text, quote=True)


@lru_cache(maxsize=1 << 14)
def web_link(text: str) -> str | None:
    """``text`` as an output URL when it is an absolute http(s) URL, else None: a
    ``javascript:``, ``data:`` or relative URL never becomes a link or an image."""
    link = url(text)
    scheme, sep, rest = link.partition("://")
    return link if sep and rest and scheme.lower() in ("http", "https") else None


# A feed's three formats are rendered one after the other, and an article is in the
# all-feed, its topic feeds and its provider feed: a few hundred bodies cover what one
# render worker meets close together, without keeping every article alive in it.
@lru_cache(maxsize=256)
def item_html(article: Article) -> str:
    """The item body for ``article``: a pure function of the article (cached per
    process: an article is written into several feeds, in three formats each)."""
    title = clean(article.title).strip()
    link = web_link(article.link)
    parts: list[str] = []
    if article.images:
        image = _image(article.images[0], title, link)
        if image:
            parts.append(image)
    excerpt = clean(article.excerpt).strip()
    if excerpt:
        parts.append(f"<p>{_e(excerpt)}</p>")
    if article.provider is not None:
        parts.append(f"<p>via {_provider(article.provider)}</p>")
    topics = topic_names(article)
    if topics:
        parts.append(f"<p>Topics: {_e(', '.join(topics))}</p>")
    related = _related(article)
    if related:
        parts.append(f"<p>Related coverage:</p><ul>{related}</ul>")
    if not parts:
        # An empty body would be no body: readers would show nothing, not the title.
        parts.append(f"<p>{_e(title or article.link)}</p>")
    return "".join(parts)


def _image(image: Image, title: str, link: str | None) -> str:
    src = web_link(image.url)
    if src is None:
        return ""
    size = ""
    if image.width is not None and image.width > 0:
        size += f' width="{image.width}"'
    if image.height is not None and image.height > 0:
        size += f' height="{image.height}"'
    tag = f'<img src="{_e(src)}" alt="{_e(title)}"{size}>'
    return f'<p><a href="{_e(link)}">{tag}</a></p>' if link else f"<p>{tag}</p>"


def _provider(provider: Provider) -> str:
    name = _e(provider_name(provider))
    home = web_link(provider_uri(provider))
    return f'<a href="{_e(home)}">{name}</a>' if home else name


def _related(article: Article) -> str:
    items: list[str] = []
    for related in article.related:
        href = web_link(related.url)
        title = clean(related.title).strip()
        if href is None or not title:
            continue
        source = f" ({_e(provider_name(related.provider))})" if related.provider else ""
        items.append(f'<li><a href="{_e(href)}">{_e(title)}</a>{source}</li>')
        if len(items) == MAX_RELATED:
            break
    return "".join(items)
