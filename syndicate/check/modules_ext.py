"""More extension modules, judged as the W3C Feed Validator does (its extension.py and
sse.py): FeedBurner, Atom threading (RFC 4685), FeedSync (sx:), Conversations Network,
Bloglines access restriction and GeoRSS / W3C Geo points.

``check_module_element`` is called by ``modules.check_modules`` for each element in one of
these namespaces (found in the same single walk over the tree); ``check_thread_links``
looks at thr:count / thr:when on atom:link, and runs only when the threading namespace
is declared at the root, so feeds without these modules pay nothing.

The facts encoded here, per module:

- FeedBurner: awareness (channel or item), origLink and origEnclosureLink (item),
  feedburnerHostname (channel) hold a full URI; emailServiceId an integer;
  browserFriendly plain text; feedFlare needs href and src. Each of the single-valued
  ones may appear once per parent.
- thr:in-reply-to: ``ref`` (or the draft's ``id``) is an absolute IRI, ``href`` and
  ``source`` IRI references, ``type`` a MIME type; thr:total a non-negative integer
  (once); on links, thr:count a non-negative integer and thr:when an RFC 3339 date.
- FeedSync: sx:sharing's since/until/expires are RFC 3339 dates, since and until come
  together and since is not after until; sx:related has a full-URI link and a type of
  complete or aggregated; sx:sync has a unique id made of URN NSS characters, updates
  (1 to 2^31-1), true/false deleted and noconflicts, and at least one sx:history; each
  sx:history has a sequence (1 to 2^31-1), an RFC 3339 when, and a by or a when.
- Conversations Network (item level): typed single values.
- access:restriction (top level only) has relationship="allow" or "deny".
- GeoRSS simple: a point is two numbers, a line or polygon an even list of 4 or more;
  elev a decimal, floor an integer, radius a number; geo:Point has geo:lat and geo:long.
"""

from __future__ import annotations

import re

from lxml import etree

from syndicate.check.markup import html_in_text
from syndicate.check.tree import Sink, line_of, split
from syndicate.check.values import (
    iri_problem,
    is_http_url,
    is_mime_type,
    rfc3339_problem,
    whole,
)

FEEDBURNER_NS = "http://rssnamespace.org/feedburner/ext/1.0"
THR_NS = "http://purl.org/syndication/thread/1.0"
SX_NS = "http://feedsync.org/2007/feedsync"
CN_NS = "http://conversationsnetwork.org/rssNamespace-1.0/"
ACCESS_NS = "http://bloglines.com/about/specs/fac-1.0"
ACCESS_NS_WWW = "http://www.bloglines.com/about/specs/fac-1.0"
GEORSS_NS = "http://www.georss.org/georss"
GML_NS = "http://www.opengis.net/gml"
GEO_NS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
ATOM_NS = "http://www.w3.org/2005/Atom"

_IN_REPLY_TO = frozenset(("ref", "href", "type", "source"))
_ATOM_ENTRY = "{" + ATOM_NS + "}entry"
_RSS1_ITEM = "{http://purl.org/rss/1.0/}item"
NAMESPACES = frozenset((FEEDBURNER_NS, THR_NS, SX_NS, CN_NS, ACCESS_NS, ACCESS_NS_WWW,
                        GEORSS_NS, GML_NS))


def namespaces_in(data: bytes) -> frozenset[str] | None:
    """The module namespaces whose URI occurs anywhere in the document's bytes (a
    declaration on any element, however deep, is found), or None when the bytes are not
    ASCII-compatible (UTF-16/32), where a byte search cannot tell."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        return None
    return frozenset(ns for ns in NAMESPACES if ns.encode("ascii") in data)


def declared_namespaces(root: etree._Element,
                        present: frozenset[str] | None = None) -> tuple[str, ...]:
    """Wildcard tags ("{ns}*") for the namespaces of this module in scope at the root or
    at the first item or entry (whose nsmap includes its ancestors' declarations): the
    tree walk then matches only modules the feed declares, so absent ones cost nothing
    (a wildcard per namespace slows every walk)."""
    if present is not None:
        return tuple("{" + ns + "}*" for ns in present)
    # iterchildren filters in C; find() would parse a path in Python for every feed.
    first = next(root.iterchildren(_ATOM_ENTRY, _RSS1_ITEM, "channel"), None)
    if first is not None and first.tag == "channel":
        first = next(first.iterchildren("item"), first)
    found = (first if first is not None else root).nsmap.values()
    return tuple("{" + ns + "}*" for ns in NAMESPACES.intersection(found))

_CHANNEL = frozenset(("channel", "feed"))
_ITEM = frozenset(("item", "entry"))
_TOP = frozenset(("rss", "feed", "RDF"))

# Where each FeedBurner / Conversations Network / FeedSync element may stand (elements
# not listed are judged only by value); a channel element inside an item, or the
# reverse, is an undefined element there.
_LEVEL: dict[str, frozenset[str]] = {
    **{"{" + FEEDBURNER_NS + "}" + n: _CHANNEL for n in (
        "browserFriendly", "emailServiceId", "feedFlare", "info", "feedburnerHostname")},
    **{"{" + FEEDBURNER_NS + "}" + n: _ITEM for n in ("origLink", "origEnclosureLink")},
    **{"{" + CN_NS + "}" + n: _ITEM for n in (
        "introMilliseconds", "image", "ratingAverage", "ratingCount", "ratingIndividual",
        "ratingTimestamp")},
    "{" + SX_NS + "}sharing": _CHANNEL,
    "{" + SX_NS + "}sync": _ITEM,
    "{" + THR_NS + "}total": _ITEM,
}

# Elements that may appear at most once per parent.
SINGLE = frozenset((
    *("{" + FEEDBURNER_NS + "}" + n for n in (
        "awareness", "origLink", "origEnclosureLink", "browserFriendly", "emailServiceId",
        "feedburnerHostname")),
    *("{" + CN_NS + "}" + n for n in (
        "introMilliseconds", "image", "ratingAverage", "ratingCount", "ratingIndividual",
        "ratingTimestamp")),
    "{" + THR_NS + "}total",
))

_FB_URIS = frozenset("{" + FEEDBURNER_NS + "}" + n for n in (
    "awareness", "origLink", "origEnclosureLink", "feedburnerHostname"))
_INTEGER = re.compile(r"[+-]?\d+\Z", re.ASCII)
# Numbers written \d+(?:\.\d*)? rather than \d+\.?\d*: the same strings, but a long run
# of digits can split only one way, so a failing match is linear, not quadratic (a
# 10 MB georss:point of digits took hours).
_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
_DECIMAL = re.compile(r"[-+]?\d+(?:\.\d*)?\s*\Z", re.ASCII)
_POINT = re.compile(r"[-+]?\d+(?:\.\d*)?[ ,][-+]?\d+(?:\.\d*)?\Z", re.ASCII)
_COORD = re.compile(r"[-+]?\d+(?:\.\d*)?\Z", re.ASCII)
_ISO8601 = re.compile(r"\d{4}(?:-\d\d(?:-\d\d(?:T\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?"
                      r"(?:Z|[+-]\d\d(?::?\d\d)?)?)?)?)?\Z", re.ASCII)
# RFC 2141 namespace-specific-string characters (and %-escapes).
_NSS = re.compile(r"(?:[0-9a-zA-Z()+,\-.:=@;$_!*'/?#]|%[0-9a-fA-F]{2})+\Z", re.ASCII)
_UINT31_MAX = 2**31 - 1


def _qname(el: etree._Element) -> str:
    name = split(el.tag)[1]
    return f"{el.prefix}:{name}" if el.prefix else name


def _value(el: etree._Element) -> str:
    return (el.text or "").strip()


def check_module_element(el: etree._Element, ns: str, sink: Sink, *, atom: bool) -> None:
    """Judge one element of the namespaces in ``NAMESPACES``."""
    tag = el.tag
    assert isinstance(tag, str)
    parent = el.getparent()
    where = split(parent.tag)[1] if parent is not None else ""
    level = _LEVEL.get(tag)
    if level is not None and where in (_CHANNEL | _ITEM) and where not in level:
        sink.add("ext.misplaced", f"{_qname(el)} does not belong in {where}", line_of(el))
        return
    if ns == FEEDBURNER_NS:
        _feedburner(el, tag, sink, atom=atom)
    elif ns == THR_NS:
        _thread(el, tag, sink)
    elif ns == SX_NS:
        _feedsync(el, tag, sink)
    elif ns == CN_NS:
        _conversations(el, tag, sink)
    elif ns in (ACCESS_NS, ACCESS_NS_WWW):
        _access(el, where, sink)
    else:
        _georss(el, tag, sink)


def _feedburner(el: etree._Element, tag: str, sink: Sink, *, atom: bool) -> None:
    name = _qname(el)
    if tag in _FB_URIS:
        if why := iri_problem(_value(el), absolute=True, ascii_only=True):
            sink.add("ext.feedburner.bad-uri",
                     f"{name} must be a full URI, got {el.text!r}: {why}", line_of(el))
    elif tag == "{" + FEEDBURNER_NS + "}browserFriendly":
        if html_in_text(el.text or ""):
            sink.add("ext.feedburner.contains-html", f"{name} should be plain text, not HTML",
                     line_of(el))
    elif tag == "{" + FEEDBURNER_NS + "}feedFlare":
        for attr in ("href", "src"):
            value = el.get(attr)
            if value is None:
                sink.add("ext.feedburner.missing-attribute",
                         f"{name} must have a {attr} attribute", line_of(el))
            elif atom:
                # In Atom the reference judges these as IRI references (relative is fine).
                if why := iri_problem(value.strip()):
                    sink.add("ext.feedburner.bad-uri",
                             f"{name} {attr} must be a URI, got {value!r}: {why}",
                             line_of(el))
            elif iri_problem(value.strip(), absolute=True, ascii_only=True):
                sink.add("ext.feedburner.relative-ref",
                         f"{name} {attr} should be a full URI, got {value!r}", line_of(el))
    elif tag == "{" + FEEDBURNER_NS + "}info" and el.get("uri") is None:
        sink.add("ext.feedburner.missing-attribute", f"{name} must have a uri attribute",
                 line_of(el))


def _thread(el: etree._Element, tag: str, sink: Sink) -> None:
    name = _qname(el)
    if tag == "{" + THR_NS + "}total":
        if not _value(el).isdigit() or not _value(el).isascii():
            sink.add("ext.thr.bad-count",
                     f"{name} must be a non-negative integer, got {el.text!r}", line_of(el))
        return
    if tag != "{" + THR_NS + "}in-reply-to":
        return
    for attr in el.attrib:
        # RFC 4685 section 3 defines ref, href, type and source; the drafts' "id" (now
        # "ref") is one of the unknown ones the reference rejects (UnexpectedAttribute).
        if isinstance(attr, str) and not attr.startswith("{") and attr not in _IN_REPLY_TO:
            sink.add("ext.thr.unexpected-attribute",
                     f"{name} has no attribute {attr!r} (RFC 4685 defines ref, href, type "
                     "and source)", line_of(el))
    ref = el.get("ref")
    if ref is not None and (why := iri_problem(ref.strip(), absolute=True)):
        sink.add("ext.thr.bad-ref", f"{name} ref must be an absolute IRI, got {ref!r}: {why}",
                 line_of(el))
    for attr in ("href", "source"):
        value = el.get(attr)
        # Judged as the W3C validator judges them: with its full-URI pattern (its
        # in-reply-to handler inherits that pattern), so a relative reference is refused.
        if value is not None and (why := iri_problem(value.strip(), absolute=True)):
            sink.add("ext.thr.bad-uri", f"{name} {attr} must be an absolute IRI, got "
                                        f"{value!r}: {why}", line_of(el))
    kind = el.get("type")
    if kind is not None and not is_mime_type(kind.strip()):
        sink.add("ext.thr.bad-type", f"{name} type must be a MIME type, got {kind!r}",
                 line_of(el))


def check_thread_links(root: etree._Element, sink: Sink) -> None:
    """thr:count and thr:updated on atom:link (RFC 4685 section 5): only on a
    rel="replies" link, a non-negative integer and an RFC 3339 date-time; the drafts'
    thr:when is not part of the RFC (the reference's NoThrWhen, an error)."""
    count_attr, updated_attr = "{" + THR_NS + "}count", "{" + THR_NS + "}updated"
    when_attr = "{" + THR_NS + "}when"
    for link in root.iter("{" + ATOM_NS + "}link"):
        replies = (link.get("rel") or "").strip() == "replies"
        count = link.get(count_attr)
        if count is not None:
            if not replies:
                sink.add("ext.thr.not-replies",
                         "thr:count belongs on a rel=\"replies\" link only", line_of(link))
            if not (count.isdigit() and count.isascii()):
                sink.add("ext.thr.bad-count",
                         f"thr:count must be a non-negative integer, got {count!r}",
                         line_of(link))
        updated = link.get(updated_attr)
        if updated is not None:
            if not replies:
                sink.add("ext.thr.not-replies",
                         "thr:updated belongs on a rel=\"replies\" link only", line_of(link))
            if why := rfc3339_problem(updated):
                sink.add("ext.thr.bad-updated",
                         f"thr:updated must be an RFC 3339 date-time, got {updated!r}: {why}",
                         line_of(link))
        if link.get(when_attr) is not None:
            sink.add("ext.thr.when", "thr:when is a draft attribute RFC 4685 does not define "
                     "(it became thr:updated)", line_of(link))


def _uint31(el: etree._Element, attr: str, sink: Sink) -> None:
    name = _qname(el)
    value = el.get(attr)
    if value is None:
        sink.add("ext.sx.missing-attribute", f"{name} must have a {attr} attribute",
                 line_of(el))
    elif not (value.isdigit() and value.isascii()) or not 0 < whole(value) <= _UINT31_MAX:
        sink.add("ext.sx.bad-number",
                 f"{name} {attr} must be an integer from 1 to 2147483647, got {value!r}",
                 line_of(el))


def _sx_date(el: etree._Element, attr: str, sink: Sink) -> str | None:
    value = el.get(attr)
    if value is not None and (why := rfc3339_problem(value)):
        sink.add("ext.sx.bad-date",
                 f"{_qname(el)} {attr} must be an RFC 3339 date-time, got {value!r}: {why}",
                 line_of(el))
        return None
    return value


def _feedsync(el: etree._Element, tag: str, sink: Sink) -> None:
    name = _qname(el)
    local = tag[len(SX_NS) + 2:]
    if local == "sharing":
        since, until = _sx_date(el, "since", sink), _sx_date(el, "until", sink)
        _sx_date(el, "expires", sink)
        for have, need in (("since", "until"), ("until", "since")):
            if el.get(have) is not None and el.get(need) is None:
                sink.add("ext.sx.missing-attribute",
                         f"{name} with {have} must also have {need}", line_of(el))
        # RFC 3339 values in one zone compare as strings, as the reference compares them.
        if since and until and since > until:
            sink.add("ext.sx.since-after-until", f"{name} since is later than until",
                     line_of(el))
    elif local == "related":
        link = el.get("link")
        if link is None:
            sink.add("ext.sx.missing-attribute", f"{name} must have a link attribute",
                     line_of(el))
        elif why := iri_problem(link.strip(), absolute=True, ascii_only=True):
            sink.add("ext.sx.bad-link", f"{name} link must be a full URI, got {link!r}: {why}",
                     line_of(el))
        kind = el.get("type")
        if kind not in ("complete", "aggregated"):
            sink.add("ext.sx.bad-type",
                     f"{name} type must be complete or aggregated, got {kind!r}", line_of(el))
    elif local == "sync":
        for attr in ("deleted", "noconflicts"):
            flag = el.get(attr)
            if flag is not None and flag not in ("true", "false"):
                sink.add("ext.sx.bad-boolean",
                         f"{name} {attr} must be true or false, got {flag!r}", line_of(el))
        ident = el.get("id")
        if ident is None:
            sink.add("ext.sx.missing-attribute", f"{name} must have an id attribute",
                     line_of(el))
        elif not _NSS.match(ident):
            sink.add("ext.sx.bad-id",
                     f"{name} id must be made of URN namespace-specific characters, got "
                     f"{ident!r}", line_of(el))
        _uint31(el, "updates", sink)
        if el.find("{" + SX_NS + "}history") is None:
            sink.add("ext.sx.missing-history", f"{name} must contain an sx:history",
                     line_of(el))
    elif local == "history":
        _uint31(el, "sequence", sink)
        _sx_date(el, "when", sink)
        by = el.get("by")
        if by is not None and not _NSS.match(by):
            sink.add("ext.sx.bad-id",
                     f"{name} by must be made of URN namespace-specific characters, got "
                     f"{by!r}", line_of(el))
        if by is None and el.get("when") is None:
            sink.add("ext.sx.missing-by-and-when", f"{name} must have a by or a when",
                     line_of(el))
        elif by is None or el.get("when") is None:
            sink.add("ext.sx.missing-by-or-when",
                     f"{name} should have both by and when", line_of(el))


def check_sync_ids(syncs: list[etree._Element], sink: Sink) -> None:
    """sx:sync ids are unique within the feed (FeedSync section 3.2)."""
    seen: set[str] = set()
    for el in syncs:
        ident = el.get("id")
        if ident is None:
            continue
        if ident in seen:
            sink.add("ext.sx.duplicate-id", f"sx:sync id {ident!r} is used twice",
                     line_of(el))
        seen.add(ident)


def _conversations(el: etree._Element, tag: str, sink: Sink) -> None:
    local = tag[len(CN_NS) + 2:]
    value = _value(el)
    if local in ("introMilliseconds", "ratingCount"):
        ok, want = value.isdigit() and value.isascii(), "a non-negative integer"
    elif local == "ratingIndividual":
        ok = value.isdigit() and value.isascii() and whole(value) > 0
        want = "a positive integer"
    elif local == "ratingAverage":
        ok, want = _FLOAT.match(value) is not None, "a number"
    elif local == "image":
        ok, want = is_http_url(value), "an http URL"
    elif local == "ratingTimestamp":
        ok, want = _ISO8601.match(value) is not None, "an ISO 8601 date-time"
    else:
        return
    if not ok:
        sink.add("ext.cn.bad-value", f"{_qname(el)} must be {want}, got {el.text!r}",
                 line_of(el))


def _access(el: etree._Element, where: str, sink: Sink) -> None:
    name = _qname(el)
    if split(el.tag)[1] != "restriction":
        return
    if where not in _TOP:
        sink.add("ext.misplaced", f"{name} belongs at the top level, not in {where}",
                 line_of(el))
        return
    rel = el.get("relationship")
    if rel is None:
        sink.add("ext.access.missing-relationship",
                 f"{name} must have a relationship attribute", line_of(el))
    elif rel not in ("allow", "deny"):
        sink.add("ext.access.bad-relationship",
                 f"{name} relationship must be allow or deny, got {rel!r}", line_of(el))


def _georss(el: etree._Element, tag: str, sink: Sink) -> None:
    name = _qname(el)
    local = split(tag)[1]
    value = _value(el)
    if local in ("point", "pos", "lowerCorner", "upperCorner"):
        if not _POINT.match(value):
            sink.add("ext.georss.bad-point",
                     f"{name} must be a latitude and a longitude, got {el.text!r}",
                     line_of(el))
    elif local in ("line", "polygon", "posList"):
        numbers = value.replace(",", " ").split()
        if len(numbers) < 4 or len(numbers) % 2 or not all(_COORD.match(n) for n in numbers):
            sink.add("ext.georss.bad-point-list",
                     f"{name} must be an even list of at least four coordinates, got "
                     f"{el.text!r}", line_of(el))
    elif local in ("elev", "radius"):
        if not (_DECIMAL.match(value) if local == "elev" else _FLOAT.match(value)):
            sink.add("ext.georss.bad-number", f"{name} must be a number, got {el.text!r}",
                     line_of(el))
    elif local == "floor" and not _INTEGER.match(value):
        sink.add("ext.georss.bad-number", f"{name} must be an integer, got {el.text!r}",
                 line_of(el))


def check_geo_point(el: etree._Element, sink: Sink) -> None:
    """A W3C geo:Point carries both geo:lat and geo:long."""
    for part in ("lat", "long"):
        if el.find("{" + GEO_NS + "}" + part) is None:
            sink.add("ext.geo.point-missing-coordinate", f"geo:Point has no geo:{part}",
                     line_of(el))
