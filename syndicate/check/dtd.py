"""RSS 0.91 DOCTYPEs and the entities they declare (the W3C validator's DeprecatedDTD,
ValidDoctype and UndefinedNamedEntity). No DTD is ever loaded: an undeclared entity is
accepted only where the RSS 0.91 DTD is known to declare it."""

from __future__ import annotations

from lxml import etree

from syndicate.check.tree import Sink, line_of

# RSS 0.91's DTDs: Netscape's original location is gone (the W3C validator's
# DeprecatedDTD error); the RSS Advisory Board's copy is the one to cite. Either lets the
# HTML named entities (&nbsp;, &eacute;, ...) stand undeclared.
_DTD_091 = "-//Netscape Communications//DTD RSS 0.91//EN"
_NETSCAPE_DTD = "http://my.netscape.com/publish/formats/rss-0.91.dtd"
_RSSBOARD_DTD = "http://www.rssboard.org/rss-0.91.dtd"


def check_doctype(root: etree._Element, sink: Sink) -> None:
    """Report the deprecated Netscape DTD and entity references no known DTD declares."""
    info = root.getroottree().docinfo
    # lxml-stubs lack DocInfo.system_url and _Entity.name: read them untyped.
    system: str | None = getattr(info, "system_url", None)
    if system is None:
        return
    rss091 = info.public_id == _DTD_091 and system in (_NETSCAPE_DTD, _RSSBOARD_DTD)
    if info.public_id == _DTD_091 and root.get("version") != "0.91":
        sink.add("rss.bad-doctype",
                 f"the RSS 0.91 DOCTYPE on an rss element of version "
                 f"{root.get('version')!r}: drop it (W3C InvalidDoctype)", 1)
    if rss091 and system == _NETSCAPE_DTD:
        sink.add("rss.deprecated-dtd",
                 f"the Netscape RSS 0.91 DTD at {_NETSCAPE_DTD} no longer exists; cite "
                 f"{_RSSBOARD_DTD} or drop the DOCTYPE", 1)
    from html.entities import name2codepoint  # a large table: only with a DOCTYPE

    for ref in root.iter(etree.Entity):
        # Undeclared entities survive parsing when an external DTD (never loaded) might
        # declare them; only the RSS 0.91 DTD is known to declare the HTML ones.
        name: str = getattr(ref, "name", "")
        if not (rss091 and name in name2codepoint):
            sink.add("rss.undefined-entity",
                     f"entity &{name}; is not declared (no DTD this checker knows "
                     "declares it)", line_of(ref))
