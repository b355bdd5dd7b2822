"""RSS element rules shared by the channel and item checks: which attributes and
children an RSS element may carry, each element at most once, non-blank text, full URLs
and RFC 822 dates, and RSS elements doubled by an extension element.

Split out of rss.py (kept under the house's ~500-line limit); rss.py imports these.
"""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

from syndicate.check.tree import Sink, elements, line_of, split
from syndicate.check.values import (
    DateVerdict,
    implausible,
    rfc822_check,
    rfc822_moment,
    url_problem,
)

ATOM_NS = "http://www.w3.org/2005/Atom"
USERLAND_NS = "http://backend.userland.com/rss2"  # an old, harmless default namespace

# The unqualified attributes RSS defines per element; any other is an error (the W3C
# validator's UnexpectedAttribute), e.g. a guid's "ispermalink" in the wrong case.
_RSS_ATTRIBUTES: dict[str, frozenset[str]] = {
    "rss": frozenset(("version",)), "guid": frozenset(("isPermaLink",)),
    "category": frozenset(("domain",)), "source": frozenset(("url",)),
    "enclosure": frozenset(("url", "length", "type")),
    "cloud": frozenset(("domain", "port", "path", "registerProcedure", "protocol")),
    # RSS 1.0's RDF attributes, which the reference lets an RSS 2.0 image and textInput keep
    "image": frozenset("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}" + a
                       for a in ("about", "resource", "parseType")),
    "textInput": frozenset(("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about",)),
}


# Namespaces the W3C validator knows (a subset of its list: those feeds use). An attribute
# in one of them that the element does not expect is unexpected too (rdf:about on an RSS
# 2.0 link); attributes in other namespaces are extensions. Compared as the reference
# does: lower case, trailing punctuation ignored.
_NEAR = re.compile(r".*\w")


def _near(ns: str) -> str:
    m = _NEAR.match(ns)
    return (m.group() if m else ns).lower()


_KNOWN_NS = frozenset(_near(ns) for ns in (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#",
    "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/",
    "http://purl.org/rss/1.0/modules/content/", "http://purl.org/rss/1.0/modules/syndication/",
    "http://webns.net/mvcb/", "http://wellformedweb.org/CommentAPI/",
    "http://purl.org/rss/1.0/modules/slash/", "http://www.w3.org/2005/Atom",
    "http://www.itunes.com/dtds/podcast-1.0.dtd", "http://search.yahoo.com/mrss/",
    "http://rssnamespace.org/feedburner/ext/1.0",
    "http://madskills.com/public/xml/rss/module/trackback/",
    "http://purl.org/syndication/thread/1.0", "http://www.georss.org/georss",
    "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "http://backend.userland.com/blogChannelModule",
    "http://backend.userland.com/creativeCommonsRssModule", "http://web.resource.org/cc/",
    "http://www.w3.org/1999/xhtml", "http://purl.org/rss/1.0/",
    "http://my.netscape.com/rdf/simple/0.9/", "http://purl.org/net/rss1.1#",
    "http://base.google.com/ns/1.0", "http://purl.org/syndication/history/1.0"))
_XML_NS = "http://www.w3.org/XML/1998/namespace"


def known_namespace(ns: str) -> bool:
    """Whether the W3C validator judges attributes in ``ns`` (see _KNOWN_NS)."""
    return _near(ns) in _KNOWN_NS


def unexpected_attributes(el: etree._Element, allowed: frozenset[str]) -> list[str]:
    """The attributes of ``el`` neither in ``allowed`` (Clark names), nor xml:*, nor in a
    namespace the reference does not know."""
    out = []
    for key in el.attrib:
        attr = key.decode() if isinstance(key, bytes) else key
        if attr in allowed:
            continue
        if attr.startswith("{"):
            ns = attr[1:attr.index("}")]
            if ns == _XML_NS or not known_namespace(ns):
                continue
        out.append(attr)
    return out


def _attributes(sink: Sink, el: etree._Element, name: str) -> None:
    for attr in unexpected_attributes(el, _RSS_ATTRIBUTES.get(name, frozenset())):
        sink.add("rss.unexpected-attribute", f"unexpected {attr!r} attribute on {name}",
                 line_of(el))


_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_THR = "{http://purl.org/syndication/thread/1.0}"
_ATOM_LINK_ATTRIBUTES = frozenset((
    "type", "title", "rel", "href", "length", "hreflang", _RDF + "type", _RDF + "resource",
    _THR + "count", _THR + "when", _THR + "updated"))


# The Atom elements an RSS channel or item may carry (the W3C validator's do_atom_*);
# any other Atom element there is misplaced (its UndefinedElement).
_ATOM_IN: dict[str, frozenset[str]] = {
    "channel": frozenset(("author", "category", "contributor", "generator", "id", "icon",
                          "link", "logo", "title", "subtitle", "rights", "updated")),
    "item": frozenset(("id", "link", "title", "summary", "author", "contributor",
                       "content", "published", "updated")),
}


# The RSS elements that hold elements; all others hold text.
_CONTAINERS = frozenset(("channel", "item", "image", "textInput", "skipHours", "skipDays"))


# Atom elements with an RSS counterpart: out of place in RSS, the W3C validator only
# questions them (QuestionableUsage, a warning); any other Atom element there (an
# atom:entry in a channel, an atom:name in an item) is undefined (an error).
_ATOM_QUESTIONABLE = frozenset((
    "author", "category", "content", "contributor", "generator", "icon", "id", "link",
    "logo", "published", "rights", "subtitle", "summary", "title", "updated"))


def _group(el: etree._Element, sink: Sink, parent: str, known: frozenset[str],
           *, allow_items: bool = False) -> dict[str, list[etree._Element]]:
    # Elements that hold elements only: text there is an error (W3C UnexpectedText).
    stray = (el.text or "").strip() or next(
        ((k.tail or "").strip() for k in el if (k.tail or "").strip()), "")
    if stray:
        sink.add("rss.unexpected-text",
                 f"unexpected text {stray[:40]!r} in {parent} (it holds elements only)",
                 line_of(el))
    groups: dict[str, list[etree._Element]] = defaultdict(list)
    for child in elements(el):
        tag = child.tag
        ns, name = ("", tag) if tag[0] != "{" else split(tag)  # most RSS tags: no namespace
        if ns not in ("", USERLAND_NS):
            if len(child):
                # An element without a namespace directly inside an extension element:
                # RSS 2.0 extensions are namespaced (W3C NotInANamespace), and HTML in
                # an extension's text belongs escaped (dc:creator with <b>).
                for mark in child.iterchildren("{}*"):
                    sink.add("rss.unknown-element",
                             f"undefined element {mark.tag} in {child.prefix or ns}:{name} "
                             "(extension elements are namespaced)", line_of(mark))
            if ns == ATOM_NS:
                if name == "link":
                    groups["atom:link"].append(child)  # (attributes: rss_vocab's walk)
                if name in _ATOM_IN.get(parent, frozenset()):
                    pass
                elif name in _ATOM_QUESTIONABLE:
                    sink.add("rss.atom.questionable",
                             f"atom:{name} is not an RSS {parent} element; readers may ignore "
                             "it", line_of(child))
                else:
                    sink.add("rss.atom.misplaced",
                             f"atom:{name} is not defined in an RSS {parent}", line_of(child))
            continue
        if name in known or (allow_items and name == "item"):
            groups[name].append(child)
            if child.attrib:
                _attributes(sink, child, name)
            if len(child) and name not in _CONTAINERS:
                # An element in a text field: unescaped markup such as <b> (the W3C
                # validator's UndefinedElement); namespaced ones are extensions.
                for mark in child.iterchildren("{}*"):
                    sink.add("rss.unknown-element",
                             f"undefined {name} element: {mark.tag} (markup in a text "
                             "field must be escaped or in CDATA)", line_of(mark))
        else:
            sink.add("rss.unknown-element", f"undefined {parent} element: {name}",
                     line_of(child))
    return groups


_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
# (RSS element, extension element) pairs saying the same thing, as the W3C validator lists.
_CHANNEL_SEMANTICS = (
    ("managingEditor", _DC + "creator"), ("category", _DC + "subject"),
    ("pubDate", _DC + "date"), ("webMaster", _DC + "publisher"),
    ("language", _DC + "language"), ("copyright", _DC + "rights"),
    ("lastBuildDate", "{http://purl.org/dc/terms/}modified"),
    ("generator", "{http://webns.net/mvcb/}generatorAgent"),
)
_ITEM_SEMANTICS = (
    ("author", _DC + "creator"), ("category", _DC + "subject"), ("pubDate", _DC + "date"),
    ("guid", "{" + ATOM_NS + "}id"), ("pubDate", "{" + ATOM_NS + "}published"),
    ("source", _DC + "source"),
)


def _duplicate_semantics(sink: Sink, el: etree._Element,
                         pairs: tuple[tuple[str, str], ...], parent: str) -> None:
    tags = {child.tag: child for child in elements(el)}
    for core, ext in pairs:
        if core in tags and ext in tags:
            prefix = tags[ext].prefix or ""
            sink.add("rss.duplicate-semantics",
                     f"{parent} should not include both {core} and "
                     f"{prefix + ':' if prefix else ''}{split(ext)[1]}", line_of(tags[ext]))


def _once(sink: Sink, g: dict[str, list[etree._Element]], parent: str,
          names: tuple[str, ...]) -> None:
    for name in names:
        for extra in g.get(name, [])[1:]:
            sink.add("rss.duplicate-element", f"{parent} contains more than one {name}",
                     line_of(extra))


def _value(el: etree._Element) -> str:
    return (el.text or "").strip()


def _url(sink: Sink, el: etree._Element, what: str, value: str | None = None) -> None:
    v = _value(el) if value is None else value
    if why := url_problem(v):
        sink.add("rss.bad-url", f"{what} must be a full URL, got {v!r}: {why}", line_of(el))


def _date(sink: Sink, el: etree._Element, code: str, what: str) -> None:
    verdict, why = rfc822_check(el.text or "")
    if verdict is DateVerdict.INVALID:
        sink.add(code, f"{what} must be an RFC 822 date-time, got {el.text!r}: {why}",
                 line_of(el))
    elif verdict is DateVerdict.WRONG_WEEKDAY:
        sink.add("rss.date.wrong-weekday", f"incorrect day of week in {what}: {why}",
                 line_of(el))
    elif verdict is DateVerdict.PROBLEMATIC:
        sink.add("rss.date.problematic", f"problematical RFC 822 date in {what}: {why}",
                 line_of(el))
    elif (moment := rfc822_moment(el.text or "")) and (doubt := implausible(moment)):
        sink.add("rss.date.implausible", f"implausible date {el.text!r} in {what}: {doubt}",
                 line_of(el))


_IMAGE_EXTENSION = re.compile(r"\w+\Z")


def image_url_format_ok(url: str) -> bool:
    """Whether a channel image URL can be a GIF, JPEG or PNG (RSS 2.0: "url is the URL of
    a GIF, JPEG or PNG image"), judged as the W3C validator does (ImageUrlFormat): by an
    extension after the last dot, when there is one."""
    ext = url.rsplit(".", 1)[-1].lower()
    return not _IMAGE_EXTENSION.match(ext) or ext in ("jpg", "jpeg", "gif", "png")


def _blank(sink: Sink, g: dict[str, list[etree._Element]], parent: str,
           names: tuple[str, ...]) -> None:
    """Elements the W3C validator wants non-blank (NotBlank): a present but empty title
    or category says nothing."""
    for name in names:
        for el in g.get(name, ()):
            if not _value(el):
                sink.add("rss.blank-element", f"{parent} {name} should not be blank",
                         line_of(el))
