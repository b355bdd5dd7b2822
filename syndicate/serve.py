"""`syndicate serve`: a small static server for the output folder.

It exists for previews and for the interop tests, so it does what a well-configured
production web server does for feeds (see docs/serving.md): the right Content-Type per
format, strong validators (ETag from the content, Last-Modified from the file), conditional
GET answered with 304, gzip when the client asks for it, HEAD, ``Cache-Control`` with the
feeds' ``ttl``, a ``Link`` header naming each feed's ``self`` URL (and its WebSub hubs),
``X-Content-Type-Options: nosniff``, a feed URL answered with the page beside it when a
browser asks (syndicate/negotiate.py), and nothing outside the folder: no directory
listings, no traversal, no hidden files, no symlinks leading out.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import logging
import os
import re
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, unquote_to_bytes, urlsplit

from syndicate import __version__
from syndicate.config import Config, FeedsConfig
from syndicate.negotiate import accepts_gzip, is_feed_path, page_for, wants_page
from syndicate.render.common import url

log = logging.getLogger("syndicate.serve")


@dataclass(frozen=True, slots=True)
class Headers:
    """What the server says about every file beyond its bytes, from the config.

    ``max_age`` (seconds) is the feeds' RSS ``ttl`` (minutes): a cache keeps a feed as
    long as the feed itself tells readers to. ``base_url`` is ``site.base_url``: a feed
    served at ``/path`` names ``base_url + path`` as its ``rel="self"``, and the ``Link``
    header repeats exactly that, with the WebSub ``hubs`` (HTTP discovery, WebSub 4).
    Without a ``base_url`` (a bare folder) no ``Link`` header is sent: a guessed self URL
    that differs from the feed's own would mislead hubs and validators.
    """

    max_age: int = FeedsConfig().ttl * 60
    base_url: str | None = None
    hubs: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> Headers:
        return cls(max_age=config.feeds.ttl * 60, base_url=config.site.base_url,
                   hubs=config.websub.hubs)

    @property
    def cache_control(self) -> str:
        return f"public, max-age={self.max_age}"

    def link(self, rel_path: str) -> str | None:
        """The ``Link`` value for the file at ``rel_path`` (POSIX, relative to the
        folder), or None when it is not a feed or no base URL is known."""
        if self.base_url is None or not is_feed_path(rel_path):
            return None
        links = [f'<{url(self.base_url + quote(rel_path))}>; rel="self"']
        links += [f'<{url(hub)}>; rel="hub"' for hub in self.hubs]
        return ", ".join(links)


# Larger files are streamed, not read whole per request (and never gzipped): a stray
# 1 GB file in the folder must not cost 1 GB of memory per concurrent client.
MAX_IN_MEMORY = 32 * 1024 * 1024

# Every text type carries its charset: a reader must not guess (RFC 7303 says an XML
# media type's charset parameter wins over the XML declaration; we write UTF-8 only).
CONTENT_TYPES: dict[str, str] = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
_FALLBACK_TYPE = "application/octet-stream"
_COMPRESSIBLE = frozenset(CONTENT_TYPES.values())

ALLOWED_METHODS = "GET, HEAD"

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE ; etagc = %x21 / %x23-7E / obs-text (RFC 9110 8.8.3)
_ENTITY_TAG = re.compile(r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class Served:
    """One answered request, as passed to the ``on_request`` hook of :func:`make_server`."""

    method: str
    target: str  # the request target as received, query included
    status: int
    content_encoding: str | None  # "gzip" when the body was (or would have been) compressed
    etag: str | None


RequestHook = Callable[[Served], None]


class BadTarget(Exception):
    """The request target is malformed or tries to leave the folder (answered with 400)."""


def target_segments(target: str) -> tuple[list[str], bool]:
    """The decoded path segments of a request target and whether it ended with ``/``.

    Raises :class:`BadTarget` for anything that is not a plain path inside the folder:
    ``..`` or ``.`` segments (raw or percent-encoded), backslashes, NUL and other control
    characters, invalid UTF-8 escapes. Hidden names are left to the caller (404, not 400).
    """
    if target.startswith("/"):
        raw_path = target.split("?", 1)[0].split("#", 1)[0]
    else:
        # absolute-form (RFC 9112 3.2.2), as sent to proxies; only the path matters here
        try:
            parts = urlsplit(target)
        except ValueError as exc:
            raise BadTarget("malformed request target") from exc
        if parts.scheme not in ("http", "https") or not parts.path.startswith("/"):
            raise BadTarget("request target must be a path")
        raw_path = parts.path
    try:
        path = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadTarget("path is not UTF-8") from exc
    if "\\" in path or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise BadTarget("path contains a backslash or a control character")
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise BadTarget("path contains a dot segment")
    return segments, path.endswith("/")


def _real_inside(root: Path, candidate: Path) -> Path | None:
    """``candidate`` resolved, if it exists and stays inside ``root`` (``root`` itself
    resolved): None when missing, unreadable, a symlink loop or a link leading out."""
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return real if real.is_relative_to(root) else None


def etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match`` evaluation: ``*`` or any listed tag equal under weak comparison."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    pos = 0
    while pos < len(header):
        m = _ENTITY_TAG.match(header, pos)
        if m is None:
            return False  # malformed list: no match, so the client simply gets a 200
        if f'"{m.group(1)}"' == wanted:
            return True
        pos = m.end()
    return False


def not_modified_since(header: str, mtime: int) -> bool:
    """``If-Modified-Since`` evaluation; an invalid date is ignored (RFC 9110 13.1.3)."""
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return mtime <= since.timestamp()


@dataclass(frozen=True, slots=True)
class _Representation:
    body: bytes
    etag: str
    encoding: str | None


class FeedServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its folder and an optional per-request hook."""

    daemon_threads = True
    # A restarted preview server must not fail on a port still in TIME_WAIT.
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path,
                 on_request: RequestHook | None = None, headers: Headers = Headers()) -> None:
        self.root = root
        self.on_request = on_request
        self.headers = headers
        super().__init__(address, FeedRequestHandler)


class _FeedServer6(FeedServer):
    address_family = socket.AF_INET6


class FeedRequestHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"  # keep-alive: feed readers poll many files in a row
    server_version = f"syndicate/{__version__}"
    sys_version = ""
    timeout = 30  # a client that stops sending must not hold a thread forever
    error_content_type = "text/plain; charset=utf-8"
    error_message_format = "%(code)d %(message)s\n"

    _status: int = 0
    _encoding: str | None = None
    _etag: str | None = None
    _link: str | None = None
    _feed_path = False  # a feed URL: its answer depends on Accept (Vary)
    _page: str | None = None  # the Content-Location of a feed URL answered with its page

    # -- methods -------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _not_allowed(self) -> None:
        # the request body, if any, is left unread: close rather than misread it as a request
        self.close_connection = True
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Connection", "close")
        self.send_header("Allow", ALLOWED_METHODS)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        body = b"405 only GET and HEAD are allowed\n"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    # -- the file ------------------------------------------------------------------------

    def _resolve(self) -> Path | str | None:
        """The file to serve, a redirect location (str), or None for 404.

        Raises BadTarget for a 400."""
        segments, trailing_slash = target_segments(self.path)
        if any(s.startswith(".") for s in segments):
            return None  # hidden files: temp files of an ongoing write, state, VCS
        root = self.server.root
        real = _real_inside(root, root.joinpath(*segments))
        if real is None:
            return None
        if real.is_dir():
            if not trailing_slash and segments:
                # relative links in index.html resolve against the folder only with a slash
                return "/" + quote("/".join(segments)) + "/"
            return _real_inside(root, real / "index.html")  # never a listing
        elif trailing_slash:
            return None  # /all.atom/ names a folder that does not exist (as nginx says)
        return real

    def _serve(self, *, send_body: bool) -> None:
        try:
            found = self._resolve()
        except BadTarget as exc:
            self.send_error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        if isinstance(found, str):
            self._redirect(found, send_body=send_body)
            return
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND, "not found")
            return
        rel = found.relative_to(self.server.root).as_posix()
        self._feed_path = is_feed_path(rel)
        if self._feed_path and wants_page(self.headers.get("Accept")):
            page = self._page_beside(rel)
            if page is not None:
                found, rel = page, page.relative_to(self.server.root).as_posix()
                self._page = "/" + quote(rel)
        content_type = CONTENT_TYPES.get(found.suffix.lower(), _FALLBACK_TYPE)
        try:
            # read and stat the same open file, so the validators describe these bytes
            with open(found, "rb") as fh:
                st = os.fstat(fh.fileno())
                if not stat.S_ISREG(st.st_mode):
                    self.send_error(HTTPStatus.NOT_FOUND, "not found")
                    return
                if st.st_size > MAX_IN_MEMORY:
                    self._stream(fh, st, content_type, send_body=send_body)
                    return
                data = fh.read()
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "not found")
            return

        negotiable = content_type in _COMPRESSIBLE
        rep = self._representation(data, negotiable)
        mtime = int(st.st_mtime)
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        self._encoding, self._etag = rep.encoding, rep.etag
        self._link = self.server.headers.link(rel)  # None for a page: it has no self URL

        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        # If-Modified-Since is only evaluated when If-None-Match is absent (RFC 9110 13.2.2)
        if (etag_matches(inm, rep.etag) if inm is not None
                else ims is not None and not_modified_since(ims, mtime)):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validator_headers(rep, last_modified, negotiable)
            self.end_headers()
            return

        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(rep.body)))
        if rep.encoding:
            self.send_header("Content-Encoding", rep.encoding)
        self._validator_headers(rep, last_modified, negotiable)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            self.wfile.write(rep.body)

    def _page_beside(self, rel: str) -> Path | None:
        """The page written beside the feed at ``rel``, if there is one inside the folder
        (not a symlink out of it): a browser asking for the feed URL gets it."""
        page_rel = page_for(rel)
        if page_rel is None:
            return None
        real = _real_inside(self.server.root, self.server.root.joinpath(page_rel))
        return real if real is not None and real.is_file() else None

    def _stream(self, fh: BinaryIO, st: os.stat_result, content_type: str, *,
                send_body: bool) -> None:
        """A file too big to hold in memory per request (someone else's file in the
        folder: feeds are far smaller): sent in chunks, never compressed, its validator
        from size and modification time as stock servers do."""
        rep = _Representation(b"", f'"{st.st_size:x}-{st.st_mtime_ns:x}"', None)
        mtime = int(st.st_mtime)
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        self._encoding, self._etag = None, rep.etag
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (etag_matches(inm, rep.etag) if inm is not None
                else ims is not None and not_modified_since(ims, mtime)):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validator_headers(rep, last_modified, False)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(st.st_size))
        self._validator_headers(rep, last_modified, False)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            left = st.st_size  # what was announced, even if the file grows meanwhile
            while left > 0:
                chunk = fh.read(min(left, 1 << 20))
                if not chunk:  # shrunk meanwhile: the client must see a cut, not a
                    self.close_connection = True  # next response glued to this one
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _representation(self, data: bytes, negotiable: bool) -> _Representation:
        digest = hashlib.sha256(data).hexdigest()[:32]
        if negotiable and accepts_gzip(self.headers.get("Accept-Encoding")):
            # A gzip body is a different representation, so it gets its own strong
            # validator (RFC 9110 8.8.3). mtime=0 keeps the bytes, and so the tag, stable.
            return _Representation(gzip.compress(data, compresslevel=6, mtime=0),
                                   f'"{digest}-gzip"', "gzip")
        return _Representation(data, f'"{digest}"', None)

    def _validator_headers(self, rep: _Representation, last_modified: str,
                           negotiable: bool) -> None:
        """The headers a 200 and a 304 share (RFC 9110 15.4.5: a 304 carries what the
        200 would have said about caching), so a revalidated copy stays complete."""
        self.send_header("ETag", rep.etag)
        self.send_header("Last-Modified", last_modified)
        self.send_header("Cache-Control", self.server.headers.cache_control)
        # Both variants of a feed URL say that Accept chose them, so a cache keeps the
        # page for browsers apart from the feed for readers (RFC 9110 12.5.5).
        vary = [name for name, on in (("Accept", self._feed_path),
                                      ("Accept-Encoding", negotiable)) if on]
        if vary:
            self.send_header("Vary", ", ".join(vary))
        if self._page:
            self.send_header("Content-Location", self._page)
        if self._link:
            self.send_header("Link", self._link)

    def _redirect(self, location: str, *, send_body: bool) -> None:
        body = f"301 moved to {location}\n".encode()
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    # -- logging and the hook ------------------------------------------------------------

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = int(code)
        super().send_response(code, message)

    def end_headers(self) -> None:
        # record before the headers leave: a client that has seen the answer must find it
        # in the hook's record already
        method = self.command or "-"
        target = self.path if hasattr(self, "path") else "-"
        extra = f" ({self._encoding})" if self._encoding and self._status in (200, 304) else ""
        log.info('%s "%s %s" %d%s', self.client_address[0], method, _printable(target),
                 self._status, extra)
        hook = self.server.on_request
        if hook is not None:
            hook(Served(method=method, target=target, status=self._status,
                        content_encoding=self._encoding, etag=self._etag))
        # one handler serves every request of a keep-alive connection
        self._status, self._encoding, self._etag, self._link = 0, None, None, None
        self._feed_path, self._page = False, None
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # end_headers logs one line per response, with what was decided

    def log_error(self, format: str, *args: object) -> None:
        # the status line logged by end_headers already says what went wrong
        log.debug("%s %s", self.client_address[0], _printable(format % args))

    def log_message(self, format: str, *args: object) -> None:
        log.warning("%s %s", self.client_address[0], _printable(format % args))


def _printable(text: str) -> str:
    # request targets are attacker-controlled: no terminal escapes or fake log lines
    return text.encode("unicode_escape").decode("ascii")[:300]


def make_server(folder: Path, bind: str = "127.0.0.1", port: int = 0, *,
                on_request: RequestHook | None = None,
                headers: Headers = Headers()) -> ThreadingHTTPServer:
    """A bound, not yet running server for ``folder`` (``port=0``: any free port; read it
    from ``server.server_address``). ``on_request`` sees every answered request;
    ``headers`` (usually :meth:`Headers.from_config`) sets Cache-Control and Link."""
    root = folder.resolve(strict=True)
    cls = _FeedServer6 if ":" in bind else FeedServer
    return cls((bind, port), root, on_request, headers)


def _is_loopback(bind: str) -> bool:
    return bind in ("localhost", "::1") or bind.startswith("127.")


def run_serve(folder: Path, *, bind: str, port: int, headers: Headers = Headers()) -> int:
    """Serve ``folder`` until interrupted. Exit code 0, or 2 when it cannot start."""
    if not folder.is_dir():
        log.error("serve: %s: no such folder (run 'syndicate build' first)", folder)
        return 2
    try:
        server = make_server(folder, bind, port, headers=headers)
    except OSError as exc:
        log.error("serve: cannot listen on %s port %d: %s", bind, port, exc.strerror or exc)
        return 2
    host, real_port = server.server_address[:2]
    shown = f"[{host!s}]" if ":" in str(host) else str(host)
    if not _is_loopback(bind):
        log.warning("serve: listening on %s, reachable from other machines; this server is "
                    "meant for previews, not production (see docs/serving.md)", bind)
    log.info("Serving %s at http://%s:%d/ (Ctrl-C to stop)", folder.resolve(), shown, real_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("serve: stopped")
    finally:
        server.server_close()
    return 0

