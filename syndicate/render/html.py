"""``index.html``: a human page listing every feed, with autodiscovery for the all-feed.

Valid HTML5, one self-contained file: inline CSS, no scripts, no external assets. Every
piece of text is escaped (names come from article records: untrusted). Links are
relative, so the page works wherever the output folder is served, including
``syndicate serve``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from syndicate.config import Config, Format
from syndicate.plan import OPML_PATH, Family, FeedPlan
from syndicate.render.common import GENERATOR, GENERATOR_VERSION, MEDIA_TYPES, clean, url, utc

FORMAT_LABELS: dict[Format, str] = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}

_SECTIONS: tuple[tuple[Family, str, str], ...] = (
    ("all", "all", "All articles"),
    ("custom", "custom", "Custom feeds"),
    ("topic", "topics", "Topics"),
    ("provider", "providers", "Providers"),
)

_CSS = """\
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
td.n{text-align:right}
a{color:#0645ad}
"""


_HEAD = ("<thead><tr><th>Feed</th><th>Articles</th><th>Newest</th><th>Subscribe</th></tr>"
         "</thead>")


def _e(text: str) -> str:
    return escape(clean(text), quote=True)


def render_index(plans: Sequence[FeedPlan], config: Config) -> bytes:
    """The index page for ``plans``, UTF-8. Pure."""
    site = config.site
    formats = config.output.formats
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(site.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{_e(f"{GENERATOR} {GENERATOR_VERSION}")}">',
        f"<title>{_e(site.title)}: feeds</title>",
    ]
    for plan in plans:
        if plan.family != "all":
            continue
        for fmt in formats:
            out.append(f'<link rel="alternate" type="{MEDIA_TYPES[fmt]}" '
                       f'title="{_e(f"{plan.title} ({FORMAT_LABELS[fmt]})")}" '
                       f'href="{_e(plan.path(fmt))}">')
    out += [f"<style>\n{_CSS}</style>", "</head>", "<body>", "<main>",
            f"<h1>{_e(site.title)}</h1>"]
    if site.description:
        out.append(f"<p>{_e(site.description)}</p>")
    nav = [f'<a href="{_e(url(site.home_url))}">Website</a>']
    if config.output.opml:
        nav.append(f'<a href="{OPML_PATH}">All feeds as OPML</a>')
    out.append(f"<p>{' · '.join(nav)}</p>")
    for family, anchor, heading in _SECTIONS:
        members = [plan for plan in plans if plan.family == family]
        if not members:
            continue
        out += [f'<section id="{anchor}">', f"<h2>{heading}</h2>", "<table>",
                _HEAD, "<tbody>"]
        out += [_row(plan, formats) for plan in members]
        out += ["</tbody>", "</table>", "</section>"]
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def _html_datetime(moment: datetime) -> str:
    """A valid HTML global date-and-time string: HTML allows at most three fraction
    digits (the Nu Html Checker rejects Python's microseconds), so the fraction is cut
    to milliseconds, and left out when it is zero."""
    t = utc(moment)
    spec = "milliseconds" if t.microsecond // 1000 else "seconds"
    return t.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _row(plan: FeedPlan, formats: Sequence[Format]) -> str:
    if plan.items:
        newest = max(article.published for article in plan.items)
        when = f'<time datetime="{_html_datetime(newest)}">{newest.date().isoformat()}</time>'
    else:
        when = "–"
    links = " ".join(f'<a href="{_e(plan.path(fmt))}" type="{MEDIA_TYPES[fmt]}">'
                     f"{FORMAT_LABELS[fmt]}</a>" for fmt in formats)
    return (f"<tr><td>{_e(plan.title)}</td><td class=\"n\">{len(plan.items)}</td>"
            f"<td>{when}</td><td>{links}</td></tr>")
