"""``index.html``: the front page. The newest headlines (thumbnail, title, source,
date, topics), then every feed by name, linked to its page (:mod:`.pages`) and its
files, with autodiscovery for the all-feed.

Valid HTML5, one self-contained file: the shared inline CSS, no scripts, no external
assets besides the headlines' lead images (``output.html_images``). Every piece of
text is escaped (names come from article records: untrusted). Links are relative, so
the page works wherever the output folder is served, including ``syndicate serve``.
"""

from __future__ import annotations

from collections.abc import Sequence

from syndicate.config import Config, Format
from syndicate.model import Article
from syndicate.plan import Family, FeedPlan
from syndicate.render.common import MEDIA_TYPES
from syndicate.render.page_parts import FORMAT_LABELS, e, head, item_list, site_nav, time_tag

# Headlines on the front page: the newest of the all-feed.
FRONT_PAGE_ITEMS = 20

_SECTIONS: tuple[tuple[Family, str, str], ...] = (
    ("all", "all", "All articles"),
    ("custom", "custom", "Custom feeds"),
    ("topic", "topics", "Topics"),
    ("provider", "providers", "Providers"),
)

_HEAD = ("<thead><tr><th>Feed</th><th>Articles</th><th>Newest</th><th>Subscribe</th></tr>"
         "</thead>")


def render_index(plans: Sequence[FeedPlan], config: Config,
                 headlines: Sequence[Article] = ()) -> bytes:
    """The front page for ``plans`` (light plans are enough) and ``headlines`` (the
    all-feed's newest items, full records), UTF-8. Pure."""
    site = config.site
    formats = config.output.formats
    alternates = [(fmt, plan.title, plan.path(fmt))
                  for plan in plans if plan.family == "all" for fmt in formats]
    out = head(config, f"{site.title}: feeds", alternates)
    out += [site_nav(config, ""), "<main>", f'<h1 class="site-title">{e(site.title)}</h1>']
    if site.description:
        out.append(f'<p class="site-description">{e(site.description)}</p>')
    out += ['<section id="headlines" aria-labelledby="headlines-h">',
            '<h2 id="headlines-h">Newest headlines</h2>']
    out += item_list(headlines[:FRONT_PAGE_ITEMS], config.output.html_images)
    out.append("</section>")
    for family, anchor, heading in _SECTIONS:
        members = [plan for plan in plans if plan.family == family]
        if not members:
            continue
        out += [f'<section id="{anchor}">', f"<h2>{heading}</h2>", '<table class="feeds">',
                _HEAD, "<tbody>"]
        out += [_row(plan, formats) for plan in members]
        out += ["</tbody>", "</table>", "</section>"]
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def _row(plan: FeedPlan, formats: Sequence[Format]) -> str:
    # A topic or provider by its name; the all and custom feeds by their title.
    name = plan.name if plan.family in ("topic", "provider") else plan.title
    when = time_tag(max(a.published for a in plan.items)) if plan.items else "–"
    links = " ".join(f'<a href="{e(plan.path(fmt))}" type="{MEDIA_TYPES[fmt]}">'
                     f"{FORMAT_LABELS[fmt]}</a>" for fmt in formats)
    return (f'<tr><td><a href="{e(plan.page_path())}">{e(name)}</a></td>'
            f'<td class="n">{len(plan.items)}</td><td>{when}</td><td>{links}</td></tr>')
