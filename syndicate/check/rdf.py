"""RSS 1.0 (RDF Site Summary, purl.org/rss/1.0) and RSS 0.90 (Netscape's RDF) checks.

The structure the RSS 1.0 specification (section 5) and the W3C Feed Validator require:
- rdf:RDF holds one channel and the items, image and textinput it announces, each a
  resource named by ``rdf:about`` (RSS 0.90 has no ``rdf:about``);
- channel has title, link, description and items; items holds an ``rdf:Seq`` whose
  ``rdf:li`` point at the items; channel image and textinput point with ``rdf:resource``
  at the top-level elements of the same ``rdf:about``;
- item has title and link; image has title, link and url; textinput has title,
  description, name and link; each at most once and nothing else from the RSS namespace;
- RDF forbids text mixed with elements (unless ``rdf:parseType="Literal"``) and two
  resources with the same ``rdf:about``.
"""

from __future__ import annotations

import re

from lxml import etree

from syndicate.check.findings import Finding
from syndicate.check.modules import check_modules
from syndicate.check.rss_vocab import check_vocabulary
from syndicate.check.tree import Sink, elements, line_of, split
from syndicate.check.values import iri_problem, url_problem
from syndicate.check.xmlattr import check_xml_attributes

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1_NS = "http://purl.org/rss/1.0/"
RSS090_NS = "http://my.netscape.com/rdf/simple/0.9/"
_ABOUT = "{" + RDF_NS + "}about"
_RESOURCE = "{" + RDF_NS + "}resource"
_PARSE_TYPE = "{" + RDF_NS + "}parseType"

# Children each RSS element may have (from its own namespace), all at most once.
_CHILDREN: dict[str, tuple[str, ...]] = {
    # textInput: the RSS 0.9x/2.0 spelling, which the reference accepts here too
    "channel": ("title", "link", "description", "image", "items", "textinput", "textInput"),
    "item": ("title", "link", "description"),
    "image": ("title", "link", "url"),
    "textinput": ("title", "description", "name", "link"),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "channel": ("title", "link", "description", "items"),
    "item": ("title", "link"),
    "image": ("title", "link", "url"),
    "textinput": ("title", "description", "name", "link"),
}
_URL_CHILDREN = frozenset(("link", "url"))
# A textinput name is an HTML form-control name: it starts with a letter (as in RSS 2.0).
_FORM_NAME = re.compile(r"[a-zA-Z]")
# RDF attributes the RSS text elements may carry (the W3C validator's "text" handler).
_TEXT_ATTRIBUTES = frozenset((_PARSE_TYPE, "{" + RDF_NS + "}datatype", _RESOURCE))


def _qname(el: etree._Element) -> str:
    return f"{el.prefix}:{split(el.tag)[1]}" if el.prefix else split(el.tag)[1]


def is_rss1(root: etree._Element) -> bool:
    """Whether an rdf:RDF root holds RSS 1.0 or RSS 0.90 elements."""
    return any(split(c.tag)[0] in (RSS1_NS, RSS090_NS) for c in elements(root))


RSS11_NS = "http://purl.org/net/rss1.1#"
_RSS11_CHILDREN: dict[str, tuple[str, ...]] = {
    "Channel": ("title", "link", "description", "image", "items", "textinput", "textInput"),
    "item": ("title", "link", "description", "image"),
    # link and description as in RSS 1.0's image, which the reference accepts here too
    "image": ("title", "url", "link", "description"),
}
_RSS11_REQUIRED: dict[str, tuple[str, ...]] = {
    "Channel": ("title", "link", "description", "items"),
    "item": ("title", "link"),
    "image": ("title", "url"),
}


def check_rss11(root: etree._Element,
                namespaces: frozenset[str] | None = None) -> list[Finding]:
    """Check an RSS 1.1 document (a Channel root in purl.org/net/rss1.1#): the Channel
    and its items are resources named by rdf:about; items is an rdf:parseType
    "Collection" of item elements; image an rdf:parseType "Resource" with title and url."""
    sink = Sink()
    rdf = _Rdf(sink, RSS11_NS)
    rdf.rss11(root, "Channel")
    check_vocabulary(root, sink, frozenset((RSS11_NS, RDF_NS)), rss2=False)
    check_modules(root, sink, rss1=True, namespaces=namespaces)
    check_xml_attributes(root, sink, lang_code="rss.bad-language")
    return sink.findings


def check_rdf(root: etree._Element,
              namespaces: frozenset[str] | None = None) -> list[Finding]:
    """Check an rdf:RDF document holding RSS 1.0 (or RSS 0.90) elements."""
    sink = Sink()
    ns = RSS1_NS if any(split(c.tag)[0] == RSS1_NS for c in elements(root)) else RSS090_NS
    _Rdf(sink, ns).check(root)
    check_vocabulary(root, sink, frozenset((ns, RDF_NS)), rss2=False)
    check_modules(root, sink, rss1=True, namespaces=namespaces)
    check_xml_attributes(root, sink, lang_code="rss.bad-language")
    return sink.findings


class _Rdf:
    def __init__(self, sink: Sink, ns: str) -> None:
        self.sink = sink
        self.ns = ns
        self.v090 = ns == RSS090_NS
        self.abouts: dict[str, int] = {}

    def check(self, root: etree._Element) -> None:
        sink = self.sink
        tops: dict[str, list[etree._Element]] = {}
        self._no_text(root, "rdf:RDF")
        for key in root.attrib:  # rdf:RDF carries no unqualified attribute
            if not (key.decode() if isinstance(key, bytes) else key).startswith("{"):
                sink.add("rss.rdf.unexpected-attribute",
                         f"unexpected {key!r} attribute on rdf:RDF", line_of(root))
        for child in elements(root):
            cns, name = split(child.tag)
            if cns == self.ns and name in _CHILDREN:
                tops.setdefault(name, []).append(child)
            elif cns in (self.ns, "", RSS1_NS, RSS090_NS):
                sink.add("rss.unknown-element", f"undefined rdf:RDF element: {name}",
                         line_of(child))
            else:
                self._node(child)  # top-level extension resources are node elements
        channels = tops.get("channel", [])
        if not channels:
            sink.add("rss.missing-channel", "missing rdf:RDF element: channel", line_of(root))
        for extra in channels[1:]:
            sink.add("rss.duplicate-channel", "rdf:RDF contains more than one channel",
                     line_of(extra))
        for name in ("channel", "item", "image", "textinput"):
            for el in tops.get(name, ()):
                self._resource(el, name)
        if channels:
            self._pairs(channels[0], tops)

    def _resource(self, el: etree._Element, name: str) -> None:
        """One top-level resource: its rdf:about, attributes and children."""
        sink = self.sink
        about = el.get(_ABOUT)
        if about is None and not self.v090:
            sink.add("rss.rdf.missing-about", f"{name} must have an rdf:about attribute",
                     line_of(el))
        elif about is not None:
            if why := iri_problem(about.strip(), ascii_only=True):  # W3C UriNotIri
                sink.add("rss.rdf.bad-resource",
                         f"{name} rdf:about must be a URI reference, got {about!r}: {why}",
                         line_of(el))
            if name in ("image", "textinput"):
                pass  # the reference lets a second image or textinput repeat its rdf:about
            elif about in self.abouts:
                sink.add("rss.rdf.duplicate-about",
                         f"rdf:about {about!r} also names the resource at line "
                         f"{self.abouts[about]}", line_of(el))
            else:
                self.abouts[about] = line_of(el) or 0
        self._attributes(el, name, frozenset((_ABOUT,)))
        if (el.text or "").strip() or any((k.tail or "").strip() for k in el):
            sink.add("rss.rdf.mixed-content",
                     f"{name} holds text beside its elements (not RDF)", line_of(el))
        self._children(el, name)

    def _attributes(self, el: etree._Element, name: str, allowed: frozenset[str]) -> None:
        for key in el.attrib:
            attr = key.decode() if isinstance(key, bytes) else key
            if attr.startswith("{http://www.w3.org/XML/1998/namespace}"):
                continue
            if attr not in allowed and (not attr.startswith("{") or attr.startswith(("{" + RDF_NS, "{" + self.ns))):
                shown = attr.replace("{" + RDF_NS + "}", "rdf:")
                self.sink.add("rss.rdf.unexpected-attribute",
                              f"unexpected {shown!r} attribute on {name}", line_of(el))

    def _children(self, el: etree._Element, parent: str) -> None:
        sink = self.sink
        seen: dict[str, etree._Element] = {}
        known = _CHILDREN[parent]
        for child in elements(el):
            cns, name = split(child.tag)
            if cns not in (self.ns, ""):
                self._property(child)
                continue
            if cns == "" or name not in known:
                sink.add("rss.unknown-element", f"undefined {parent} element: {name}",
                         line_of(child))
                continue
            if name in seen:
                sink.add("rss.duplicate-element", f"{parent} contains more than one {name}",
                         line_of(child))
                continue
            seen[name] = child
            if parent == "channel" and name in ("image", "textinput", "textInput", "items"):
                continue  # checked with the pairs
            self._text_element(child, f"{parent} {name}")
            if (parent, name) == ("textinput", "name") and \
                    not _FORM_NAME.match((child.text or "").strip()):
                sink.add("rss.textinput.bad-name",
                         f"textinput name must be a form-control name starting with a "
                         f"letter, got {child.text!r}", line_of(child))
            if name in _URL_CHILDREN and (why := url_problem(child.text or "")):
                sink.add("rss.bad-url", f"{parent} {name} must be a full URL, got "
                                        f"{child.text!r}: {why}", line_of(child))
        for name in _REQUIRED[parent]:
            if name == "items" and self.v090:
                continue  # RSS 0.90 items stand beside the channel, unlisted
            if name not in seen:
                code = {"title": "rss.channel.missing-title",
                        "link": "rss.channel.missing-link",
                        "description": "rss.channel.missing-description"}.get(name) \
                    if parent == "channel" else None
                sink.add(code or "rss.rdf.missing-element",
                         f"missing {parent} element: {name}", line_of(el))

    def _text_element(self, el: etree._Element, what: str) -> None:
        """An RSS text element: RDF attributes only, and no elements unless a literal."""
        self._attributes(el, what, _TEXT_ATTRIBUTES)
        if len(el) and el.get(_PARSE_TYPE) != "Literal":
            if (el.text or "").strip() or any((k.tail or "").strip() for k in el):
                self.sink.add("rss.rdf.mixed-content",
                              f"{what} mixes text and elements (RDF allows that only with "
                              "rdf:parseType=\"Literal\")", line_of(el))
            else:
                for child in elements(el):
                    if (child.text or "").strip() and not len(child):
                        # A node holds properties, never text: this is markup such as
                        # <b>bold</b> left unescaped in an RSS text field.
                        self.sink.add("rss.rdf.invalid",
                                      f"{what} holds {_qname(child)} with text, which is no "
                                      "RDF: escape markup or use rdf:parseType=\"Literal\"",
                                      line_of(child))
                    else:
                        self._node(child)

    # Extension markup is RDF/XML (RDF/XML syntax 2.1-2.4): property elements and node
    # elements alternate, a property holds text or nodes but not both (unless
    # rdf:parseType="Literal"), and a node never carries rdf:resource. RSS attributes do
    # not belong on it. (The W3C validator has rdflib judge this: InvalidRDF.)

    def rss11(self, el: etree._Element, name: str) -> None:
        """An RSS 1.1 Channel, item or image and what it holds."""
        sink = self.sink
        allowed = {"Channel": (_ABOUT,), "item": (_ABOUT,), "image": (_PARSE_TYPE,)}[name]
        self._attributes(el, name, frozenset(allowed))
        if name != "image":
            about = el.get(_ABOUT)
            if about is None:
                if name == "Channel":  # an item's is not required
                    sink.add("rss.rdf.missing-about",
                             f"{name} must have an rdf:about attribute", line_of(el))
            elif about in self.abouts:
                sink.add("rss.rdf.duplicate-about",
                         f"rdf:about {about!r} also names the resource at line "
                         f"{self.abouts[about]}", line_of(el))
            else:
                self.abouts[about] = line_of(el) or 0
            if name == "Channel" and about is not None and \
                    (why := iri_problem(about.strip(), ascii_only=True)):  # items' unjudged
                sink.add("rss.rdf.bad-resource",
                         f"{name} rdf:about must be a URI reference, got {about!r}: {why}",
                         line_of(el))
        elif el.get(_PARSE_TYPE) != "Resource":
            sink.add("rss.rdf.unexpected-attribute",
                     "an RSS 1.1 image needs rdf:parseType=\"Resource\"", line_of(el))
        self._no_text(el, name)
        seen: set[str] = set()
        for child in elements(el):
            cns, cname = split(child.tag)
            if cns not in (RSS11_NS, ""):
                self._property(child)
                continue
            if cns == "" or cname not in _RSS11_CHILDREN[name]:
                sink.add("rss.unknown-element", f"undefined {name} element: {cname}",
                         line_of(child))
                continue
            if cname in seen:
                sink.add("rss.duplicate-element", f"{name} contains more than one {cname}",
                         line_of(child))
                continue
            seen.add(cname)
            if cname == "image":
                self.rss11(child, "image")
            elif cname == "items":
                self._rss11_items(child)
            elif cname in ("textinput", "textInput"):
                continue  # not RSS 1.1's; the reference accepts it unjudged
            else:
                self._text_element(child, f"{name} {cname}")
                if cname in _URL_CHILDREN and (why := url_problem(child.text or "")):
                    sink.add("rss.bad-url", f"{name} {cname} must be a full URL, got "
                                            f"{child.text!r}: {why}", line_of(child))
        for required in _RSS11_REQUIRED[name]:
            if required not in seen:
                code = {"title": "rss.channel.missing-title",
                        "link": "rss.channel.missing-link",
                        "description": "rss.channel.missing-description"}.get(required) \
                    if name == "Channel" else None
                sink.add(code or "rss.rdf.missing-element",
                         f"missing {name} element: {required}", line_of(el))

    def _no_text(self, el: etree._Element, name: str) -> None:
        """An element that holds elements only (W3C UnexpectedText)."""
        if (el.text or "").strip() or any((k.tail or "").strip() for k in el):
            self.sink.add("rss.rdf.mixed-content", f"{name} holds text beside its elements",
                          line_of(el))

    def _rss11_items(self, items: etree._Element) -> None:
        self._no_text(items, "items")
        self._attributes(items, "items", frozenset((_PARSE_TYPE,)))
        if items.get(_PARSE_TYPE) != "Collection":
            self.sink.add("rss.rdf.unexpected-attribute",
                          "RSS 1.1 items needs rdf:parseType=\"Collection\"", line_of(items))
        for child in elements(items):
            if child.tag == "{" + RSS11_NS + "}item":
                self.rss11(child, "item")
            elif split(child.tag)[0] in ("", RSS11_NS, RDF_NS):  # others: their module's
                self.sink.add("rss.unknown-element",
                              f"undefined items element: {_qname(child)}", line_of(child))

    def _foreign_attributes(self, el: etree._Element) -> None:
        # RSS 1.1 only: in RSS 1.0 an rdf:Description inside a module element may carry
        # rss:link and the like (ModWiki's interwiki does), which the reference accepts.
        if self.ns != RSS11_NS:
            return
        for key in el.attrib:
            attr = key.decode() if isinstance(key, bytes) else key
            if attr.startswith("{" + self.ns + "}"):
                self.sink.add("rss.rdf.unexpected-attribute",
                              f"RSS attribute {split(attr)[1]!r} on extension element "
                              f"{_qname(el)}", line_of(el))

    def _property(self, el: etree._Element) -> None:
        self._foreign_attributes(el)
        if el.get(_PARSE_TYPE) == "Literal" or not len(el):
            return
        kids = list(elements(el))
        stray = (el.text or "").strip() or any((k.tail or "").strip() for k in el)
        if stray and kids:
            self.sink.add("rss.rdf.mixed-content",
                          f"{_qname(el)} mixes text and elements (RDF allows that only with "
                          "rdf:parseType=\"Literal\")", line_of(el))
            return
        for kid in kids:
            self._node(kid)

    def _node(self, el: etree._Element) -> None:
        self._foreign_attributes(el)
        if el.tag[0] != "{":  # an RDF node element is namespaced
            self.sink.add("rss.rdf.invalid",
                          f"{_qname(el)} where RDF expects a node (a namespaced element "
                          "holding properties): markup in a text field must be escaped or "
                          "rdf:parseType=\"Literal\"", line_of(el))
            return
        if el.get(_RESOURCE) is not None:
            self.sink.add("rss.rdf.invalid",
                          f"{_qname(el)} stands where RDF expects a resource (a node), which "
                          "cannot carry rdf:resource", line_of(el))
            return
        if (el.text or "").strip() and len(el):
            self.sink.add("rss.rdf.mixed-content",
                          f"{_qname(el)} mixes text and elements", line_of(el))
            return
        for kid in elements(el):
            self._property(kid)

    def _pairs(self, channel: etree._Element, tops: dict[str, list[etree._Element]]) -> None:
        """channel image/textinput/items point at the top-level resources."""
        sink = self.sink
        ns = "{" + self.ns + "}"
        for name in ("image", "textinput"):
            pointer = channel.find(ns + name)
            targets = {el.get(_ABOUT) for el in tops.get(name, ())}
            if pointer is None:
                if tops.get(name) and not self.v090:
                    sink.add("rss.rdf.unpaired",
                             f"the {name} at line {line_of(tops[name][0])} is not announced "
                             f"by a channel {name} rdf:resource", line_of(channel))
                continue
            if self.v090:
                continue
            resource = pointer.get(_RESOURCE)
            self._attributes(pointer, f"channel {name}", frozenset((_RESOURCE,)))
            if resource is None and name == "image":  # a textinput's is not required
                sink.add("rss.rdf.missing-resource",
                         f"channel {name} must have an rdf:resource attribute",
                         line_of(pointer))
            elif resource is not None and resource not in targets:
                sink.add("rss.rdf.unpaired",
                         f"channel {name} rdf:resource {resource!r} names no top-level "
                         f"{name} rdf:about", line_of(pointer))
        items = channel.find(ns + "items")
        if items is None or self.v090:
            return
        self._attributes(items, "items", frozenset((_PARSE_TYPE,)))
        seqs = [c for c in elements(items) if c.tag == "{" + RDF_NS + "}Seq"]
        if not seqs:
            sink.add("rss.rdf.missing-seq", "channel items must hold an rdf:Seq",
                     line_of(items))
            return
        for child in elements(items):
            # other namespaces' elements are properties, judged by their module
            if child.tag != "{" + RDF_NS + "}Seq" and split(child.tag)[0] in ("", self.ns):
                sink.add("rss.unknown-element",
                         f"undefined items element: {split(child.tag)[1]}", line_of(child))
        self._attributes(seqs[0], "rdf:Seq", frozenset())
        self._no_text(items, "items")
        self._no_text(seqs[0], "rdf:Seq")
        listed: set[str] = set()
        for li in elements(seqs[0]):
            if li.tag != "{" + RDF_NS + "}li":
                if split(li.tag)[0] in ("", self.ns):  # other namespaces: their module's
                    sink.add("rss.unknown-element",
                             f"undefined rdf:Seq element: {_qname(li)} (it holds rdf:li)",
                             line_of(li))
                continue
            self._attributes(li, "rdf:li", frozenset((_RESOURCE, "resource")))
            target = li.get(_RESOURCE) or li.get("resource")
            if target is not None:  # an rdf:li without one lists nothing (not an error)
                listed.add(target)
        for item in tops.get("item", ()):
            about = item.get(_ABOUT)
            if about is not None and about not in listed:
                sink.add("rss.rdf.unpaired",
                         f"item {about!r} is not listed in the channel's items rdf:Seq",
                         line_of(item))
