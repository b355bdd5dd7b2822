"""WebSub publish pings against a loopback hub stub: the form, retries, and never raising."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from loopback import serving

from syndicate.config import Config
from syndicate.websub import (
    MAX_BACKOFF_SECONDS,
    PENDING_FILE_NAME,
    PENDING_MAX_AGE_SECONDS,
    PENDING_MIN_ATTEMPTS,
    Pending,
    PingResult,
    deliver_pending,
    load_pending,
    ping_hub,
    ping_hubs,
    queue_pings,
    save_pending,
)

FEED = "https://feeds.example.org/all.atom"


@dataclass
class Ping:
    path: str
    content_type: str | None
    form: dict[str, list[str]]
    user_agent: str | None


# A reply is (status, headers, body); a callable reply may sleep first (a slow hub).
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Hub:
    """A loopback hub: records every POST and answers from a script of replies."""

    url: str
    pings: list[Ping]
    replies: list[Reply | Callable[[], Reply]] = field(default_factory=list)

    def feeds(self) -> list[str]:
        return [p.form["hub.url"][0] for p in self.pings]


@contextmanager
def _running_hub() -> Iterator[Hub]:
    lock = threading.Lock()
    hub = Hub(url="", pings=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("ascii")
            with lock:
                hub.pings.append(Ping(self.path, self.headers.get("Content-Type"),
                                      parse_qs(body, strict_parsing=True),
                                      self.headers.get("User-Agent")))
                reply = hub.replies.pop(0) if hub.replies else (204, {}, b"")
            status, headers, payload = reply() if callable(reply) else reply
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        hub.url = base + "/hub"
        yield hub


@pytest.fixture()
def hub() -> Iterator[Hub]:
    with _running_hub() as stub:
        yield stub


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_publish_ping_is_a_form_post_naming_the_feed(hub: Hub) -> None:
    results = ping_hubs([hub.url], [FEED], timeout=5, retries=0)
    assert results == [PingResult(hub.url, FEED, True, 204, None, 1)]
    [ping] = hub.pings
    assert ping.path == "/hub"
    assert ping.content_type == "application/x-www-form-urlencoded"
    assert ping.form == {"hub.mode": ["publish"], "hub.url": [FEED], "hub.topic": [FEED]}
    assert ping.user_agent is not None and ping.user_agent.startswith("syndicate/")


def test_one_ping_per_hub_per_feed_in_order_without_duplicates(hub: Hub) -> None:
    with _running_hub() as other:
        feeds = [FEED, "https://feeds.example.org/topics/caf%C3%A9.rss?a=1&b=2", FEED]
        results = ping_hubs([hub.url, other.url, hub.url], feeds, timeout=5, retries=0)
    assert [(r.hub, r.feed_url) for r in results] == [
        (hub.url, feeds[0]), (hub.url, feeds[1]), (other.url, feeds[0]), (other.url, feeds[1])]
    assert all(r.ok for r in results)
    # the query string survives form encoding intact
    assert sorted(hub.feeds()) == sorted(feeds[:2])
    assert sorted(other.feeds()) == sorted(feeds[:2])


def test_any_2xx_is_success(hub: Hub) -> None:
    hub.replies = [(202, {}, b"accepted"), (200, {}, b"")]
    results = ping_hubs([hub.url], [FEED, FEED + "?2"], timeout=5, retries=0)
    assert [r.ok for r in results] == [True, True]
    assert sorted(r.status or 0 for r in results) == [200, 202]


def test_server_error_is_retried_then_succeeds(hub: Hub) -> None:
    hub.replies = [(503, {}, b"busy"), (500, {}, b"oops")]
    [result] = ping_hubs([hub.url], [FEED], timeout=5, retries=2, backoff=0.01)
    assert result.ok and result.status == 204 and result.attempts == 3
    assert len(hub.pings) == 3


def test_persistent_server_error_gives_up_after_the_retries(hub: Hub) -> None:
    hub.replies = [(500, {}, b"broken hub")] * 5
    [result] = ping_hubs([hub.url], [FEED], timeout=5, retries=2, backoff=0.01)
    assert not result.ok
    assert result.status == 500 and result.attempts == 3 and len(hub.pings) == 3
    assert result.error is not None and "HTTP 500" in result.error and "broken hub" in result.error


def test_client_error_is_not_retried_and_names_the_hubs_reason(hub: Hub) -> None:
    hub.replies = [(400, {}, b"Topic URL\nnot allowed   here")]
    [result] = ping_hubs([hub.url], [FEED], timeout=5, retries=3, backoff=0.01)
    assert (result.ok, result.status, result.attempts) == (False, 400, 1)
    assert result.error == "hub answered HTTP 400: Topic URL not allowed here"
    assert str(result) == (f"hub {hub.url}: ping for {FEED} failed: hub answered HTTP 400: "
                           "Topic URL not allowed here (1 attempt)")


def test_rate_limit_honours_a_short_retry_after(hub: Hub) -> None:
    hub.replies = [(429, {"Retry-After": "0"}, b"")]
    [result] = ping_hubs([hub.url], [FEED], timeout=5, retries=1, backoff=10)
    assert result.ok and result.attempts == 2


def test_redirect_is_reported_not_followed(hub: Hub) -> None:
    hub.replies = [(307, {"Location": "http://127.0.0.1:1/elsewhere"}, b"")]
    [result] = ping_hubs([hub.url], [FEED], timeout=5, retries=2, backoff=0.01)
    assert not result.ok and result.status == 307 and result.attempts == 1
    assert result.error is not None and "http://127.0.0.1:1/elsewhere" in result.error
    assert len(hub.pings) == 1


def test_slow_hub_times_out_and_is_retried(hub: Hub) -> None:
    answer = threading.Event()  # the hub answers only after the test is over

    def slow() -> Reply:
        answer.wait(60)
        return (204, {}, b"")

    hub.replies = [slow, slow]
    try:
        [result] = ping_hubs([hub.url], [FEED], timeout=0.2, retries=1, backoff=0.01)
    finally:
        answer.set()
    assert not result.ok
    assert result.status is None and result.attempts == 2
    assert result.error is not None and "0.2" in result.error


def test_unreachable_hub_is_a_result_not_an_exception() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/"
    [result] = ping_hubs([url], [FEED], timeout=2, retries=1, backoff=0.01)
    assert not result.ok and result.status is None and result.attempts == 2
    assert result.error is not None and result.error.startswith("cannot reach hub")


@pytest.mark.parametrize("bad_hub", ["not a url", "ftp://example.org/", "http://", ""])
def test_malformed_hub_never_raises(bad_hub: str) -> None:
    [result] = ping_hubs([bad_hub], [FEED], timeout=1, retries=1, backoff=0.01)
    assert not result.ok and result.error


def test_nothing_to_ping_sends_nothing(hub: Hub) -> None:
    assert ping_hubs([hub.url], [], timeout=1, retries=0) == []
    assert ping_hubs([], [FEED], timeout=1, retries=0) == []
    assert hub.pings == []


def test_backoff_doubles_and_is_capped(hub: Hub) -> None:
    hub.replies = [(502, {}, b"")] * 10
    waits: list[float] = []
    result = ping_hub(hub.url, FEED, timeout=5, retries=7, backoff=1.0, sleep=waits.append)
    assert result.attempts == 8
    assert waits == [1, 2, 4, 8, 16, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]


def test_huge_retry_after_is_capped(hub: Hub) -> None:
    hub.replies = [(503, {"Retry-After": "86400"}, b"")]
    waits: list[float] = []
    assert ping_hub(hub.url, FEED, timeout=5, retries=1, sleep=waits.append).ok
    assert waits == [MAX_BACKOFF_SECONDS]


# --- pings owed across runs ---------------------------------------------------------------

def _site_with_hub(tmp_path: Path, hub_url: str) -> Config:
    from test_build import small_site

    config = small_site(tmp_path)
    return dataclasses.replace(config, websub=dataclasses.replace(
        config.websub, hubs=(hub_url,), retries=0, timeout_seconds=5))


def _owed(config: Config) -> set[tuple[str, str]]:
    return set(load_pending(config.state_folder))


def test_pings_a_down_hub_missed_are_sent_by_the_next_run(tmp_path: Path, hub: Hub) -> None:
    from test_build import build

    config = _site_with_hub(tmp_path, hub.url)
    hub.replies = [(503, {}, b"down")] * 100
    first = build(config)
    changed = sorted(hub.feeds())
    assert changed and len(first.ping_failures) == len(changed)
    assert _owed(config) == {(hub.url, url) for url in changed}
    hub.replies, hub.pings[:] = [], []
    second = build(config)  # nothing changed: only what is owed is sent
    assert second.skipped_render and second.ping_failures == ()
    assert sorted(hub.feeds()) == changed
    assert _owed(config) == set()
    assert not (config.state_folder / PENDING_FILE_NAME).exists()
    hub.pings[:] = []
    build(config)
    assert hub.pings == []  # owed nothing, changed nothing: silence


@pytest.mark.parametrize("kill_at", ["before commit", "before pinging"])
def test_a_build_killed_after_publishing_is_pinged_for_by_the_next_run(
        tmp_path: Path, hub: Hub, monkeypatch: pytest.MonkeyPatch, kill_at: str) -> None:
    from test_build import article, build

    import syndicate.index
    import syndicate.websub

    config = _site_with_hub(tmp_path, hub.url)
    build(config)
    hub.pings[:] = []
    article(config.source.folder, "2024-03-09-new.md", title="New", topics=("Power Apps",),
            when="2024-03-09T10:00:00Z")

    class Killed(BaseException):
        pass

    def die(*args: Any, **kwargs: Any) -> Any:
        raise Killed()

    if kill_at == "before commit":
        monkeypatch.setattr(syndicate.index.Index, "commit", die)
    else:
        monkeypatch.setattr(syndicate.websub.PingRound, "deliver", die)
    with pytest.raises(Killed):
        build(config)
    monkeypatch.undo()
    new_feeds = {"https://feeds.example.org/all.atom",
                 "https://feeds.example.org/topics/power-apps.rss"}
    assert new_feeds <= {url for _, url in _owed(config)}  # queued before publishing
    assert hub.pings == []
    build(config)
    assert new_feeds <= set(hub.feeds())
    assert _owed(config) == set()


def test_owed_pings_are_bounded_by_age_and_attempts(tmp_path: Path, hub: Hub,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    now = 1_700_000_000.0
    day = PENDING_MAX_AGE_SECONDS
    save_pending(tmp_path, [
        Pending(hub.url, "https://f.example/old-tried.atom", now - day, PENDING_MIN_ATTEMPTS - 1),
        Pending(hub.url, "https://f.example/old-new.atom", now - day, 0),
        Pending(hub.url, "https://f.example/young.atom", now - 60, 7),
        Pending("http://127.0.0.1:9/gone-hub", "https://f.example/x.atom", now, 0),
    ])
    hub.replies = [(503, {}, b"")] * 10
    results = deliver_pending(tmp_path, [hub.url], [], load_pending(tmp_path), timeout=5,
                              retries=0, now=now)
    assert len(results) == 3 and not any(r.ok for r in results)  # the gone hub: not pinged
    left = load_pending(tmp_path)
    assert set(left) == {(hub.url, "https://f.example/old-new.atom"),
                         (hub.url, "https://f.example/young.atom")}
    assert left[(hub.url, "https://f.example/young.atom")].attempts == 8
    assert left[(hub.url, "https://f.example/old-new.atom")].queued == now - day
    assert any("giving up" in r.getMessage() and "old-tried" in r.getMessage()
               for r in caplog.records)


def test_pending_file_is_replaced_atomically_and_a_damaged_one_is_survivable(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    entries = [Pending("https://hub.example/", f"https://f.example/{i}.atom", 1.5, i)
               for i in range(3)]
    save_pending(tmp_path, entries)
    assert sorted(load_pending(tmp_path).values(), key=lambda p: p.feed_url) == entries
    assert [p.name for p in tmp_path.iterdir()] == [PENDING_FILE_NAME]  # no temp left
    queue_pings(tmp_path, ["https://hub.example/"], ["https://f.example/0.atom",
                                                    "https://f.example/new.atom"], 9.0)
    owed = load_pending(tmp_path)
    assert owed[("https://hub.example/", "https://f.example/0.atom")] == entries[0]
    assert owed[("https://hub.example/", "https://f.example/new.atom")].queued == 9.0
    (tmp_path / PENDING_FILE_NAME).write_bytes(b'{"pending": [{"hub": 1}')
    assert load_pending(tmp_path) == {}
    assert any("pending pings" in r.getMessage() for r in caplog.records)
    save_pending(tmp_path, [])
    assert not (tmp_path / PENDING_FILE_NAME).exists()
