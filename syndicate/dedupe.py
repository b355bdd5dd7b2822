"""Which copies of a story are one story: the dedupe key, and which copy wins.

Among published articles, those with the same :func:`dedupe_key` are one story: the
one with the highest quality wins, then the newest, then the smallest path; every
other copy is filtered as ``duplicate of <winner path>`` (see :mod:`syndicate.select`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import unquote_plus, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


class Candidate(NamedTuple):
    """One published article as pass 1 of selection sees it."""

    key: str  # dedupe_key(link)
    quality: float
    published_us: int  # µs since the epoch: exact, unlike a float timestamp
    path: str


def dedupe_key(url: str) -> str:
    """The identity of the story behind ``url``.

    Equal keys for URLs that differ only in scheme case, host case, an explicit default
    port, an empty versus ``/`` path, the case of percent-escapes, a percent-escaped
    unreserved character versus the character itself (``%7E`` / ``~``, RFC 3986
    6.2.2.2), an internationalised host versus its IDNA (punycode) form
    (``bücher.example`` / ``xn--bcher-kva.example``), a ``#fragment`` or ``utm_*``
    query parameters (other parameters are kept, in their original order).

    Deliberately *not* merged, because a site may serve different pages there and
    dropping a real story as a "duplicate" is worse than listing one twice: ``http``
    versus ``https``, ``www.`` versus the bare host, a trailing slash on a non-empty path
    (``/a`` versus ``/a/``), and the case of the path and query.

    Never raises: a URL that cannot be split is returned as it is.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = _ascii_host((parts.hostname or "").rstrip("."))
    if ":" in host:  # IPv6 literal: urlsplit drops the brackets
        host = f"[{host}]"
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = _upper_escapes(parts.path) or ("/" if netloc else "")
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not unquote_plus(pair.partition("=")[0]).strip().lower().startswith("utm_")
    ]
    query = _upper_escapes("&".join(kept))
    return urlunsplit((scheme, netloc, path, query, ""))


def _ascii_host(host: str) -> str:
    """The IDNA (punycode) form of a host, lower-case: the form DNS resolves, so
    ``bücher.example`` and ``xn--bcher-kva.example`` are one host. A name IDNA cannot
    encode (an empty or over-long label) is kept as it is: it cannot be resolved
    either way, and a key must never raise."""
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host


def _normalise_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(0)[1:], 16))
    # RFC 3986 6.2.2.2: an escaped unreserved character is the character itself;
    # 6.2.2.1: any other escape only has its hex digits upper-cased (kept escaped: "%2F"
    # and "/" are different paths).
    return char if char in _UNRESERVED else match.group(0).upper()


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _upper_escapes(text: str) -> str:
    return _PERCENT_ESCAPE.sub(_normalise_escape, text)


def dedupe_losers(candidates: Iterable[Candidate]) -> dict[str, str]:
    """``path -> winning path`` for every published copy that loses to another copy of
    the same story. A story told once is not remembered beyond this pass.

    The winner has the highest quality, then is the newest, then has the smallest path.
    ``candidates`` may be every published article or only those whose dedupe key
    occurs more than once (what the index hands over): the answer is the same.
    """
    best: dict[str, tuple[float, int, str]] = {}
    repeated: dict[str, list[tuple[float, int, str]]] = {}
    for key, quality, micros, path in candidates:
        # Negated so that the smallest rank wins.
        rank = (-quality, -micros, path)
        held = best.get(key)
        if held is None:
            best[key] = rank
            continue
        group = repeated.get(key)
        if group is None:
            group = repeated[key] = [held]
        group.append(rank)
    losers: dict[str, str] = {}
    for group in repeated.values():
        group.sort()
        winner = group[0][2]
        for rank in group[1:]:
            losers[rank[2]] = winner
    return losers
