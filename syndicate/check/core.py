"""Check one document: detect its format from the content, then run that format's rules."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from syndicate.check.findings import CheckResult, Finding, Format, finding
from syndicate.check.tree import line_of, split
from syndicate.check.values import CHECKING_NOW
from syndicate.check.xml import bad_characters, parse_xml

# Each format's rules are imported when a document of that format first turns up: a run
# over Atom files never loads the RSS, RDF, OPML or JSON Feed modules (start-up time).
# The root namespaces, spelled here so dispatch needs none of those modules (a test
# checks they equal the rule modules' own constants).
ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM03_NS = "http://purl.org/atom/ns#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS11_NS = "http://purl.org/net/rss1.1#"
USERLAND_NS = "http://backend.userland.com/rss2"

if TYPE_CHECKING:
    from lxml.etree import _Element

MAX_BYTES = 10 * 1024 * 1024
_WHITESPACE = b" \t\r\n"
_BOM8 = b"\xef\xbb\xbf"
_CONSTANT = re.compile(r"(?<![\w\"])(?:NaN|-?Infinity)(?![\w\"])")


def check_bytes(data: bytes, *, path: str = "-", base_url: str | None = None,
                now: datetime.datetime | None = None) -> CheckResult:
    """Check one document given as bytes. ``base_url`` is where it is served (if known);
    ``now`` is the checking clock for future-date lints (read here when not given).

    Never raises for anything about the content; oversized input is refused unread.
    """
    if len(data) > MAX_BYTES:
        return CheckResult(path, "unknown", (finding(
            "file.too-large", f"{len(data)} bytes is more than the {MAX_BYTES}-byte cap",
            None),))
    if now is None:
        now = datetime.datetime.now(datetime.UTC)  # library use: the run passes its own
    token = CHECKING_NOW.set(now)
    try:
        wide = _wide_json_codec(data)
        start = data[3:] if data.startswith(_BOM8) else data
        first = start.lstrip(_WHITESPACE)[:1]
        if first in (b"{", b"[") or wide is not None:
            fmt, findings = _check_json(data, base_url, wide, now)
        else:
            fmt, findings = _check_xml(data, base_url)
    finally:
        CHECKING_NOW.reset(token)
    from syndicate.check.lints import size_lint

    findings.extend(size_lint(len(data), fmt))
    # Report in document order (stable, so findings on one line keep the rules' order).
    findings.sort(key=lambda f: f.line or 0)
    return CheckResult(path, fmt, tuple(findings))


# An HTML page (a site's index.html given by mistake): its DOCTYPE or root element, after
# any BOM, white space and comments. Said plainly instead of the XML error it would
# otherwise produce (void elements such as <meta> are not well-formed XML).
_HTML_START = re.compile(rb"(?:\s|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])",
                         re.IGNORECASE | re.DOTALL)


def _html_page(line: int | None = 1) -> Finding:
    return finding("format.html", "HTML, not a feed: this is a web page; check the feed "
                   "files it links to (.atom, .rss, .json)", line)


def _check_xml(data: bytes, base_url: str | None) -> tuple[Format, list[Finding]]:
    body = data[3:] if data.startswith(_BOM8) else data
    if _HTML_START.match(body, 0, 4096) is not None:
        return "unknown", [_html_page()]
    parsed = parse_xml(data)
    findings = list(parsed.findings)
    root = parsed.root
    if root is None:
        return _sniff_format(data), findings
    findings.extend(bad_characters(root, data))
    ns, name = split(root.tag)
    if ns in (ATOM_NS, ATOM03_NS) and name in ("feed", "entry"):
        return "atom", _atom(root, data, base_url, findings)
    if name == "rss" and ns in ("", USERLAND_NS):
        return "rss", _rss(root, data, base_url, findings)
    if (ns, name) == (RSS11_NS, "Channel"):  # RSS 1.1
        from syndicate.check.media import check_media
        from syndicate.check.modules_ext import namespaces_in
        from syndicate.check.rdf import check_rss11

        findings.extend(check_rss11(root, namespaces_in(data)))
        findings.extend(check_media(root))
        return "rss", findings
    if (ns, name) == (RDF_NS, "RDF"):
        from syndicate.check.rdf import is_rss1

        if is_rss1(root):  # RSS 1.0 or RSS 0.90
            from syndicate.check.lints import xml_lints
            from syndicate.check.media import check_media
            from syndicate.check.modules_ext import namespaces_in
            from syndicate.check.rdf import check_rdf

            findings.extend(check_rdf(root, namespaces_in(data)))
            findings.extend(check_media(root))
            findings.extend(xml_lints(root))
            return "rss", findings
    if name == "opml" and ns == "":
        from syndicate.check.opml import check_opml

        findings.extend(check_opml(root))
        return "opml", findings
    if name.lower() == "html":  # XHTML or HTML that happens to be well-formed
        return "unknown", [*findings, _html_page(line_of(root))]
    findings.append(finding("format.unknown",
                            f"root element {root.tag!r} is not an Atom feed or entry, RSS "
                            "rss or rdf:RDF, or OPML opml element", line_of(root)))
    return "unknown", findings


def _atom(root: _Element, data: bytes, base_url: str | None,
          findings: list[Finding]) -> list[Finding]:
    from syndicate.check.atom import check_atom
    from syndicate.check.lints import xml_lints
    from syndicate.check.markup import hex_escaped_lines
    from syndicate.check.media import check_media
    from syndicate.check.modules_ext import namespaces_in

    findings.extend(check_atom(root, base_url, hex_lines=hex_escaped_lines(data),
                               namespaces=namespaces_in(data)))
    findings.extend(check_media(root))
    findings.extend(xml_lints(root))
    return findings


def _rss(root: _Element, data: bytes, base_url: str | None,
         findings: list[Finding]) -> list[Finding]:
    from syndicate.check.lints import xml_lints
    from syndicate.check.markup import hex_escaped_lines
    from syndicate.check.media import check_media
    from syndicate.check.modules_ext import namespaces_in
    from syndicate.check.rss import check_rss

    findings.extend(check_rss(root, base_url, hex_lines=hex_escaped_lines(data),
                              namespaces=namespaces_in(data)))
    findings.extend(check_media(root))
    findings.extend(xml_lints(root))
    return findings


def _sniff_format(data: bytes) -> Format:
    """Best guess for a document that did not parse (only for the report's format field)."""
    head = data[:4096]
    if b"http://www.w3.org/2005/Atom" in head and (b"<feed" in head or b"<entry" in head):
        return "atom"
    if b"<rss" in head or b"purl.org/rss/1.0" in head:
        return "rss"
    if b"<opml" in head:
        return "opml"
    return "unknown"


def _sniff_json(text: str) -> Format:
    """Format of JSON that did not parse (only for the report's format field)."""
    return "jsonfeed" if "jsonfeed.org/version/" in text[:4096] else "unknown"


_WIDE_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
              (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))


def _wide_json_codec(data: bytes) -> str | None:
    """UTF-16/32 JSON (legal under RFC 7159, which JSON Feed cites), from the BOM or from
    the zero bytes around the first ASCII character (RFC 4627 section 3)."""
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(codec, "replace").lstrip()
            return codec if text[:1] in ("{", "[") else None
    head = data[:4]
    if len(head) == 4 and head[0] and not head[1]:
        codec = "utf-32-le" if not head[2] and not head[3] else "utf-16-le"
    elif len(head) == 4 and not head[0] and head[1]:
        codec = "utf-16-be"
    elif len(head) == 4 and not head[0] and not head[1] and not head[2] and head[3]:
        codec = "utf-32-be"
    else:
        return None
    text = data.decode(codec, "replace").lstrip()
    return codec if text[:1] in ("{", "[") else None


def _check_json(data: bytes, base_url: str | None, wide: str | None,
                now: datetime.datetime) -> tuple[Format, list[Finding]]:
    import json

    from syndicate.check.jsonfeed import check_jsonfeed, looks_like_jsonfeed
    from syndicate.check.jsontext import LinedDict, loads_fast, loads_with_lines
    from syndicate.check.lints_json import json_lints

    findings: list[Finding] = []
    body = data
    if wide is not None:
        findings.append(finding("json.legacy-encoding",
                                f"JSON Feeds should be UTF-8; this one is {wide.upper()} "
                                "(legal under RFC 7159, not RFC 8259)", 1))
        for bom, _ in _WIDE_BOMS:
            if body.startswith(bom):
                body = body[len(bom):]
                break
    elif data.startswith(_BOM8):
        findings.append(finding("json.bom", "JSON text must not begin with a byte order mark",
                                1))
        body = data[3:]
    try:
        text = body.decode(wide or "utf-8")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].decode(wide or "utf-8", "replace").count("\n") + 1
        findings.append(finding("json.not-utf8",
                                f"byte 0x{body[exc.start]:02x} is not valid UTF-8 (JSON "
                                "must be UTF-8)", line))
        return _sniff_json(body.decode("latin-1")), findings
    fast = True
    try:
        try:
            doc = loads_fast(text)  # the C decoder; most feeds have nothing to report
        except (ValueError, RecursionError):
            fast = False  # the line-keeping parse says where and why, as before
            doc = loads_with_lines(text)
    except json.JSONDecodeError as exc:
        findings.append(finding("json.not-well-formed", exc.msg, exc.lineno))
        return _sniff_json(text), findings
    except ValueError as exc:  # NaN / Infinity, refused by loads_with_lines
        m = _CONSTANT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else 1
        findings.append(finding("json.not-well-formed", str(exc), line))
        return _sniff_json(text), findings
    except RecursionError:
        findings.append(finding("json.not-well-formed", "values are nested too deeply", 1))
        return _sniff_json(text), findings
    if not isinstance(doc, LinedDict) or not looks_like_jsonfeed(doc):
        findings.append(finding("format.unknown",
                                "JSON, but not a JSON Feed (no jsonfeed.org version)", 1))
        return "unknown", findings
    found = check_jsonfeed(doc, base_url) + json_lints(doc, now)
    if found and fast:  # findings need their lines: parse again, keeping them
        doc = loads_with_lines(text)
        found = check_jsonfeed(doc, base_url) + json_lints(doc, now)
    findings.extend(found)
    return "jsonfeed", findings
