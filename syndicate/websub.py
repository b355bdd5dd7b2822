"""WebSub publish pings: tell each hub which feeds just changed.

The WebSub Recommendation (W3C, 2018, section 7) leaves the publisher-to-hub call to the
hub; what every public hub accepts is the PubSubHubbub form ping: a POST of
``application/x-www-form-urlencoded`` ``hub.mode=publish`` and ``hub.url=<feed URL>``.
Newer hubs read ``hub.topic`` instead, so both carry the same URL. One request per hub
per feed keeps each answer tied to one feed (multi-URL pings fail or succeed as a whole).

A ping is a courtesy: subscribers still poll. So :func:`ping_hubs` never raises; every
failure comes back as a :class:`PingResult` for the build to log as a warning.

Pings are owed durably: before a build publishes changed feeds it records a ping per
hub per feed it is about to rewrite (:func:`queue_pings`, a JSON file in the state
folder, replaced atomically); after publishing it pings the feeds that really changed
plus everything still owed from earlier runs, and keeps only the failures
(:func:`deliver_pending`). A build killed between publishing and pinging, or a hub that
was down, is made good by the next run. A ping failing for a day and at least three
times is dropped with a warning.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from syndicate import __version__
from syndicate.atomicfile import atomic_write

log = logging.getLogger("syndicate.websub")

USER_AGENT = f"syndicate/{__version__} (WebSub publisher)"
MAX_BACKOFF_SECONDS = 30.0  # no single wait longer than this, whatever Retry-After says
MAX_WORKERS = 4  # hubs are shared services: a few pings at a time, not hundreds
_BODY_SNIPPET = 200  # characters of a hub's error body worth showing in a warning


@dataclass(frozen=True, slots=True)
class PingResult:
    """The outcome of pinging one hub about one feed."""

    hub: str
    feed_url: str
    ok: bool
    status: int | None  # the last HTTP status, None when no answer came (timeout, refused)
    error: str | None  # why it failed, one line; None when ok
    attempts: int

    def __str__(self) -> str:
        """One line for a log: which hub, which feed, what happened."""
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        outcome = "accepted" if self.ok else f"failed: {self.error}"
        return f"hub {self.hub}: ping for {self.feed_url} {outcome} ({tries})"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a GET without the form, which a hub would read
    # as a broken ping; a moved hub is a config change, so report it instead.
    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: Message, newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _transient(status: int | None) -> bool:
    """Worth another try: no answer, overload, rate limit, server errors."""
    return status is None or status in (408, 425, 429) or status >= 500


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff rather than trust a clock


def _snippet(body: bytes) -> str:
    text = body[:_BODY_SNIPPET * 4].decode("utf-8", "replace")
    return " ".join(text.split())[:_BODY_SNIPPET]


def _one_attempt(hub: str, feed_url: str, timeout: float) -> tuple[int | None, str | None,
                                                                   float | None]:
    """(status, error or None when accepted, Retry-After seconds)."""
    form = urlencode([("hub.mode", "publish"), ("hub.url", feed_url),
                      ("hub.topic", feed_url)]).encode("ascii")
    request = urllib.request.Request(
        hub, data=form, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": USER_AGENT})
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            resp.read(65536)  # drain a little so the connection closes cleanly
            status = int(resp.status)
            if 200 <= status < 300:
                return status, None, None
            return status, f"hub answered HTTP {status}", None
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(4096)
        except Exception:  # noqa: BLE001 - the status is what matters; the body is a bonus
            body = b""
        detail = _snippet(body)
        if 300 <= exc.code < 400:
            where = exc.headers.get("Location") if exc.headers else None
            message = f"hub answered HTTP {exc.code} (moved{' to ' + where if where else ''}; " \
                      "update websub.hubs)"
        else:
            message = f"hub answered HTTP {exc.code}" + (f": {detail}" if detail else "")
        return exc.code, message, _retry_after(exc.headers)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return None, f"no answer within {timeout:g} s", None
        return None, f"cannot reach hub: {exc.reason}", None
    except TimeoutError:
        return None, f"no answer within {timeout:g} s", None
    except (OSError, ValueError) as exc:  # connection reset, malformed URL, bad status line
        return None, f"cannot reach hub: {exc}", None


def ping_hub(hub: str, feed_url: str, *, timeout: float, retries: int,
             backoff: float = 0.5,
             sleep: Callable[[float], None] = time.sleep) -> PingResult:
    """Ping one hub about one feed: up to ``1 + retries`` attempts, waiting ``backoff``,
    then twice that, and so on (capped) between them. Only transient failures (no answer,
    408/425/429, 5xx) are retried; a 4xx says the ping itself is wrong. Never raises."""
    attempts = 0
    status: int | None = None
    error: str | None = "not attempted"
    try:
        for attempt in range(max(0, retries) + 1):
            attempts = attempt + 1
            status, error, retry_after = _one_attempt(hub, feed_url, timeout)
            if error is None:
                log.debug("websub: %s accepted %s (HTTP %s)", hub, feed_url, status)
                return PingResult(hub, feed_url, True, status, None, attempts)
            log.debug("websub: %s, attempt %d for %s: %s", hub, attempts, feed_url, error)
            if not _transient(status) or attempt == retries:
                break
            wait = backoff * (2 ** attempt) if retry_after is None else retry_after
            sleep(min(wait, MAX_BACKOFF_SECONDS))
    except Exception as exc:  # noqa: BLE001 - a ping must never fail the build
        error = f"unexpected error: {type(exc).__name__}: {exc}"
    return PingResult(hub, feed_url, False, status, error, attempts)


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def ping_hubs(hubs: Sequence[str], feed_urls: Sequence[str], *, timeout: float,
              retries: int, backoff: float = 0.5) -> list[PingResult]:
    """One publish ping per hub per feed URL (duplicates dropped), results in
    hub-then-feed order. Never raises: failures are results with ``ok=False``."""
    pairs = [(hub, url) for hub in _unique(hubs) for url in _unique(feed_urls)]
    if not pairs:
        return []
    try:
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(pairs)),
                                thread_name_prefix="websub") as pool:
            return list(pool.map(
                lambda pair: ping_hub(pair[0], pair[1], timeout=timeout, retries=retries,
                                      backoff=backoff),
                pairs))
    except Exception as exc:  # noqa: BLE001 - e.g. no threads left; still never raise
        return [PingResult(hub, url, False, None, f"not sent: {exc}", 0) for hub, url in pairs]


# --- pings owed to hubs, kept across runs -------------------------------------------------

PENDING_FILE_NAME = "websub-pending.json"
# A ping that keeps failing is dropped (with a warning) once it is this old AND has
# been tried this many times: a hub down for a day is broken, not busy, and
# subscribers still poll. Both bounds, so a machine that was off for a day still tries.
PENDING_MAX_AGE_SECONDS = 24 * 3600
PENDING_MIN_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Pending:
    """A ping owed to ``hub`` about ``feed_url``: queued (Unix seconds) when a build
    first published the change; ``attempts`` made so far, over all runs."""

    hub: str
    feed_url: str
    queued: float
    attempts: int = 0


def load_pending(folder: Path) -> dict[tuple[str, str], Pending]:
    """The pings owed, keyed by (hub, feed URL). A missing file is none; an unreadable
    or malformed one is logged and read as none (its pings are lost, nothing else)."""
    file = folder / PENDING_FILE_NAME
    try:
        raw = json.loads(file.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("websub: cannot read pending pings in %s (%s); starting afresh", file, exc)
        return {}
    out: dict[tuple[str, str], Pending] = {}
    try:
        for item in raw["pending"]:
            p = Pending(str(item["hub"]), str(item["feed_url"]), float(item["queued"]),
                        int(item["attempts"]))
            out[(p.hub, p.feed_url)] = p
    except (TypeError, KeyError, ValueError) as exc:
        log.warning("websub: malformed pending pings in %s (%r); starting afresh", file, exc)
        return {}
    return out


def save_pending(folder: Path, pending: Iterable[Pending]) -> None:
    """Write the pings owed atomically (a crash leaves the old list or the new one);
    with none owed, the file is removed."""
    items = sorted(pending, key=lambda p: (p.hub, p.feed_url))
    file = folder / PENDING_FILE_NAME
    if not items:
        try:
            file.unlink()
        except FileNotFoundError:
            pass
        return
    data = json.dumps({"version": 1, "pending": [
        {"hub": p.hub, "feed_url": p.feed_url, "queued": p.queued, "attempts": p.attempts}
        for p in items]}, indent=1, ensure_ascii=False).encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(file, data)


def queue_pings(folder: Path, hubs: Sequence[str], feed_urls: Iterable[str],
                now: float) -> None:
    """Record, before the feeds are published, that ``hubs`` are owed a ping about each
    of ``feed_urls`` (entries already owed keep their age and attempts)."""
    pending = load_pending(folder)
    before = len(pending)
    for hub in _unique(hubs):
        for url in feed_urls:
            pending.setdefault((hub, url), Pending(hub, url, now))
    if len(pending) != before:
        save_pending(folder, pending.values())


def deliver_pending(folder: Path, hubs: Sequence[str], changed_urls: Sequence[str],
                    owed: dict[tuple[str, str], Pending], *, timeout: float, retries: int,
                    now: float, backoff: float = 0.5) -> list[PingResult]:
    """Ping every hub about the feeds that changed this run, and re-send ``owed``
    (:func:`load_pending` as read before this run queued anything); then keep only the
    failures owed (bounded by :data:`PENDING_MAX_AGE_SECONDS` and
    :data:`PENDING_MIN_ATTEMPTS`). This also clears what this run queued for feeds that
    turned out unchanged. Never raises for a hub's failure; an unwritable state folder
    is logged (the pings were still sent)."""
    configured = _unique(hubs)
    wanted: dict[tuple[str, str], Pending] = {}
    for key, entry in owed.items():
        if key[0] in configured:
            wanted[key] = entry
        else:
            log.info("websub: dropping ping owed to %s (no longer configured)", key[0])
    for hub in configured:
        for url in _unique(changed_urls):
            wanted.setdefault((hub, url), Pending(hub, url, now))
    results: list[PingResult] = []
    for hub in configured:
        urls = sorted(url for h, url in wanted if h == hub)
        if urls:
            results.extend(ping_hubs([hub], urls, timeout=timeout, retries=retries,
                                     backoff=backoff))
    still: list[Pending] = []
    for r in results:
        if r.ok:
            continue
        before = wanted[(r.hub, r.feed_url)]
        entry = Pending(r.hub, r.feed_url, before.queued, before.attempts + max(1, r.attempts))
        if (now - entry.queued >= PENDING_MAX_AGE_SECONDS
                and entry.attempts >= PENDING_MIN_ATTEMPTS):
            log.warning("websub: giving up on %s for %s after %d attempts since %s",
                        r.hub, r.feed_url, entry.attempts,
                        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(entry.queued)))
            continue
        still.append(entry)
    try:
        save_pending(folder, still)
    except OSError as exc:
        log.warning("websub: cannot record pending pings in %s: %s", folder, exc)
    return results


class PingRound:
    """One build's WebSub duty: the pings owed by earlier runs (read before anything
    is published), this run's queued durably before the first feed is rewritten
    (:meth:`before_publish`), and all of them delivered after publishing
    (:meth:`deliver`). ``now`` (the build's moment, Unix seconds) ages queued pings;
    it never reaches the output. With no hubs configured it does nothing."""

    def __init__(self, folder: Path, hubs: Sequence[str], *, timeout: float, retries: int,
                 now: float) -> None:
        self._folder = folder
        self._hubs = tuple(hubs)
        self._timeout = timeout
        self._retries = retries
        self._now = now
        self._owed = load_pending(folder) if hubs else {}

    def before_publish(self, feed_urls: list[str]) -> None:
        if self._hubs:
            queue_pings(self._folder, self._hubs, feed_urls, self._now)

    def deliver(self, changed_urls: Sequence[str]) -> list[str]:
        """Ping; the failures, one line each (also logged as warnings)."""
        if not self._hubs or not (changed_urls or self._owed):
            return []
        results = deliver_pending(self._folder, self._hubs, sorted(changed_urls), self._owed,
                                  timeout=self._timeout, retries=self._retries,
                                  now=self._now)
        failures = [str(r) for r in results if not r.ok]
        for f in failures:
            log.warning("websub: %s", f)
        return failures
