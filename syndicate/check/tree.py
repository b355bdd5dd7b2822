"""Small helpers shared by the XML format checkers: a findings sink and element access."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from lxml import etree

from syndicate.check.findings import Finding, finding

XML_NS = "{http://www.w3.org/XML/1998/namespace}"


class Sink:
    """Collects findings for one document (a plain accumulator, local to one check)."""

    __slots__ = ("findings",)

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, code: str, message: str, line: int | None) -> None:
        self.findings.append(finding(code, message, line))


def line_of(el: etree._Element) -> int | None:
    """The element's 1-based source line (lxml's stubs leave ``sourceline`` untyped)."""
    line: int | None = el.sourceline  # type: ignore[assignment]
    return line


def elements(el: etree._Element) -> Iterator[etree._Element]:
    """Child elements, skipping comments, processing instructions and entity nodes."""
    return el.iterchildren(etree.Element)  # filtered in C: the hottest loop of a check


def split(tag: str) -> tuple[str, str]:
    """``{ns}name`` -> (ns, name); no namespace -> ("", name)."""
    if tag[0] == "{":
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def text(el: etree._Element) -> str:
    """All character data inside ``el`` (direct and nested)."""
    return "".join(str(t) for t in el.itertext())


def base_of(el: etree._Element, location: str | None) -> str | None:
    """The base IRI in effect at ``el``: xml:base attributes resolved against the location."""
    chain: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        b = node.get(XML_NS + "base")
        if b is not None:
            chain.append(b)
        node = node.getparent()
    base = location
    for b in reversed(chain):
        base = _join(base, b) if base else b
    return base


def _join(base: str, ref: str) -> str:
    """``urljoin`` that keeps ``ref`` as written when either is malformed (an unclosed
    IPv6 bracket makes urllib raise): the format rules report the bad value."""
    try:
        return urljoin(base, ref)
    except ValueError:
        return ref


def _has_host(url: str) -> bool:
    """Whether ``url`` names a host; a malformed authority (urllib raises) counts as one,
    so it is judged as the absolute URL it tries to be, not as relative."""
    try:
        return bool(urlsplit(url).netloc)
    except ValueError:
        return True


def relative_without_base(el: etree._Element, href: str) -> bool:
    """True when ``href`` has no host and no absolute xml:base is in effect at ``el``."""
    if _has_host(href):
        return False
    node: etree._Element | None = el
    while node is not None:
        b = node.get(XML_NS + "base")
        if b is not None and _has_host(b):
            return False
        node = node.getparent()
    return True


def resolve(el: etree._Element, href: str, location: str | None) -> str:
    base = base_of(el, location)
    return _join(base, href) if base else href


def same_location(a: str, b: str) -> bool:
    """URL equality ignoring scheme/host case, default ports and an empty path; an IRI
    equals the URI it maps to (RFC 3987 section 3.1: IDNA host, UTF-8 escapes)."""
    return _normal(a) == _normal(b)


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _as_uri(part: str) -> str:
    return _ESCAPE.sub(lambda m: m.group(0).upper(), quote(part, safe=_SAFE))


def _normal(url: str) -> str:
    try:
        p = urlsplit(url.strip())
        host = (p.hostname or "").lower()
        port = p.port
    except ValueError:
        return url.strip()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    scheme = p.scheme.lower()
    if port is not None and not ((scheme == "http" and port == 80)
                                 or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, _as_uri(p.path) or "/", _as_uri(p.query), ""))
