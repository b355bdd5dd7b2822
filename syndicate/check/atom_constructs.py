"""Atom 1.0 (RFC 4287) checks of the constructs feed, entry and source share: text
constructs (3.1), atom:content (4.1.3) and atom:link (4.2.7), with the self link.

Split out of atom.py (kept under the house's ~500-line limit): atom.py's checker class
inherits these methods, so they keep working on its sink, location and hex_lines.
"""

from __future__ import annotations

import binascii
import re

from lxml import etree

from syndicate.check.atom_extensions import in_xhtml_div
from syndicate.check.markup import element_hex_escaped, html_in_text
from syndicate.check.tree import (
    Sink,
    elements,
    line_of,
    relative_without_base,
    resolve,
    same_location,
)
from syndicate.check.values import iri_problem, is_iso639, is_mime_type

ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_XHTML_DIV = "{" + XHTML_NS + "}div"
_XHTML_PREFIX = "{" + XHTML_NS + "}"
_ENTRY = "{" + ATOM_NS + "}entry"

# IANA link relations (https://www.iana.org/assignments/link-relations), names only.
_REGISTERED_RELS = frozenset("""
about acl alternate amphtml appendix apple-touch-icon apple-touch-startup-image archives
author blocked-by bookmark c2pa-manifest canonical chapter cite-as collection
compression-dictionary contents convertedfrom copyright create-form current describedby
describes disclosure dns-prefetch duplicate edit edit-form edit-media enclosure external
first glossary help hosts hub ice-server icon index intervalafter intervalbefore
intervalcontains intervaldisjoint intervalduring intervalequals intervalfinishedby
intervalfinishes intervalin intervalmeets intervalmetby intervaloverlappedby
intervaloverlaps intervalstartedby intervalstarts item last latest-version license linkset
lrdd manifest mask-icon me media-feed memento micropub modulepreload monitor monitor-group
next next-archive nofollow noopener noreferrer opener openid2.local_id openid2.provider
original payment pingback preconnect predecessor-version prefetch preload prerender prev
prev-archive preview previous privacy-policy profile publication related replies restconf
search section self service service-desc service-doc service-meta sip-trunking sponsored
start status stylesheet subsection successor-version sunset tag terms-of-service timegate
timemap type ugc up version-history via webmention working-copy working-copy-of
""".split())  # noqa: SIM905  (a word list reads better)
_IANA_REL = "http://www.iana.org/assignments/relation/"
_FEED_HISTORY_RELS = frozenset(("current", "first", "last", "next", "next-archive",
                                "prev-archive", "previous", "prev"))  # RFC 5005 paging
_FEED_TYPES = frozenset(("application/atom+xml", "application/rss+xml",
                         "application/rdf+xml"))
_ISEGMENT_NZ_NC = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                            "-._~!$&'()*+,;=@%")


def _rel(link: etree._Element) -> str:
    """The link's relation, defaulting to alternate, with the IANA IRI form shortened.

    The value is taken as written, as the W3C validator does: rel=" alternate" or rel=""
    is not an alternate link (an entry with only such links has no alternate)."""
    rel = link.get("rel")
    return "alternate" if rel is None else rel.removeprefix(_IANA_REL)


# A media type as the W3C validator reads a link or content type: type/subtype made of any
# characters but white space and the RFC 2045 specials, then ;name=value parameters
# ("*/*" passes, "" and "html" do not).
_MT_TOKEN = r'[^\s()<>,;:\\"/\[\]?=]+'
_LINK_TYPE = re.compile(_MT_TOKEN + "/" + _MT_TOKEN + r'(?:\s*;\s*' + _MT_TOKEN
                        + r'=(?:"(?:\\"|[^"])*"|' + _MT_TOKEN + "))*\\Z")


def _count(value: str) -> bool:
    """Whether ``value`` reads as a non-negative integer the way the W3C validator reads
    one (Python's int(): a sign and surrounding white space are accepted)."""
    try:
        return int(value) >= 0
    except ValueError:
        return False


def blank_attribute(sink: Sink, el: etree._Element, attr: str) -> None:
    """A blank attribute RFC 4287 gives a value to: a warning (W3C AttrNotBlank)."""
    sink.add("atom.blank", f"atom:{etree.QName(el).localname} {attr} attribute is blank",
             line_of(el))


class AtomConstructs:
    """Text construct, content and link checks, mixed into atom.py's checker."""

    sink: Sink
    location: str | None
    hex_lines: frozenset[int] | None

    def _plain(self, el: etree._Element, name: str) -> None:
        """A type="text" construct: warn when its text looks like HTML (W3C
        ContainsUndeclaredHTML); readers would show the tags."""
        value = el.text or ""
        escaped = element_hex_escaped(self.hex_lines, line_of(el), value) \
            if self.hex_lines else False
        markup = html_in_text(value, hex_escaped=escaped)
        if markup is not None:
            self.sink.add("atom.text.contains-html",
                          f"{name} is type=\"text\" but holds HTML ({markup.sample!r}): "
                          "declare type=\"html\" or remove the markup", line_of(el))

    def _text(self, el: etree._Element, name: str) -> None:
        kind = el.get("type")
        if kind == "":
            blank_attribute(self.sink, el, "type")  # read as text, as the W3C validator does
            kind = None
        if kind in (None, "text", "html"):
            self._no_children(el, f"{name} (type {kind or 'text'})")
            self._blank(el, name)
            if kind != "html":
                self._plain(el, name)
        elif kind == "xhtml":
            self._xhtml_div(el, name)
        else:
            self.sink.add("atom.text.bad-type",
                          f"{name} type attribute must be \"text\", \"html\" or \"xhtml\", "
                          f"not {kind!r}", line_of(el))

    def _blank(self, el: etree._Element, name: str) -> None:
        if not (el.text or "").strip() and not len(el):
            self.sink.add("atom.text.empty", f"{name} should not be blank", line_of(el))

    def _no_children(self, el: etree._Element, what: str) -> None:
        for child in elements(el):
            self.sink.add("atom.text.unexpected-child",
                          f"{what} must not contain child elements (escape markup instead); "
                          f"found {child.tag}", line_of(child))
            return

    def _xhtml_div(self, el: etree._Element, name: str) -> None:
        kids = list(elements(el))
        stray_text = (el.text or "").strip() or any((k.tail or "").strip() for k in el)
        if not kids and not stray_text:
            self.sink.add("atom.text.empty", f"{name} should not be blank", line_of(el))
            return
        # As the W3C validator reads it: text beside the div, or another element, is an
        # error; a second xhtml:div is not (it is still XHTML markup).
        if stray_text or any(kid.tag != _XHTML_DIV for kid in kids):
            self.sink.add("atom.text.missing-xhtml-div",
                          f"{name} of type xhtml must contain an xhtml:div element "
                          "and nothing else", line_of(el))
            return
        for inner in (node for kid in kids for node in kid.iter()):
            if not isinstance(inner.tag, str):
                continue
            if inner.tag[0] != "{":
                self.sink.add("atom.xhtml.no-namespace",
                              f"{name}: element {inner.tag!r} inside the xhtml:div has no "
                              "namespace (it must be XHTML or a namespaced extension)",
                              line_of(inner))
                return
            if not inner.tag.startswith(_XHTML_PREFIX) and (where := in_xhtml_div(inner)):
                self.sink.add("atom.extension.misplaced",
                              f"{name}: undefined element {where} inside the xhtml:div",
                              line_of(inner))
                return

    def content(self, el: etree._Element) -> bool:
        """Check atom:content; returns True when the entry must then carry a summary."""
        sink = self.sink
        kind = el.get("type")
        if kind == "":
            blank_attribute(sink, el, "type")  # read as text, as the W3C validator does
            kind = None
        src = el.get("src")
        if src is not None:
            if src == "":
                blank_attribute(sink, el, "src")
            elif why := iri_problem(src, lenient=True):
                sink.add("atom.content.bad-src", f"content src must be an IRI reference: {why}",
                         line_of(el))
            if (el.text or "").strip() or len(el):
                sink.add("atom.content.src-not-empty",
                         "content with a src attribute must be empty", line_of(el))
            if kind is None:
                sink.add("atom.content.src-missing-type",
                         "content with src should have a type attribute (a MIME media type)",
                         line_of(el))
            elif kind in ("text", "html", "xhtml") or not _LINK_TYPE.match(kind):
                sink.add("atom.content.bad-type",
                         f"content with src must have a MIME media type, not {kind!r}",
                         line_of(el))
            return True
        if kind in (None, "text", "html"):
            self._no_children(el, f"content (type {kind or 'text'})")
            self._blank(el, "content")
            if kind != "html":
                self._plain(el, "content")
            return False
        if kind == "xhtml":
            self._xhtml_div(el, "content")
            return False
        media = kind.split(";", 1)[0].strip().lower()
        if not _LINK_TYPE.match(kind) or media.startswith(("multipart/", "message/")):
            sink.add("atom.content.bad-type",
                     f"content type must be text, html, xhtml or a simple MIME media type, "
                     f"not {kind!r}", line_of(el))
            return False
        xml = media.endswith(("/xml", "+xml", "/xml-external-parsed-entity", "/xml-dtd"))
        if media.startswith("text/") and not xml:  # text/xml holds XML (RFC 4287 4.1.3.3)
            self._no_children(el, f"content (type {kind})")
            if not media.endswith("/html"):
                self._plain(el, "content")
            return False
        if xml:
            if len(el) and ((el.text or "").strip()
                            or any((k.tail or "").strip() for k in el)):
                sink.add("atom.content.mixed",
                         f"content of type {kind!r} holds text beside its XML elements "
                         "(W3C UnexpectedText)", line_of(el))
            return False
        # Neither text nor XML: RFC 4287 4.1.3.3 says the content is base64.
        if len(el):
            self._no_children(el, f"content (type {kind}, base64)")
        else:
            # Decoded as the W3C validator decodes it: characters outside the base64
            # alphabet are skipped, only a wrong length or padding is an error.
            try:
                binascii.a2b_base64((el.text or "").encode("latin-1"))
            except (binascii.Error, UnicodeEncodeError, ValueError):
                sink.add("atom.content.bad-base64",
                         f"content of type {kind!r} must be base64-encoded", line_of(el))
        return True

    def _link(self, el: etree._Element) -> None:
        sink = self.sink
        href = el.get("href")
        if href is None:
            sink.add("atom.link.missing-href", "link must have an href attribute",
                     line_of(el))
        elif why := iri_problem(href, lenient=True) if href else None:
            sink.add("atom.link.bad-href", f"link href must be an IRI reference: {why}",
                     line_of(el))
        elif (el.get("rel") or "").strip() == "license" and \
                (why := iri_problem(href, absolute=True, lenient=True)):
            # RFC 4946: a license is named by an IRI that stands on its own.
            sink.add("atom.link.bad-href", f"license link href must be a full IRI: {why}",
                     line_of(el))
        rel = el.get("rel")
        if rel is not None:
            rel = rel.strip()  # surrounding white space tolerated (W3C validator)
        if rel is not None and rel.startswith(_IANA_REL):
            rel = rel[len(_IANA_REL):]  # RFC 4287 4.2.7.2: the same relation as the short name
        if rel is not None:
            if ":" in rel:
                if why := iri_problem(rel, absolute=True):
                    sink.add("atom.link.bad-rel",
                             f"link rel {rel!r} must be a relation name or an absolute IRI: "
                             f"{why}", line_of(el))
            elif not rel or not set(rel) <= _ISEGMENT_NZ_NC:
                sink.add("atom.link.bad-rel",
                         f"link rel {rel!r} must be a relation name or an absolute IRI",
                         line_of(el))
            elif rel.lower() not in _REGISTERED_RELS:
                sink.add("atom.link.unregistered-rel",
                         f"unregistered link relationship {rel!r}", line_of(el))
        kind = el.get("type")
        if kind is not None and not _LINK_TYPE.match(kind):
            sink.add("atom.link.bad-type", f"link type {kind!r} is not a MIME media type",
                     line_of(el))
        lang = el.get("hreflang")
        # The primary subtag must be an ISO 639 code (W3C InvalidLanguage): "english" and
        # "i-klingon" are not, "en-" is accepted as the reference validator accepts it.
        if lang is not None and not is_iso639(lang):
            sink.add("atom.link.bad-hreflang",
                     f"link hreflang {lang!r} is not an ISO 639 language code", line_of(el))
        length = el.get("length")
        if length is not None and not _count(length):
            sink.add("atom.link.bad-length",
                     f"link length {length!r} must be a non-negative integer", line_of(el))
        parent = el.getparent()
        if rel in _FEED_HISTORY_RELS and parent is not None and parent.tag == _ENTRY:
            sink.add("atom.link.feed-rel-in-entry",
                     f"the feed paging relation {rel!r} belongs on the feed, not an entry",
                     line_of(el))
        if rel == "self" and kind is not None and is_mime_type(kind) and \
                kind.split(";")[0].strip().lower() not in _FEED_TYPES:
            sink.add("atom.link.self-not-atom",
                     f"\"self\" link references a non-feed representation ({kind})",
                     line_of(el))
        if (el.text or "").strip() or len(el):
            sink.add("atom.link.not-empty",
                     "link should not have content (all data is in attributes)", line_of(el))

    def _alternates(self, links: list[etree._Element] | tuple[()], code: str,
                    parent: str) -> None:
        seen: set[tuple[str | None, str | None]] = set()
        for link in links:
            if _rel(link) != "alternate":
                continue
            key = (link.get("type"), link.get("hreflang"))
            if key in seen:
                self.sink.add(code, f"{parent} has more than one alternate link with type "
                                    f"{key[0]!r} and hreflang {key[1]!r}", line_of(link))
            seen.add(key)

    def _self_link(self, feed: etree._Element, links: list[etree._Element] | tuple[()]) -> None:
        selfs = [link for link in links if _rel(link) == "self"]
        if not selfs:
            self.sink.add("atom.feed.missing-self-link",
                          "missing atom:link with rel=\"self\"", line_of(feed))
            return
        for link in selfs:
            href = link.get("href")
            if href is None:
                continue
            if relative_without_base(link, href):
                self.sink.add("atom.link.relative-self",
                              f"self reference {href!r} is relative; it should be absolute",
                              line_of(link))
            if self.location is None:
                continue
            target = resolve(link, href, self.location)
            if not same_location(target, self.location):
                self.sink.add("atom.feed.self-link-mismatch",
                              f"self reference {target!r} doesn't match document location "
                              f"{self.location!r}", line_of(link))
