"""`syndicate serve`: Content-Types, validators, conditional GET, gzip, and the folder's walls."""

from __future__ import annotations

import email.utils
import gzip
import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from syndicate.negotiate import accepts_gzip
from syndicate.serve import (
    BadTarget,
    Headers,
    Served,
    etag_matches,
    make_server,
    run_serve,
    target_segments,
)

ATOM = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">' + (
    b"<title>t</title>" * 200) + b"</feed>\n"
MTIME = 1_600_000_000  # 2020-09-13T12:26:40Z


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class Running:
    root: Path
    port: int
    served: list[Served]

    def request(self, method: str, target: str, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            # skip_accept_encoding: http.client would otherwise send "identity" silently
            conn.putrequest(method, target, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def get(self, target: str, **headers: str) -> Response:
        return self.request("GET", target, {k.replace("_", "-"): v for k, v in headers.items()})


def _write(path: Path, data: bytes, mtime: int = MTIME) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[Running]:
    root = tmp_path / "feeds"
    _write(root / "all.atom", ATOM)
    _write(root / "all.rss", b"<rss/>")
    _write(root / "all.json", b"{}")
    _write(root / "feeds.opml", b"<opml/>")
    _write(root / "index.html", b"<!doctype html><title>feeds</title>")
    _write(root / "topics" / "power-apps.atom", ATOM)
    _write(root / "topics" / "caf\u00e9.rss", b"<rss/>")
    _write(root / ".all.atom.tmp", b"half-written")
    (root / "empty").mkdir()
    _write(tmp_path / "secret.txt", b"outside the folder")
    served: list[Served] = []
    server = make_server(root, on_request=served.append)
    # a short poll interval keeps shutdown (and so each test) fast
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Running(root, server.server_address[1], served)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- Content-Type --------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "content_type"), [
    ("/all.atom", "application/atom+xml; charset=utf-8"),
    ("/all.rss", "application/rss+xml; charset=utf-8"),
    ("/all.json", "application/feed+json; charset=utf-8"),
    ("/feeds.opml", "text/x-opml; charset=utf-8"),
    ("/index.html", "text/html; charset=utf-8"),
    ("/", "text/html; charset=utf-8"),
])
def test_each_format_is_served_with_its_media_type_and_charset(
        site: Running, target: str, content_type: str) -> None:
    resp = site.get(target)
    assert resp.status == 200
    assert resp.header("Content-Type") == content_type
    assert resp.header("X-Content-Type-Options") == "nosniff"


def test_body_is_the_file_and_non_ascii_names_are_found(site: Running) -> None:
    assert site.get("/all.atom").body == ATOM
    resp = site.get("/topics/caf%C3%A9.rss")
    assert resp.status == 200 and resp.body == b"<rss/>"


# -- validators and conditional GET ---------------------------------------------------------

def test_strong_etag_is_stable_and_follows_the_content(site: Running) -> None:
    first = site.get("/all.atom")
    etag = first.header("ETag")
    assert etag is not None and etag.startswith('"') and not etag.startswith("W/")
    assert site.get("/all.atom").header("ETag") == etag
    # the same bytes elsewhere have the same tag: it comes from the content, not the name
    assert site.get("/topics/power-apps.atom").header("ETag") == etag
    _write(site.root / "all.atom", ATOM + b"\n")
    assert site.get("/all.atom").header("ETag") not in (etag, None)


def test_last_modified_is_the_file_mtime_as_http_date(site: Running) -> None:
    resp = site.get("/all.atom")
    assert resp.header("Last-Modified") == "Sun, 13 Sep 2020 12:26:40 GMT"
    assert resp.header("Cache-Control") == "public, max-age=3600"  # the default ttl, 60 min


@pytest.mark.parametrize("inm", [
    "{etag}",
    'W/{etag}',
    '"other", {etag}',
    '"other",{etag} , "third"',
    "*",
])
def test_matching_if_none_match_gets_304_without_body(site: Running, inm: str) -> None:
    etag = site.get("/all.atom").header("ETag")
    assert etag is not None
    resp = site.get("/all.atom", If_None_Match=inm.format(etag=etag))
    assert resp.status == 304
    assert resp.body == b""
    assert resp.header("ETag") == etag
    assert resp.header("Cache-Control") == "public, max-age=3600"  # the default ttl, 60 min
    assert resp.header("Vary") == "Accept, Accept-Encoding"  # a feed URL: page or feed


@pytest.mark.parametrize("inm", ['"other"', '"other", W/"more"', "garbage", '""'])
def test_non_matching_if_none_match_gets_the_feed(site: Running, inm: str) -> None:
    resp = site.get("/all.atom", If_None_Match=inm)
    assert resp.status == 200 and resp.body == ATOM


def test_if_modified_since_gets_304_when_not_newer(site: Running) -> None:
    same = email.utils.formatdate(MTIME, usegmt=True)
    later = email.utils.formatdate(MTIME + 3600, usegmt=True)
    earlier = email.utils.formatdate(MTIME - 1, usegmt=True)
    assert site.get("/all.atom", If_Modified_Since=same).status == 304
    assert site.get("/all.atom", If_Modified_Since=later).status == 304
    assert site.get("/all.atom", If_Modified_Since=earlier).status == 200
    assert site.get("/all.atom", If_Modified_Since="yesterday").status == 200


def test_if_modified_since_is_ignored_when_if_none_match_is_present(site: Running) -> None:
    later = email.utils.formatdate(MTIME + 3600, usegmt=True)
    resp = site.get("/all.atom", If_None_Match='"stale"', If_Modified_Since=later)
    assert resp.status == 200 and resp.body == ATOM


# -- gzip --------------------------------------------------------------------------------------

def test_gzip_when_asked_with_its_own_validator(site: Running) -> None:
    plain = site.get("/all.atom")
    zipped = site.get("/all.atom", Accept_Encoding="gzip, deflate")
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == ATOM
    assert len(zipped.body) < len(ATOM)
    assert zipped.header("Content-Length") == str(len(zipped.body))
    assert zipped.header("Vary") == plain.header("Vary") == "Accept, Accept-Encoding"
    assert site.get("/index.html").header("Vary") == "Accept-Encoding"  # not a feed URL
    assert plain.header("Content-Encoding") is None
    assert zipped.header("ETag") != plain.header("ETag")
    # the gzip bytes (and so the tag) do not change from request to request
    again = site.get("/all.atom", Accept_Encoding="gzip")
    assert again.body == zipped.body and again.header("ETag") == zipped.header("ETag")


def test_conditional_get_compares_against_the_selected_representation(site: Running) -> None:
    zipped_tag = site.get("/all.atom", Accept_Encoding="gzip").header("ETag")
    plain_tag = site.get("/all.atom").header("ETag")
    assert zipped_tag and plain_tag
    assert site.get("/all.atom", Accept_Encoding="gzip", If_None_Match=zipped_tag).status == 304
    # the client now takes identity: its gzip tag does not describe what it would get
    assert site.get("/all.atom", If_None_Match=zipped_tag).status == 200
    assert site.get("/all.atom", If_None_Match=plain_tag).status == 304


@pytest.mark.parametrize(("header", "expected"), [
    (None, False),
    ("", False),
    ("gzip", True),
    ("GZip", True),
    ("x-gzip", True),
    ("deflate, gzip;q=0.5", True),
    ("gzip;q=0", False),
    ("gzip; q=0.000", False),
    ("*", True),
    ("*;q=0", False),
    ("gzip;q=0, *", False),
    ("*, gzip;q=0", False),
    ("identity", False),
    ("br", False),
    ("gzip;q=abc", False),
    ("gzip;q=2", False),
    ("gzip;q=0.4, identity;q=0.9", False),
    ("gzip, identity;q=0.5", True),
])
def test_accept_encoding_negotiation(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_q_zero_is_respected_over_http(site: Running) -> None:
    resp = site.get("/all.atom", Accept_Encoding="gzip;q=0, br")
    assert resp.header("Content-Encoding") is None and resp.body == ATOM


@pytest.mark.parametrize(("header", "etag", "expected"), [
    ('"a"', '"a"', True),
    ('W/"a"', '"a"', True),
    ('"a"', 'W/"a"', True),
    ('"b", "a"', '"a"', True),
    ('"a,b"', '"a"', False),
    ('"a,b"', '"a,b"', True),
    ('"ab"', '"a"', False),
    ("a", '"a"', False),
    ('"b" "a"', '"a"', False),
    (" * ", '"a"', True),
])
def test_if_none_match_uses_weak_comparison(header: str, etag: str, expected: bool) -> None:
    assert etag_matches(header, etag) is expected


# -- HEAD and methods -------------------------------------------------------------------------

def test_head_has_the_get_headers_and_no_body(site: Running) -> None:
    get = site.get("/all.atom", Accept_Encoding="gzip")
    head = site.request("HEAD", "/all.atom", {"Accept-Encoding": "gzip"})
    assert head.status == 200 and head.body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Content-Encoding"):
        assert head.header(name) == get.header(name), name


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_only_get_and_head_are_allowed(site: Running, method: str) -> None:
    resp = site.request(method, "/all.atom", body=b"x=1")
    assert resp.status == 405
    assert resp.header("Allow") == "GET, HEAD"
    assert (site.root / "all.atom").read_bytes() == ATOM


def test_unknown_method_is_not_implemented(site: Running) -> None:
    assert site.request("BREW", "/all.atom").status == 501


# -- the folder's walls --------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/topics/../../secret.txt",
    "/topics/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/topics/..\\..\\secret.txt",
    "/topics/%5c..%5c..%5csecret.txt",
    "/all.atom%00.html",
    "/%ff%fe",
    "/./all.atom",
    "secret.txt",
])
def test_traversal_and_malformed_paths_are_refused(site: Running, target: str) -> None:
    resp = site.get(target)
    assert resp.status == 400
    assert b"outside the folder" not in resp.body


def test_absolute_form_target_is_confined_too(site: Running) -> None:
    assert site.get("http://127.0.0.1/all.atom").body == ATOM
    assert site.get("http://127.0.0.1/../secret.txt").status == 400


def test_symlink_leading_out_is_not_followed(site: Running) -> None:
    (site.root / "leak.atom").symlink_to(site.root.parent / "secret.txt")
    (site.root / "outside").symlink_to(site.root.parent)
    assert site.get("/leak.atom").status == 404
    assert site.get("/outside/secret.txt").status == 404
    (site.root / "alias.atom").symlink_to(site.root / "all.atom")
    assert site.get("/alias.atom").body == ATOM


def test_hidden_files_are_not_served(site: Running) -> None:
    assert site.get("/.all.atom.tmp").status == 404


def test_no_directory_listing(site: Running) -> None:
    assert site.get("/empty/").status == 404
    assert site.get("/topics/").status == 404
    resp = site.get("/topics")
    assert resp.status == 301 and resp.header("Location") == "/topics/"
    assert site.get("/missing.atom").status == 404


def test_folder_with_index_serves_it(site: Running) -> None:
    _write(site.root / "topics" / "index.html", b"<p>topics</p>")
    assert site.get("/topics/").body == b"<p>topics</p>"


# -- binding, hook and logs ----------------------------------------------------------------------

def test_binds_to_loopback_by_default(tmp_path: Path) -> None:
    server = make_server(tmp_path)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_every_answer_reaches_the_hook_and_the_log(
        site: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="syndicate.serve")
    etag = site.get("/all.atom", Accept_Encoding="gzip").header("ETag")
    assert etag is not None
    site.get("/all.atom", Accept_Encoding="gzip", If_None_Match=etag)
    # http.client refuses control characters in a target; a hostile client does not
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as raw:
        raw.sendall(b"GET /nope\x1b[31m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := raw.recv(4096):  # read it all: closing early resets the connection
            answer += chunk             # under the server's feet (a traceback in the log)
        assert answer.startswith(b"HTTP/1.1 400")
    assert [(s.method, s.target, s.status, s.content_encoding) for s in site.served] == [
        ("GET", "/all.atom", 200, "gzip"),
        ("GET", "/all.atom", 304, "gzip"),
        ("GET", "/nope\x1b[31m", 400, None),
    ]
    assert site.served[1].etag == etag
    lines = [r.getMessage() for r in caplog.records]
    assert any('"GET /all.atom" 304 (gzip)' in line for line in lines), lines
    assert all("\x1b" not in line for line in lines)


def test_keep_alive_connection_serves_several_requests(site: Running) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        statuses = []
        for target in ("/all.atom", "/all.rss", "/missing", "/all.json"):
            conn.request("GET", target)
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
    finally:
        conn.close()
    assert statuses == [200, 200, 404, 200]


def test_target_segments_unit() -> None:
    assert target_segments("/topics/a%20b.atom?x=1") == (["topics", "a b.atom"], False)
    assert target_segments("/topics/") == (["topics"], True)
    assert target_segments("//all.atom") == (["all.atom"], False)
    with pytest.raises(BadTarget):
        target_segments("/a/%2e/b")


def test_run_serve_reports_a_missing_folder(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    assert run_serve(tmp_path / "nope", bind="127.0.0.1", port=0) == 2
    assert "no such folder" in caplog.text


def test_run_serve_reports_a_busy_port(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    busy = make_server(tmp_path)
    try:
        code = run_serve(tmp_path, bind="127.0.0.1", port=busy.server_address[1])
    finally:
        busy.server_close()
    assert code == 2
    assert "cannot listen" in caplog.text


def test_cli_serve_runs_until_interrupted(tmp_path: Path) -> None:
    _write(tmp_path / "out" / "all.atom", ATOM)
    (tmp_path / "config.toml").write_text(
        '[site]\ntitle = "T"\nbase_url = "https://example.org/"\n[output]\nfolder = "out"\n'
        '[feeds]\nttl = 15\n[websub]\nhubs = ["https://hub.example/"]\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "serve", "--config", str(tmp_path / "config.toml"),
         "--port", "0"],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "Serving" in line and "http://127.0.0.1:" in line, line
        port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/all.atom")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == ATOM
        # the headers come from the config it was started with
        assert resp.headers["Cache-Control"] == "public, max-age=900"
        assert resp.headers["Link"] == ('<https://example.org/all.atom>; rel="self", '
                                        '<https://hub.example/>; rel="hub"')
        conn.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0  # a bound for a busy machine, not a speed claim
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- Cache-Control and Link from the config -------------------------------------------------

@pytest.fixture()
def configured(tmp_path: Path) -> Iterator[Running]:
    root = tmp_path / "feeds"
    for rel in ("all.atom", "all.rss", "all.json", "topics/ai.atom", "feeds.opml",
                "index.html"):
        _write(root / rel, ATOM)
    headers = Headers(max_age=1200, base_url="https://feeds.example.org/news/",
                      hubs=("https://hub.example/", "https://hub2.example/p?x=1"))
    server = make_server(root, headers=headers)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Running(root, server.server_address[1], [])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("rel", ["all.atom", "all.rss", "all.json", "topics/ai.atom"])
def test_a_feed_names_its_self_url_and_hubs_in_a_link_header(configured: Running,
                                                              rel: str) -> None:
    expected = (f'<https://feeds.example.org/news/{rel}>; rel="self", '
                '<https://hub.example/>; rel="hub", <https://hub2.example/p?x=1>; rel="hub"')
    resp = configured.get("/" + rel)
    assert resp.status == 200
    assert resp.header("Link") == expected
    assert resp.header("Cache-Control") == "public, max-age=1200"
    assert resp.header("X-Content-Type-Options") == "nosniff"
    # a revalidation keeps them: a 304 carries what the 200 said about caching
    etag = resp.header("ETag")
    assert etag is not None
    again = configured.get("/" + rel, If_None_Match=etag)
    assert again.status == 304
    assert again.header("Link") == expected
    assert again.header("Cache-Control") == "public, max-age=1200"


@pytest.mark.parametrize("target", ["/feeds.opml", "/index.html", "/"])
def test_pages_that_are_not_feeds_have_no_link_header(configured: Running, target: str) -> None:
    resp = configured.get(target)
    assert resp.status == 200
    assert resp.header("Link") is None
    assert resp.header("Cache-Control") == "public, max-age=1200"


def test_without_a_base_url_no_self_url_is_guessed(site: Running) -> None:
    assert site.get("/all.atom").header("Link") is None


def test_headers_from_config_use_the_ttl_in_minutes() -> None:
    from syndicate.config import parse_config

    cfg = parse_config({"site": {"title": "T", "base_url": "https://f.example/"},
                        "feeds": {"ttl": 5}}, Path("/nonexistent/config.toml"))
    headers = Headers.from_config(cfg)
    assert headers.cache_control == "public, max-age=300"
    assert headers.link("topics/ai.rss") == '<https://f.example/topics/ai.rss>; rel="self"'
    assert headers.link("index.html") is None
