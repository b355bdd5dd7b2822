"""Plans in, bytes out: one module per output format. Every function is pure -- the
same plans and config give the same bytes, with no clock and no I/O."""

from syndicate.render.atom_rss import render_atom, render_rss
from syndicate.render.html import render_index
from syndicate.render.jsonfeed import render_json
from syndicate.render.opml import render_opml

__all__ = ["render_atom", "render_index", "render_json", "render_opml", "render_rss"]
