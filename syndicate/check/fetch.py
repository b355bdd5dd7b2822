"""Fetch a feed over HTTP(S) with the limits a validator needs (stdlib urllib only).

- a deadline per request (connect, headers and body together), not only per socket read,
  so a server trickling one byte at a time cannot hold the checker;
- a size cap on the body as sent and again as decoded, so a gzip bomb is refused after
  ``max_bytes`` of output, never inflated whole;
- at most ``MAX_REDIRECTS`` redirects, followed by hand so loops are named as such;
- certificate verification on (the default SSL context); no proxy for loopback hosts;
- user:password in a URL is sent as Basic credentials to that origin only and never
  shown: every URL in a message goes through :func:`shown`.
"""

from __future__ import annotations

import base64
import email.message
import ipaddress
import ssl
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from typing import IO
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from syndicate.check.urls import DEFAULT_TIMEOUT, shown

__all__ = ["DEFAULT_TIMEOUT", "MAX_REDIRECTS", "Answer", "FetchProblem", "fetch", "gunzip",
           "shown"]

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
USER_AGENT = "syndicate-check (feed validator; +https://github.com/)"
ACCEPT = ("application/atom+xml, application/rss+xml, application/feed+json, "
          "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1")


class FetchProblem(Exception):
    """The fetch could not give a usable answer; ``code`` is the finding's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Answer:
    """The final response of a fetch, its body decoded (gzip undone)."""

    url: str
    """The URL that answered (after redirects), credentials removed."""
    status: int
    headers: email.message.Message
    body: bytes
    content_encoding: str | None
    """The Content-Encoding the server applied (lowercased), None when absent."""
    redirects: int


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _credentials(url: str) -> tuple[str, str | None, tuple[str, str, int | None]]:
    """The URL to send (no userinfo), a Basic Authorization value, and the origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchProblem("http.fetch-failed", f"malformed URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchProblem("http.fetch-failed", "not an absolute http(s) URL")
    origin = (parts.scheme, parts.hostname, port)
    if "@" not in parts.netloc:
        return url, None, origin
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    return bare, f"Basic {token}", origin


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as responses; :func:`fetch` follows them itself."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener(host: str) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [
        _NoRedirects(), urllib.request.HTTPSHandler(context=ssl.create_default_context())]
    if _is_loopback(host):
        handlers.append(urllib.request.ProxyHandler({}))  # a loopback URL stays on this host
    return urllib.request.build_opener(*handlers)


def _read(resp: IO[bytes], limit: int, deadline: float, what: str) -> bytes:
    """At most ``limit`` bytes (one more is read to tell "exactly at the cap" apart)."""
    chunks: list[bytes] = []
    size = 0
    # read1: what has arrived, not a full buffer -- read() would wait for 64 KB while a
    # trickling server feeds it a byte at a time, and the deadline would never be seen.
    read = getattr(resp, "read1", resp.read)
    while size <= limit:
        if time.monotonic() > deadline:
            raise FetchProblem("http.fetch-failed", f"{what} took longer than the timeout")
        chunk = read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    if len(body) > limit:
        raise FetchProblem("http.too-large",
                           f"{what}: the body is larger than the {limit}-byte cap; refused")
    return body


def gunzip(data: bytes, limit: int) -> bytes:
    """Decode a gzip body, refusing output beyond ``limit`` bytes (a gzip bomb stops there)."""
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pending = rest
            while pending:
                piece = d.decompress(pending, limit + 1 - size)
                size += len(piece)
                out.append(piece)
                if size > limit:
                    raise FetchProblem(
                        "http.too-large",
                        f"the gzip body decodes to more than the {limit}-byte cap (a gzip "
                        "bomb?); refused")
                pending = d.unconsumed_tail
                if d.eof:
                    break
            if not d.eof:
                raise FetchProblem("http.bad-encoding", "the gzip body is truncated")
            rest = d.unused_data.lstrip(b"\x00")  # further members; NUL padding is common
    except zlib.error as exc:
        raise FetchProblem("http.bad-encoding", f"the gzip body is broken: {exc}") from None
    return b"".join(out)


def _once(url: str, headers: dict[str, str], timeout: float,
          max_bytes: int) -> tuple[int, email.message.Message, bytes]:
    """One request, no redirect followed; the raw (still encoded) body."""
    deadline = time.monotonic() + timeout
    host = urlsplit(url).hostname or ""
    try:
        request = urllib.request.Request(url, headers=headers, method="GET")
        resp: HTTPResponse | urllib.error.HTTPError = _opener(host).open(request,
                                                                           timeout=timeout)
    except urllib.error.HTTPError as exc:
        resp = exc  # 3xx, 304, 4xx and 5xx are answers to judge, not failures
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            why = f"TLS certificate not trusted ({reason.verify_message})"
        elif isinstance(reason, TimeoutError):
            why = "no answer within the timeout"
        else:
            why = str(reason.strerror if isinstance(reason, OSError) and reason.strerror
                      else reason)
        raise FetchProblem("http.fetch-failed", f"cannot fetch {shown(url)}: {why}") from None
    except TimeoutError:
        raise FetchProblem("http.fetch-failed",
                           f"cannot fetch {shown(url)}: no answer within the timeout") from None
    except (OSError, HTTPException, ValueError) as exc:
        raise FetchProblem("http.fetch-failed",
                           f"cannot fetch {shown(url)}: {type(exc).__name__}") from None
    with resp:
        status = resp.status if isinstance(resp, HTTPResponse) else resp.code
        message = resp.headers
        length = message.get("Content-Length")
        if length is not None and length.strip().isdigit() and int(length) > max_bytes:
            raise FetchProblem("http.too-large",
                               f"{shown(url)} announces {int(length)} bytes, more than the "
                               f"{max_bytes}-byte cap; not read")
        try:
            body = _read(resp, max_bytes, deadline, shown(url))
        except TimeoutError:
            raise FetchProblem("http.fetch-failed",
                               f"{shown(url)}: the body did not arrive within the timeout"
                               ) from None
        except (OSError, HTTPException) as exc:
            raise FetchProblem("http.fetch-failed",
                               f"{shown(url)}: the body was cut short ({type(exc).__name__})"
                               ) from None
    return status, message, body


def fetch(url: str, *, extra_headers: dict[str, str] | None = None,
          timeout: float = DEFAULT_TIMEOUT, max_bytes: int) -> Answer:
    """GET ``url`` asking for gzip, following up to ``MAX_REDIRECTS`` redirects.

    Raises :class:`FetchProblem` when there is no usable answer (its code says why).
    """
    current, auth, origin = _credentials(url)
    visited = [current]
    for hop in range(MAX_REDIRECTS + 1):
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip",
                   **(extra_headers or {})}
        try:
            here = urlsplit(current)
            where = (here.scheme, here.hostname, here.port)
        except ValueError:  # a redirect to a malformed URL (bad port, broken IPv6 literal)
            raise FetchProblem("http.fetch-failed",
                               f"a redirect leads to a malformed URL: {shown(current)!r}"
                               ) from None
        if auth is not None and where == origin:
            headers["Authorization"] = auth  # never to another origin a redirect names
        status, message, raw = _once(current, headers, timeout, max_bytes)
        location = message.get("Location")
        if status in _REDIRECTS and location:
            try:
                target = urljoin(current, location.strip())
                scheme = urlsplit(target).scheme
            except ValueError:
                scheme = ""
                target = location.strip()
            if scheme not in ("http", "https"):
                raise FetchProblem("http.fetch-failed",
                                   f"{shown(current)} redirects to {shown(target)!r}, not an "
                                   "http(s) URL")
            if target in visited:
                chain = " -> ".join(shown(u) for u in [*visited, target])
                raise FetchProblem("http.redirect-loop", f"redirect loop: {chain}")
            if hop == MAX_REDIRECTS:
                raise FetchProblem("http.too-many-redirects",
                                   f"more than {MAX_REDIRECTS} redirects (from "
                                   f"{shown(visited[0])}; stopped at {shown(target)})")
            visited.append(target)
            current = target
            continue
        encoding = (message.get("Content-Encoding") or "").strip().lower() or None
        if encoding in ("gzip", "x-gzip") and status != 304:
            body = gunzip(raw, max_bytes)
        elif encoding in (None, "identity") or status == 304:
            body = raw
        else:
            raise FetchProblem("http.bad-encoding",
                               f"Content-Encoding {encoding!r} was not asked for (only gzip)")
        return Answer(shown(current), status, message, body, encoding, hop)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
