"""Gate 2, `syndicate check URL`: a deployed feed judged over HTTP, against real servers on
127.0.0.1 only -- `syndicate serve` (which does everything right) and a deliberately
broken one (wrong types, no validators, no 304, redirect loops, too many redirects,
oversized and gzip-bomb bodies, slow and trickling answers, credentials)."""

from __future__ import annotations

import base64
import gzip
import io
import json
import ssl
import subprocess
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from syndicate.check.core import MAX_BYTES
from syndicate.check.fetch import MAX_REDIRECTS, FetchProblem, fetch, gunzip, shown
from syndicate.check.run import Verdict, run_check
from syndicate.check.served import check_url
from syndicate.cli import main
from syndicate.serve import Served, make_server
from tests.loopback import serving

ENTRY = (b"<entry><title>Entry %d</title><link href=\"https://example.org/%d\"/>"
         b"<id>https://example.org/%d</id><updated>2024-01-01T00:%02d:00Z</updated>"
         b"<summary>Some words about entry %d, enough to make the feed worth compressing."
         b"</summary></entry>\n")


def atom(self_url: str, entries: int = 12) -> bytes:
    """A clean Atom feed whose self link is ``self_url`` (over 1 KB with 12 entries)."""
    body = b"".join(ENTRY % (n, n, n, n, n) for n in range(entries))
    return (b'<?xml version="1.0" encoding="utf-8"?>\n'
            b'<feed xmlns="http://www.w3.org/2005/Atom">\n<title>T</title>\n'
            b'<link rel="self" href="' + self_url.encode() + b'"/>\n'
            b"<updated>2024-01-01T00:00:00Z</updated>\n<author><name>A</name></author>\n"
            b"<id>https://example.org/</id>\n" + body + b"</feed>\n")


def codes(result: object) -> list[str]:
    return sorted(f.code for f in result.findings)  # type: ignore[attr-defined]


def http_codes(result: object) -> list[str]:
    return [c for c in codes(result) if c.startswith("http.")]


# --- the real server: `syndicate serve` ----------------------------------------------

@pytest.fixture()
def real(tmp_path: Path) -> Iterator[tuple[str, list[Served]]]:
    root = tmp_path / "out"
    root.mkdir()
    served: list[Served] = []
    server = make_server(root, on_request=served.append)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (root / "feed.atom").write_bytes(atom(base + "/feed.atom"))
    (root / "elsewhere.atom").write_bytes(atom("https://example.org/feed.atom"))
    (root / "topics").mkdir()
    (root / "topics" / "ai.atom").write_bytes(atom(base + "/topics/ai.atom"))
    (root / "feed.json").write_bytes(json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "T",
        "home_page_url": "https://example.org/", "feed_url": base + "/feed.json",
        "items": [{"id": str(n), "url": f"https://example.org/{n}", "content_text": "x" * 200}
                  for n in range(8)]}).encode())
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield base, served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_syndicate_serve_passes_every_http_check(real: tuple[str, list[Served]]) -> None:
    base, served = real
    for path, fmt in (("/feed.atom", "atom"), ("/feed.json", "jsonfeed")):
        result = check_url(base + path)
        assert (result.format, codes(result)) == (fmt, []), result.findings
    # What made it pass happened on the wire: gzip asked and given, then a 304.
    answers = [(s.target, s.status, s.content_encoding) for s in served]
    assert ("/feed.atom", 200, "gzip") in answers
    assert ("/feed.atom", 304, "gzip") in answers


def test_self_link_is_compared_with_the_fetched_url(real: tuple[str, list[Served]]) -> None:
    base, _ = real
    assert codes(check_url(base + "/topics/ai.atom")) == []
    mismatch = check_url(base + "/elsewhere.atom")
    assert codes(mismatch) == ["atom.feed.self-link-mismatch"]
    assert base + "/elsewhere.atom" in mismatch.findings[0].message
    # a folder: syndicate serve redirects /topics to /topics/, which has no index.html
    assert http_codes(check_url(base + "/topics")) == ["http.bad-status"]


def test_cli_exit_codes_for_urls(real: tuple[str, list[Served]],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    base, _ = real
    assert main(["check", "--strict", base + "/feed.atom"]) == 0
    assert main(["check", base + "/missing.atom"]) == 1  # the server answered: 404
    assert main(["check", "--strict", base + "/elsewhere.atom"]) == 1
    out = capsys.readouterr().out
    assert "http.bad-status" in out and "atom.feed.self-link-mismatch" in out


# --- a deliberately broken server ----------------------------------------------------------

class Broken(BaseHTTPRequestHandler):
    """Each path misbehaves in one way. ``release`` ends the slow answers early."""

    protocol_version = "HTTP/1.0"
    release = threading.Event()
    seen_auth: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, to: str) -> None:
        self._send(302, b"", {"Location": to})

    def do_GET(self) -> None:  # one branch per misbehaviour
        path = self.path
        feed = atom(self._base() + path)
        self.seen_auth.append((path, self.headers.get("Authorization")))
        if path == "/wrong-type":
            self._send(200, feed, {"Content-Type": "text/html"})
        elif path == "/no-304":
            self._send(200, gzip.compress(feed), {
                "Content-Type": "application/atom+xml; charset=utf-8", "ETag": '"v1"',
                "Content-Encoding": "gzip"})
        elif path == "/charset":
            self._send(200, gzip.compress(feed), {
                "Content-Type": "application/atom+xml; charset=iso-8859-1",
                "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT", "Content-Encoding": "gzip"})
        elif path in ("/loop-a", "/loop-b"):
            self._redirect("/loop-b" if path == "/loop-a" else "/loop-a")
        elif path.startswith("/chain/"):
            _, _, hops, n = path.split("/")
            if int(n) < int(hops):
                self._redirect(f"/chain/{hops}/{int(n) + 1}")
            else:
                self._send(200, feed, {"Content-Type": "application/atom+xml; charset=utf-8"})
        elif path == "/announced-huge":
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_BYTES + 1))
            self.end_headers()
            self.wfile.write(b"<feed")  # and no more: the client must not wait for the rest
        elif path == "/endless":
            self.send_response(200)
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(MAX_BYTES // len(chunk) + 64):  # a bound, past the cap
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client hung up at its cap, as it should
        elif path == "/bomb":
            self._send(200, BOMB, {"Content-Type": "application/atom+xml; charset=utf-8",
                                   "Content-Encoding": "gzip"})
        elif path == "/broken-gzip":
            self._send(200, b"\x1f\x8b\x08\x00garbage" * 50,
                       {"Content-Type": "application/atom+xml", "Content-Encoding": "gzip"})
        elif path == "/brotli":
            self._send(200, feed, {"Content-Type": "application/atom+xml",
                                   "Content-Encoding": "br"})
        elif path == "/slow":
            self.send_response(200)
            self.end_headers()
            self.release.wait(30)  # bounded: never outlives the test session by much
        elif path == "/trickle":
            self.send_response(200)
            self.end_headers()
            try:
                for byte in feed:
                    if self.release.wait(0.05):
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:
                pass
        elif path == "/private":
            wanted = "Basic " + base64.b64encode(b"reader:s3cret").decode()
            if self.headers.get("Authorization") == wanted:
                self._send(200, feed, {"Content-Type": "application/atom+xml; charset=utf-8"})
            else:
                self._send(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="x"'})
        elif path.startswith("/bad-location/"):
            self._redirect({"port": "http://127.0.0.1:99999/x", "ipv6": "http://[::1/x",
                            "scheme": "file:///etc/passwd"}[path.rsplit("/", 1)[1]])
        elif path == "/to-other-origin":
            self._redirect(OTHER["url"] + "/private")
        else:
            self._send(404, b"not here", {"Content-Type": "text/plain"})


BOMB = gzip.compress(b"\x00" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB in ~64 KB
OTHER: dict[str, str] = {}


@pytest.fixture()
def broken() -> Iterator[str]:
    Broken.release.clear()
    Broken.seen_auth.clear()
    with serving(Broken) as base, serving(Broken) as other:
        OTHER["url"] = other
        try:
            yield base
        finally:
            Broken.release.set()  # let slow handlers finish so the servers shut down


def test_wrong_content_type_no_charset_no_validators_no_gzip(broken: str) -> None:
    result = check_url(broken + "/wrong-type")
    assert result.format == "atom"
    assert http_codes(result) == ["http.content-type-mismatch", "http.missing-charset",
                                  "http.missing-validators", "http.no-gzip"]
    assert all(f.line is None for f in result.findings if f.code.startswith("http."))


def test_validators_without_304_are_reported(broken: str) -> None:
    result = check_url(broken + "/no-304")
    assert http_codes(result) == ["http.conditional-ignored"]
    assert 'If-None-Match: "v1"' in result.findings[0].message


def test_http_charset_that_contradicts_the_document_is_an_error(broken: str) -> None:
    result = check_url(broken + "/charset")
    assert http_codes(result) == ["http.charset-mismatch", "http.conditional-ignored"]
    assert [f.severity for f in result.findings if f.code == "http.charset-mismatch"] == [
        "error"]


def test_redirect_loop_is_named(broken: str) -> None:
    result = check_url(broken + "/loop-a")
    assert codes(result) == ["http.redirect-loop"]
    assert "/loop-a -> " in result.findings[0].message


def test_five_redirects_are_followed_and_six_are_too_many(broken: str) -> None:
    ok = check_url(f"{broken}/chain/{MAX_REDIRECTS}/0")
    assert "atom.feed.self-link-mismatch" not in codes(ok)  # self == the final URL
    assert "http.too-many-redirects" not in codes(ok)
    assert codes(check_url(f"{broken}/chain/{MAX_REDIRECTS + 1}/0")) == [
        "http.too-many-redirects"]


def test_announced_oversized_body_is_refused_unread(broken: str) -> None:
    assert codes(check_url(broken + "/announced-huge")) == ["http.too-large"]


def test_endless_body_is_cut_at_the_cap(broken: str) -> None:
    tracemalloc.start()
    result = check_url(broken + "/endless")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert codes(result) == ["http.too-large"]
    assert peak < 3 * MAX_BYTES


def test_gzip_bomb_is_refused_at_the_cap_not_inflated(broken: str) -> None:
    tracemalloc.start()
    result = check_url(broken + "/bomb")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert codes(result) == ["http.too-large"]
    assert "gzip" in result.findings[0].message
    assert peak < 4 * MAX_BYTES  # the bomb is 64 MiB inflated


def test_gunzip_unit_cap_and_members() -> None:
    assert gunzip(gzip.compress(b"a" * 100) + gzip.compress(b"b"), 101) == b"a" * 100 + b"b"
    with pytest.raises(FetchProblem) as too_big:
        gunzip(gzip.compress(b"a" * 102), 101)
    assert too_big.value.code == "http.too-large"
    with pytest.raises(FetchProblem) as cut:
        gunzip(gzip.compress(b"a" * 1000)[:-12], 10_000)
    assert cut.value.code == "http.bad-encoding"


@pytest.mark.parametrize("path", ["/broken-gzip", "/brotli"])
def test_broken_or_unasked_encodings_are_errors(broken: str, path: str) -> None:
    assert codes(check_url(broken + path)) == ["http.bad-encoding"]


def test_a_server_that_never_finishes_is_cut_off_by_the_timeout(broken: str) -> None:
    result = check_url(broken + "/slow", timeout=0.5)
    assert codes(result) == ["http.fetch-failed"]


def test_a_trickling_server_is_cut_off_by_the_overall_deadline(broken: str) -> None:
    # Each byte arrives well within the socket timeout; the deadline still ends it.
    result = check_url(broken + "/trickle", timeout=1.0)
    assert codes(result) == ["http.fetch-failed"]
    assert "longer than the timeout" in result.findings[0].message


@pytest.mark.parametrize("kind", ["port", "ipv6", "scheme"])
def test_redirects_to_malformed_or_non_http_urls_are_refused(broken: str, kind: str) -> None:
    result = check_url(f"{broken}/bad-location/{kind}")
    assert codes(result) == ["http.fetch-failed"]


def test_not_found_is_a_bad_status(broken: str) -> None:
    assert codes(check_url(broken + "/nothing")) == ["http.bad-status"]


def test_credentials_are_used_for_their_origin_and_never_shown(broken: str) -> None:
    url = broken.replace("http://", "http://reader:s3cret@") + "/private"
    out = io.StringIO()
    verdict = run_check([url], output_format="json", strict=False, base_url=None, out=out)
    report = json.loads(out.getvalue())
    assert verdict is Verdict.OK, out.getvalue()
    assert report["files"][0]["path"] == broken + "/private"
    assert "s3cret" not in out.getvalue() and "reader:" not in out.getvalue()
    for fmt in ("text", "junit"):
        out = io.StringIO()
        run_check([url], output_format=fmt, strict=True, base_url=None, out=out)
        assert "s3cret" not in out.getvalue()


def test_credentials_do_not_follow_a_redirect_to_another_origin(broken: str) -> None:
    url = broken.replace("http://", "http://reader:s3cret@") + "/to-other-origin"
    result = check_url(url)
    assert codes(result) == ["http.bad-status"]  # the other origin said 401
    assert "s3cret" not in repr(result)
    assert ("/private", None) in Broken.seen_auth
    assert Broken.seen_auth[0][1] is not None  # the first origin did get them


def test_unreachable_url_exits_2_like_an_unreadable_file(
        capsys: pytest.CaptureFixture[str]) -> None:
    with serving(Broken) as base:
        pass  # the port is free again: nothing listens there now
    assert main(["check", base + "/gone.atom"]) == 2
    assert "http.fetch-failed" in capsys.readouterr().out


def test_a_zero_timeout_is_a_usage_error() -> None:
    assert main(["check", "--timeout", "0", "http://127.0.0.1:9/x.atom"]) == 2


def test_shown_strips_userinfo_only() -> None:
    assert shown("https://u:p@example.org:8443/f?x=1") == "https://example.org:8443/f?x=1"
    assert shown("https://example.org/a@b") == "https://example.org/a@b"


def test_https_certificates_are_verified(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("openssl could not make a test certificate")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/chain/0/0"
        result = check_url(url)
        assert codes(result) == ["http.fetch-failed"]
        assert "certificate" in result.findings[0].message
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_fetch_refuses_non_http_urls() -> None:
    for url in ("ftp://127.0.0.1/x", "http://[::1/x"):
        with pytest.raises(FetchProblem) as problem:
            fetch(url, max_bytes=10)
        assert problem.value.code == "http.fetch-failed"
