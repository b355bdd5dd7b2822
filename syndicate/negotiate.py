"""What a client asked for: the page or the feed, gzip or not. Pure decisions, no I/O.

A feed URL (``P.atom``, ``P.rss``, ``P.json``) answers a person's browser with the HTML
page written beside it (``P.html``) and a feed reader with the feed. Browsers today show
a feed served with its own media type as plain text (and XSLT is on its way out), so the
server picks the variant from the request's ``Accept`` header.

The rule is deliberately the simplest one that a regex can spell, so that
``syndicate serve``, ``deploy/nginx.conf`` and ``deploy/Caddyfile`` decide identically
(nginx and Caddy can only match the header against a regular expression, not weigh it):
**the page is for a request whose Accept header's first media range is ``text/html``**
(bare, or with a non-zero ``q`` as its only parameter: ``text/html;q=0`` refuses HTML,
and anything unusual falls back to the feed, the safe answer for a program).
Every current browser's navigation starts with ``text/html,application/xhtml+xml,...``;
feed readers start with a feed type, ``application/xml`` or ``*/*``, or send no Accept at
all — even those that list ``text/html`` later, such as Miniflux and SimplePie, get the
feed. The table in tests/test_negotiate.py lists the headers measured or documented.
"""

from __future__ import annotations

import re

from syndicate.plan import EXTENSIONS

# The one rule, spelled once. deploy/nginx.conf (a `map` on $http_accept, with `~*`) and
# deploy/Caddyfile (`header_regexp`, with `(?i)`) carry this same pattern, and
# tests/test_negotiate.py checks that they do: change all three together.
BROWSER_ACCEPT = r"^\s*text/html\s*(?:,|$|;\s*q\s*=\s*(?:1(?:\.0{0,3})?|0?\.[0-9]{0,2}[1-9])\s*(?:[,;]|$))"
_BROWSER = re.compile(BROWSER_ACCEPT, re.IGNORECASE)

FEED_SUFFIXES = tuple(EXTENSIONS.values())
PAGE_SUFFIX = ".html"


def wants_page(accept: str | None) -> bool:
    """Whether a request with this ``Accept`` value is a browser asking for a page:
    its first media range is ``text/html`` (any case), bare or with a non-zero ``q``."""
    return accept is not None and _BROWSER.match(accept) is not None


def is_feed_path(rel_path: str) -> bool:
    """Whether ``rel_path`` (POSIX, relative to the output folder) names a feed file."""
    return rel_path.endswith(FEED_SUFFIXES)


def page_for(rel_path: str) -> str | None:
    """The page written beside the feed at ``rel_path`` (``topics/x.atom`` ->
    ``topics/x.html``), or None when ``rel_path`` is not a feed."""
    for suffix in FEED_SUFFIXES:
        if rel_path.endswith(suffix) and len(rel_path) > len(suffix):
            return rel_path[: -len(suffix)] + PAGE_SUFFIX
    return None


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110 12.5.3), ``q=0`` respected."""
    if not header:
        return False
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0  # a weight we cannot read is no permission to compress
                if not 0.0 <= q <= 1.0:
                    q = 0.0
        weights[coding] = q
    gzip_q = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0)))
    if gzip_q <= 0.0:
        return False
    identity_q = weights.get("identity")
    return identity_q is None or gzip_q >= identity_q
