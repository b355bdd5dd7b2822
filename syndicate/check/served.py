"""Gate 2: a deployed feed judged over HTTP -- the bytes as any file, plus the HTTP layer.

Requests made per URL: one GET asking for gzip (redirects followed, at most 5), then, when
the answer carries ETag or Last-Modified, one conditional GET of the final URL with those
validators, which should be answered 304. The self link (JSON Feed ``feed_url``) is
compared with the final URL by the format rules themselves (``base_url``).
"""

from __future__ import annotations

import codecs
import datetime
import email.message
import re

from syndicate.check.core import MAX_BYTES, check_bytes
from syndicate.check.fetch import DEFAULT_TIMEOUT, Answer, FetchProblem, fetch, shown
from syndicate.check.findings import CheckResult, Finding, Format, finding

GZIP_MIN_BYTES = 1024  # below this, compression saves less than the headers cost

# Media types a reader accepts for each format: the format's own, or the generic one.
_TYPES: dict[Format, frozenset[str]] = {
    "atom": frozenset(("application/atom+xml", "application/xml", "text/xml")),
    "rss": frozenset(("application/rss+xml", "application/rdf+xml", "application/xml",
                      "text/xml")),
    "jsonfeed": frozenset(("application/feed+json", "application/json")),
    "opml": frozenset(("text/x-opml", "application/xml", "text/xml")),
}
_OWN_TYPE = {"atom": "application/atom+xml", "rss": "application/rss+xml",
             "jsonfeed": "application/feed+json", "opml": "text/x-opml"}
_XML_DECL = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def check_url(url: str, *, timeout: float = DEFAULT_TIMEOUT,
              now: datetime.datetime | None = None) -> CheckResult:
    """Fetch ``url`` and check the document and how it is served. Never raises for
    anything the server does; network failures are ``http.fetch-failed`` findings."""
    return fetch_and_check(url, timeout=timeout, now=now)[0]


def fetch_and_check(url: str, *, timeout: float = DEFAULT_TIMEOUT,
                    now: datetime.datetime | None = None) -> tuple[CheckResult, bytes | None]:
    """:func:`check_url`, also returning the fetched document (None when there is none)."""
    path = shown(url)
    try:
        answer = fetch(url, timeout=timeout, max_bytes=MAX_BYTES)
    except FetchProblem as problem:
        return CheckResult(path, "unknown",
                           (finding(problem.code, problem.message, None),)), None
    if answer.status != 200:
        return CheckResult(path, "unknown", (finding(
            "http.bad-status",
            f"{answer.url} answered {answer.status}"
            + (f" after {answer.redirects} redirects" if answer.redirects else "")
            + "; a feed must answer 200", None),)), None
    result = check_bytes(answer.body, path=path, base_url=answer.url, now=now)
    http = http_findings(answer, result.format)
    http.extend(_conditional(url, answer, timeout))
    return CheckResult(path, result.format, result.findings + tuple(http)), answer.body


def _media_type(message: email.message.Message) -> tuple[str | None, str | None]:
    raw = message.get("Content-Type")
    if raw is None:
        return None, None
    main, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return main.strip().lower(), charset


def _document_encoding(body: bytes, fmt: Format) -> str:
    """The encoding the document declares for itself (BOM, XML declaration, JSON: UTF-8)."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if fmt == "jsonfeed":
        return "utf-8"
    m = _XML_DECL.match(body.lstrip()[:200])
    return m.group(1).decode("ascii") if m else "utf-8"


def _same_codec(a: str, b: str) -> bool:
    try:
        ca, cb = codecs.lookup(a).name, codecs.lookup(b).name
    except LookupError:
        return a.lower() == b.lower()
    return ca == cb or {ca, cb} <= {"utf-16", "utf-16-le", "utf-16-be"}


def http_findings(answer: Answer, fmt: Format) -> list[Finding]:
    """The HTTP layer of a 200 answer: Content-Type and charset, validators, gzip."""
    found = []
    message = answer.headers
    media, charset = _media_type(message)
    if fmt in _TYPES:
        if media not in _TYPES[fmt]:
            found.append(finding(
                "http.content-type-mismatch",
                f"served as {media or '(no Content-Type)'}; a {fmt} document should be "
                f"{_OWN_TYPE[fmt]} (or {', '.join(sorted(_TYPES[fmt] - {_OWN_TYPE[fmt]}))})",
                None))
        if media is not None and charset is None:
            found.append(finding("http.missing-charset",
                                 f"Content-Type {media} has no charset; add "
                                 f"'; charset={_document_encoding(answer.body, fmt).lower()}'",
                                 None))
        elif charset is not None and not _same_codec(
                charset, own := _document_encoding(answer.body, fmt)):
            found.append(finding(
                "http.charset-mismatch",
                f"the Content-Type says charset={charset} but the document is {own}; readers "
                "decode with the HTTP charset (RFC 7303) and garble the text", None))
    if message.get("ETag") is None and message.get("Last-Modified") is None:
        found.append(finding(
            "http.missing-validators",
            "neither ETag nor Last-Modified: every poll downloads the whole feed again", None))
    if answer.content_encoding is None and len(answer.body) >= GZIP_MIN_BYTES:
        found.append(finding(
            "http.no-gzip",
            f"the request said Accept-Encoding: gzip, but the {len(answer.body)}-byte body "
            "came uncompressed", None))
    return found


def _conditional(url: str, answer: Answer, timeout: float) -> list[Finding]:
    """Repeat the request with the answer's validators: a cache-friendly server says 304.
    (``url`` as given, so the same redirects and credentials apply.)"""
    etag, modified = answer.headers.get("ETag"), answer.headers.get("Last-Modified")
    if etag is None and modified is None:
        return []
    headers = {}
    if etag is not None:
        headers["If-None-Match"] = etag
    if modified is not None:
        headers["If-Modified-Since"] = modified
    sent = " and ".join(f"{k}: {v}" for k, v in headers.items())
    try:
        again = fetch(url, extra_headers=headers, timeout=timeout, max_bytes=MAX_BYTES)
    except FetchProblem as problem:
        return [finding("http.conditional-ignored",
                        f"the conditional request ({sent}) failed: {problem.message}", None)]
    if again.status == 304:
        return []
    return [finding("http.conditional-ignored",
                    f"a request with {sent} was answered {again.status}, not 304: readers "
                    "download the unchanged feed on every poll", None)]
