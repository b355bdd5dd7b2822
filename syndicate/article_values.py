"""Checks of single values in an article record — URLs, dates, numbers, host names —
and the wording of the messages about them. Pure; each check returns the clean value
or raises :class:`Invalid` naming the field."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

MAX_URL = 4_096
MAX_DATE = 64  # an ISO 8601 string is ~35 characters at most
# Plausible article dates (UTC), fixed so output never depends on the build's clock.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

_URL_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_HOST_CHARS = re.compile(r"[\w.-]+")  # Unicode \w: IDN hosts are fine
_ASCII_DOMAIN = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!-)[a-z0-9-]{1,63}(?<!-)")
# An http(s) URL every check in http_url passes as it is (lower-case scheme, plain
# ASCII host without user or port, no space, control character or backslash): most
# links are like this, and urlsplit costs more than the rest of the record.
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][^\s\x00-\x1f\x7f-\x9f\\]*)?")


class Invalid(Exception):
    """A field problem: ``key`` is the top-level key (for the line), ``message`` the text."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message



def http_url(value: object, field: str, key: str) -> str:
    """An absolute http(s) URL with a host; surrounding spaces are trimmed, inner
    whitespace, control characters and backslashes are refused (browsers and
    ``urlsplit`` disagree about what they mean)."""
    if not isinstance(value, str):
        raise Invalid(key, f"{field}: must be a URL string, got {kind_of(value)}")
    if len(value) <= MAX_URL and _PLAIN_HTTP_URL.fullmatch(value):
        return value
    if len(value) > MAX_URL + 64:
        raise Invalid(key, f"{field}: too long ({len(value)} characters, at most {MAX_URL})")
    url = value.strip()
    if not url:
        raise Invalid(key, f"{field}: empty")
    if len(url) > MAX_URL:
        raise Invalid(key, f"{field}: too long ({len(url)} characters, at most {MAX_URL})")
    if _URL_SPACE_OR_CONTROL.search(url):
        raise Invalid(key, f"{field}: contains whitespace or control characters: {show(url)}")
    if "\\" in url:
        raise Invalid(key, f"{field}: malformed URL (backslash): {show(url)}")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise Invalid(key, f"{field}: malformed URL ({exc}): {show(url)}") from None
    if not parts.scheme:
        raise Invalid(key, f"{field}: must be an absolute http(s) URL, got a relative URL "
                            f"{show(url)}")
    if parts.scheme not in ("http", "https"):
        raise Invalid(key, f"{field}: must be an absolute http(s) URL, got a {parts.scheme}: "
                            f"URL")
    if not host:
        raise Invalid(key, f"{field}: URL has no host: {show(url)}")
    if ":" not in host and not _HOST_CHARS.fullmatch(host):
        raise Invalid(key, f"{field}: malformed host name in URL: {show(url)}")
    return url


def parse_datetime(value: object, field: str) -> datetime:
    """UTC from a datetime, a date (midnight) or an ISO 8601 string; naive means UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DATE:
            raise Invalid(field, f"{field}: not an ISO 8601 date-time ({len(text)} characters)")
        try:
            # RFC 3339 (section 5.6) allows a lower-case t and z; fromisoformat does not.
            moment = datetime.fromisoformat(text.upper())
        except ValueError as exc:
            why = "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
            raise Invalid(field, f"{field}: not a valid ISO 8601 date-time: "
                                  f"{show(text)}{why}") from None
    else:
        raise Invalid(field, f"{field}: must be an ISO 8601 date-time, got {kind_of(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    else:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise Invalid(field, f"{field}: out of range in UTC: {show(str(value))}") from None
    if not EARLIEST <= moment < LATEST:
        # Year 1 or 9999 is a data error, not news; feed validators (the W3C one, and
        # `syndicate check`) flag dates before 1990 as implausible, and readers sort
        # such an entry to the top or bottom of the feed forever.
        raise Invalid(field, f"{field}: implausible date {show(str(value))}: must be from "
                              f"{EARLIEST.year} to {LATEST.year - 1}")
    return moment


def number(value: object, field: str) -> float:
    # bool is an int subclass: `quality: true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = f" {show(value)}" if isinstance(value, str) else ""
        raise Invalid(field, f"{field}: must be a number, got {kind_of(value)}{shown}")
    try:
        number = float(value)
    except OverflowError:
        raise Invalid(field, f"{field}: number out of range") from None
    if not math.isfinite(number):
        raise Invalid(field, f"{field}: must be a finite number, got {number}")
    return number


def host_name(value: object) -> str:
    """A lower-case plain host name: ASCII labels (IDNs checked in their punycode
    form), one optional trailing dot dropped, not an IP address."""
    field = "provider.domain"
    if value is None:
        raise Invalid("provider", f"{field}: missing")
    if not isinstance(value, str):
        raise Invalid("provider", f"{field}: must be a host name, got {kind_of(value)}")
    domain = value.strip().lower()
    domain = domain.removesuffix(".")
    ascii_form = domain
    if not domain.isascii():
        try:
            ascii_form = domain.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_form = ""
    if (len(ascii_form) > 253 or not _ASCII_DOMAIN.fullmatch(ascii_form)
            or ascii_form.rpartition(".")[2].isdigit()):
        raise Invalid("provider", f"{field}: must be a plain host name such as 'example.com', "
                                   f"got {show(value)}")
    if "xn--" in ascii_form or not domain.isascii():
        # One host, one provider: 'Bücher.example', 'bu\u0308cher.example' and
        # 'xn--bcher-kva.example' are the same domain, kept in its readable form.
        try:
            return ascii_form.encode("ascii").decode("idna")
        except UnicodeError:
            return ascii_form
    return domain


# --- messages

_KINDS: dict[type, str] = {
    type(None): "nothing (null)", bool: "a boolean", int: "an integer", float: "a number",
    str: "a string", list: "a list", dict: "a mapping", datetime: "a date-time",
    date: "a date", bytes: "binary data", set: "a set", tuple: "a pair",
}


def kind_of(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def show(value: object) -> str:
    """A short, safe rendering of untrusted text for a message (never of a structure,
    which could be huge or cyclic)."""
    if not isinstance(value, str):
        return kind_of(value)
    text = value if len(value) <= 80 else value[:77] + "..."
    return repr(text)
