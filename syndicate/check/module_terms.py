"""The vocabularies of the RSS modules the W3C validator knows, written once for the RSS
rules (rss_vocab.py) and the Atom rules (atom_extensions.py), which key them differently
(namespace URIs there, prefixes here)."""

from __future__ import annotations

# Dublin Core elements any element may carry, and the three that describe a resource.
DC_ANYWHERE = frozenset((
    "title", "description", "publisher", "contributor", "type", "format", "identifier",
    "source", "language", "relation", "coverage", "rights"))
DC_RESOURCE = frozenset(("creator", "subject", "date"))
DCTERMS = frozenset((
    "abstract", "accessRights", "accrualMethod", "accrualPeriodicity", "accrualPolicy",
    "alternative", "audience", "available", "bibliographicCitation", "conformsTo",
    "created", "dateAccepted", "dateCopyrighted", "dateSubmitted", "educationLevel",
    "extent", "hasFormat", "hasPart", "hasVersion", "instructionalMethod", "isFormatOf",
    "isPartOf", "isReferencedBy", "isReplacedBy", "isRequiredBy", "isVersionOf", "issued",
    "license", "mediator", "modified", "provenance", "references", "replaces", "requires",
    "rightsHolder", "spatial", "tableOfContents", "temporal", "valid"))

# Module elements a parent may hold once (the validator's noduplicates), by prefix.
ONCE: dict[str, tuple[str, ...]] = {
    "dc": ("title", "description", "type", "format", "source", "language", "rights"),
    "dcterms": ("abstract", "tableOfContents", "created", "issued", "modified",
                "dateAccepted", "dateCopyrighted", "dateSubmitted", "extent", "mediator"),
    "sy": ("updatePeriod", "updateFrequency", "updateBase"),
    "admin": ("generatorAgent", "errorReportsTo"),
    "wfw": ("comment", "commentRss", "commentRSS"),
    "blogChannel": ("blogRoll", "mySubscriptions", "blink", "changes"),
    "slash": ("hit_parade", "comments"),
}

# sy:updatePeriod's values.
PERIODS = frozenset(("hourly", "daily", "weekly", "monthly", "yearly"))
