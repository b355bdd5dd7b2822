"""The xml: attributes wherever they stand in a feed: xml:base is an IRI reference and
xml:lang an ISO 639 language (what the W3C Feed Validator checks on every element of
every feed format: InvalidIRI, InvalidLanguage)."""

from __future__ import annotations

from lxml import etree

from syndicate.check.tree import XML_NS, Sink, line_of
from syndicate.check.values import iri_problem, is_iso639

_WITH_XML_ATTRIBUTE = etree.XPath("//*[@xml:base or @xml:lang]")


def check_xml_attributes(root: etree._Element, sink: Sink, *, lang_code: str) -> None:
    """Report bad xml:base values (``xml.bad-base``) and bad non-empty xml:lang values
    (``lang_code``, the format's own code) anywhere below and at ``root``."""
    found = _WITH_XML_ATTRIBUTE(root)
    assert isinstance(found, list)
    for el in found:
        assert isinstance(el, etree._Element)
        base = el.get(XML_NS + "base")
        if base is not None:
            # RFC 3987: no white space in an IRI, not even around it.
            why = iri_problem(base.strip(), lenient=True) if base.strip() else None
            why = why or ("white space around it" if base != base.strip() else None)
            if why:
                sink.add("xml.bad-base", f"xml:base {base!r} is not an IRI reference: {why}",
                         line_of(el))
        lang = el.get(XML_NS + "lang")
        if lang and not is_iso639(lang):
            sink.add(lang_code, f"xml:lang {lang!r} is not an ISO 639 language code such as "
                                "en or en-US", line_of(el))
