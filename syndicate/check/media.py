"""Media RSS (https://www.rssboard.org/media-rss) in Atom and RSS documents, judged as the
W3C Feed Validator's media module does: media:content attributes, media:thumbnail,
media:player, media:group, and the optional elements (title, description, text, hash,
rating, restriction, credit, copyright, category, adult) wherever they appear.

The same single pass over the tree hands iTunes podcast elements to itunes.py, so a
document without either namespace costs one walk and nothing else.
"""

from __future__ import annotations

import re

from lxml import etree

from syndicate.check.findings import Finding
from syndicate.check.itunes import ITUNES_NAMESPACES, Itunes
from syndicate.check.media_terms import COUNTRIES, EBU_ROLES, RATINGS
from syndicate.check.tree import Sink, elements, line_of, split
from syndicate.check.values import iri_problem, is_iso639, is_mime_type, whole

MEDIA_NS = "http://search.yahoo.com/mrss/"
# A common misspelling: without the trailing slash it is another namespace, and readers
# ignore every element in it (the W3C validator's MediaRssNamespace warning).
MEDIA_NS_NO_SLASH = "http://search.yahoo.com/mrss"
_WATCHED = (f"{{{MEDIA_NS}}}*", f"{{{MEDIA_NS_NO_SLASH}}}*",
            *(f"{{{ns}}}*" for ns in ITUNES_NAMESPACES))

_MEDIUMS = frozenset(("image", "audio", "video", "document", "executable"))
_EXPRESSIONS = frozenset(("sample", "full", "nonstop"))
_TEXT_TYPES = frozenset(("plain", "html"))
# Elements that may appear once per parent (item, channel, media:content, media:group).
_ONCE = frozenset(("title", "description", "copyright", "adult"))
# bitrate, framerate, samplingrate and duration: the W3C validator only asks that the
# value start with a number ("128", "44.1", "128kbps" pass; "slow" does not).
_DECIMALS = ("bitrate", "framerate", "samplingrate", "duration")
_LEADING_NUMBER = re.compile(r"[0-9]")
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*\Z")
_HASH = re.compile(r"[0-9A-Za-z]+\Z")
_HASH_LENGTHS = {"md5": 32, "sha-1": 40}
# ICRA labels: r (code code ...), each code a category with level 0/1 ("nz 1") or a
# descriptor switched on ("na 1").
_ICRA_CODE = r"(?:[nsvlocx]z [01]|(?:n[a-c]|s[a-f]|v[a-j]|l[a-c]|o[a-h]|c[ab]|x[a-e]) 1)"
_ICRA = re.compile(rf"r \({_ICRA_CODE}(?: {_ICRA_CODE})*\)\Z")
_RELATIONSHIPS = frozenset(("allow", "deny", "disallow"))  # "disallow": the W3C spelling


def check_media(root: etree._Element) -> list[Finding]:
    """Findings for every Media RSS and iTunes element below ``root``."""
    sink = Sink()
    itunes = Itunes(sink)
    wrong_ns_seen = False
    for el in root.iter(*_WATCHED):
        ns, name = split(el.tag)
        if ns == MEDIA_NS:
            _media(el, name, sink)
        elif ns == MEDIA_NS_NO_SLASH:
            if not wrong_ns_seen:
                wrong_ns_seen = True
                sink.add("media.wrong-namespace",
                         f"the Media RSS namespace is {MEDIA_NS!r} (with the trailing "
                         f"slash), not {MEDIA_NS_NO_SLASH!r}; readers ignore these elements",
                         line_of(el))
        else:
            itunes.element(el, name)
    itunes.finish(root)
    return sink.findings


# Elements that hold attributes (and, for content and group, child elements) but no text.
_NO_TEXT = frozenset(("thumbnail", "player", "content", "group"))


# The unqualified attributes each Media RSS element defines (Media RSS 1.5.1; the W3C
# validator reports any other as UnexpectedAttribute). Namespaced attributes are
# extensions; media:description, keywords and adult are not judged here.
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "category": frozenset(("label", "scheme")),
    "copyright": frozenset(("url",)),
    "credit": frozenset(("role", "scheme")),
    "hash": frozenset(("algo",)),
    "rating": frozenset(("scheme",)),
    "restriction": frozenset(("relationship", "type")),
    "player": frozenset(("height", "url", "width")),
    "text": frozenset(("end", "lang", "start", "type")),
    "title": frozenset(("type",)),
    "thumbnail": frozenset(("height", "time", "url", "width")),
    "content": frozenset(("bitrate", "channels", "duration", "expression", "fileSize",
                          "framerate", "height", "isDefault", "lang", "medium",
                          "samplingrate", "type", "url", "width")),
    "group": frozenset(),
}


def _media(el: etree._Element, name: str, sink: Sink) -> None:
    defined = _ATTRIBUTES.get(name)
    if defined is not None and el.attrib:
        for attr in el.attrib:
            if isinstance(attr, str) and attr[:1] != "{" and attr not in defined:
                sink.add("media.unexpected-attribute",
                         f"media:{name} has no attribute {attr!r}", line_of(el))
    if name in _NO_TEXT and ((el.text or "").strip()
                             or any((c.tail or "").strip() for c in el)):
        sink.add("media.unexpected-text", f"media:{name} holds text; it takes attributes "
                 "(and media elements) only", line_of(el))
    if name in ("thumbnail", "player"):
        _url(el, name, sink, required=True)
        _positive(el, name, sink, ("width", "height"))
        if name == "thumbnail":
            _npt(el, name, sink, "time")
    elif name == "content":
        _content(el, sink)
    elif name == "group":
        contents = [c for c in elements(el) if c.tag == f"{{{MEDIA_NS}}}content"]
        if len(contents) < 2:
            sink.add("media.group-without-alternatives",
                     "media:group must hold at least two media:content alternatives",
                     line_of(el))
    else:
        if name in _ONCE:
            _once(el, name, sink)
        checker = _OTHERS.get(name)
        if checker is not None:
            checker(el, sink)


def _once(el: etree._Element, name: str, sink: Sink) -> None:
    for _ in el.itersiblings(el.tag, preceding=True):
        sink.add("media.duplicate", f"media:{name} appears more than once here", line_of(el))
        return


def _full_uri_problem(value: str) -> str | None:
    # Attribute values are taken as written: a leading space is already a wrong URI.
    return iri_problem(value, absolute=True, ascii_only=True)


def _bad_uri(el: etree._Element, what: str, value: str, sink: Sink) -> None:
    if why := _full_uri_problem(value):
        sink.add("media.bad-url", f"{what} must be a full URI, got {value!r}: {why}",
                 line_of(el))


def _url(el: etree._Element, name: str, sink: Sink, *, required: bool) -> None:
    value = el.get("url")
    if not value:
        if required:
            sink.add("media.missing-url", f"media:{name} has no url attribute", line_of(el))
    else:
        _bad_uri(el, f"media:{name} url", value, sink)


def _positive(el: etree._Element, name: str, sink: Sink, attrs: tuple[str, ...]) -> None:
    for attr in attrs:
        value = el.get(attr)
        if value and not (_INTEGER.match(value) and whole(value) > 0):
            sink.add("media.bad-number",
                     f"media:{name} {attr} must be a positive integer, got {value!r}",
                     line_of(el))


def _npt(el: etree._Element, name: str, sink: Sink, attr: str) -> None:
    # Normal Play Time (RFC 2326): "now", seconds or h:mm:ss; the W3C validator accepts
    # any value that starts like one of these (with "now" or a digit).
    value = el.get(attr)
    if value and not (value.startswith("now") or _LEADING_NUMBER.match(value)):
        sink.add("media.bad-time",
                 f"media:{name} {attr} must be a Normal Play Time such as 12.5, 0:01:30 or "
                 f"now, got {value!r}", line_of(el))


def _lang(el: etree._Element, name: str, sink: Sink) -> None:
    value = el.get("lang")
    if value and not is_iso639(value):
        sink.add("media.bad-language",
                 f"media:{name} lang must be an ISO 639 language code, got {value!r}",
                 line_of(el))


def _content(el: etree._Element, sink: Sink) -> None:
    _url(el, "content", sink, required=False)
    _positive(el, "content", sink, ("width", "height", "fileSize"))
    line = line_of(el)
    channels = el.get("channels")
    if channels and not (_INTEGER.match(channels) and whole(channels) >= 0):
        sink.add("media.bad-number",
                 f"media:content channels must be a non-negative integer, got {channels!r}",
                 line)
    for attr in _DECIMALS:
        value = el.get(attr)
        if value and not _LEADING_NUMBER.match(value):
            sink.add("media.bad-decimal",
                     f"media:content {attr} must be a number, got {value!r}", line)
    medium = el.get("medium")
    if medium and medium not in _MEDIUMS:
        sink.add("media.bad-medium",
                 f"media:content medium must be image, audio, video, document or executable, "
                 f"got {medium!r}", line)
    expression = el.get("expression")
    if expression and expression not in _EXPRESSIONS:
        sink.add("media.bad-expression",
                 f"media:content expression must be sample, full or nonstop, got "
                 f"{expression!r}", line)
    default = el.get("isDefault")
    if default and default.lower() not in ("true", "false"):
        sink.add("media.bad-boolean",
                 f"media:content isDefault must be \"true\" or \"false\", got {default!r}", line)
    kind = el.get("type")
    if kind and not is_mime_type(kind):
        sink.add("media.bad-type", f"media:content type {kind!r} is not a MIME media type",
                 line)
    _lang(el, "content", sink)


def _text_type(el: etree._Element, sink: Sink) -> None:
    kind = el.get("type")
    if kind and kind not in _TEXT_TYPES:
        sink.add("media.bad-text-type",
                 f"media:{split(el.tag)[1]} type must be plain or html, got {kind!r}",
                 line_of(el))


def _text(el: etree._Element, sink: Sink) -> None:
    _text_type(el, sink)
    _npt(el, "text", sink, "start")
    _npt(el, "text", sink, "end")
    _lang(el, "text", sink)


def _adult(el: etree._Element, sink: Sink) -> None:
    sink.add("media.adult-deprecated",
             "media:adult is deprecated: use <media:rating scheme=\"urn:simple\">adult"
             "</media:rating>", line_of(el))
    value = el.text or ""  # taken as written: " true " is not a boolean
    if value.lower() not in ("true", "false"):
        sink.add("media.bad-boolean", f"media:adult must be \"true\" or \"false\", got "
                 f"{value!r}", line_of(el))


def _copyright(el: etree._Element, sink: Sink) -> None:
    url = el.get("url")
    if url:
        _bad_uri(el, "media:copyright url", url, sink)


def _category(el: etree._Element, sink: Sink) -> None:
    scheme = el.get("scheme")
    if scheme:
        _bad_uri(el, "media:category scheme", scheme, sink)


def _credit(el: etree._Element, sink: Sink) -> None:
    scheme = el.get("scheme") or "urn:ebu"
    role = el.get("role")
    if role and ((scheme == "urn:ebu" and role not in EBU_ROLES) or role != role.lower()):
        what = "a lowercase EBU role code" if scheme == "urn:ebu" else "lowercase"
        sink.add("media.bad-credit-role",
                 f"media:credit role must be {what}, got {role!r}", line_of(el))
    if scheme != "urn:ebu":
        _bad_uri(el, "media:credit scheme", scheme, sink)


def _hash(el: etree._Element, sink: Sink) -> None:
    algo = el.get("algo")
    if algo and algo not in _HASH_LENGTHS:
        sink.add("media.bad-hash", f"media:hash algo must be md5 or sha-1, got {algo!r}",
                 line_of(el))
    value = (el.text or "").strip()
    length = _HASH_LENGTHS["sha-1" if algo == "sha-1" else "md5"]
    if not _HASH.match(value):
        sink.add("media.bad-hash",
                 f"media:hash must be a hexadecimal digest, got {value!r}", line_of(el))
    elif len(value) != length:
        sink.add("media.bad-hash",
                 f"a {algo or 'md5'} media:hash has {length} hex digits, got {len(value)}",
                 line_of(el))


def _rating(el: etree._Element, sink: Sink) -> None:
    scheme = el.get("scheme") or "urn:simple"
    value = (el.text or "").strip()
    allowed = RATINGS.get(scheme)
    if allowed is not None:
        ok = value in allowed
    elif scheme == "urn:icra":
        ok = _ICRA.match(value) is not None
    else:
        _bad_uri(el, "media:rating scheme", scheme, sink)
        return
    if not ok:
        sink.add("media.bad-rating",
                 f"{value!r} is not a rating in the {scheme} scheme", line_of(el))


def _restriction(el: etree._Element, sink: Sink) -> None:
    line = line_of(el)
    relationship = el.get("relationship")
    if not relationship:
        sink.add("media.bad-restriction",
                 "media:restriction needs a relationship attribute (allow or deny)", line)
    elif relationship not in _RELATIONSHIPS:
        sink.add("media.bad-restriction",
                 f"media:restriction relationship must be allow or deny, got "
                 f"{relationship!r}", line)
    kind = el.get("type")
    value = (el.text or "").strip()
    if not kind:
        if value not in ("", "all", "none"):
            sink.add("media.bad-restriction",
                     f"a media:restriction without a type holds all or none, got {value!r}",
                     line)
    elif kind == "country":
        # Codes separated by single spaces (a doubled space makes an empty code).
        bad = [c for c in value.upper().split(" ") if c not in COUNTRIES]
        if bad:
            sink.add("media.bad-restriction",
                     f"media:restriction countries must be ISO 3166 codes, got {bad[0]!r}",
                     line)
    elif kind == "uri":
        _bad_uri(el, "media:restriction", value, sink)
    elif kind != "sharing":  # sharing: Media RSS 1.5, newer than the W3C validator's list
        sink.add("media.bad-restriction",
                 f"media:restriction type must be country, uri or sharing, got {kind!r}", line)


_OTHERS = {
    "title": _text_type, "description": _text_type, "text": _text, "adult": _adult,
    "copyright": _copyright, "category": _category, "credit": _credit, "hash": _hash,
    "rating": _rating, "restriction": _restriction,
}
