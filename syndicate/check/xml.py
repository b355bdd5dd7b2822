"""Secure XML parsing with encoding checks.

Nothing here expands an entity, reads a DTD or touches the network:
- a DOCTYPE that declares entities is rejected before parsing (billion laughs, XXE);
- lxml runs with resolve_entities=False, load_dtd=False, no_network=True and without
  huge_tree, so libxml2 keeps its own caps (256 levels of nesting, 10 MB text nodes);
- the caller caps the input size before any byte reaches this module.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass

from lxml import etree

from syndicate.check.findings import Finding, finding

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_DECL = re.compile(
    r"<\?xml\s+version\s*=\s*([\"'])[^\"']*\1(?:\s+encoding\s*=\s*([\"'])([^\"']*)\2)?")


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed document (root is None when it could not be parsed) and what was found."""

    root: etree._Element | None
    findings: tuple[Finding, ...]


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _encoding_findings(data: bytes) -> tuple[list[Finding], str]:
    """Check BOM vs declaration vs bytes; returns findings and the text to scan the prolog in."""
    bom_codec: str | None = None
    body = data
    for bom, name in _BOMS:
        if data.startswith(bom):
            bom_codec, body = name, data[len(bom):]
            break
    out: list[Finding] = []
    if bom_codec is None and (data.startswith((b"<\x00?\x00", b"\x00<\x00?"))):
        out.append(finding("xml.encoding-mismatch",
                           "the document looks like UTF-16 but has no byte order mark "
                           "(required for UTF-16 by XML 1.0 section 4.3.3)", 1))
        return out, body.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", "replace")
    head_codec = bom_codec if bom_codec and not bom_codec.startswith("utf-8") else "latin-1"
    head = body[:1024].decode(head_codec, "replace")
    m = _DECL.match(head)
    declared = m.group(3) if m and m.group(3) is not None else None
    if declared is not None:
        codec = _codec(declared)
        if codec is None:
            out.append(finding("xml.unknown-encoding",
                               f"unknown character encoding {declared!r} in the XML declaration",
                               1))
            return out, head
        if bom_codec is not None:
            family = bom_codec[:6]  # "utf-8", "utf-16", "utf-32"
            if not codec.replace("_", "-").startswith(family.rstrip("-")):
                out.append(finding("xml.encoding-mismatch",
                                   f"the byte order mark says {bom_codec.upper()} but the XML "
                                   f"declaration says {declared!r}", 1))
                return out, head
        elif codec.startswith(("utf-16", "utf-32")):
            out.append(finding("xml.encoding-mismatch",
                               f"the XML declaration says {declared!r} but the bytes are "
                               "single-byte (and there is no byte order mark)", 1))
            return out, head
        effective = bom_codec or codec
    else:
        effective = bom_codec or "utf-8"
    try:
        text = body.decode(effective)
    except UnicodeDecodeError as exc:
        line = _line_at(data, exc.start + (len(data) - len(body)))
        if declared is None and bom_codec is None:
            out.append(finding("xml.undeclared-encoding",
                               "no encoding is declared, so the document must be UTF-8, but "
                               f"byte 0x{body[exc.start]:02x} is not valid UTF-8", line))
        else:
            out.append(finding("xml.encoding-mismatch",
                               f"byte 0x{body[exc.start]:02x} is not valid "
                               f"{declared or bom_codec}", line))
        return out, head
    except LookupError:  # a codec Python knows only for one direction
        return out, head
    return out, text


_SUBSET_END = re.compile(r"\]\s*>")
_MISC = re.compile(r"(?:[ \t\r\n\ufeff]+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)


def _doctype_entities(prolog: str) -> bool:
    """True when the DOCTYPE (if any) declares entities in its internal subset.

    Skips what may precede a DOCTYPE (declaration, comments, PIs, whitespace) in one
    regex pass, so a comment such as ``<!-- <a> -->`` cannot hide the DOCTYPE and a
    megabyte of padding costs no Python loop.
    """
    start = _MISC.match(prolog).end()  # type: ignore[union-attr]  # (always matches)
    if not prolog.startswith("<!DOCTYPE", start):
        return False  # the root element (or garbage) comes first: no DOCTYPE
    bracket = prolog.find("[", start)
    close = prolog.find(">", start)
    if bracket < 0 or 0 <= close < bracket:
        return False  # no internal subset, so no entity declarations
    m = _SUBSET_END.search(prolog, bracket)
    return "<!ENTITY" in prolog[bracket:m.start() if m else len(prolog)]


def _prolog(data: bytes, text: str) -> str:
    """The text to scan for a DOCTYPE: empty when the bytes cannot hold one."""
    if data.startswith((b"\xfe\xff", b"\xff\xfe", b"\x00", b"<\x00")):
        return text
    if b"<!DOCTYPE" not in data:
        return ""
    return data.decode("latin-1")


_PARSERS = threading.local()  # lxml parsers must not be shared between threads


def _parser() -> etree.XMLParser:
    """This thread's parser: made once, reused for every document (each parse resets it)."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _new_parser()
    return parser


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False)
    # Not collect_ids=False: with it, libxml2 tries to load an external DTD subset.


def parse_xml(data: bytes) -> Parsed:
    """Check the encoding, refuse entity declarations and parse ``data`` securely."""
    findings, text = _encoding_findings(data)
    prolog = _prolog(data, text)
    if _doctype_entities(prolog):
        findings.append(finding("xml.doctype-entity",
                                "the DOCTYPE declares entities; entity declarations are not "
                                "allowed in feeds and were not expanded", 1))
        return Parsed(None, tuple(findings))
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if findings:  # an encoding error already explains why the bytes do not parse
            return Parsed(None, tuple(findings))
        message = str(exc.msg if exc.msg else exc)
        code = "xml.too-deep" if "depth" in message.lower() else "xml.not-well-formed"
        line = exc.lineno if exc.lineno and exc.lineno > 0 else None
        findings.append(finding(code, message, line))
        return Parsed(None, tuple(findings))
    if data[:6] == b"<?xml " and b'"1.0"' not in data[:40] and b"'1.0'" not in data[:40] \
            and root.getroottree().docinfo.xml_version not in (None, "1.0"):
        # Feeds are XML 1.0; the W3C validator refuses other versions (BadXmlVersion).
        findings.append(finding("xml.bad-version", "the XML declaration says version "
                                f"{root.getroottree().docinfo.xml_version}; feeds are XML 1.0",
                                1))
    if not prolog and not findings and "<!DOCTYPE" not in text and \
            (data.startswith(b"\xef\xbb\xbf<") or data.lstrip(b" \t\r\n")[:1] == b"<"):
        # No "<!DOCTYPE" in the bytes nor in the text they decode to (an encoding such as
        # UTF-7 could hide one from a byte search): no DTD to look into. The common case,
        # and asking lxml for the DTD costs as much as parsing a small feed.
        return Parsed(root, tuple(findings))
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # type: ignore[union-attr]
        findings.append(finding("xml.doctype-entity",
                                "the DOCTYPE declares entities; entity declarations are not "
                                "allowed in feeds and were not expanded", 1))
        return Parsed(None, tuple(findings))
    return Parsed(root, tuple(findings))


# C1 controls (text decoded as ISO-8859-1 that was really windows-1252) and U+FFFD (text
# lost to a decoding error upstream): the W3C validator's BadCharacters warning.
_BAD_CHARACTERS = re.compile("[\x80-\x9f\ufffd]")


# Quick look at the raw bytes: none of these means no C1 control or U+FFFD anywhere, so
# the element walk below can be skipped (UTF-8 C1 is C2 80..C2 9F, U+FFFD is EF BF BD;
# a character reference spells either; single-byte and wide encodings are always walked).
_MAYBE_BAD = re.compile(rb"\xc2[\x80-\x9f]|\xef\xbf\xbd|&#")


def bad_characters(root: etree._Element, data: bytes | None = None) -> list[Finding]:
    """One warning per element whose text or attribute values hold C1 controls or U+FFFD.

    ``data``, the document's bytes, lets a UTF-8 document without any telltale byte
    sequence skip the walk.
    """
    if data is not None and _MAYBE_BAD.search(data) is None and \
            (root.getroottree().docinfo.encoding or "").upper() in ("UTF-8", "UTF8"):
        return []
    found: list[Finding] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions
        texts = [el.text or "", el.tail or "", *el.attrib.values()]
        hit = next((m for t in texts if (m := _BAD_CHARACTERS.search(str(t)))), None)
        if hit is not None:
            line: int | None = el.sourceline  # type: ignore[assignment]
            found.append(finding(
                "xml.bad-characters",
                f"{etree.QName(el).localname} holds U+{ord(hit.group()):04X}: a C1 control "
                "or replacement character, the mark of mis-decoded text", line))
    return found
