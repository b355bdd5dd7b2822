"""The example production configs in deploy/ really do what docs/serving.md says.

nginx runs deploy/nginx.conf and Caddy runs deploy/Caddyfile as shipped, with only
their root folder and listen address swapped for a freshly built feeds folder and a
loopback port, under a temporary prefix, as the current user. Each server is skipped
when it is not installed (Debian packages ``nginx-light`` and ``caddy``).
"""

from __future__ import annotations

import dataclasses
import getpass
import grp
import gzip
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from syndicate.config import StateConfig, load_config

REPO = Path(__file__).resolve().parents[1]
NGINX_CONF = REPO / "deploy" / "nginx.conf"
CADDYFILE = REPO / "deploy" / "Caddyfile"


def _which(name: str) -> str | None:
    # /usr/sbin is not on every user's PATH
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/local/sbin/{name}", f"/usr/bin/{name}")
         if os.access(p, os.X_OK)), None)


NGINX = _which("nginx")
CADDY = _which("caddy")

EXPECTED_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _replace_once(text: str, old: str, new: str) -> str:
    # if someone edits these lines in deploy/, fail loudly rather than test a config
    # that silently kept its production paths
    assert text.count(old) == 1, f"deploy/: expected exactly one {old!r}"
    return text.replace(old, new)


def site_config(root: Path, port: int) -> str:
    text = NGINX_CONF.read_text(encoding="utf-8")
    text = _replace_once(text, "root /srv/syndicate/feeds;", f"root {root};")
    text = _replace_once(text, "listen 80;", f"listen 127.0.0.1:{port};")
    return _replace_once(text, "listen [::]:80;", "")


def main_config(prefix: Path, site: Path) -> str:
    # As root, workers would switch to 'nobody' and could not read a private temp folder;
    # as anyone else nginx keeps the current user and the 'user' line would only warn.
    user = ""
    if os.geteuid() == 0:
        user = f"user {getpass.getuser()} {grp.getgrgid(os.getegid()).gr_name};"
    temps = "\n".join(f"    {name}_temp_path {prefix / name};"
                      for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}
daemon off;
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
    access_log {prefix / 'access.log'};
{temps}
    include {site};
}}
"""


def caddyfile(root: Path, port: int, prefix: Path) -> str:
    text = CADDYFILE.read_text(encoding="utf-8")
    text = _replace_once(text, "\nfeeds.example.org {", f"\nhttp://127.0.0.1:{port} {{")
    text = _replace_once(text, "root * /srv/syndicate/feeds", f"root * {root}")
    # test-only globals: no admin endpoint, no certificates, state under the prefix
    return ("{\n\tadmin off\n\tauto_https off\n"
            f"\tstorage file_system {{\n\t\troot {prefix / 'data'}\n\t}}\n}}\n" + text)


@dataclass
class Server:
    name: str
    root: Path
    port: int

    def get(self, target: str, **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("GET", target, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name.replace("_", "-"), value)
            conn.endheaders()
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def request(self, method: str, target: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, target, body=b"" if method == "POST" else None)
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()


def _build(tmp: Path) -> Path:
    from datetime import UTC, datetime

    from syndicate.build import run_build
    from syndicate.result import BuildOptions

    config = load_config(REPO / "config.toml")
    out = tmp / "feeds"
    config = dataclasses.replace(
        config,
        output=dataclasses.replace(config.output, folder=out),
        state=StateConfig(folder=tmp / "state"))
    run_build(config, BuildOptions(now=datetime(2026, 12, 6, tzinfo=UTC), jobs=1))
    return out


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60  # a bound for a busy machine, not a speed claim
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace") if log.exists() else ""
                raise AssertionError(f"server did not start: {text[-2000:]}") from None
            time.sleep(0.05)


def _start_nginx(root: Path, prefix: Path, port: int) -> subprocess.Popen[bytes]:
    assert NGINX is not None
    site = prefix / "site.conf"
    site.write_text(site_config(root, port), encoding="utf-8")
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site), encoding="utf-8")
    cmd = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=30,
                           check=False)
    assert check.returncode == 0, check.stderr
    # errors go to the error.log in the prefix (-e), shown when nginx fails to start
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(port, proc, prefix / "error.log")
    return proc


def _start_caddy(root: Path, prefix: Path, port: int) -> subprocess.Popen[bytes]:
    assert CADDY is not None
    conf = prefix / "Caddyfile"
    conf.write_text(caddyfile(root, port, prefix), encoding="utf-8")
    # Caddy keeps state under HOME / XDG folders: keep it in the prefix
    env = {**os.environ, "HOME": str(prefix), "XDG_DATA_HOME": str(prefix / "data"),
           "XDG_CONFIG_HOME": str(prefix / "config")}
    cmd = [CADDY, "run", "--config", str(conf), "--adapter", "caddyfile"]
    check = subprocess.run([CADDY, "validate", "--config", str(conf), "--adapter",
                            "caddyfile"], capture_output=True, text=True, timeout=30,
                           check=False, env=env)
    assert check.returncode == 0, check.stderr
    log = prefix / "caddy.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    _wait_for(port, proc, log)
    return proc


@pytest.fixture(scope="module", params=["nginx", "caddy"])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    name = request.param
    if (NGINX if name == "nginx" else CADDY) is None:
        pytest.skip(f"{name} is not installed (apt-get install "
                    f"{'nginx-light' if name == 'nginx' else 'caddy'})")
    tmp = tmp_path_factory.mktemp(name)
    root = _build(tmp)
    (root / ".hidden").write_text("state", encoding="utf-8")
    (tmp / "secret.txt").write_text("outside", encoding="utf-8")
    (root / "leak.atom").symlink_to(tmp / "secret.txt")
    prefix = tmp / "prefix"
    prefix.mkdir()
    port = _free_port()
    start = _start_nginx if name == "nginx" else _start_caddy
    proc = start(root, prefix, port)
    try:
        yield Server(name, root, port)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def vary_values(headers: http.client.HTTPMessage) -> set[str]:
    """Every name listed in the response's Vary header fields, lower-cased."""
    return {name.strip().lower() for field in headers.get_all("Vary") or []
            for name in field.split(",") if name.strip()}


def _served_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink() and not p.name.startswith("."))


# The shipped configs go with the shipped config.toml: its ttl and base_url.
SHIPPED = load_config(REPO / "config.toml")
CACHE_CONTROL = f"public, max-age={SHIPPED.feeds.ttl * 60}"


def _self_url(path: Path) -> str:
    """The rel="self" URL a built feed file names for itself."""
    if path.suffix == ".json":
        return str(json.loads(path.read_bytes())["feed_url"])
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    links = tree.xpath("//*[local-name()='link'][@rel='self']/@href")
    assert len(links) == 1, path
    return str(links[0])


def test_every_built_file_has_its_content_type(server: Server) -> None:
    files = _served_files(server.root)
    suffixes = {Path(f).suffix for f in files}
    assert suffixes == set(EXPECTED_TYPES), suffixes  # the build wrote every kind
    for rel in files:
        status, headers, body = server.get("/" + rel)
        assert status == 200, rel
        assert headers["Content-Type"] == EXPECTED_TYPES[Path(rel).suffix], rel
        assert body == (server.root / rel).read_bytes(), rel
        assert headers["Cache-Control"] == CACHE_CONTROL, rel
        assert headers["X-Content-Type-Options"] == "nosniff", rel


def test_every_feed_names_its_own_self_url_in_a_link_header(server: Server) -> None:
    feeds = [rel for rel in _served_files(server.root)
             if Path(rel).suffix in (".atom", ".rss", ".json")]
    assert any(rel.startswith("topics/") for rel in feeds)
    for rel in feeds:
        status, headers, _ = server.get("/" + rel)
        assert status == 200, rel
        self_url = _self_url(server.root / rel)
        assert self_url == SHIPPED.site.base_url + rel, rel
        assert headers["Link"] == f'<{self_url}>; rel="self"', rel
    for rel in ("index.html", "feeds.opml"):
        assert server.get("/" + rel)[1]["Link"] is None, rel


def test_etag_and_last_modified_give_304(server: Server) -> None:
    status, headers, _ = server.get("/all.atom")
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag and last_modified
    status, headers, body = server.get("/all.atom", If_None_Match=etag)
    assert (status, body) == (304, b"")
    assert headers["ETag"] == etag
    assert headers["Cache-Control"] == CACHE_CONTROL
    assert server.get("/all.atom", If_Modified_Since=last_modified)[0] == 304
    assert server.get("/all.atom", If_None_Match='"something-else"')[0] == 200


def test_gzip_when_asked_and_304_still_works(server: Server) -> None:
    plain = (server.root / "all.atom").read_bytes()
    for rel in ("all.atom", "all.rss", "all.json"):
        status, headers, body = server.get("/" + rel, Accept_Encoding="gzip")
        assert status == 200
        assert headers["Content-Encoding"] == "gzip", rel
        # nginx and Caddy send Vary twice (Accept for the page/feed choice, then
        # Accept-Encoding): one list either way (RFC 9110 5.3)
        assert vary_values(headers) == {"accept", "accept-encoding"}, rel
        assert gzip.decompress(body) == (server.root / rel).read_bytes(), rel
    status, headers, body = server.get("/all.atom", Accept_Encoding="gzip")
    assert len(body) < len(plain)
    # nginx weakens a compressed answer's ETag, Caddy 2.6 keeps it; either way
    # If-None-Match (weak comparison) must give the poller its 304
    etag = headers["ETag"]
    assert server.get("/all.atom", Accept_Encoding="gzip", If_None_Match=etag)[0] == 304
    status, headers, body = server.get("/all.atom", Accept_Encoding="gzip;q=0")
    assert headers["Content-Encoding"] is None and body == plain


def test_no_listing_no_dotfiles_no_writes(server: Server) -> None:
    assert server.get("/topics/")[0] in (403, 404)
    assert server.get("/.hidden")[0] == 404
    assert server.get("/../secret.txt")[0] in (400, 404)
    assert server.request("POST", "/all.atom") == 405
    assert server.request("HEAD", "/all.atom") == 200


def test_symlink_leading_out_is_refused(server: Server) -> None:
    if server.name == "caddy":
        pytest.skip("Caddy's file_server follows symlinks and has no switch to refuse "
                    "them (documented in docs/serving.md)")
    assert server.get("/leak.atom")[0] in (403, 404)
