"""Atom 1.0 (RFC 4287) checks: sections 3 and 4.1-4.2 MUSTs as errors, SHOULDs as warnings."""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

from syndicate.check.atom_constructs import _ENTRY, ATOM_NS, AtomConstructs, _rel, blank_attribute
from syndicate.check.atom_extensions import check_extension, date_problem
from syndicate.check.findings import Finding
from syndicate.check.history import check_archive
from syndicate.check.modules import check_modules
from syndicate.check.tree import (
    Sink,
    elements,
    line_of,
    split,
)
from syndicate.check.values import (
    canonical_uri,
    implausible,
    iri_problem,
    is_email,
    rfc3339_moment,
)
from syndicate.check.xmlattr import check_xml_attributes

ATOM03_NS = "http://purl.org/atom/ns#"

_FEED_ONCE = ("id", "title", "updated", "subtitle", "rights", "generator", "icon", "logo")
_ENTRY_ONCE = ("id", "title", "updated", "published", "summary", "content", "rights", "source")
_METADATA = frozenset(("author", "category", "contributor", "generator", "icon", "id", "link",
                       "logo", "rights", "subtitle", "title", "updated"))
_FEED_KNOWN = _METADATA | {"entry"}
_FEED_METADATA_TAGS = frozenset((ATOM_NS, name) for name in _METADATA)
_ENTRY_KNOWN = frozenset(("author", "category", "content", "contributor", "id", "link",
                          "published", "rights", "source", "summary", "title", "updated"))
_TEXT_CONSTRUCTS = frozenset(("title", "subtitle", "summary", "rights"))
_ATOM_PREFIX = "{" + ATOM_NS + "}"
_ATOM_PREFIX_LEN = len(_ATOM_PREFIX)


def check_atom(root: etree._Element, location: str | None, *,
               hex_lines: frozenset[int] | None = None,
              namespaces: frozenset[str] | None = None) -> list[Finding]:
    """Check an Atom Feed or Entry Document rooted at ``root``.

    ``location`` is where the document is served (from --base-url); it resolves relative
    references and is compared with the self link. ``hex_lines`` are the source lines
    holding ``&#x`` (see markup.hex_escaped_lines).
    """
    sink = Sink()
    ns, name = split(root.tag)
    if ns == ATOM03_NS:
        sink.add("atom.obsolete-namespace",
                 f"the Atom 0.3 namespace {ATOM03_NS} is obsolete; use {ATOM_NS} (RFC 4287)",
                 line_of(root))
        return sink.findings
    checker = _Atom(sink, location, hex_lines)
    if name == "feed":
        checker.feed(root)
    else:
        checker.entry(root, feed_has_author=False, standalone=True)
    for old in root.iter("{" + ATOM03_NS + "}*"):
        # Atom 0.3 elements inside an Atom 1.0 document (W3C ObsoleteNamespace).
        sink.add("atom.obsolete-namespace",
                 f"atom:{split(old.tag)[1]} is in the obsolete Atom 0.3 namespace {ATOM03_NS}; "
                 f"use {ATOM_NS} (RFC 4287)", line_of(old))
    check_xml_attributes(root, sink, lang_code="atom.bad-lang")
    check_modules(root, sink, rss1=False, namespaces=namespaces)
    return sink.findings


# The unqualified attributes RFC 4287 defines per element; any other unqualified
# attribute is an error (the schema's undefinedAttribute admits only namespaced ones;
# the W3C validator's UnexpectedAttribute). xml:* and namespaced attributes are fine.
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "title": frozenset(("type",)), "subtitle": frozenset(("type",)),
    "summary": frozenset(("type",)), "rights": frozenset(("type",)),
    "content": frozenset(("type", "src")),
    "link": frozenset(("href", "rel", "type", "hreflang", "title", "length")),
    "category": frozenset(("term", "scheme", "label")),
    "generator": frozenset(("uri", "version")),
}
# Elements whose content is text only (an IRI, a date, a name, ...).
_TEXT_ONLY = frozenset(("id", "updated", "published", "icon", "logo", "name", "uri", "email",
                        "generator"))
# Elements that hold only elements: text in them is an error (W3C UnexpectedText).
_CONTAINERS = frozenset(("feed", "entry", "source", "author", "contributor"))
# Elements whose content may be foreign markup but no Atom element (undefinedContent).
_FOREIGN_CONTENT = frozenset(("link", "category"))
_ATOM_ATTRIBUTE = "{" + ATOM_NS + "}"
_LOOSE_EMAIL = re.compile(r"[\w.%+-]+@[A-Za-z][\w.-]+\Z")


def _full_iri_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute IRI as the W3C validator reads ids and category
    schemes: its pattern for a full URI has no IPv6 literal, so '[' and ']' are refused
    (InvalidUriChar)."""
    return iri_problem(value, absolute=True, lenient=True) or (
        "'[' or ']' not allowed" if "[" in value or "]" in value else None)


def _no_space_iri(raw: str) -> str | None:
    """Why ``raw`` is not an IRI reference; white space around it counts (RFC 4287
    section 3: no white space in any IRI; W3C UnexpectedWhitespace)."""
    value = raw.strip()
    return iri_problem(value, lenient=True) or (
        "white space around it" if raw != value else None)


def _shape(el: etree._Element, name: str, sink: Sink) -> None:
    """What the schema says about an Atom element's own markup: its unqualified
    attributes, and whether it may hold text or child elements."""
    keys = el.keys()  # a plain list: cheaper than the attrib proxy on this hot path
    if keys:
        allowed = _ATTRIBUTES.get(name, frozenset())
        for key in keys:
            attr = key.decode() if isinstance(key, bytes) else key
            if not attr.startswith("{") and attr not in allowed:
                sink.add("atom.unexpected-attribute",
                         f"unexpected {attr!r} attribute on atom:{name}", line_of(el))
            elif attr.startswith(_ATOM_ATTRIBUTE):
                # RFC 4287 defines no Atom-namespaced attribute (W3C UnexpectedAttribute).
                sink.add("atom.unexpected-attribute",
                         f"unexpected atom:{attr[len(_ATOM_ATTRIBUTE):]} attribute on "
                         f"atom:{name}", line_of(el))
    if name == "category" and (el.text or "").strip():
        # atom:category is empty (undefinedContent admits no text; W3C UnexpectedText).
        sink.add("atom.unexpected-text", "unexpected text in atom:category", line_of(el))
    if not len(el) and name not in _CONTAINERS:
        return  # a leaf: no child to find, no tail text to look at
    if name in _TEXT_ONLY:
        for child in elements(el):
            sink.add("atom.unexpected-child",
                     f"atom:{name} holds text only; found child element {child.tag}",
                     line_of(child))
            break
    elif name in _CONTAINERS:
        stray = (el.text or "").strip() or next(
            ((k.tail or "").strip() for k in el if (k.tail or "").strip()), "")
        if stray:
            sink.add("atom.unexpected-text",
                     f"unexpected text {stray[:40]!r} in atom:{name} (it holds elements only)",
                     line_of(el))
    elif name in _FOREIGN_CONTENT:
        for child in elements(el):
            if split(child.tag)[0] == ATOM_NS:
                sink.add("atom.unknown-element",
                         f"undefined {name} element: atom:{split(child.tag)[1]}",
                         line_of(child))


def _group(el: etree._Element, sink: Sink, parent: str,
           known: frozenset[str]) -> dict[str, list[etree._Element]]:
    """Atom children of ``el`` by local name; unknown Atom elements are reported, and so
    is markup the schema does not allow on ``el`` and on its leaf children."""
    _shape(el, parent, sink)
    groups: dict[str, list[etree._Element]] = defaultdict(list)
    once: set[str] = set()
    for child in elements(el):
        tag = child.tag
        if not tag.startswith(_ATOM_PREFIX):
            # Foreign markup (RFC 4287 section 6) is allowed anywhere, but an element of a
            # namespace the W3C validator knows must be one it expects here.
            if tag[0] == "{":
                check_extension(child, tag, parent, sink, once)
            continue
        name = tag[_ATOM_PREFIX_LEN:]
        if name not in known:
            sink.add("atom.unknown-element", f"undefined {parent} element: atom:{name}",
                     line_of(child))
            continue
        # Containers are checked by their own _group call; a leaf without attributes
        # (most elements) has nothing for _shape to look at.
        if name not in _CONTAINERS and (len(child) or child.keys()):
            _shape(child, name, sink)
        groups[name].append(child)
    return groups


class _Atom(AtomConstructs):
    def __init__(self, sink: Sink, location: str | None,
                 hex_lines: frozenset[int] | None) -> None:
        self.sink = sink
        self.location = location
        self.hex_lines = hex_lines

    # --- documents

    def feed(self, feed: etree._Element) -> None:
        sink = self.sink
        g = _group(feed, sink, "feed", _FEED_KNOWN)
        self._metadata_order(feed)
        self._required(feed, g, "feed", ("id", "title", "updated"))
        self._once(g, "feed", _FEED_ONCE, "atom.feed.duplicate-element")
        self._metadata(g)
        self._alternates(g.get("link", ()), "atom.feed.duplicate-alternate", "feed")
        self._self_link(feed, g.get("link", ()))
        check_archive(feed, sink, "atom.archive.missing-current")
        has_author = bool(g.get("author"))
        # A feed with no entries needs no author (RFC 4287 4.1.1 asks for one only so
        # that every entry has one; the W3C validator agrees).
        seen: dict[tuple[str, str], int] = {}
        instants: dict[str, int] = {}
        ids: set[str] = set()
        entries = g.get("entry", [])
        for entry in entries:
            key = self.entry(entry, feed_has_author=has_author, standalone=False)
            first_id = entry.findtext(_ATOM_PREFIX + "id")
            if first_id is not None:
                ids.add(first_id)
            if key is None:
                continue
            if key in seen:
                sink.add("atom.entry.duplicate-id",
                         f"two entries with the same id {key[0]!r} and the same updated "
                         f"{key[1]!r} (first at line {seen[key]})", line_of(entry))
                continue
            seen[key] = line_of(entry) or 0
            if key[1] in instants:
                # W3C DuplicateUpdated: readers that sort or de-duplicate by updated time
                # cannot tell these entries apart.
                sink.add("atom.entry.duplicate-updated",
                         f"two entries share the updated instant {key[1]!r} (the other at "
                         f"line {instants[key[1]]})", line_of(entry))
            else:
                instants[key[1]] = line_of(entry) or 0
        if len(entries) > 9 and len(ids) == 1 and all(
                e.find(_ATOM_PREFIX + "id") is not None for e in entries):
            # W3C DuplicateIds: one id for every one of many entries is a feed that reuses
            # a constant (readers keep only one of them). A few entries sharing an id with
            # different updated times are one entry at several moments (RFC 4287 4.1.1),
            # which is valid; the W3C validator draws the line at ten entries.
            sink.add("atom.feed.all-same-id",
                     f"all {len(entries)} entries have the same id {next(iter(ids))!r}",
                     line_of(entries[1]))

    def _metadata_order(self, feed: etree._Element) -> None:
        """Feed metadata comes before the entries: RFC 4287's schema puts atomEntry* after
        the metadata, and the W3C validator reports the reverse (MisplacedMetadata)."""
        seen_entry = False
        for child in elements(feed):
            if child.tag == _ENTRY:
                seen_entry = True
            elif seen_entry and split(child.tag) in _FEED_METADATA_TAGS:
                self.sink.add("atom.feed.misplaced-metadata",
                              f"feed element atom:{split(child.tag)[1]} after an entry; feed "
                              "metadata must come before the entries", line_of(child))

    def entry(self, entry: etree._Element, *, feed_has_author: bool,
              standalone: bool) -> tuple[str, str] | None:
        """Check one entry; returns its (id, updated) for duplicate detection."""
        sink = self.sink
        g = _group(entry, sink, "entry", _ENTRY_KNOWN)
        missing = {"id": "atom.entry.missing-id", "title": "atom.entry.missing-title",
                   "updated": "atom.entry.missing-updated"}
        for name, code in missing.items():
            if name not in g:
                sink.add(code, f"missing entry element: {name}", line_of(entry))
        self._once(g, "entry", _ENTRY_ONCE, "atom.entry.duplicate-element")
        self._metadata(g)
        links = g.get("link", [])
        self._alternates(links, "atom.entry.duplicate-alternate", "entry")
        source_has_author = False
        for source in g.get("source", ()):
            source_has_author |= self.source(source)
        if not feed_has_author and "author" not in g and not source_has_author:
            where = "an Atom Entry Document" if standalone else "this entry and the feed"
            sink.add("atom.entry.missing-author",
                     f"missing entry element: author (neither {where} nor atom:source "
                     "has one)", line_of(entry))
        needs_summary = False
        for content in g.get("content", ()):
            needs_summary |= self.content(content)
        if "content" not in g:
            if not any(_rel(link) == "alternate" for link in links):
                sink.add("atom.entry.missing-alternate",
                         "missing content or alternate link: an entry without atom:content "
                         "must have a link with rel=\"alternate\"", line_of(entry))
            if "summary" not in g:
                sink.add("atom.entry.missing-textual-content",
                         "entry has neither content nor summary", line_of(entry))
        if needs_summary and "summary" not in g:
            sink.add("atom.entry.missing-summary",
                     "missing summary: required when content has src or is base64-encoded",
                     line_of(entry))
        for name in ("published",):
            for el in g.get(name, ()):
                self._date(el)
        ids, updated = g.get("id"), g.get("updated")
        if ids and updated:
            return (ids[0].text or "", (updated[0].text or "").strip())
        return None

    def source(self, source: etree._Element) -> bool:
        """Check atom:source; returns whether it carries an author."""
        sink = self.sink
        g = _group(source, sink, "source", _METADATA)
        for name in ("id", "title", "updated"):
            if name not in g:
                sink.add("atom.source.missing-element",
                         f"missing source element: {name}", line_of(source))
        self._once(g, "source", _FEED_ONCE, "atom.source.duplicate-element")
        self._metadata(g)
        self._alternates(g.get("link", ()), "atom.feed.duplicate-alternate", "source")
        return bool(g.get("author"))

    # --- shared pieces

    def _required(self, el: etree._Element, g: dict[str, list[etree._Element]], parent: str,
                  names: tuple[str, ...]) -> None:
        codes = {"id": "atom.feed.missing-id", "title": "atom.feed.missing-title",
                 "updated": "atom.feed.missing-updated"}
        for name in names:
            if name not in g:
                self.sink.add(codes[name], f"missing {parent} element: {name}", line_of(el))

    def _once(self, g: dict[str, list[etree._Element]], parent: str,
              names: tuple[str, ...], code: str) -> None:
        for name in names:
            for extra in g.get(name, [])[1:]:
                self.sink.add(code, f"{parent} contains more than one atom:{name}",
                              line_of(extra))

    def _metadata(self, g: dict[str, list[etree._Element]]) -> None:
        """Checks of the elements feed, entry and source share."""
        for name, els in g.items():
            for el in els:
                if name in _TEXT_CONSTRUCTS:
                    self._text(el, name)
                elif name == "id":
                    self._id(el)
                elif name == "updated":
                    self._date(el)
                elif name == "link":
                    self._link(el)
                elif name in ("author", "contributor"):
                    self._person(el, name)
                elif name == "category":
                    self._category(el)
                elif name == "generator":
                    uri = el.get("uri")
                    if uri == "":
                        blank_attribute(self.sink, el, "uri")
                    elif uri is not None and (why := iri_problem(uri, lenient=True)):
                        self.sink.add("atom.generator.bad-uri",
                                      f"generator uri must be an IRI reference: {why}",
                                      line_of(el))
                    if not (el.text or "").strip():
                        self.sink.add("atom.generator.empty",
                                      "generator should name the software (W3C NotBlank)",
                                      line_of(el))
                elif name in ("icon", "logo"):
                    if not el.text:
                        self.sink.add("atom.blank", f"{name} is blank (W3C NotBlank)",
                                      line_of(el))
                    elif why := _no_space_iri(el.text):
                        self.sink.add("atom.iri.invalid",
                                      f"{name} must be an IRI reference: {why}", line_of(el))

    def _id(self, el: etree._Element) -> None:
        value = el.text or ""
        if why := _full_iri_problem(value):
            self.sink.add("atom.id.invalid", f"id {value!r} must be an absolute IRI: {why}",
                          line_of(el))
        elif (canonical := canonical_uri(value)) != value:
            # Ids are compared character by character (RFC 4287 4.2.6.1), so a
            # non-canonical spelling risks the same entry appearing under two ids.
            self.sink.add("atom.id.not-canonical",
                          f"identifier {value!r} is not in canonical form (the canonical form "
                          f"would be {canonical!r})", line_of(el))

    def _date(self, el: etree._Element) -> None:
        raw = el.text or ""
        value = raw.strip()
        # RFC 4287 section 3: no white space in a Date construct (W3C UnexpectedWhitespace;
        # only the schema's xsd:dateTime would collapse it).
        why = date_problem(value) or ("white space around it" if raw != value else None)
        if why:
            name = split(el.tag)[1]
            self.sink.add("atom.date.invalid",
                          f"{name} must be an RFC 3339 date-time, got {value!r}: {why}",
                          line_of(el))
        elif (moment := rfc3339_moment(value)) and (doubt := implausible(moment)):
            self.sink.add("atom.date.implausible",
                          f"implausible date {value!r} in {split(el.tag)[1]}: {doubt}",
                          line_of(el))


    def _person(self, el: etree._Element, name: str) -> None:
        sink = self.sink
        g = _group(el, sink, name, frozenset(("name", "uri", "email")))
        if "name" not in g:
            sink.add("atom.person.missing-name", f"missing {name} element: name",
                     line_of(el))
        self._once(g, name, ("name", "uri", "email"), "atom.person.duplicate-element")
        for person_name in g.get("name", ()):
            if not (person_name.text or "").strip():
                sink.add("atom.person.empty-name", f"{name} name should not be blank",
                         line_of(person_name))
        for uri in g.get("uri", ()):
            value = uri.text or ""
            if not value:
                sink.add("atom.blank", f"{name} uri is blank (W3C NotBlank)", line_of(uri))
                continue
            # RFC 4287 section 3: no white space in an IRI (W3C UnexpectedWhitespace).
            why = _no_space_iri(value)
            if why:
                sink.add("atom.person.bad-uri", f"{name} uri must be an IRI reference: {why}",
                         line_of(uri))
        for email in g.get("email", ()):
            value = (email.text or "").strip()
            # The W3C validator also takes a word@host address with non-ASCII letters
            # (it only warns that the host is unknown).
            if not is_email(value) and not _LOOSE_EMAIL.match(value):
                sink.add("atom.person.bad-email",
                         f"{name} email {email.text!r} is not an e-mail address",
                         line_of(email))

    def _category(self, el: etree._Element) -> None:
        if el.get("term") is None:
            self.sink.add("atom.category.missing-term", "category must have a term attribute",
                          line_of(el))
        scheme = el.get("scheme")
        if scheme is not None and (why := _full_iri_problem(scheme)):
            self.sink.add("atom.category.bad-scheme", f"category scheme must be an IRI: {why}",
                          line_of(el))
