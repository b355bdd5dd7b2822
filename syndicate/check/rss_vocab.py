"""Where the common RSS modules' elements may stand, and markup inside RSS text fields,
judged as the W3C Feed Validator does.

The reference knows each module's vocabulary per parent: an element of a namespace it
knows that the parent does not define is an UndefinedElement (an error) unless it is one
it accepts anywhere with a "questionable usage" warning (Dublin Core's descriptive
elements, the DCMI terms). The facts, per module (the modules' own specifications):

- Dublin Core (purl.org/dc/elements/1.1/): the 15 DCMES elements; creator, subject and
  date only on a channel, item, image or text input, the other twelve anywhere;
- DCMI terms (purl.org/dc/terms/): the refinements listed below, anywhere;
- content: ``encoded`` and ``items``, on items only;
- syndication (sy:): updatePeriod, updateFrequency, updateBase, on the channel only;
- admin: generatorAgent, errorReportsTo, on the channel only;
- wfw: comment, commentRss (and its commentRSS spelling), on items only;
- slash: comments, department, section, hit_parade, on items only;
- blogChannel: blogRoll, mySubscriptions, blink, changes, on the channel only;
- creativeCommons / cc: license, on a channel or item (cc's also on an image and,
  as cc:License, at the top of an RSS 1.0 document);
- FeedBurner: its eight elements, on a channel or item (feedFlare with href and src,
  info with uri; the others without attributes);
- in RSS 2.0, RDF elements other than rdf:RDF, rdf:type and rdf:Description, and any
  RSS 1.0 element; in RSS 1.x, Atom elements other than those Atom feeds define for
  feed or entry.

Only elements whose parent is an RSS element are judged (inside another module's
element the rules of that module apply). Markup in a text field (an element without a
namespace inside title or dc:creator) is rss_elements._group's rule. The same walk
judges atom:link and atom:id values anywhere in the document.

Values: dcterms:created/issued/modified and sy:updateBase are W3CDTF dates;
sy:updatePeriod is hourly, daily, weekly, monthly or yearly; sy:updateFrequency and
dcterms:extent positive integers; wfw comment links, blogChannel and creativeCommons
values full URLs. Most of these elements may appear once per parent.
"""

from __future__ import annotations

import re

from lxml import etree

from syndicate.check.module_terms import DC_ANYWHERE, DC_RESOURCE, DCTERMS, ONCE, PERIODS
from syndicate.check.modules import w3cdtf_problem
from syndicate.check.rss_elements import _ATOM_LINK_ATTRIBUTES, unexpected_attributes
from syndicate.check.tree import Sink, line_of, split
from syndicate.check.values import iri_problem, url_problem, whole

DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"
ADMIN_NS = "http://webns.net/mvcb/"
WFW_NS = "http://wellformedweb.org/CommentAPI/"
SLASH_NS = "http://purl.org/rss/1.0/modules/slash/"
FEEDBURNER_NS = "http://rssnamespace.org/feedburner/ext/1.0"

# The RSS elements that describe a resource (Dublin Core's creator/subject/date there).
_RESOURCES = frozenset(("channel", "Channel", "item", "image", "textInput", "textinput"))
_CHANNEL = frozenset(("channel", "Channel"))
_ITEM = frozenset(("item",))
# Module namespace -> (element name -> the RSS parents allowed; None = anywhere).
_PLACES: dict[str, dict[str, frozenset[str] | None]] = {
    DC_NS: {**{n: None for n in DC_ANYWHERE}, **{n: _RESOURCES for n in DC_RESOURCE}},
    DCTERMS_NS: {n: None for n in DCTERMS},
    CONTENT_NS: {"encoded": _ITEM, "items": _ITEM},
    SY_NS: {n: _CHANNEL for n in ("updatePeriod", "updateFrequency", "updateBase")},
    ADMIN_NS: {n: _CHANNEL for n in ("generatorAgent", "errorReportsTo")},
    WFW_NS: {n: _ITEM for n in ("comment", "commentRss", "commentRSS")},
    SLASH_NS: {n: _ITEM for n in ("comments", "department", "section", "hit_parade")},
}
_ITEM_CHANNEL = _CHANNEL | _ITEM
_PLACES.update({
    "http://backend.userland.com/blogChannelModule": {
        n: _CHANNEL for n in ("blogRoll", "mySubscriptions", "blink", "changes")},
    "http://backend.userland.com/creativeCommonsRssModule": {"license": _ITEM_CHANNEL},
    # an RSS 1.0 licence also stands at the top, beside the channel (cc:License there)
    "http://web.resource.org/cc/": {"license": _ITEM_CHANNEL | {"RDF", "image"},
                                    "License": frozenset(("RDF",))},
    # FeedBurner: which of channel or item is modules_ext's rule (_LEVEL); here, that it
    # stands in one of them and is a FeedBurner element at all.
    FEEDBURNER_NS: {n: _ITEM_CHANNEL for n in (
        "awareness", "origLink", "origEnclosureLink", "browserFriendly", "emailServiceId",
        "feedFlare", "info", "feedburnerHostname")},
})
# Unqualified attributes a module element defines.
_OWN_ATTRIBUTES = {"{" + FEEDBURNER_NS + "}feedFlare": frozenset(("href", "src")),
                   "{" + FEEDBURNER_NS + "}info": frozenset(("uri",))}
# Atom elements the reference accepts anywhere (with a warning at most), for RSS 1.x;
# RSS 2.0 channels and items judge theirs in rss_elements._group.
_ATOM_ANYWHERE: dict[str, frozenset[str] | None] = {n: None for n in (
    "author", "category", "content", "contributor", "generator", "icon", "id", "link",
    "logo", "published", "rights", "subtitle", "summary", "title", "updated")}
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF = "{" + _RDF_NS + "}"
# In RSS 2.0 only: RDF's own elements (outside RSS 1.0's structure) and RSS 1.0's.
_RSS2_PLACES: dict[str, dict[str, frozenset[str] | None]] = {
    **_PLACES,
    _RDF_NS: {"RDF": None, "type": None, "Description": None},
    "http://purl.org/rss/1.0/": {},
}
_RDF_PLACES = {**_PLACES, "http://www.w3.org/2005/Atom": _ATOM_ANYWHERE,
               _RDF_NS: {"RDF": None, "type": None, "Description": None,
                         "Seq": frozenset(("items",)), "li": frozenset(("Seq",))}}
# The attributes module elements may carry: RDF's in RSS 1.x; in RSS 2.0 none, but for
# the modules whose value is a resource (admin:generatorAgent, cc:license).
_RDF_VALUED = frozenset(("http://webns.net/mvcb/", "http://web.resource.org/cc/"))
_MODULE_ATTRIBUTES = {
    True: frozenset(_RDF + a for a in ("resource", "parseType", "datatype")),
    False: frozenset(),
}
_RSS2_TAGS = tuple("{" + ns + "}*" for ns in _RSS2_PLACES)
_RDF_TAGS = tuple("{" + ns + "}*" for ns in _RDF_PLACES)
_ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
_ATOM_ID = "{http://www.w3.org/2005/Atom}id"
_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS2_WALK = (*_RSS2_TAGS, _ATOM + "*")
# Atom elements inside RSS 2.0: the attributes each defines, and those a parent holds once.
_ATOM_ATTRIBUTES: dict[str, frozenset[str]] = {
    _ATOM + "content": frozenset(("type", "src")),
    **{_ATOM + n: frozenset(("type",)) for n in ("title", "summary", "subtitle", "rights")},
    _ATOM + "category": frozenset(("term", "scheme", "label")),
    _ATOM + "generator": frozenset(("uri", "version")),
    _ATOM_LINK: _ATOM_LINK_ATTRIBUTES,
    **{_ATOM + n: frozenset((_RDF + "parseType",)) for n in ("author", "contributor")},
}
_ATOM_SINGLE = frozenset(_ATOM + n for n in (
    "id", "updated", "published", "title", "summary", "rights", "subtitle", "icon", "logo",
    "generator", "name", "uri", "email"))  # content may repeat

_BLOGCHANNEL_NS = "http://backend.userland.com/blogChannelModule"
# Elements a parent may hold once (the reference's noduplicates).
_MODULE_NS = {"dc": DC_NS, "dcterms": DCTERMS_NS, "sy": SY_NS, "admin": ADMIN_NS,
              "wfw": WFW_NS, "blogChannel": _BLOGCHANNEL_NS, "slash": SLASH_NS}
_SINGLE = frozenset((
    *("{" + _MODULE_NS[prefix] + "}" + n for prefix, names in ONCE.items() for n in names),
    *("{" + CONTENT_NS + "}" + n for n in ("encoded", "items")),
))
_DC_DATE = "{" + DC_NS + "}date"  # once per channel (an item may hold several)
# The forms of module values (dc:date and slash:comments are modules.py's).
_W3CDTF = frozenset(("{" + DCTERMS_NS + "}created", "{" + DCTERMS_NS + "}issued",
                     "{" + DCTERMS_NS + "}modified", "{" + SY_NS + "}updateBase"))
_POSITIVE = frozenset(("{" + SY_NS + "}updateFrequency", "{" + DCTERMS_NS + "}extent"))
_FULL_URL = frozenset((
    *("{" + WFW_NS + "}" + n for n in ("comment", "commentRss", "commentRSS")),
    *("{" + _BLOGCHANNEL_NS + "}" + n for n in (
        "blogRoll", "mySubscriptions", "blink", "changes")),
    "{http://backend.userland.com/creativeCommonsRssModule}license"))
_INTEGER = re.compile(r"[+-]?\d+\Z", re.ASCII)


def _value_problem(tag: str, value: str) -> str | None:
    """Why a module element's (stripped) text has the wrong form, or None."""
    if tag in _W3CDTF:
        why = w3cdtf_problem(value)
        return f"must be a W3CDTF date such as 2003-12-13T18:30:02Z: {why}" if why else None
    if tag in _POSITIVE:
        return None if _INTEGER.match(value) and whole(value) > 0 else \
            "must be a positive integer"
    if tag in _FULL_URL:
        why = url_problem(value)
        return f"must be a full URL: {why}" if why else None
    if tag == "{" + SY_NS + "}updatePeriod" and value not in PERIODS:
        return "must be hourly, daily, weekly, monthly or yearly"
    return None


def check_vocabulary(root: etree._Element, sink: Sink,
                        rss_namespaces: frozenset[str], *, rss2: bool) -> None:
    """Module elements the module does not define, or defines for another parent; their
    attributes, values and repetitions; atom:link and atom:id values."""
    table = _RSS2_PLACES if rss2 else _RDF_PLACES
    singles: set[tuple[etree._Element, str]] = set()
    # one walk for both (each walk of the tree costs as much as the rest of this)
    for el in root.iter(*(_RSS2_WALK if rss2 else _RDF_TAGS)):
        if el.tag == _ATOM_LINK or el.tag == _ATOM_ID:
            _atom_value(el, sink, skip_channel_links=rss2)
        if rss2 and el.tag[:len(_ATOM)] == _ATOM:
            _atom_in_rss2(el, sink, singles)
            continue
        parent = el.getparent()
        if parent is None:
            continue
        pns, pname = split(parent.tag)
        if pns not in rss_namespaces or pns == _RDF_NS and pname not in ("RDF", "Seq"):
            continue  # inside RDF nodes (rdf:Description) the properties are free
        ns, name = split(el.tag)
        places = table[ns]
        if name not in places:
            sink.add("rss.module.undefined-element",
                     f"{_qname(el)} is not an element of its module", line_of(el))
            continue
        if el.attrib and ns in _PLACES:
            rdf_attributes = not rss2 or ns in _RDF_VALUED
            allowed_attributes = _MODULE_ATTRIBUTES[rdf_attributes]
            if el.tag in _OWN_ATTRIBUTES:
                allowed_attributes = allowed_attributes | _OWN_ATTRIBUTES[el.tag]
            for attr in unexpected_attributes(el, allowed_attributes):
                sink.add("rss.unexpected-attribute",
                         f"unexpected {attr!r} attribute on {_qname(el)}", line_of(el))
        allowed = places[name]
        if allowed is not None and pname not in allowed:
            sink.add("rss.module.undefined-element",
                     f"{_qname(el)} is not defined in {pname}", line_of(el))
            continue
        tag = el.tag
        assert isinstance(tag, str)  # iter() with tag names yields elements only
        if tag in _SINGLE or tag == _DC_DATE and pname in _CHANNEL:
            if (parent, tag) in singles:
                sink.add("rss.duplicate-element", f"{pname} contains more than one "
                                                  f"{_qname(el)}", line_of(el))
            singles.add((parent, tag))
        if why := _value_problem(tag, (el.text or "").strip()):
            sink.add("rss.module.bad-value", f"{_qname(el)} {el.text!r} {why}", line_of(el))


def _atom_in_rss2(el: etree._Element, sink: Sink,
                  singles: set[tuple[etree._Element, str]]) -> None:
    """An Atom element in RSS 2.0: only its own attributes, and at most one of each
    single-valued element (an item's author too) per parent."""
    tag = el.tag
    assert isinstance(tag, str)
    if el.attrib:
        for attr in unexpected_attributes(el, _ATOM_ATTRIBUTES.get(tag, frozenset())):
            sink.add("rss.unexpected-attribute",
                     f"unexpected {attr!r} attribute on {_qname(el)}", line_of(el))
    parent = el.getparent()
    if parent is not None and (tag in _ATOM_SINGLE
                               or tag == _ATOM + "author" and parent.tag == "item"):
        if (parent, tag) in singles:
            sink.add("rss.duplicate-element",
                     f"{split(parent.tag)[1]} contains more than one {_qname(el)}",
                     line_of(el))
        singles.add((parent, tag))


def _qname(el: etree._Element) -> str:
    return f"{el.prefix}:{split(el.tag)[1]}" if el.prefix else split(el.tag)[1]


# A media type as the reference reads one: type/subtype of any characters but spaces and
# RFC 2045 specials (so image/* passes), then ;name=value parameters.
_MT_TOKEN = r'[^\s()<>,;:\\"/\[\]?=]+'
_MEDIA_TYPE = re.compile(_MT_TOKEN + "/" + _MT_TOKEN + r'(?:\s*;\s*' + _MT_TOKEN +
                         r'=(?:"(?:\\"|[^"])*"|' + _MT_TOKEN + "))*\\Z")


def _atom_value(el: etree._Element, sink: Sink, *, skip_channel_links: bool) -> None:
    """atom:link and atom:id wherever they stand in an RSS document: a link has an href
    that is an IRI reference and, when typed, a MIME type; an id is an IRI (a urn: or
    tag: one in its own syntax). ``skip_channel_links``: the RSS 2.0 channel's links'
    href presence is checked with the channel (rss._atom_links)."""
    if el.tag == _ATOM_ID:
        if why := iri_problem((el.text or "").strip()):
            sink.add("rss.atom.bad-value", f"atom:id {el.text!r} is not an IRI: {why}",
                     line_of(el))
        return
    href = el.get("href")
    if href is None:
        parent = el.getparent()
        if not (skip_channel_links and parent is not None and parent.tag == "channel"):
            sink.add("rss.atom-link.missing-href", "atom:link must have an href attribute",
                     line_of(el))
    elif why := iri_problem(href):
        sink.add("rss.atom.bad-value", f"atom:link href {href!r} is not an IRI reference: "
                                       f"{why}", line_of(el))
    kind = el.get("type")
    if kind is not None and not _MEDIA_TYPE.match(kind):
        sink.add("rss.atom.bad-value", f"atom:link type {kind!r} is not a MIME type",
                 line_of(el))
