"""Extension elements directly inside Atom's feed, entry, source, author and contributor,
judged as the W3C Feed Validator judges them.

The validator knows a list of namespaces (Dublin Core, iTunes, Media RSS, ...). A child of
an Atom container in one of those namespaces must be an element the validator expects in
that container; any other is an error (its UndefinedElement): dc:date in an author, thr:total
or app:edited in the feed, opensearch:totalResults in an entry. A few elements it merely
questions anywhere (dc:title, dcterms:*, geo:*, ...; a warning, QuestionableUsage), and
elements of namespaces it does not know are extensions RFC 4287 section 6 allows.
XHTML elements out of place are only a warning there (MisplacedXHTMLContent).
The tables below list, per namespace prefix, the local names allowed in each container
("-" written as "_", as in thr:in_reply_to for thr:in-reply-to).

check_extension also judges what the validator checks of those elements there: values
(app:edited, dcterms dates, OpenSearch and sy counts, sy:updatePeriod, wfw and
creativeCommons URIs, app:draft), elements that may appear once per container, child
elements in text-valued ones and text in element-only ones. The date and media-type
readings follow the validator too (date_problem: the RFC 3339 shape, any offset).
Found by differential testing against a local copy of the validator.
"""

from __future__ import annotations

import datetime
import re

from lxml import etree

from syndicate.check.module_terms import DC_ANYWHERE, DC_RESOURCE, DCTERMS, ONCE, PERIODS
from syndicate.check.modules import w3cdtf_problem
from syndicate.check.tree import Sink, elements, line_of
from syndicate.check.values import iri_problem


def _table(text: str) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for entry in re.split(r"\n(?=\S)", text.strip()):
        prefix, _, names = entry.partition(":")
        out[prefix] = frozenset(names.split())
    return out


# The namespaces the validator knows (prefix, URI). A URI is matched the way the validator
# matches it: case-insensitively, ignoring what follows its last word character (so
# ".../elements/1.1" and ".../elements/1.1/" are both Dublin Core).
_NAMESPACES = """
access http://www.bloglines.com/about/specs/fac-1.0
admin http://webns.net/mvcb/
ag http://purl.org/rss/1.0/modules/aggregation/
annotate http://purl.org/rss/1.0/modules/annotate/
app http://www.w3.org/2007/app
atom http://www.w3.org/2005/Atom
audio http://media.tangent.org/rss/1.0/
blogChannel http://backend.userland.com/blogChannelModule
cc http://web.resource.org/cc/
cf http://www.microsoft.com/schemas/rss/core/2005
company http://purl.org/rss/1.0/modules/company
content http://purl.org/rss/1.0/modules/content/
conversationsNetwork http://conversationsnetwork.org/rssNamespace-1.0/
cp http://my.theinfo.org/changed/1.0/rss/
creativeCommons http://backend.userland.com/creativeCommonsRssModule
dc http://purl.org/dc/elements/1.1/
dcterms http://purl.org/dc/terms/
email http://purl.org/rss/1.0/modules/email/
ev http://purl.org/rss/1.0/modules/event/
feedburner http://rssnamespace.org/feedburner/ext/1.0
fh http://purl.org/syndication/history/1.0
foaf http://xmlns.com/foaf/0.1/
g http://base.google.com/ns/1.0
geo http://www.w3.org/2003/01/geo/wgs84_pos#
georss http://www.georss.org/georss
geourl http://geourl.org/rss/module/
gml http://www.opengis.net/gml
icbm http://postneo.com/icbm
image http://purl.org/rss/1.0/modules/image/
indexing urn:atom-extension:indexing
itunes http://www.itunes.com/dtds/podcast-1.0.dtd
kml20 http://earth.google.com/kml/2.0
kml21 http://earth.google.com/kml/2.1
kml22 http://www.opengis.net/kml/2.2
l http://purl.org/rss/1.0/modules/link/
mathml http://www.w3.org/1998/Math/MathML
media http://search.yahoo.com/mrss/
openid http://openid.net/xmlns/1.0
opensearch http://a9.com/-/spec/opensearch/1.1/
opensearch10 http://a9.com/-/spec/opensearchrss/1.0/
opml http://www.opml.org/spec2
rdf http://www.w3.org/1999/02/22-rdf-syntax-ns#
rdfs http://www.w3.org/2000/01/rdf-schema#
ref http://purl.org/rss/1.0/modules/reference/
reqv http://purl.org/rss/1.0/modules/richequiv/
rss090 http://my.netscape.com/rdf/simple/0.9/
rss091 http://purl.org/rss/1.0/modules/rss091#
rss1 http://purl.org/rss/1.0/
rss11 http://purl.org/net/rss1.1#
search http://purl.org/rss/1.0/modules/search/
slash http://purl.org/rss/1.0/modules/slash/
soap http://schemas.xmlsoap.org/soap/envelope/
ss http://purl.org/rss/1.0/modules/servicestatus/
str http://hacks.benhammersley.com/rss/streaming/
sub http://purl.org/rss/1.0/modules/subscription/
svg http://www.w3.org/2000/svg
sx http://feedsync.org/2007/feedsync
sy http://purl.org/rss/1.0/modules/syndication/
taxo http://purl.org/rss/1.0/modules/taxonomy/
thr http://purl.org/rss/1.0/modules/threading/
thr http://purl.org/syndication/thread/1.0
trackback http://madskills.com/public/xml/rss/module/trackback/
wfw http://wellformedweb.org/CommentAPI/
xhtml http://www.w3.org/1999/xhtml
wiki http://purl.org/rss/1.0/modules/wiki/
wiki http://www.usemod.com/cgi-bin/mb.pl?ModWiki
xlink http://www.w3.org/1999/xlink
xrd xri://$xrd*($v*2.0)
xrds xri://$xrds
"""


# RFC 3339 date-times as the W3C validator reads them: the shape of RFC 3339 section 5.6
# (upper-case T and Z, seconds required, any fraction, a +hh:mm or -hh:mm offset), a day
# that exists (so year 0000 is out), hours up to 23, minutes and seconds up to 60.
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d*)?(?:Z|[+-]\d\d:\d\d)\Z",
                      re.ASCII)


def date_problem(value: str) -> str | None:
    """Why ``value`` is not an Atom Date construct, or None."""
    m = _RFC3339.match(value)
    if m is None:
        return "not in the form YYYY-MM-DDThh:mm:ss[.s](Z|+hh:mm|-hh:mm)"
    year, month, day, hour, minute, second = map(int, m.groups())
    if not (year and 1 <= month <= 12 and 1 <= day <= 28):  # else surely a calendar day
        try:
            datetime.date(year, month, day)
        except ValueError:
            return "no such day"
    if hour > 23 or minute > 60 or second > 60:
        return "time of day out of range"
    return None


def _near(uri: str) -> str:
    m = re.match(r".*\w", uri)
    return m.group().lower() if m else uri


KNOWN: dict[str, str] = {_near(uri): prefix for prefix, uri in
                         (line.split(" ", 1) for line in _NAMESPACES.strip().splitlines())}
_PREFIXES: dict[str, str | None] = {}  # namespace URI as written -> its known prefix


def _prefix(uri: str) -> str | None:
    """The validator's prefix for the namespace ``uri``, or None (memoised: feeds repeat
    a handful of namespaces on many elements)."""
    if uri in _PREFIXES:
        return _PREFIXES[uri]
    prefix = KNOWN.get(_near(uri))
    if len(_PREFIXES) < 4096:  # bounded: hostile documents may invent many namespaces
        _PREFIXES[uri] = prefix
    return prefix

# Dublin Core and DCMI terms: allowed in a feed and in an entry alike (the DCMI terms
# anywhere, below).
_DCTERMS = "\ndcterms: " + " ".join(sorted(DCTERMS)) + "\n"
_DUBLIN_CORE = "\ndc: " + " ".join(sorted(DC_ANYWHERE | DC_RESOURCE)) + _DCTERMS
_FEED = _table(_DUBLIN_CORE + """
access: restriction
admin: errorReportsTo generatorAgent
app: collection
blogChannel: blink blogRoll changes mySubscriptions
cf: listinfo treatAs
cp: server
creativeCommons: license
feedburner: awareness browserFriendly emailServiceId feedFlare feedburnerHostname info
fh: archive complete
foaf: maker
geo: Point alt lat long
georss: elev featureName featureTypeTag floor line point polygon radius relationshipTag
    where
geourl: latitude longitude
icbm: latitude longitude
itunes: author block category explicit image keywords new_feed_url owner pubDate
    subtitle summary
l: link
media: adult category copyright credit description hash keywords player rating
    restriction text thumbnail title
opensearch: Query itemsPerPage startIndex totalResults
opensearch10: itemsPerPage startIndex totalResults
opml: dateCreated dateModified ownerEmail ownerId ownerName
rdf: Description RDF type
rdfs: seeAlso
sx: sharing
sy: updateBase updateFrequency updatePeriod
taxo: topics
thr: in_reply_to
wiki: interwiki
xhtml: div meta
""")
_ENTRY = _table(_DUBLIN_CORE + """
ag: source sourceURL timestamp
annotate: reference
app: control edited
conversationsNetwork: image introMilliseconds ratingAverage ratingCount ratingIndividual
    ratingTimestamp
creativeCommons: license
ev: enddate location organizer startdate type
feedburner: awareness origEnclosureLink origLink
foaf: maker primaryTopic
g: actor age agent apparel_type area artist author bathrooms bedrooms brand calories
    cholesterol color condition cooking_time course course_date_range course_number
    course_times cuisine currency delivery_notes delivery_radius education employer
    ethnicity event_date_range expiration_date expiration_date_time fiber format
    from_location gender hoa_dues id image_link immigration_status interested_in isbn
    job_function job_industry job_type label listing_type location main_ingredient make
    manufacturer manufacturer_id marital_status meal_type megapixels memory mileage
    model model_number name_of_item_being_reviewed news_source occupation pages
    payment_accepted payment_notes pickup preparation_time price price_type
    processor_speed product_type property_type protein publication_name
    publication_volume publish_date quantity rating review_type reviewer_type salary
    salary_type saturated_fat school_district service_type servings sexual_orientation
    shipping size sodium subject subject_area tax_percent tax_region to_location
    total_carbs total_fat travel_date_range university upc url_of_item_being_reviewed
    vehicle_type vin weight year
geo: Point alt lat long
georss: elev featureName featureTypeTag floor line point polygon radius relationshipTag
    where
geourl: latitude longitude
icbm: latitude longitude
itunes: author block duration explicit image keywords subtitle summary
l: link
media: adult category content copyright credit description group hash keywords player
    rating restriction text thumbnail title
opml: dateCreated dateModified ownerEmail ownerId ownerName
rdf: Description RDF type
rdfs: seeAlso
slash: comments department hit_parade section
sx: sync
taxo: topics
thr: children in_reply_to total
trackback: about ping
wfw: comment commentRSS commentRss
wiki: diff history importance status version
""")
_PERSON = _table("""
foaf: firstName homepage plan weblog workplaceHomepage
xhtml: div
""")
_ANYWHERE = _table(_DCTERMS + "\ndc: " + " ".join(sorted(DC_ANYWHERE)) + """
app: categories collection workspace
geo: Point alt lat long
georss: elev featureName featureTypeTag floor line point polygon radius relationshipTag
    where
geourl: latitude longitude
icbm: latitude longitude
opml: dateCreated dateModified ownerEmail ownerId ownerName
rdf: Description RDF type
rdfs: seeAlso
""")

# atom:source holds the feed's metadata: the same table as the feed.
_ALLOWED = {"feed": _FEED, "source": _FEED, "entry": _ENTRY, "author": _PERSON,
            "contributor": _PERSON}
# Namespaces whose placement other modules judge already (itunes.py, media.py,
# modules_ext.py, modules.py): not reported twice.
_JUDGED_ELSEWHERE = frozenset(("itunes", "media", "feedburner", "sx", "conversationsNetwork",
                               "access", "trackback"))


_PERSONS = frozenset(("author", "contributor"))
# Inside an xhtml:div, XHTML, SVG and MathML are markup; an element of another namespace
# the validator knows is undefined there (except inside SVG metadata).
_DIV_MARKUP = frozenset(("xhtml", "svg", "mathml"))


def in_xhtml_div(el: etree._Element) -> str | None:
    """The prefixed name of ``el`` when it may not stand inside an xhtml:div, else None."""
    tag = el.tag
    assert isinstance(tag, str)
    uri, _, local = tag[1:].partition("}")
    prefix = _prefix(uri)
    if prefix is None or prefix in _DIV_MARKUP:
        return None
    parent = el.getparent()
    if parent is not None and etree.QName(parent).localname == "metadata":
        return None
    return f"{prefix}:{local}"


def misplaced(tag: str, container: str) -> str | None:
    """The prefixed name of the namespaced element ``tag`` ("{uri}local") when the W3C
    validator does not allow it directly in the Atom ``container``, else None."""
    uri, _, local = tag[1:].partition("}")
    prefix = _prefix(uri)
    if prefix is None or prefix in ("xhtml", "atom"):
        return None  # (atom.py judges Atom elements; misplaced XHTML is only a warning)
    if prefix in _JUDGED_ELSEWHERE and not (prefix in ("itunes", "media")
                                            and container in _PERSONS):
        return None  # (no other module looks for iTunes or Media RSS in a person)
    name = local.replace("-", "_")
    if name in _ALLOWED[container].get(prefix, ()) or name in _ANYWHERE.get(prefix, ()):
        return None
    return f"{prefix}:{local}"


# Extension elements that hold other elements (or anything at all: the validator's
# "eater" handlers); a child element of any other known-namespace element is undefined.
# Media RSS, iTunes and the modules_ext namespaces judge their own children elsewhere.
_HOLDERS = frozenset(("app:control", "fh:complete", "fh:archive", "georss:where", "geo:Point", "itunes:owner",
                      "itunes:category", "foaf:maker", "dcterms:valid", "dcterms:available",
                      "dcterms:spatial", "dcterms:temporal", "dcterms:accessRights",
                      "dcterms:accrualMethod", "dcterms:accrualPeriodicity",
                      "dcterms:accrualPolicy", "dcterms:bibliographicCitation",
                      "dcterms:educationLevel", "dcterms:instructionalMethod",
                      "dcterms:license", "dcterms:provenance", "dcterms:rightsHolder",
                      "taxo:topics"))
_HOLDER_PREFIXES = frozenset(("rdf", "rdfs", "sx", "media", "access", "feedburner",
                              "conversationsNetwork", "cc", "g", "xhtml"))
# Elements holding elements only: text there is unexpected (W3C UnexpectedText).
_ELEMENTS_ONLY = frozenset(("fh:complete", "fh:archive", "app:control"))
# Elements an Atom feed, entry or source may hold once (the validator's noduplicates;
# thr:total, FeedBurner and Conversations Network are modules_ext.SINGLE).
_ONCE = frozenset((
    *(prefix + ":" + n for prefix, names in ONCE.items() for n in names),
    "opensearch:totalResults", "opensearch:startIndex", "opensearch:itemsPerPage",
    "app:edited", "app:control",
))


def _integer(value: str, *, least: int | None) -> bool:
    """Whether ``value`` reads as an integer (at least ``least``) the way the validator
    reads one: Python's int(), so a sign and surrounding white space are accepted."""
    try:
        number = int(value)
    except ValueError:
        return False
    return least is None or number >= least


def _full_uri(value: str) -> str | None:
    why = iri_problem(value, absolute=True, ascii_only=True, lenient=True)
    return why or ("'[' or ']' not allowed" if "[" in value or "]" in value else None)


# The kind of value each judged extension element holds.
_VALUE_KIND = {
    "app:edited": "rfc3339", "dcterms:created": "w3cdtf", "dcterms:issued": "w3cdtf",
    "dcterms:modified": "w3cdtf", "sy:updateBase": "w3cdtf",
    "opensearch:totalResults": "count", "opensearch:itemsPerPage": "count",
    "opensearch:startIndex": "integer", "sy:updateFrequency": "positive",
    "sy:updatePeriod": "period", "wfw:comment": "uri", "wfw:commentRss": "uri",
    "wfw:commentRSS": "uri", "creativeCommons:license": "uri",
}


def _value_problem(kind: str, value: str) -> str | None:
    """Why ``value`` is not a value of ``kind`` (see _VALUE_KIND), or None."""
    text = value.strip()
    if kind == "rfc3339":
        why = date_problem(text) or ("white space around it" if text != value else None)
        return f"must be an RFC 3339 date-time: {why}" if why else None
    if kind == "w3cdtf":
        why = w3cdtf_problem(text)
        return f"must be a W3CDTF date: {why}" if why else None
    if kind == "count":
        return None if _integer(value, least=0) else "must be an integer of 0 or more"
    if kind == "integer":  # blank is accepted, as by the validator
        return None if not text or _integer(value, least=None) else "must be an integer"
    if kind == "positive":
        return None if _integer(value, least=1) else "must be a positive integer"
    if kind == "period":
        return None if text in PERIODS else \
            "must be hourly, daily, weekly, monthly or yearly"
    why = _full_uri(text)
    return f"must be a full URI: {why}" if why else None


def check_extension(el: etree._Element, tag: str, container: str, sink: Sink,
                    seen: set[str]) -> None:
    """Judge one namespaced, non-Atom child ``el`` (tag ``tag``) of an Atom ``container``;
    ``seen`` collects the once-only names met so far in that container."""
    where = misplaced(tag, container)
    if where is not None:
        sink.add("atom.extension.misplaced", f"undefined {container} element: {where}",
                 line_of(el))
        return
    prefix = _prefix(tag[1:tag.index("}")])
    if prefix is None:
        return
    name = f"{prefix}:{tag[tag.index('}') + 1:]}"
    if name in _ONCE:
        if name in seen:
            sink.add("ext.duplicate", f"{name} may appear only once in atom:{container}",
                     line_of(el))
        seen.add(name)
    if len(el) and name not in _HOLDERS and prefix not in _HOLDER_PREFIXES:
        for child in el.iterchildren("{*}*", "*"):
            sink.add("atom.extension.misplaced",
                     f"undefined {name} element: {etree.QName(child).localname}",
                     line_of(child))
            break
    if name in _ELEMENTS_ONLY:
        if (el.text or "").strip() or any((k.tail or "").strip() for k in el):
            sink.add("atom.unexpected-text", f"unexpected text in {name}", line_of(el))
        if name == "app:control":
            for n, draft in enumerate(el.iterchildren("{http://www.w3.org/2007/app}draft")):
                if n:
                    sink.add("ext.duplicate", "app:draft may appear only once in app:control",
                             line_of(draft))
                inner = next(elements(draft), None)  # comments and PIs are no children
                if inner is not None:
                    sink.add("atom.extension.misplaced",
                             "undefined app:draft element: "
                             f"{etree.QName(inner).localname}", line_of(draft))
                    continue
                # The character data around any comment, as a SAX reader joins it; not
                # stripped (W3C InvalidYesNo).
                value = (draft.text or "") + "".join(k.tail or "" for k in draft)
                if value not in ("yes", "no"):
                    sink.add("atom.extension.bad-value",
                             f"app:draft must be yes or no, got {value!r}", line_of(draft))
        return
    kind = _VALUE_KIND.get(name)
    if kind is not None and (why := _value_problem(kind, el.text or "")):
        sink.add("atom.extension.bad-value", f"{name} {why}, got {el.text!r}", line_of(el))
