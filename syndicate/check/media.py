"""Media RSS (https://www.rssboard.org/media-rss) in Atom and RSS documents: the rules
of the W3C Feed Validator's media module for the elements feeds use most --
media:thumbnail, media:content, media:player and media:group.
"""

from __future__ import annotations

from lxml import etree

from syndicate.check.findings import Finding
from syndicate.check.tree import Sink, elements, line_of, split
from syndicate.check.values import is_mime_type, non_negative_int, url_problem

MEDIA_NS = "http://search.yahoo.com/mrss/"
# A common misspelling: without the trailing slash it is another namespace, and readers
# ignore every element in it (the W3C validator's MediaRssNamespace error).
MEDIA_NS_NO_SLASH = "http://search.yahoo.com/mrss"

_MEDIUMS = frozenset(("image", "audio", "video", "document", "executable"))
_EXPRESSIONS = frozenset(("sample", "full", "nonstop"))
_POSITIVE = ("width", "height", "fileSize")


def check_media(root: etree._Element) -> list[Finding]:
    """Findings for every Media RSS element below ``root``."""
    sink = Sink()
    for el in root.iter(f"{{{MEDIA_NS_NO_SLASH}}}*"):
        sink.add("media.wrong-namespace",
                 f"the Media RSS namespace is {MEDIA_NS!r} (with the trailing slash), not "
                 f"{MEDIA_NS_NO_SLASH!r}; readers ignore these elements", line_of(el))
        break
    for el in root.iter(f"{{{MEDIA_NS}}}*"):
        name = split(el.tag)[1]
        if name in ("thumbnail", "player"):
            _url(el, name, sink, required=True)
            _numbers(el, name, sink, ("width", "height"))
        elif name == "content":
            _content(el, sink)
        elif name == "group":
            contents = [c for c in elements(el) if c.tag == f"{{{MEDIA_NS}}}content"]
            if len(contents) < 2:
                sink.add("media.group-without-alternatives",
                         "media:group must hold at least two media:content alternatives",
                         line_of(el))
    return sink.findings


def _url(el: etree._Element, name: str, sink: Sink, *, required: bool) -> None:
    value = el.get("url")
    if value is None:
        if required:
            sink.add("media.missing-url", f"media:{name} has no url attribute", line_of(el))
    elif why := url_problem(value):
        sink.add("media.bad-url", f"media:{name} url must be a full URL, got {value!r}: {why}",
                 line_of(el))


def _numbers(el: etree._Element, name: str, sink: Sink, attrs: tuple[str, ...]) -> None:
    for attr in attrs:
        value = el.get(attr)
        if value is None:
            continue
        n = non_negative_int(value.strip())
        if n is None or n == 0:
            sink.add("media.bad-number",
                     f"media:{name} {attr} must be a positive integer, got {value!r}",
                     line_of(el))
    channels = el.get("channels")
    if channels is not None and non_negative_int(channels.strip()) is None:
        sink.add("media.bad-number",
                 f"media:{name} channels must be a non-negative integer, got {channels!r}",
                 line_of(el))


def _content(el: etree._Element, sink: Sink) -> None:
    _url(el, "content", sink, required=False)
    _numbers(el, "content", sink, _POSITIVE)
    line = line_of(el)
    medium = el.get("medium")
    if medium is not None and medium not in _MEDIUMS:
        sink.add("media.bad-medium",
                 f"media:content medium must be image, audio, video, document or executable, "
                 f"got {medium!r}", line)
    expression = el.get("expression")
    if expression is not None and expression not in _EXPRESSIONS:
        sink.add("media.bad-expression",
                 f"media:content expression must be sample, full or nonstop, got "
                 f"{expression!r}", line)
    default = el.get("isDefault")
    if default is not None and default.lower() not in ("true", "false"):
        sink.add("media.bad-boolean",
                 f"media:content isDefault must be \"true\" or \"false\", got {default!r}", line)
    kind = el.get("type")
    if kind is not None and not is_mime_type(kind):
        sink.add("media.bad-type", f"media:content type {kind!r} is not a MIME media type",
                 line)
