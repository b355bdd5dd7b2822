"""RSS 2.0 checks (RSS Board specification 2.0.11 and its Best Practices Profile).

Element names without a namespace are RSS's own: unknown ones are errors, because the
spec allows new elements only "if those elements are defined in a namespace".
Namespaced elements (content:encoded, dc:creator, media:*, ...) are accepted as they are.
"""

from __future__ import annotations

import re

from lxml import etree

from syndicate.check.contact import check_contact
from syndicate.check.dtd import check_doctype
from syndicate.check.findings import Finding
from syndicate.check.history import check_archive
from syndicate.check.markup import element_hex_escaped, html_in_text
from syndicate.check.modules import check_modules
from syndicate.check.rss_elements import (
    _CHANNEL_SEMANTICS,
    _CONTENT_ENCODED,
    _DC,
    _ITEM_SEMANTICS,
    ATOM_NS,
    USERLAND_NS,
    _attributes,
    _blank,
    _date,
    _duplicate_semantics,
    _group,
    _once,
    _url,
    _value,
    image_url_format_ok,
)
from syndicate.check.rss_vocab import check_vocabulary
from syndicate.check.tree import (
    Sink,
    elements,
    line_of,
    relative_without_base,
    resolve,
    same_location,
    split,
)
from syndicate.check.values import (
    canonical_uri,
    is_http_url,
    is_iso639,
    is_mime_type,
    non_negative_int,
    url_problem,
)
from syndicate.check.xmlattr import check_xml_attributes

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1_NS = "http://purl.org/rss/1.0/"

_RSS_PARENT_NS = frozenset(("", USERLAND_NS))
_CHANNEL_ONCE = ("title", "link", "description", "language", "copyright", "managingEditor",
                 "webMaster", "pubDate", "lastBuildDate", "generator", "docs", "cloud", "ttl",
                 "image", "textInput", "skipHours", "skipDays")  # rating may repeat
_CHANNEL_KNOWN = frozenset(_CHANNEL_ONCE) | {"category", "item", "rating"}
_ITEM_ONCE = ("title", "link", "description", "author", "comments", "guid", "pubDate",
              "source")
_ITEM_KNOWN = frozenset(_ITEM_ONCE) | {"category", "enclosure"}
_IMAGE_KNOWN = frozenset(("url", "title", "link", "width", "height", "description"))
_TEXTINPUT_KNOWN = frozenset(("title", "description", "name", "link"))
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A textInput name is an HTML form-control name: it starts with a letter (the W3C
# validator's InvalidFormComponentName, which checks the first character only).
_FORM_NAME = re.compile(r"[a-zA-Z]")


def check_rss(root: etree._Element, location: str | None, *,
              hex_lines: frozenset[int] | None = None,
              namespaces: frozenset[str] | None = None) -> list[Finding]:
    """Check an RSS 0.91/0.92/2.0 document rooted at the rss element.

    ``hex_lines`` are the source lines holding ``&#x`` (see markup.hex_escaped_lines).
    """
    sink = Sink()
    version = root.get("version")
    if version not in ("2.0", "0.91", "0.92"):
        sink.add("rss.bad-version",
                 "rss element must have version=\"2.0\"" if version is None else
                 f"rss version {version!r} is not 2.0", line_of(root))
    g = _group(root, sink, "rss", frozenset(("channel",)), allow_items=True)
    channels = g.get("channel", [])
    if not channels:
        sink.add("rss.missing-channel", "missing rss element: channel", line_of(root))
    for extra in channels[1:]:
        sink.add("rss.duplicate-channel", "rss contains more than one channel",
                 line_of(extra))
    for item in g.get("item", ()):
        sink.add("rss.unknown-element", "undefined rss element: item (items belong inside "
                                        "channel)", line_of(item))
    _attributes(sink, root, "rss")
    check_doctype(root, sink)
    if channels:
        _Channel(sink, location, version=version or "", hex_lines=hex_lines).check(
            channels[0])
    if root.tag != "rss":
        sink.add("rss.namespaced-root", f"the rss element must not be in a namespace (it is in "
                                        f"{split(root.tag)[0]!r})", line_of(root))
    check_vocabulary(root, sink, _RSS_PARENT_NS, rss2=True)
    check_modules(root, sink, rss1=False, namespaces=namespaces)
    check_xml_attributes(root, sink, lang_code="rss.bad-language")
    return sink.findings



class _Channel:
    def __init__(self, sink: Sink, location: str | None, *, version: str,
                 hex_lines: frozenset[int] | None) -> None:
        self.sink = sink
        self.location = location
        self.wants_self = version == "2.0"  # the Best Practices self link: RSS 2.0 only
        self.rss2 = version.startswith("2.")  # the RSS Profile's character-data advice
        self.plain_description = version == "0.91"  # 0.91 descriptions are plain text
        self.hex_lines = hex_lines

    def _plain(self, el: etree._Element, what: str) -> None:
        """A field readers show as plain text: warn when it looks like markup."""
        value = el.text or ""
        escaped = element_hex_escaped(self.hex_lines, line_of(el), value) \
            if self.hex_lines else False
        markup = html_in_text(value, hex_escaped=escaped, rss2=self.rss2)
        if markup is None:
            return
        if markup.kind == "html":
            self.sink.add("rss.contains-html",
                          f"{what} should be plain text; it holds HTML ({markup.sample!r})",
                          line_of(el))
        else:
            self.sink.add("rss.character-data",
                          f"{what} holds {markup.sample!r}: encode '&' and '<' in plain text "
                          "as hexadecimal character references (&#x26; &#x3C;)",
                          line_of(el))

    def check(self, channel: etree._Element) -> None:
        sink = self.sink
        g = _group(channel, sink, "channel", _CHANNEL_KNOWN)
        for name, code in (("title", "rss.channel.missing-title"),
                           ("link", "rss.channel.missing-link"),
                           ("description", "rss.channel.missing-description")):
            if name not in g:
                sink.add(code, f"missing channel element: {name}", line_of(channel))
        _once(sink, g, "channel", _CHANNEL_ONCE)
        _blank(sink, g, "channel", ("title",))
        for el in g.get("link", ()):
            _url(sink, el, "channel link")
        for el in g.get("docs", ()):
            _url(sink, el, "docs")
        for el in g.get("language", ()):
            if not is_iso639(_value(el)):
                sink.add("rss.bad-language",
                         f"language {el.text!r} must be an ISO 639 language code such as "
                         "en-us", line_of(el))
        for name in ("title", "description", "copyright"):
            for el in g.get(name, ()):
                self._plain(el, f"channel {name}")
        for name in ("managingEditor", "webMaster"):
            for el in g.get(name, ()):
                check_contact(sink, el, name)
        for name in ("pubDate", "lastBuildDate"):
            for el in g.get(name, ()):
                _date(sink, el, "rss.channel.bad-date", name)
        for el in g.get("ttl", ()):
            if not non_negative_int(el.text or ""):  # None or 0
                sink.add("rss.channel.bad-ttl",
                         f"ttl must be a positive integer (minutes), got {el.text!r}",
                         line_of(el))
        for el in g.get("cloud", ()):
            self._cloud(el)
        for el in g.get("image", ()):
            self._image(el, g)
        for el in g.get("textInput", ()):
            self._text_input(el)
        for el in g.get("skipHours", ()):
            self._skip(el, "hour", 24, "rss.skiphours.too-many")
        for el in g.get("skipDays", ()):
            self._skip(el, "day", 7, "rss.skipdays.too-many")
        self._atom_links(channel, g.get("atom:link", []))
        check_archive(channel, sink, "rss.archive.missing-current")
        self._misplaced_items(channel)
        _duplicate_semantics(sink, channel, _CHANNEL_SEMANTICS, "channel")
        guids: dict[str, int] = {}
        for item in g.get("item", ()):
            self._item(item, guids)

    def _misplaced_items(self, channel: etree._Element) -> None:
        """Best Practices: channel elements come before the items."""
        pending: list[etree._Element] = []
        for child in elements(channel):
            ns, name = split(child.tag)
            if ns in ("", USERLAND_NS) and name == "item":
                pending.append(child)
            elif pending and (ns in ("", USERLAND_NS) and name in _CHANNEL_KNOWN
                              or (ns, name) == (ATOM_NS, "link")):
                for item in pending:
                    self.sink.add("rss.misplaced-item",
                                  f"item should come after all channel elements ({name} at "
                                  f"line {line_of(child)} follows it)", line_of(item))
                pending = []

    def _atom_links(self, channel: etree._Element, links: list[etree._Element]) -> None:
        sink = self.sink
        selfs = []
        for link in links:
            href = link.get("href")
            if href is None:
                sink.add("rss.atom-link.missing-href", "atom:link must have an href attribute",
                         line_of(link))
            elif link.get("rel") == "self":
                selfs.append((link, href))
        if not selfs and self.wants_self:
            sink.add("rss.channel.missing-atom-self",
                     "missing atom:link with rel=\"self\"", line_of(channel))
        for link, href in selfs:
            if relative_without_base(link, href):
                sink.add("rss.atom-link.relative-self",
                         f"self reference {href!r} is relative; it should be absolute",
                         line_of(link))
            if self.location is not None:
                target = resolve(link, href, self.location)
                if not same_location(target, self.location):
                    sink.add("rss.channel.self-link-mismatch",
                             f"self reference {target!r} doesn't match document location "
                             f"{self.location!r}", line_of(link))

    def _cloud(self, el: etree._Element) -> None:
        sink = self.sink
        for attr in ("domain", "port", "path", "registerProcedure", "protocol"):
            if el.get(attr) is None:
                sink.add("rss.cloud.missing-attribute", f"missing cloud attribute: {attr}",
                         line_of(el))
        port = el.get("port")
        number = non_negative_int(port) if port is not None else None
        if port is not None and not number:
            sink.add("rss.cloud.bad-port", f"cloud port must be a positive integer, got "
                                           f"{port!r}", line_of(el))
        elif number is not None and number > 65535:
            sink.add("rss.cloud.port-out-of-range",
                     f"cloud port {port!r} is above 65535, the largest TCP port", line_of(el))
        protocol = el.get("protocol")
        if protocol is not None and protocol not in ("xml-rpc", "soap", "http-post"):
            sink.add("rss.cloud.bad-protocol",
                     f"cloud protocol must be xml-rpc, soap or http-post, got {protocol!r}",
                     line_of(el))

    def _image(self, image: etree._Element, channel: dict[str, list[etree._Element]]) -> None:
        sink = self.sink
        g = _group(image, sink, "image", _IMAGE_KNOWN)
        for name in ("url", "title", "link"):
            if name not in g:
                sink.add("rss.image.missing-element", f"missing image element: {name}",
                         line_of(image))
        _once(sink, g, "image", tuple(sorted(_IMAGE_KNOWN)))
        for el in g.get("url", ()):
            _url(sink, el, "image url")
            if not image_url_format_ok(_value(el)):
                sink.add("rss.image.bad-format",
                         f"image url should be a GIF, JPEG or PNG image, got {_value(el)!r}",
                         line_of(el))
        for el in g.get("link", ()):
            _url(sink, el, "image link")
        for name, code, top in (("width", "rss.image.bad-width", 144),
                                ("height", "rss.image.bad-height", 400)):
            for el in g.get(name, ()):
                n = non_negative_int(el.text or "")
                if n is None or not 1 <= n <= top:
                    sink.add(code, f"image {name} must be an integer from 1 to {top}, "
                                   f"got {el.text!r}", line_of(el))
        if g.get("title") and channel.get("title") and \
                _value(g["title"][0]) != _value(channel["title"][0]):
            sink.add("rss.image.title-mismatch", "image title doesn't match channel title",
                     line_of(g["title"][0]))
        if g.get("link") and channel.get("link") and \
                _value(g["link"][0]) != _value(channel["link"][0]):
            sink.add("rss.image.link-mismatch", "image link doesn't match channel link",
                     line_of(g["link"][0]))

    def _text_input(self, el: etree._Element) -> None:
        sink = self.sink
        sink.add("rss.textinput.avoid",
                 "avoid textInput: few aggregators support it (RSS Best Practices)",
                 line_of(el))
        g = _group(el, sink, "textInput", _TEXTINPUT_KNOWN)
        for name in ("title", "description", "name", "link"):
            if name not in g:
                sink.add("rss.textinput.missing-element", f"missing textInput element: {name}",
                         line_of(el))
        _once(sink, g, "textInput", ("title", "description", "name", "link"))
        for link in g.get("link", ()):
            _url(sink, link, "textInput link")
        for field in g.get("name", ()):
            if not _FORM_NAME.match(_value(field)):
                sink.add("rss.textinput.bad-name",
                         f"textInput name must be a form-control name starting with a "
                         f"letter, got {field.text!r}", line_of(field))

    def _skip(self, el: etree._Element, child: str, most: int, too_many: str) -> None:
        sink = self.sink
        g = _group(el, sink, "skipHours" if child == "hour" else "skipDays",
                   frozenset((child,)))
        values = g.get(child, [])
        if not values:
            sink.add("rss.skip.missing-child",
                     f"{split(el.tag)[1]} must contain at least one {child} element",
                     line_of(el))
        if len(values) > most:
            sink.add(too_many, f"{split(el.tag)[1]} can not contain more than {most} {child} "
                               "elements", line_of(el))
        seen: set[str] = set()
        for v in values:
            text = _value(v)
            if child == "hour":
                n = non_negative_int(text)
                if n == 24:
                    # An obsolete spelling of midnight: a warning (UseZeroForMidnight),
                    # and a duplicate when 0 is listed too.
                    sink.add("rss.skiphours.midnight-24",
                             "use 0 for midnight, not 24", line_of(v))
                    n = 0
                elif n is None or n > 23:
                    sink.add("rss.skiphours.bad-hour",
                             f"hour must be an integer between 0 and 23, got {v.text!r}",
                             line_of(v))
                    continue
                text = str(n)
            elif text not in _DAYS:
                sink.add("rss.skipdays.bad-day",
                         "day must be Monday, Tuesday, Wednesday, Thursday, Friday, Saturday "
                         f"or Sunday, got {v.text!r}", line_of(v))
                continue
            if text in seen:
                sink.add("rss.duplicate-value", f"{child} {text} is listed more than once",
                         line_of(v))
            seen.add(text)

    def _item(self, item: etree._Element, guids: dict[str, int]) -> None:
        sink = self.sink
        g = _group(item, sink, "item", _ITEM_KNOWN)
        if "title" not in g and "description" not in g:
            sink.add("rss.item.missing-title-or-description",
                     "item must contain either title or description", line_of(item))
        _once(sink, g, "item", _ITEM_ONCE)
        _blank(sink, g, "item", ("title", "category"))
        for el in g.get("link", ()):
            _url(sink, el, "item link")
        for el in g.get("comments", ()):
            _url(sink, el, "comments")
        for el in g.get("author", ()):
            check_contact(sink, el, "author")
        plain = ("title", "category", "author", "source") + (
            ("description",) if self.plain_description else ())
        for name in plain:
            for el in g.get(name, ()):
                self._plain(el, f"item {name}")
        for el in item.iterchildren(_DC + "creator"):
            self._plain(el, "item dc:creator")
        for el in g.get("pubDate", ()):
            _date(sink, el, "rss.item.bad-pubdate", "pubDate")
        for el in g.get("source", ()):
            url = el.get("url")
            if url is None:
                sink.add("rss.source.missing-url", "missing source attribute: url",
                         line_of(el))
            else:
                _url(sink, el, "source url", url)
        enclosures = g.get("enclosure", [])
        for el in enclosures:
            self._enclosure(el)
        for el in enclosures[1:]:
            sink.add("rss.item.multiple-enclosures", "item contains more than one enclosure",
                     line_of(el))
        _duplicate_semantics(sink, item, _ITEM_SEMANTICS, "item")
        for child in elements(item):
            if child.tag == _CONTENT_ENCODED:
                sink.add("rss.item.content-before-description",
                         "item should have a description before content:encoded",
                         line_of(child))
                break
            if child.tag == "description":
                break
        if "guid" not in g and self.rss2:  # a guid is an RSS 2.x element (W3C MissingGuid)
            sink.add("rss.item.missing-guid", "item should contain a guid element",
                     line_of(item))
        for el in g.get("guid", [])[:1]:
            self._guid(el, guids)

    def _guid(self, el: etree._Element, guids: dict[str, int]) -> None:
        sink = self.sink
        value = _value(el)
        permalink = el.get("isPermaLink")
        if permalink not in (None, "true", "false"):
            sink.add("rss.guid.bad-ispermalink",
                     f"isPermaLink attribute of guid must be 'true' or 'false', got "
                     f"{permalink!r}", line_of(el))
        if not value:
            if permalink == "false":  # not a URL, so only blank (W3C NotBlank)
                sink.add("rss.blank-element", "item guid should not be blank", line_of(el))
            else:
                sink.add("rss.guid.empty", "guid must not be empty", line_of(el))
            return
        if permalink in (None, "true"):
            if url_problem(value) is not None or \
                    value.lower().startswith(("tag:", "urn:uuid:")):  # other URNs may do
                sink.add("rss.guid.not-url",
                         f"guid must be a full URL, unless isPermaLink attribute is false: "
                         f"{value!r}", line_of(el))
        elif permalink == "false" and len(value) < 9 and value.isdigit():
            sink.add("rss.guid.not-unique-enough",
                     f"the guid {value!r} is not sufficiently unique", line_of(el))
        # http URIs equal under RFC 3986 normalisation (host case, default port, empty
        # path, escapes) are one guid, as the W3C validator compares them.
        key = canonical_uri(value) if value[:5].lower().startswith(("http:", "https")) \
            else value
        if key in guids:
            sink.add("rss.item.duplicate-guid",
                     f"guid {value!r} is also used by the item at line {guids[key]}",
                     line_of(el))
        else:
            guids[key] = line_of(el) or 0

    def _enclosure(self, el: etree._Element) -> None:
        sink = self.sink
        for attr in ("url", "length", "type"):
            if el.get(attr) is None:
                sink.add("rss.enclosure.missing-attribute",
                         f"missing enclosure attribute: {attr}", line_of(el))
        url = el.get("url")
        if url is not None and not is_http_url(url):
            sink.add("rss.enclosure.bad-url",
                     f"enclosure url must be a full http URL, got {url!r}", line_of(el))
        length = el.get("length")
        if length is not None and non_negative_int(length) is None:
            sink.add("rss.enclosure.bad-length",
                     f"length attribute of enclosure must be a non-negative integer, got "
                     f"{length!r}", line_of(el))
        kind = el.get("type")
        if kind is not None and not is_mime_type(kind):
            sink.add("rss.enclosure.bad-type",
                     f"type attribute of enclosure must be a valid MIME type, got {kind!r}",
                     line_of(el))
