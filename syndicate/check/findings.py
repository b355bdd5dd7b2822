"""The Finding record, the result of checking one document, and the registry of codes.

Every code the checker can emit is declared once in ``CODES`` with its severity and a
one-line explanation; ``docs/checks.md`` documents the same set (a test keeps them equal).
Severity follows the specs: a MUST (or the W3C validator's error) is an error, a SHOULD
(or a W3C warning / RSS Best Practices advice) is a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Format = Literal["atom", "rss", "jsonfeed", "opml", "unknown"]

E: Severity = "error"
W: Severity = "warning"

CODES: dict[str, tuple[Severity, str]] = {
    # --- input and format detection
    "file.unreadable": (E, "The file or standard input could not be read."),
    "file.too-large": (E, "The document is larger than the size cap (10 MB); it is not read."),
    "format.unknown": (E, "The content is not Atom, RSS, JSON Feed or OPML."),
    "format.html": (E, ("The content is an HTML page (a DOCTYPE html or html root element), "
                       "not a feed.")),
    # --- gates and reader lints (check/compare.py, check/fetch.py, check/lints.py);
    # kept in one block of their own, documented in docs/checks.md "Gates" and "Lints".
    # Gate 1, `check --previous OLD NEW`: what changed between two versions of a feed.
    "history.not-comparable": (E, ("The previous or the new version is not a feed the "
                                   "comparison can read, so nothing was compared.")),
    "history.format-changed": (E, ("The feed changed format (Atom, RSS, JSON Feed) between "
                                   "the two versions.")),
    "history.feed-id-changed": (E, "The Atom feed id changed (RFC 4287: it MUST NOT change)."),
    "history.self-changed": (W, ("The self link (JSON Feed: feed_url) points somewhere "
                                 "else than in the previous version.")),
    "history.id-changed": (E, ("An item kept its link but got a new id: readers show it "
                               "twice.")),
    "history.published-moved-back": (W, "An item's published date is earlier than before."),
    "history.published-moved-forward": (W, ("An item's published date is later than before "
                                            "(republished).")),
    "history.published-in-future": (E, ("An item's published date moved to later than the "
                                        "new version's own updated/lastBuildDate/pubDate.")),
    "history.item-vanished": (W, ("An item newer than the oldest kept item is gone, with no "
                                  "RFC 6721 at:deleted-entry tombstone.")),
    # Gate 2, `check URL`: the HTTP layer of a deployed feed.
    "http.fetch-failed": (E, ("The URL could not be fetched (connection, TLS certificate, "
                              "timeout, malformed URL or response).")),
    "http.bad-status": (E, "The final response status is not 200."),
    "http.too-many-redirects": (E, "More than 5 redirects."),
    "http.redirect-loop": (E, "A redirect leads back to a URL already visited."),
    "http.too-large": (E, ("The body (or its gzip-decoded form) is larger than the size cap "
                           "(10 MB); it is refused.")),
    "http.bad-encoding": (E, ("The body's Content-Encoding is not one that was asked for, or "
                              "the gzip stream is broken.")),
    "http.content-type-mismatch": (W, ("The Content-Type does not name the detected format "
                                       "(or a generic XML/JSON type).")),
    "http.missing-charset": (W, "The Content-Type has no charset parameter."),
    "http.charset-mismatch": (E, ("The Content-Type charset differs from the document's own "
                                  "encoding (readers follow the HTTP header).")),
    "http.missing-validators": (W, "The response carries neither ETag nor Last-Modified."),
    "http.conditional-ignored": (W, ("A conditional request with the response's own "
                                     "validators was not answered with 304 Not Modified.")),
    "http.no-gzip": (W, ("The request accepted gzip but a body of 1 KB or more came "
                         "uncompressed.")),
    # Reader lints: legal, but some real readers misbehave.
    "lint.feed-too-large": (W, ("The feed is over 512 KB (FeedBurner's limit; other readers "
                                "cap at 5 to 15 MiB).")),
    "lint.too-many-items": (W, "The feed has more than 3,000 items (Inoreader refuses it)."),
    "lint.images-only-in-media": (W, ("Items carry images only in media:* (JSON Feed: image, "
                                      "banner_image), not in the HTML body or an "
                                      "enclosure.")),
    "lint.relative-url": (W, ("A relative URL in Atom or JSON Feed with no absolute xml:base "
                              "to resolve it against.")),
    "lint.relative-url-xml-base": (W, ("A relative URL resolved only by xml:base, which "
                                       "several readers ignore.")),
    "lint.future-date": (W, ("A JSON Feed item date is in the future (Atom and RSS: "
                             "atom.date.implausible, rss.date.implausible).")),
    # --- end of the gates and reader lints block
    # --- XML
    "xml.not-well-formed": (E, "The document is not well-formed XML."),
    "xml.bad-version": (E, "The XML declaration names a version other than 1.0 (W3C BadXmlVersion)."),
    "xml.too-deep": (E, "Elements are nested deeper than the parser allows (256 levels)."),
    "xml.doctype-entity": (E, ("The DOCTYPE declares entities; they are never expanded and the "
                              "document is rejected (entity bombs, external entities).")),
    "xml.unknown-encoding": (E, "The XML declaration names an encoding that is not known."),
    "xml.encoding-mismatch": (E, ("The bytes do not match the declared encoding or the byte "
                                 "order mark.")),
    "xml.bad-characters": (W, ("Text or an attribute holds a C1 control character (U+0080.."
                              "U+009F) or U+FFFD: text mis-decoded somewhere upstream.")),
    "xml.bad-base": (E, ("An xml:base value is not an IRI reference (forbidden characters, "
                        "or white space around it).")),
    "xml.undeclared-encoding": (E, "No encoding is declared and the bytes are not UTF-8."),
    # --- Atom (RFC 4287)
    "atom.extension.misplaced": (E, "An element of a namespace the W3C validator knows (Dublin Core, app, thr, fh, OpenSearch, ...) stands directly in an Atom feed, entry, source or person that does not take it (W3C UndefinedElement)."),
    "atom.extension.bad-value": (E, "An extension element in an Atom container holds a value the W3C validator refuses: app:edited not RFC 3339, dcterms:created/issued/modified or sy:updateBase not W3CDTF, an OpenSearch or sy count not an integer, sy:updatePeriod, app:draft, a wfw or creativeCommons URI."),
    "atom.obsolete-namespace": (E, "The feed, or an element in it, uses the pre-RFC Atom 0.3 namespace (W3C ObsoleteNamespace)."),
    "atom.unknown-element": (E, ("An element in the Atom namespace that RFC 4287 does not define "
                                "here.")),
    "atom.feed.missing-id": (E, "atom:feed has no atom:id (exactly one is required)."),
    "atom.feed.missing-title": (E, "atom:feed has no atom:title (exactly one is required)."),
    "atom.feed.missing-updated": (E, "atom:feed has no atom:updated (exactly one is required)."),
    "atom.feed.duplicate-element": (E, ("atom:feed contains more than one of an element allowed "
                                       "once (id, title, updated, subtitle, rights, generator, "
                                       "icon, logo).")),
    "atom.feed.duplicate-alternate": (E, ("atom:feed has two alternate links with the same type "
                                         "and hreflang.")),
    "atom.feed.misplaced-metadata": (E, ("A feed metadata element (title, link, author, ...) "
                                        "comes after an entry.")),
    "atom.feed.missing-self-link": (W, "atom:feed should contain a link with rel=\"self\"."),
    "atom.archive.missing-current": (W, ("An RFC 5005 archive document (fh:archive) should link "
                                        "its subscription document with rel=\"current\".")),
    "rss.archive.missing-current": (W, ("An RFC 5005 archive document (fh:archive) should link "
                                       "its subscription document with an atom:link "
                                       "rel=\"current\".")),
    "atom.feed.self-link-mismatch": (W, ("The self link does not match the location given by "
                                        "--base-url.")),
    "atom.entry.missing-id": (E, "atom:entry has no atom:id (exactly one is required)."),
    "atom.entry.missing-title": (E, "atom:entry has no atom:title (exactly one is required)."),
    "atom.entry.missing-updated": (E, ("atom:entry has no atom:updated (exactly one is "
                                      "required).")),
    "atom.entry.missing-author": (E, ("atom:entry has no author, and neither its atom:source nor "
                                     "the feed supplies one.")),
    "atom.entry.duplicate-element": (E, ("atom:entry contains more than one of an element "
                                        "allowed once (id, title, updated, published, summary, "
                                        "content, rights, source).")),
    "atom.entry.duplicate-alternate": (E, ("atom:entry has two alternate links with the same type "
                                          "and hreflang.")),
    "atom.entry.missing-alternate": (E, ("atom:entry has no atom:content, so it must have a link "
                                        "with rel=\"alternate\".")),
    "atom.entry.missing-summary": (E, ("atom:entry has out-of-line (src) or base64 content, so it "
                                      "must have an atom:summary.")),
    "atom.entry.missing-textual-content": (W, "atom:entry has neither content nor summary."),
    "atom.entry.duplicate-id": (E, ("Two entries share an id and the same updated time: the same "
                                   "entry twice at one moment (RFC 4287 4.1.1).")),
    "atom.source.missing-element": (W, ("atom:source should carry the id, title and updated of "
                                       "the original feed.")),
    "atom.source.duplicate-element": (E, ("atom:source contains more than one of an element "
                                         "allowed once.")),
    "atom.id.invalid": (E, "atom:id is not an absolute IRI."),
    "atom.id.not-canonical": (W, ("atom:id is not in canonical form (scheme/host case, default "
                                 "port, percent-escapes), so equal ids may not compare equal.")),
    "atom.date.invalid": (E, ("A date construct (updated, published) is not an RFC 3339 "
                             "date-time with uppercase T and Z (or has white space around "
                             "it).")),
    "atom.date.implausible": (W, ("A valid date is before 1990 or in the future (more than "
                                 "ten minutes ahead of the checking clock).")),
    "atom.text.bad-type": (E, "A text construct's type is not text, html or xhtml."),
    "atom.text.unexpected-child": (E, ("A text or html text construct (or text/* content) "
                                      "contains child elements.")),
    "atom.text.missing-xhtml-div": (E, ("An xhtml text construct or content is not exactly one "
                                       "xhtml:div element.")),
    "atom.text.empty": (W, "A text construct or content is blank."),
    "atom.content.bad-type": (E, ("atom:content's type is not text, html, xhtml or a simple MIME "
                                 "media type (or is text/html/xhtml together with src).")),
    "atom.content.src-not-empty": (E, "atom:content with a src attribute must be empty."),
    "atom.content.src-missing-type": (W, "atom:content with src should have a type attribute."),
    "atom.content.bad-src": (E, "atom:content's src is not an IRI reference."),
    "atom.content.bad-base64": (E, ("Content of a non-text, non-XML media type is not valid "
                                   "base64.")),
    "atom.link.missing-href": (E, "atom:link has no href attribute."),
    "atom.link.bad-href": (E, ("atom:link's href is not an IRI reference (or, for a license "
                              "link, not an absolute IRI).")),
    "atom.link.bad-rel": (W, "atom:link's rel is neither a link relation name nor an absolute IRI (the W3C validator only warns: UnregisteredAtomLinkRel)."),
    "atom.link.unregistered-rel": (W, ("atom:link's rel is a name not in the IANA link relation "
                                      "registry.")),
    "atom.link.bad-type": (E, "atom:link's type is not a MIME media type."),
    "atom.link.bad-hreflang": (E, "atom:link's hreflang does not start with an ISO 639 language code (W3C InvalidLanguage)."),
    "atom.blank": (W, "An Atom attribute or IRI element that needs a value is blank (type, src, generator uri, icon, logo, person uri; W3C AttrNotBlank, NotBlank)."),
    "atom.link.bad-length": (E, "atom:link's length is not a non-negative integer."),
    "atom.link.not-empty": (W, "atom:link should be empty (all its data is in attributes)."),
    "atom.link.self-not-atom": (W, "The self link's type is not a feed media type."),
    "atom.link.relative-self": (W, "The self link is relative (with no absolute xml:base)."),
    "atom.link.feed-rel-in-entry": (W, ("An RFC 5005 feed paging relation (next, previous, ...) "
                                       "on an entry link.")),
    "atom.person.missing-name": (E, "A person construct (author, contributor) has no atom:name."),
    "atom.person.duplicate-element": (E, ("A person construct has more than one name, uri or "
                                         "email.")),
    "atom.person.bad-uri": (E, ("A person's atom:uri is not an IRI reference (or has white "
                               "space around it).")),
    "atom.person.empty-name": (W, "A person's atom:name is blank."),
    "atom.person.bad-email": (E, "A person's atom:email is not an e-mail address."),
    "atom.category.missing-term": (E, "atom:category has no term attribute."),
    "atom.category.bad-scheme": (E, "atom:category's scheme is not an absolute IRI."),
    "atom.generator.bad-uri": (E, "atom:generator's uri is not an IRI reference."),
    "atom.generator.empty": (W, "atom:generator is blank: it should name the software."),
    "atom.iri.invalid": (E, ("atom:icon or atom:logo is not an IRI reference (or has white "
                            "space around it).")),
    "atom.bad-lang": (E, "An xml:lang value is not an ISO 639 language code."),
    "atom.unexpected-attribute": (E, ("An Atom element carries an unqualified attribute RFC "
                                     "4287 does not define for it (extensions must be "
                                     "namespaced).")),
    "atom.unexpected-child": (E, ("An Atom element that holds text only (id, updated, name, "
                                 "uri, generator, ...) contains a child element.")),
    "atom.unexpected-text": (E, ("Text directly inside feed, entry, source, author or "
                                "contributor, which hold elements only.")),
    # --- RSS 2.0
    "rss.bad-version": (E, "The rss element's version is missing or not 2.0 (0.91/0.92 are accepted)."),
    "rss.missing-channel": (E, "The rss element has no channel."),
    "rss.duplicate-channel": (E, "The rss element has more than one channel."),
    "rss.unknown-element": (E, "An element without a namespace that RSS 2.0 does not define here (extensions must be namespaced)."),
    "rss.module.undefined-element": (E, "An element of a common RSS module (dc, dcterms, content, sy, admin, wfw, slash) that the module does not define, or defines for another parent."),
    "rss.module.bad-value": (E, "A module element's value has the wrong form (dcterms dates and sy:updateBase W3CDTF, sy:updatePeriod hourly..yearly, sy:updateFrequency a positive integer, wfw links full URLs)."),
    "rss.atom.bad-value": (E, "An Atom element in an RSS feed has a malformed value (atom:link href not an IRI reference, type not a MIME type; atom:id not an IRI)."),
    "rss.namespaced-root": (E, "The rss element is in a namespace (RSS 0.9x/2.0 elements have none)."),
    "rss.channel.missing-title": (E, "channel has no title."),
    "rss.channel.missing-link": (E, "channel has no link."),
    "rss.channel.missing-description": (E, "channel has no description."),
    "rss.duplicate-element": (E, "An element allowed once appears more than once."),
    "rss.bad-url": (E, "A link, docs, comments, url or similar value is not a full URL."),
    "rss.bad-email": (E, "managingEditor, webMaster or author is not an e-mail address."),
    "rss.email-missing-name": (W, "An e-mail value should be followed by the person's name in parentheses (RSS Best Practices)."),
    "rss.email-format": (W, "A contact in the 'Name <e-mail>' shape; RSS uses 'e-mail (Name)'."),
    "rss.bad-language": (E, "channel language, or an xml:lang in an RSS feed, is not an ISO 639 language code."),
    "rss.channel.bad-date": (E, "channel pubDate or lastBuildDate is not an RFC 822 date-time."),
    "rss.item.bad-pubdate": (E, "item pubDate is not an RFC 822 date-time."),
    "rss.date.wrong-weekday": (E, "An RFC 822 date names the wrong day of the week."),
    "rss.date.problematic": (W, "An RFC 822 date is legal but fragile: a two-digit year, a military zone, a comment or lowercase names."),
    "rss.date.implausible": (W, "A valid RFC 822 date is before 1990 or in the future (more than ten minutes ahead of the checking clock)."),
    "rss.channel.bad-ttl": (E, "ttl is not a positive integer (minutes)."),
    "rss.channel.missing-atom-self": (W, "channel should contain atom:link with rel=\"self\" (RSS Best Practices)."),
    "rss.channel.self-link-mismatch": (W, "The atom:link self reference does not match the location given by --base-url."),
    "rss.atom-link.missing-href": (E, "An atom:link in an RSS feed has no href."),
    "rss.atom-link.relative-self": (W, "The atom:link self reference is relative (with no absolute xml:base)."),
    "rss.image.missing-element": (E, "image lacks url, title or link."),
    "rss.image.bad-width": (E, "image width is not an integer from 1 to 144."),
    "rss.image.bad-height": (E, "image height is not an integer from 1 to 400."),
    "rss.image.bad-format": (W, "image url has a file extension other than .gif, .jpg, .jpeg or .png (RSS 2.0: a GIF, JPEG or PNG image)."),
    "rss.image.title-mismatch": (W, "image title should match the channel title."),
    "rss.image.link-mismatch": (W, "image link should match the channel link."),
    "rss.cloud.missing-attribute": (E, "cloud lacks domain, port, path, registerProcedure or protocol."),
    "rss.cloud.bad-port": (E, "cloud port is not a positive integer."),
    "rss.cloud.port-out-of-range": (W, "cloud port is above 65535, the largest TCP port."),
    "rss.cloud.bad-protocol": (W, "cloud protocol is not xml-rpc, soap or http-post."),
    "rss.textinput.avoid": (W, "textInput is best avoided: few aggregators support it (RSS Best Practices)."),
    "rss.textinput.missing-element": (E, "textInput lacks title, description, name or link."),
    "rss.skiphours.bad-hour": (E, "skipHours hour is not an integer from 0 to 23."),
    "rss.skiphours.too-many": (E, "skipHours has more than 24 hour elements."),
    "rss.skipdays.bad-day": (E, "skipDays day is not Monday .. Sunday."),
    "rss.skipdays.too-many": (E, "skipDays has more than 7 day elements."),
    "rss.duplicate-value": (E, "A skipHours hour or skipDays day is listed twice."),
    "rss.blank-element": (W, "A channel or item title, or an item category, is blank."),
    "rss.item.missing-title-or-description": (E, "item has neither title nor description."),
    "rss.item.missing-guid": (W, "item should contain a guid."),
    "rss.item.duplicate-guid": (E, "Two items share a guid (guid values must not be duplicated within a feed)."),
    "rss.item.multiple-enclosures": (W, "item has more than one enclosure (many readers take only the first)."),
    "rss.guid.not-url": (E, "guid is a permalink (isPermaLink absent or true) but not a full URL."),
    "rss.guid.not-unique-enough": (W, "A short all-digit guid (isPermaLink=\"false\") is not sufficiently unique."),
    "rss.item.content-before-description": (W, "content:encoded should follow a description (RSS Best Practices)."),
    "rss.misplaced-item": (W, "item elements should come after all channel elements (RSS Best Practices)."),
    "rss.duplicate-semantics": (W, "An RSS element and an extension element (dc:creator, dc:date, ...) say the same thing."),
    "rss.guid.bad-ispermalink": (E, "guid isPermaLink is not \"true\" or \"false\"."),
    "rss.guid.empty": (E, "guid is empty."),
    "rss.enclosure.missing-attribute": (E, "enclosure lacks url, length or type."),
    "rss.enclosure.bad-url": (E, "enclosure url is not a full http(s) URL."),
    "rss.enclosure.bad-length": (E, "enclosure length is not a non-negative integer."),
    "rss.enclosure.bad-type": (E, "enclosure type is not a MIME media type."),
    "rss.source.missing-url": (E, "source has no url attribute."),
    # --- W3C Feed Validator parity (issue 13 rule families; issue 14 markup and dates)
    "atom.feed.all-same-id": (E, "Every entry of a feed of ten or more carries the same id: a constant, not an identifier."),
    "atom.entry.duplicate-updated": (W, "Two entries share one updated instant (W3C DuplicateUpdated)."),
    "atom.text.contains-html": (W, "A type=\"text\" construct or text content holds text that looks like HTML (W3C ContainsUndeclaredHTML)."),
    "atom.xhtml.no-namespace": (E, "An element inside an xhtml:div has no namespace."),
    "atom.content.mixed": (E, "XML-typed content (such as image/svg+xml) mixes text with its elements."),
    "rss.unexpected-attribute": (E, "An RSS element carries an unqualified attribute RSS does not define for it (such as a wrongly cased isPermaLink)."),
    "rss.atom.misplaced": (E, "An Atom element with no RSS meaning (atom:entry, atom:name, ...) stands in RSS."),
    "rss.atom.questionable": (W, "An Atom element with an RSS counterpart (atom:category, atom:title, ...) stands where RSS does not define it."),
    "rss.contains-html": (W, "A plain-text RSS field (title, description of the channel, category, author, ...) holds HTML (W3C ContainsHTML)."),
    "rss.character-data": (W, "RSS 2.0 plain text holds '<' before a letter or '/', or '&#', not written as hexadecimal character references (RSS Profile; W3C CharacterData)."),
    "rss.bad-doctype": (E, "The RSS 0.91 DOCTYPE on a feed that is not RSS 0.91."),
    "rss.unexpected-text": (E, "Text directly inside rss, channel, item, image, textInput, skipHours or skipDays, which hold elements only."),
    "rss.deprecated-dtd": (E, "The DOCTYPE cites Netscape's RSS 0.91 DTD, which no longer exists (cite the RSS Advisory Board's copy)."),
    "rss.undefined-entity": (E, "An entity reference no known DTD declares (the RSS 0.91 DTD declares the HTML ones)."),
    "rss.skip.missing-child": (E, "skipHours has no hour, or skipDays no day."),
    "rss.skiphours.midnight-24": (W, "skipHours lists hour 24: use 0 for midnight."),
    "rss.textinput.bad-name": (E, "textInput name is not a form-control name (it must start with a letter)."),
    "rss.rdf.missing-element": (E, "An RSS 1.0 item, image or textinput (or channel items) lacks a required element."),
    "rss.rdf.missing-about": (E, "An RSS 1.0 channel, item, image or textinput has no rdf:about."),
    "rss.rdf.missing-resource": (E, "An RSS 1.0 channel image or textinput, or an rdf:li, has no rdf:resource."),
    "rss.rdf.bad-resource": (E, "An rdf:about value is not a URI reference."),
    "rss.rdf.duplicate-about": (E, "Two RSS 1.0 resources share one rdf:about."),
    "rss.rdf.missing-seq": (E, "RSS 1.0 channel items holds no rdf:Seq."),
    "rss.rdf.unexpected-attribute": (E, "An RSS 1.0 element carries an attribute (rdf:parseType, ...) it may not have."),
    "rss.rdf.mixed-content": (E, "RSS 1.0 markup mixes text with elements (RDF allows that only with rdf:parseType=\"Literal\")."),
    "rss.rdf.invalid": (E, "RSS 1.x extension markup is not RDF/XML (a node element carrying rdf:resource)."),
    "rss.rdf.unpaired": (W, "An RSS 1.0 channel image, textinput or item list and the top-level resources do not name each other."),
    # --- extension modules (Dublin Core, Geo, Slash, TrackBack) in any feed format
    "ext.dc.bad-date": (E, "dc:date is not a W3CDTF date (a time needs a time zone)."),
    "ext.date.implausible": (W, "A valid dc:date is before 1990 or in the future."),
    "ext.dc.bad-language": (E, "dc:language is not an ISO 639 language code (blank included)."),
    "ext.geo.bad-latitude": (E, ("geo:lat, icbm:latitude or geourl:latitude is not a number from "
                               "-90 to 90.")),
    "ext.geo.bad-longitude": (E, ("geo:long, icbm:longitude or geourl:longitude is not a number "
                                 "from -180 to 180.")),
    "ext.slash.bad-hit-parade": (E, "slash:hit_parade is not comma-separated integers."),
    "ext.slash.bad-comments": (E, "slash:comments is not a non-negative integer."),
    "ext.trackback.bad-uri": (E, "trackback:ping or trackback:about is not a full URI."),
    "ext.trackback.missing-resource": (E, ("trackback:ping or trackback:about in RSS 1.0 has no "
                                          "rdf:resource.")),
    "ext.trackback.misplaced": (E, ("trackback:ping or trackback:about outside an item or "
                                   "entry.")),
    # --- more extension modules (check/modules_ext.py): FeedBurner, Atom threading,
    # FeedSync, Conversations Network, access restriction, GeoRSS
    "ext.duplicate": (E, "A FeedBurner, thr:total or Conversations Network element that may appear once per parent appears twice (in Atom also Dublin Core, dcterms, sy, wfw, slash, OpenSearch and app elements; W3C DuplicateElement)."),
    "ext.misplaced": (E, "A FeedBurner, FeedSync, Conversations Network, thr:total or access:restriction element stands at the wrong level (channel vs item, or below the top)."),
    "ext.feedburner.bad-uri": (E, "feedburner:awareness, origLink, origEnclosureLink or feedburnerHostname is not a full URI, or (Atom) a feedFlare href/src is not a URI."),
    "ext.feedburner.contains-html": (W, "feedburner:browserFriendly contains HTML; it is plain text."),
    "ext.feedburner.missing-attribute": (E, "feedburner:feedFlare lacks href or src, or feedburner:info lacks uri."),
    "ext.feedburner.relative-ref": (W, "In RSS, a feedburner:feedFlare href or src is not a full URI."),
    "ext.thr.bad-count": (E, "thr:total or a link's thr:count is not a non-negative integer (RFC 4685)."),
    "ext.thr.bad-updated": (E, "A link's thr:updated is not an RFC 3339 date-time (RFC 4685 section 5)."),
    "ext.thr.when": (E, "A link carries thr:when, a draft attribute RFC 4685 does not define (now thr:updated)."),
    "ext.thr.not-replies": (E, "thr:count or thr:updated on a link whose rel is not \"replies\" (RFC 4685 section 5)."),
    "ext.thr.unexpected-attribute": (E, "thr:in-reply-to carries an attribute RFC 4685 does not define (such as the drafts' id)."),
    "ext.thr.bad-ref": (E, "thr:in-reply-to ref is not an absolute IRI (RFC 4685 section 3)."),
    "ext.thr.bad-uri": (E, "thr:in-reply-to href or source is not an IRI reference."),
    "ext.thr.bad-type": (E, "thr:in-reply-to type is not a MIME type."),
    "ext.sx.bad-date": (E, "An sx:sharing since/until/expires or sx:history when is not an RFC 3339 date-time."),
    "ext.sx.missing-attribute": (E, "sx:sharing has since without until (or the reverse), or sx:related, sx:sync or sx:history lacks a required attribute."),
    "ext.sx.since-after-until": (E, "sx:sharing since is later than until."),
    "ext.sx.bad-link": (E, "sx:related link is not a full URI."),
    "ext.sx.bad-type": (E, "sx:related type is not complete or aggregated."),
    "ext.sx.bad-boolean": (E, "sx:sync deleted or noconflicts is not exactly true or false."),
    "ext.sx.bad-id": (E, "sx:sync id or sx:history by has characters outside a URN namespace-specific string."),
    "ext.sx.duplicate-id": (E, "Two sx:sync elements share one id."),
    "ext.sx.bad-number": (E, "sx:sync updates or sx:history sequence is not an integer from 1 to 2147483647."),
    "ext.sx.missing-history": (E, "sx:sync has no sx:history."),
    "ext.sx.missing-by-and-when": (E, "sx:history has neither by nor when."),
    "ext.sx.missing-by-or-when": (W, "sx:history has only one of by and when."),
    "ext.cn.bad-value": (E, "A Conversations Network element has the wrong kind of value (count, rating, number, http URL or ISO 8601 date)."),
    "ext.access.missing-relationship": (E, "access:restriction has no relationship attribute."),
    "ext.access.bad-relationship": (E, "access:restriction relationship is not allow or deny."),
    "ext.georss.bad-point": (E, "georss:point (or gml:pos, lowerCorner, upperCorner) is not two numbers."),
    "ext.georss.bad-point-list": (E, "georss:line, georss:polygon or gml:posList is not an even list of at least four numbers."),
    "ext.georss.bad-number": (E, "georss:elev or georss:radius is not a number, or georss:floor not an integer."),
    "ext.geo.point-missing-coordinate": (E, "A geo:Point lacks geo:lat or geo:long."),
    # --- Media RSS (in Atom and RSS) and iTunes podcast elements (check/media.py, itunes.py)
    "media.unexpected-attribute": (E, "A Media RSS element carries an attribute Media RSS does not define for it (names are case-sensitive)."),
    "media.unexpected-text": (E, "media:thumbnail, player, content or group holds text (they take attributes and media elements only)."),
    "media.wrong-namespace": (W, ("The Media RSS namespace is written without its trailing "
                                  "slash (http://search.yahoo.com/mrss); readers ignore "
                                  "those elements.")),
    "media.missing-url": (E, "media:thumbnail or media:player has no url attribute."),
    "media.bad-url": (E, ("A Media RSS URI (a url, the copyright url, a category, credit or "
                          "rating scheme, a uri restriction) is not a full URI.")),
    "media.bad-number": (E, ("A Media RSS width, height or fileSize is not a positive "
                             "integer (or channels not a non-negative one).")),
    "media.bad-decimal": (E, ("media:content bitrate, framerate, samplingrate or duration "
                              "is not a number.")),
    "media.bad-medium": (E, ("media:content medium is not image, audio, video, document or "
                             "executable.")),
    "media.bad-expression": (E, "media:content expression is not sample, full or nonstop."),
    "media.bad-boolean": (E, 'media:content isDefault or media:adult is not "true" or "false".'),
    "media.bad-type": (E, "media:content type is not a MIME media type."),
    "media.bad-language": (E, "media:content or media:text lang is not an ISO 639 code."),
    "media.bad-time": (E, ("media:thumbnail time or media:text start/end is not a Normal "
                           "Play Time.")),
    "media.bad-text-type": (E, "media:title, media:description or media:text type is not plain or html."),
    "media.duplicate": (E, ("media:title, media:description, media:copyright or media:adult "
                            "appears twice in one parent.")),
    "media.adult-deprecated": (W, 'media:adult is deprecated (use media:rating "urn:simple").'),
    "media.bad-credit-role": (E, ("media:credit role is not a lowercase EBU role code (or not "
                                  "lowercase in another scheme).")),
    "media.bad-hash": (E, ("media:hash algo is not md5 or sha-1, or the value is not a "
                           "digest of that length.")),
    "media.bad-rating": (E, ("media:rating value is not one of its scheme's (urn:simple, "
                             "urn:mpaa, urn:v-chip, urn:icra).")),
    "media.bad-restriction": (E, ("media:restriction has no or a wrong relationship, an unknown "
                                  "type, or values its type does not allow.")),
    "media.group-without-alternatives": (E, ("media:group holds fewer than two media:content "
                                             "alternatives.")),
    "ext.itunes.duplicate": (E, "An iTunes element that may appear once appears twice in one parent."),
    "ext.itunes.too-long": (E, ("itunes:author, subtitle, keywords or owner name is over 255 "
                            "characters, or itunes:summary over 4000.")),
    "ext.itunes.bad-yes-no": (E, "itunes:explicit or itunes:block is not yes, no or clean."),
    "ext.itunes.bad-keywords": (W, "itunes:keywords are separated by spaces, not commas."),
    "ext.itunes.bad-duration": (E, "itunes:duration is not [[H]H:]MM:SS or a count of seconds."),
    "ext.itunes.misplaced": (E, ("itunes:duration stands in the channel, or itunes:category, "
                                 "owner or new-feed-url in an item.")),
    "ext.itunes.missing-attribute": (E, "itunes:image has no href, or itunes:category no text."),
    "ext.itunes.bad-image-url": (E, "itunes:image href is not a full http(s) URL."),
    "ext.itunes.bad-category": (E, ("itunes:category text is not one of Apple's categories (or "
                                "subcategories of its parent).")),
    "ext.itunes.owner-missing-email": (E, "itunes:owner has no itunes:email."),
    "ext.itunes.bad-email": (E, "itunes:email is not an e-mail address."),
    "ext.itunes.bad-url": (E, "itunes:new-feed-url is not a full URL."),
    "ext.itunes.missing-recommended": (W, ("A channel using iTunes elements lacks language, "
                                       "itunes:category, itunes:explicit or itunes:owner.")),
    # --- JSON Feed 1.1
    "json.not-well-formed": (E, "The document is not valid JSON (RFC 8259)."),
    "json.not-utf8": (E, "The JSON is not UTF-8."),
    "json.bom": (W, "The JSON starts with a byte order mark (RFC 8259: MUST NOT add one)."),
    "json.legacy-encoding": (W, ("The JSON is UTF-16 or UTF-32: legal under RFC 7159, but JSON "
                                "Feeds should be UTF-8.")),
    "jsonfeed.bad-version": (E, ("version is missing or not https://jsonfeed.org/version/1 or "
                                "/1.1.")),
    "jsonfeed.missing-title": (E, "The feed has no title."),
    "jsonfeed.missing-items": (E, "The feed has no items array."),
    "jsonfeed.bad-type": (E, ("A member has the wrong JSON type (string, boolean, number, array, "
                             "object).")),
    "jsonfeed.bad-url": (E, "A URL member is not a valid URL."),
    "jsonfeed.bad-date": (E, "date_published or date_modified is not an RFC 3339 date-time."),
    "jsonfeed.bad-language": (E, "language is not an RFC 5646 language tag."),
    "jsonfeed.next-url-is-feed-url": (E, "next_url is the same as feed_url."),
    "jsonfeed.bad-extension-name": (E, ("An extension member name is not '_' followed by a "
                                       "letter, or contains a '.'.")),
    "jsonfeed.missing-home-page-url": (W, "home_page_url is strongly recommended."),
    "jsonfeed.missing-feed-url": (W, "feed_url is strongly recommended."),
    "jsonfeed.feed-url-mismatch": (W, ("feed_url does not match the location given by "
                                      "--base-url.")),
    "jsonfeed.deprecated-author": (W, "author is deprecated in JSON Feed 1.1; use authors."),
    "jsonfeed.author.empty": (E, "An author object has none of name, url or avatar."),
    "jsonfeed.hub.missing-member": (E, "A hub lacks type or url."),
    "jsonfeed.item.missing-id": (E, "An item has no id."),
    "jsonfeed.item.id-not-string": (W, ("An item id is a number; it should be a string (readers "
                                       "coerce it).")),
    "jsonfeed.item.duplicate-id": (W, "Two items share an id."),
    "jsonfeed.item.missing-url": (W, "An item should have a url (its permalink)."),
    "jsonfeed.item.missing-content": (E, "An item has neither content_html nor content_text."),
    "jsonfeed.attachment.missing-member": (E, "An attachment lacks url or mime_type."),
    "jsonfeed.unknown-member": (W, ("A member JSON Feed does not define (extensions start with "
                                   "an underscore).")),
    # --- OPML 2.0
    "opml.bad-version": (E, "The opml element's version is missing or not 1.0, 1.1 or 2.0."),
    "opml.missing-head": (E, "opml has no head."),
    "opml.missing-body": (E, "opml has no body."),
    "opml.duplicate-element": (E, "An element allowed once appears more than once."),
    "opml.body.empty": (E, "body has no outline."),
    "opml.unknown-element": (E, ("An element without a namespace that OPML does not define "
                                "here.")),
    "opml.bad-date": (E, "dateCreated, dateModified or created is not an RFC 822 date-time."),
    "opml.date-problematic": (W, ("An RFC 822 date is legal but fragile (two-digit year, military "
                                 "zone, comment, lowercase names).")),
    "opml.date-implausible": (W, ("A valid RFC 822 date is before 1990 or in the future (more "
                                 "than ten minutes ahead of the checking clock).")),
    "opml.bad-email": (E, "ownerEmail is not an e-mail address."),
    "opml.bad-url": (E, "ownerId, docs, xmlUrl, htmlUrl or url is not a full URL."),
    "opml.bad-number": (E, "A window or scroll value is not a non-negative integer."),
    "opml.bad-expansion-state": (E, ("expansionState is not a comma-separated list of line "
                                    "numbers.")),
    "opml.outline.missing-text": (E, "outline has no text attribute."),
    "opml.outline.missing-xmlurl": (E, "outline type=\"rss\" has no xmlUrl attribute."),
    "opml.outline.missing-title": (W, "outline type=\"rss\" has no title attribute."),
    "opml.outline.missing-type": (W, ("An outline without a type carries feed attributes "
                                     "(title, xmlUrl, htmlUrl, ...): it should have type=\"rss\" "
                                     "or carry text only.")),
    "opml.outline.bad-version": (W, ("An rss outline's version is not RSS, RSS1, RSS2 or "
                                    "scriptingNews.")),
    "opml.outline.missing-url": (E, ("outline type=\"link\" or \"include\" has no url "
                                    "attribute.")),
    "opml.outline.bad-boolean": (E, "isComment or isBreakpoint is not \"true\" or \"false\"."),
    "opml.outline.unexpected-text": (E, "outline contains text (it is an empty element)."),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a document. ``line`` is 1-based, None when it has no place."""

    code: str
    severity: Severity
    message: str
    line: int | None


def finding(code: str, message: str, line: int | None) -> Finding:
    """Build a Finding; the severity comes from the registry so it cannot drift."""
    severity, _ = CODES[code]
    return Finding(code, severity, message, line)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of checking one document."""

    path: str
    format: Format
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")
