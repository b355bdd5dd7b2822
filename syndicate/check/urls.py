"""URL helpers the command line needs without loading the HTTP machinery (fetch.py pulls
in urllib.request and ssl, tens of milliseconds of start-up a file-only run should not pay)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

DEFAULT_TIMEOUT = 10.0


def is_url(arg: str) -> bool:
    """Whether a command-line argument names something to fetch rather than a file."""
    return arg.lower().startswith(("http://", "https://"))


def shown(url: str) -> str:
    """``url`` without user:password, fit for any output."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(malformed URL)"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
