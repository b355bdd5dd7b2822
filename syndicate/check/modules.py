"""Extension modules feeds really use, checked wherever they appear (RSS 1.0, RSS 2.0,
Atom): Dublin Core dates and languages, geographic positions (W3C Geo, ICBM, GeoURL),
Slash and TrackBack. Judged as the W3C Feed Validator does (its extension.py):

- ``dc:date`` is a W3CDTF date: a date, or a date and time *with* a time zone;
- ``dc:language`` is an ISO 639 code (blank is not one);
- latitudes are numbers from -90 to 90, longitudes from -180 to 180;
- ``slash:hit_parade`` is comma-separated integers, ``slash:comments`` a count;
- ``trackback:ping`` and ``trackback:about`` belong to an item or entry: a full URI as
  their text (RSS 2.0, Atom) or in ``rdf:resource`` (RSS 1.0).
"""

from __future__ import annotations

import datetime
import re

from lxml import etree

from syndicate.check import modules_ext as ext
from syndicate.check.tree import Sink, line_of, split
from syndicate.check.values import implausible, is_iso639, url_problem, whole

DC_NS = "http://purl.org/dc/elements/1.1/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
TRACKBACK_NS = "http://madskills.com/public/xml/rss/module/trackback/"
_DC_DATE = "{" + DC_NS + "}date"
_DC_LANGUAGE = "{" + DC_NS + "}language"
_SLASH = "{http://purl.org/rss/1.0/modules/slash/}"
_LATITUDES = ("{http://www.w3.org/2003/01/geo/wgs84_pos#}lat",
              "{http://postneo.com/icbm}latitude", "{http://geourl.org/rss/module/}latitude")
_LONGITUDES = ("{http://www.w3.org/2003/01/geo/wgs84_pos#}long",
               "{http://postneo.com/icbm}longitude",
               "{http://geourl.org/rss/module/}longitude")
_TRACKBACK = ("{" + TRACKBACK_NS + "}ping", "{" + TRACKBACK_NS + "}about")
_GEO_POINT = "{http://www.w3.org/2003/01/geo/wgs84_pos#}Point"
_TAGS = (_DC_DATE, _DC_LANGUAGE, _SLASH + "hit_parade", _SLASH + "comments",
         *_LATITUDES, *_LONGITUDES, *_TRACKBACK, _GEO_POINT)
# Where TrackBack elements may stand: an RSS item or an Atom entry.
_ITEMS = frozenset(("item", "entry"))

_W3CDTF = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d*)?)?"
                     r"(Z|[+-]\d\d:\d\d))?)?)?\Z", re.ASCII)
_HIT_PARADE = re.compile(r"\d+(?:,\s*\d+)*\Z", re.ASCII)
_INTEGER = re.compile(r"\s*[+-]?\d+\s*\Z", re.ASCII)


def w3cdtf_problem(value: str) -> str | None:
    """Why ``value`` is not a W3CDTF date (a time needs a time zone), or None."""
    m = _W3CDTF.match(value)
    if m is None:
        return "not in the form YYYY[-MM[-DD[Thh:mm[:ss[.s]]TZD]]] (a time needs a zone)"
    year, month, day, hour, minute, second = (int(g) if g else None for g in m.groups()[:6])
    try:  # a missing month or day is fine; a zero one is not (nor year 0)
        datetime.date(year if year is not None else 1, month if month is not None else 1,
                      day if day is not None else 1)
    except ValueError:
        return "no such day"
    if (hour or 0) > 23 or (minute or 0) > 60 or (second or 0) > 60:
        return "time of day out of range"
    return None


def _w3cdtf_moment(value: str) -> datetime.datetime | None:
    """The instant of a valid W3CDTF value, None when it cannot be placed (leap second)."""
    try:
        if "T" not in value:
            parts = [int(p) for p in value.split("-")] + [1, 1]
            return datetime.datetime(parts[0], parts[1], parts[2], tzinfo=datetime.UTC)
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def _in_range(value: str, limit: float) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return not (number > limit or number < -limit)  # NaN passes, as in the reference


def check_modules(root: etree._Element, sink: Sink, *, rss1: bool,
                  namespaces: frozenset[str] | None = None) -> None:
    """Check the module elements anywhere below ``root``; ``rss1`` says TrackBack values
    sit in rdf:resource attributes (RSS 1.0) rather than in the element text.
    ``namespaces`` are the module namespaces the document's bytes mention (see
    ``modules_ext.namespaces_in``); None looks at the root and first item only."""
    atom = root.tag == "{" + ext.ATOM_NS + "}feed" or root.tag == "{" + ext.ATOM_NS + "}entry"
    singles: set[tuple[etree._Element | None, str]] = set()
    syncs: list[etree._Element] = []
    declared = ext.declared_namespaces(root, namespaces)
    for el in root.iter(*_TAGS, *declared):
        tag = el.tag
        assert isinstance(tag, str)  # iter() with tag names yields elements only
        ns = tag[1:tag.find("}")]
        if ns in ext.NAMESPACES:
            if tag in ext.SINGLE:
                key = (el.getparent(), tag)
                if key in singles:
                    sink.add("ext.duplicate", f"{_qname(el)} may appear only once here",
                             line_of(el))
                singles.add(key)
            if tag == "{" + ext.SX_NS + "}sync":
                syncs.append(el)
            ext.check_module_element(el, ns, sink, atom=atom)
            continue
        value = (el.text or "").strip()
        if tag == _GEO_POINT:
            ext.check_geo_point(el, sink)
        elif tag == _DC_DATE:
            _date(sink, el, value)
        elif tag == _DC_LANGUAGE:
            if not is_iso639(value):
                sink.add("ext.dc.bad-language",
                         f"dc:language {el.text!r} must be an ISO 639 language code such as "
                         "en or en-us", line_of(el))
        elif tag in _LATITUDES or tag in _LONGITUDES:
            latitude = tag in _LATITUDES
            if latitude and not _in_range(value, 90):
                sink.add("ext.geo.bad-latitude",
                         f"{_qname(el)} must be a latitude from -90 to 90, got {el.text!r}",
                         line_of(el))
            elif not latitude and not _in_range(value, 180):
                sink.add("ext.geo.bad-longitude",
                         f"{_qname(el)} must be a longitude from -180 to 180, got "
                         f"{el.text!r}", line_of(el))
        elif tag == _SLASH + "hit_parade":
            if not _HIT_PARADE.match(value):
                sink.add("ext.slash.bad-hit-parade",
                         f"slash:hit_parade must be comma-separated integers, got {el.text!r}",
                         line_of(el))
        elif tag == _SLASH + "comments":
            if not _INTEGER.match(value) or whole(value) < 0:
                sink.add("ext.slash.bad-comments",
                         f"slash:comments must be a non-negative integer, got {el.text!r}",
                         line_of(el))
        else:
            _trackback(sink, el, rss1=rss1)
    if syncs:
        ext.check_sync_ids(syncs, sink)
    if atom and "{" + ext.THR_NS + "}*" in declared:
        ext.check_thread_links(root, sink)


def _qname(el: etree._Element) -> str:
    return f"{el.prefix}:{split(el.tag)[1]}" if el.prefix else split(el.tag)[1]


def _date(sink: Sink, el: etree._Element, value: str) -> None:
    if why := w3cdtf_problem(value):
        sink.add("ext.dc.bad-date",
                 f"dc:date must be a W3CDTF date-time such as 2003-12-13T18:30:02Z, got "
                 f"{el.text!r}: {why}", line_of(el))
    elif (moment := _w3cdtf_moment(value)) and (doubt := implausible(moment)):
        sink.add("ext.date.implausible", f"implausible date {value!r} in dc:date: {doubt}",
                 line_of(el))


def _trackback(sink: Sink, el: etree._Element, *, rss1: bool) -> None:
    parent = el.getparent()
    if parent is None or split(parent.tag)[1] not in _ITEMS:
        where = split(parent.tag)[1] if parent is not None else "the document"
        sink.add("ext.trackback.misplaced",
                 f"{_qname(el)} belongs in an item or entry, not in {where}", line_of(el))
        return
    if rss1:
        resource = el.get("{" + RDF_NS + "}resource")
        if resource is None:
            sink.add("ext.trackback.missing-resource",
                     f"{_qname(el)} in RSS 1.0 must carry its URI in rdf:resource",
                     line_of(el))
        return
    value = (el.text or "").strip()
    if why := url_problem(value):
        sink.add("ext.trackback.bad-uri",
                 f"{_qname(el)} must be a full URI, got {el.text!r}: {why}", line_of(el))
