"""OPML 2.0 checks (opml.org/spec2.opml; versions 1.0 and 1.1 are accepted)."""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

from syndicate.check.findings import Finding
from syndicate.check.tree import Sink, elements, line_of, split
from syndicate.check.values import (
    DateVerdict,
    implausible,
    is_email,
    non_negative_int,
    rfc822_check,
    rfc822_moment,
    url_problem,
)

_HEAD_KNOWN = ("title", "dateCreated", "dateModified", "ownerName", "ownerEmail", "ownerId",
               "docs", "expansionState", "vertScrollState", "windowTop", "windowLeft",
               "windowBottom", "windowRight")
_NUMBERS = ("vertScrollState", "windowTop", "windowLeft", "windowBottom", "windowRight")
# The trailing white space inside the optional list: written \s*(list)?\s* a long run of
# white space could be split between the two, quadratic on a value that fails.
_EXPANSION = re.compile(r"\s*(?:\d+(?:\s*,\s*\d+)*\s*)?\Z", re.ASCII)


def check_opml(root: etree._Element) -> list[Finding]:
    sink = Sink()
    version = root.get("version")
    if version not in ("1.0", "1.1", "2.0"):
        sink.add("opml.bad-version",
                 "missing opml attribute: version" if version is None else
                 f"opml version must be 1.0, 1.1 or 2.0, got {version!r}", line_of(root))
    g = _group(root, sink, "opml", ("head", "body"))
    for name, code in (("head", "opml.missing-head"), ("body", "opml.missing-body")):
        if name not in g:
            sink.add(code, f"missing opml element: {name}", line_of(root))
    _once(sink, g, "opml", ("head", "body"))
    for head in g.get("head", [])[:1]:
        _head(head, sink)
    for body in g.get("body", [])[:1]:
        _body(body, sink)
    return sink.findings


def _group(el: etree._Element, sink: Sink, parent: str,
           known: tuple[str, ...]) -> dict[str, list[etree._Element]]:
    groups: dict[str, list[etree._Element]] = defaultdict(list)
    for child in elements(el):
        ns, name = split(child.tag)
        if ns:
            continue  # namespaced extensions are allowed (OPML 2.0)
        if name in known:
            groups[name].append(child)
        else:
            sink.add("opml.unknown-element", f"undefined {parent} element: {name}",
                     line_of(child))
    return groups


def _once(sink: Sink, g: dict[str, list[etree._Element]], parent: str,
          names: tuple[str, ...]) -> None:
    for name in names:
        for extra in g.get(name, [])[1:]:
            sink.add("opml.duplicate-element", f"{parent} contains more than one {name}",
                     line_of(extra))


def _date(sink: Sink, value: str, what: str, line: int | None) -> None:
    verdict, why = rfc822_check(value)
    if verdict in (DateVerdict.INVALID, DateVerdict.WRONG_WEEKDAY):
        sink.add("opml.bad-date", f"{what} must be an RFC 822 date-time, got {value!r}: {why}",
                 line)
    elif verdict is DateVerdict.PROBLEMATIC:
        sink.add("opml.date-problematic", f"problematical RFC 822 date in {what}: {why}", line)
    elif (moment := rfc822_moment(value)) and (doubt := implausible(moment)):
        sink.add("opml.date-implausible", f"implausible date {value!r} in {what}: {doubt}", line)


def _url(sink: Sink, value: str, what: str, line: int | None) -> None:
    if why := url_problem(value):
        sink.add("opml.bad-url", f"{what} must be a full URL, got {value!r}: {why}", line)


def _head(head: etree._Element, sink: Sink) -> None:
    g = _group(head, sink, "head", _HEAD_KNOWN)
    _once(sink, g, "head", _HEAD_KNOWN)
    for name in ("dateCreated", "dateModified"):
        for el in g.get(name, ()):
            _date(sink, el.text or "", name, line_of(el))
    for el in g.get("ownerEmail", ()):
        if not is_email((el.text or "").strip()):
            sink.add("opml.bad-email", f"ownerEmail must be an e-mail address, got {el.text!r}",
                     line_of(el))
    for name in ("ownerId", "docs"):
        for el in g.get(name, ()):
            _url(sink, (el.text or "").strip(), name, line_of(el))
    for el in g.get("expansionState", ()):
        if not _EXPANSION.match(el.text or ""):
            sink.add("opml.bad-expansion-state",
                     "expansionState is a comma-separated list of line numbers, got "
                     f"{el.text!r}", line_of(el))
    for name in _NUMBERS:
        for el in g.get(name, ()):
            if non_negative_int(el.text or "") is None:
                sink.add("opml.bad-number", f"{name} must be a non-negative integer, got "
                                            f"{el.text!r}", line_of(el))


# Attributes that make an outline without a type look like a subscription (the W3C
# validator's MissingOutlineType): a folder outline carries text only.
_FEED_ATTRIBUTES = ("description", "htmlUrl", "language", "title", "version", "xmlUrl")


def _body(body: etree._Element, sink: Sink) -> None:
    g = _group(body, sink, "body", ("outline",))
    if "outline" not in g:
        sink.add("opml.body.empty", "body must contain at least one outline", line_of(body))
    # Outlines nest without limit in the spec: walk them with a stack, not recursion.
    stack = list(reversed(g.get("outline", [])))
    while stack:
        outline = stack.pop()
        _outline(outline, sink)
        stack.extend(reversed(_group(outline, sink, "outline", ("outline",))
                              .get("outline", [])))


def _outline(el: etree._Element, sink: Sink) -> None:
    line = line_of(el)
    if el.get("text") is None:
        sink.add("opml.outline.missing-text", "missing outline attribute: text", line)
    kind = (el.get("type") or "").lower()
    if kind == "rss":
        if el.get("xmlUrl") is None:
            sink.add("opml.outline.missing-xmlurl",
                     "an outline whose type is \"rss\" must have an xmlUrl attribute", line)
        if el.get("title") is None:
            sink.add("opml.outline.missing-title", "missing outline attribute: title", line)
        version = el.get("version")
        if version is not None and version not in ("RSS", "RSS1", "RSS2", "scriptingNews"):
            sink.add("opml.outline.bad-version",
                     f"an rss outline's version must be RSS, RSS1, RSS2 or scriptingNews, got "
                     f"{version!r}", line)
    if el.get("type") is None and len(el.attrib) > 1 and any(
            el.get(attr) is not None for attr in _FEED_ATTRIBUTES):
        sink.add("opml.outline.missing-type",
                 "an outline with feed attributes (title, xmlUrl, htmlUrl, description, "
                 "language, version) should have a type attribute", line)
    if kind in ("link", "include") and el.get("url") is None:
        sink.add("opml.outline.missing-url",
                 f"an outline whose type is \"{kind}\" must have a url attribute", line)
    for attr in ("xmlUrl", "htmlUrl", "url"):
        value = el.get(attr)
        if value is not None:
            _url(sink, value, f"outline {attr}", line)
    for attr in ("isComment", "isBreakpoint"):
        value = el.get(attr)
        if value is not None and value.lower() not in ("true", "false"):
            sink.add("opml.outline.bad-boolean",
                     f"outline {attr} must be \"true\" or \"false\", got {value!r}", line)
    created = el.get("created")
    if created is not None:
        _date(sink, created, "outline created", line)
    if (el.text or "").strip() or any((c.tail or "").strip() for c in el):
        sink.add("opml.outline.unexpected-text", "outline must not contain text", line)
