"""Syntax checks for the values feeds carry: dates, IRIs/URLs, media types, e-mail, languages.

Pure functions over strings; each returns None when the value is fine, or a short reason.
"""

from __future__ import annotations

import calendar
import datetime
import re
from contextvars import ContextVar
from enum import Enum

# --- RFC 3339 ---------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))\Z",
    re.ASCII)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _bad_ymd(year: int, month: int, day: int) -> str | None:
    if not 1 <= month <= 12:
        return f"month {month:02d} does not exist"
    last = _MONTH_DAYS[month - 1]
    if month == 2 and calendar.isleap(year):
        last = 29
    if not 1 <= day <= last:
        return f"day {day:02d} does not exist in {year:04d}-{month:02d}"
    return None


def rfc3339_problem(value: str, *, strict_case: bool = True) -> str | None:
    """Why ``value`` is not an RFC 3339 date-time, or None.

    ``strict_case`` enforces RFC 4287 section 3.3 (uppercase "T" and "Z"); surrounding
    whitespace is never allowed.
    """
    m = _RFC3339.match(value)
    if m is None:
        return "not in the form YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM)"
    if strict_case and ("t" in value or value.endswith("z")):
        return "the T and Z must be uppercase"
    year, month, day, hour, minute, second = map(int, m.groups()[:6])
    reason = _bad_ymd(year, month, day)
    if reason:
        return reason
    if hour > 23 or minute > 59 or second > 60:
        return "time of day out of range"
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return "time zone offset out of range"
    return None


# --- RFC 822 (as amended by RFC 1123 / 2822) --------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RFC822 = re.compile(
    r"\s*(?:(" + "|".join(_DAYS) + r")\s*,\s*)?(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+"
    r"(\d{4}|\d{2})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+"
    r"(UT|GMT|[ECMP][SD]T|[A-IK-Z]|[+-]\d{4})\s*\Z", re.ASCII | re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")


def _uncommented(value: str) -> str:
    """``value`` with its RFC 822 comments replaced by spaces."""
    if "(" not in value:
        return value  # no comment (the common case): no regex pass
    bare = value
    while True:  # comments nest, so strip innermost first
        stripped = _COMMENT.sub(" ", bare)
        if stripped == bare:
            return bare
        bare = stripped


class DateVerdict(Enum):
    OK = "ok"
    INVALID = "invalid"
    WRONG_WEEKDAY = "wrong-weekday"
    PROBLEMATIC = "problematic"


def rfc822_check(value: str) -> tuple[DateVerdict, str]:
    """Judge an RFC 822 date-time; returns the verdict and a reason for anything but OK.

    RFC 822 allows comments and ignores case; like the W3C validator, such dates are
    accepted as PROBLEMATIC (a warning), as are two-digit years and military zones.
    """
    bare = _uncommented(value)
    m = _RFC822.match(bare)
    if m is None:
        return DateVerdict.INVALID, "not in the form 'Wed, 02 Oct 2002 13:00:00 GMT'"
    dow, day_s, mon, year_s, hh, mm, ss, zone = m.groups()
    year = int(year_s)
    if len(year_s) == 2:
        year += 2000 if year < 50 else 1900
    month = _MONTHS.index(mon.capitalize()) + 1
    day = int(day_s)
    reason = _bad_ymd(year, month, day)
    if reason:
        return DateVerdict.INVALID, reason
    if dow is not None:
        actual = _DAYS[datetime.date(year, month, day).weekday()]
        if actual != dow.capitalize():
            return DateVerdict.WRONG_WEEKDAY, (f"{year:04d}-{month:02d}-{day:02d} is a "
                                               f"{actual}, not a {dow}")
    # Out-of-range times and offsets: the W3C validator checks the calendar date only,
    # so these are problematical (a warning) rather than invalid.
    if int(hh) > 23 or int(mm) > 59 or (ss is not None and int(ss) > 60):
        return DateVerdict.PROBLEMATIC, "time of day out of range"
    if zone[0] in "+-" and (int(zone[1:3]) > 23 or int(zone[3:]) > 59):
        return DateVerdict.PROBLEMATIC, "time zone offset out of range"
    if len(year_s) == 2:
        return DateVerdict.PROBLEMATIC, "two-digit year; use four digits"
    if len(zone) == 1:
        return DateVerdict.PROBLEMATIC, f"military time zone {zone!r} is ambiguous"
    if bare != value:
        return DateVerdict.PROBLEMATIC, "comments in a date confuse many readers"
    if (dow is not None and dow not in _DAYS) or mon not in _MONTHS or zone != zone.upper():
        return DateVerdict.PROBLEMATIC, ("day, month and zone names should be capitalised "
                                         "as in 'Wed, 02 Oct 2002 13:00:00 GMT'")
    return DateVerdict.OK, ""


# --- plausibility (the W3C validator's ImplausibleDate) -------------------------------

# Feeds predate 1990 no more than they postdate the moment they are read; the W3C
# validator warns about either, with ten minutes' slack for clock skew.
PLAUSIBLE_FROM = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)
FUTURE_SLACK = datetime.timedelta(minutes=10)


# The checking clock of the document being checked: set once per document by
# core.check_bytes (from the one reading per run in run.run_check), so the date rules
# deep in the format checkers neither read the clock per date nor disagree with the
# future-date lints about what "now" is.
CHECKING_NOW: ContextVar[datetime.datetime] = ContextVar("checking_now")


def implausible(moment: datetime.datetime, now: datetime.datetime | None = None) -> str | None:
    """Why a valid date is implausible for a feed (before 1990, in the future), or None.
    ``now`` defaults to :data:`CHECKING_NOW`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    if moment < PLAUSIBLE_FROM:
        return "it is before 1990"
    if moment > (now or CHECKING_NOW.get()) + FUTURE_SLACK:
        return "it is in the future"
    return None


def rfc3339_moment(value: str) -> datetime.datetime | None:
    """The instant of a valid RFC 3339 date-time (None for a leap second)."""
    try:
        return datetime.datetime.fromisoformat(value.upper())
    except ValueError:
        return None


_ZONES = {"UT": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
          "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}


def rfc822_moment(value: str) -> datetime.datetime | None:
    """The instant of a valid RFC 822 date-time, or None (military zones other than Z
    count as UTC, as in the standard library's parser; a leap second has no instant)."""
    bare = _uncommented(value)
    m = _RFC822.match(bare)
    if m is None:
        return None
    _dow, day_s, mon, year_s, hh, mm, ss, zone = m.groups()
    year = int(year_s)
    if len(year_s) == 2:
        year += 2000 if year < 50 else 1900
    zone = zone.upper()
    if zone[0] in "+-":
        offset = int(zone[1:3]) * 60 + int(zone[3:])
        offset = -offset if zone[0] == "-" else offset
    else:
        offset = _ZONES.get(zone, 0) * 60
    try:
        return datetime.datetime(
            year, _MONTHS.index(mon.capitalize()) + 1, int(day_s), int(hh), int(mm),
            int(ss or 0), tzinfo=datetime.timezone(datetime.timedelta(minutes=offset)))
    except ValueError:
        return None


# --- IRIs and URLs ----------------------------------------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# Characters never allowed in an IRI (RFC 3987): controls, space and the "unwise" set.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f<>\"{}|\\^`]|%(?![0-9A-Fa-f]{2})")
_FORBIDDEN_CHAR = re.compile(r"[\x00-\x20\x7f-\x9f<>\"{}|\\^`]")
_HIER_HOST = re.compile(r"//([^/?#]*)")
_HOST = re.compile(r"(?:[^@]*@)?(\[[0-9A-Fa-f:.]+\]|[^\[\]:@]*)(?::(\d*))?\Z", re.ASCII)


# The shape of most values met: an http(s) URL in plain ASCII with no percent sign. A match needs none of the checks below (it passes them all), so it is answered
# first; anything else takes the full path.
_PLAIN_URL = re.compile(
    r"(?:https?://[A-Za-z0-9.\-]+(?::[0-9]+)?(?:/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)?"
    r"(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*)?(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*)?)\Z")
# tag: (RFC 4151) and urn: (RFC 2141, urn:uuid: RFC 4122) values have a syntax of their
# own, which the W3C validator checks wherever it checks a URI (InvalidTAG, InvalidURN,
# InvalidUUID); these are its patterns.
_TAG = re.compile(r"tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:"
                  r"[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*(#[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*)?\Z")
_URN = re.compile(r"[Uu][Rr][Nn]:[a-zA-Z0-9][a-zA-Z0-9-]{1,31}:"
                  r"([a-zA-Z0-9()+,.:=@;$_!*'\-]|%[0-9A-Fa-f]{2})+\Z")
_UUID = re.compile(r"[Uu][Rr][Nn]:[Uu][Uu][Ii][Dd]:[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-"
                   r"[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}\Z")


def iri_problem(value: str, *, absolute: bool = False, ascii_only: bool = False,
                lenient: bool = False) -> str | None:
    """Why ``value`` is not an IRI reference (or absolute IRI / ASCII URI), or None.

    ``lenient`` judges as the W3C Feed Validator does (its URI pattern admits '%' not
    followed by two hex digits, a second '#' and any port text): used where agreeing with
    it matters more than RFC 3986's finer grammar (Atom, xml:base)."""
    if _PLAIN_URL.match(value) is not None:
        return None
    if value == "":
        return "empty"
    m = _FORBIDDEN.search(value)
    if m is not None and not (lenient and m.group(0) == "%"):
        ch = m.group(0)
        return "bad percent-escape" if ch == "%" else f"character {ch!r} not allowed"
    if lenient and m is not None and (m := _FORBIDDEN_CHAR.search(value)) is not None:
        return f"character {m.group(0)!r} not allowed"
    if ascii_only and not value.isascii():
        return "non-ASCII characters (an IRI) where a URI is expected"
    if value.count("#") > 1 and not lenient:
        return "more than one '#'"
    scheme = _SCHEME.match(value)
    if scheme is None:
        if absolute:
            return "not absolute (no scheme)"
        rest = value
        if ":" in value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
            return "a colon in the first path segment of a relative reference"
    else:
        rest = value[scheme.end():]
        name = scheme.group(0)[:-1].lower()
        if name in ("http", "https") and not rest.startswith("//"):
            return f"{name} URL without '//host'"
        if name == "tag" and _TAG.match(value) is None:
            return "not a tag URI (RFC 4151: tag:authority,YYYY[-MM[-DD]]:specific)"
        if name == "urn":
            if value[4:9].lower() == "uuid:":
                if _UUID.match(value) is None:
                    return "not a UUID URN (RFC 4122: urn:uuid:8-4-4-4-12 hex digits)"
            elif _URN.match(value) is None:
                return "not a URN (RFC 2141: urn:NID:NSS)"
    host = _HIER_HOST.match(rest)
    if host is not None:
        hm = _HOST.match(host.group(1))
        if hm is None:
            if lenient:
                return None
            return "malformed authority (host/port)"
        if scheme is not None and scheme.group(0)[:-1].lower() in ("http", "https") \
                and hm.group(1) == "":
            return "empty host"
    elif "[" in rest or "]" in rest:
        return "'[' or ']' outside an IPv6 host"
    return None


_URI_PARTS = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(//([^/?#]*))?(.*)\Z", re.DOTALL)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _percent(m: re.Match[str]) -> str:
    ch = chr(int(m.group(0)[1:], 16))
    return ch if ch in _UNRESERVED else m.group(0).upper()


def canonical_uri(value: str) -> str:
    """The URI in canonical form (RFC 3986 section 6.2.2 and 6.2.3): lowercase scheme and
    host, no default port, an explicit root path, uppercase percent-escapes, and
    unreserved characters not escaped. Values that are not absolute come back unchanged."""
    m = _URI_PARTS.match(value)
    if m is None:
        return value
    scheme, authority, rest = m.group(1).lower(), m.group(3), m.group(4)
    out = scheme + ":"
    if authority is not None:
        userinfo, at, hostport = authority.rpartition("@")
        host, colon, port = hostport.rpartition(":") if "]" not in hostport.rpartition(
            ":")[2] else (hostport, "", "")
        if not colon:
            host, port = hostport, ""
        if (scheme, port) in (("http", "80"), ("https", "443")) or (colon and not port):
            colon, port = "", ""
        out += "//" + userinfo + at + host.lower() + colon + port
        if (rest == "" or rest[0] in "?#") and scheme in ("http", "https"):
            rest = "/" + rest
    return _PERCENT.sub(_percent, out + rest)


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a full (absolute, ASCII) URL as RSS and OPML expect, or None.
    Judged as the W3C validator's full-URI pattern does: brackets (an IPv6 literal) are
    not among its characters, a stray '%' is."""
    v = value.strip()
    if "[" in v or "]" in v:
        return "character '[' or ']' not allowed"
    return iri_problem(v.replace("%", "%25") if "%" in v else v, absolute=True,
                       ascii_only=True)


def is_http_url(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered.startswith(("http://", "https://")) and url_problem(value) is None


# --- the rest -------------------------------------------------------------------------

_TOKEN = r"[A-Za-z0-9!#$&^_.+\-]+"
_MIME = re.compile(
    _TOKEN + "/" + _TOKEN + r"(?:\s*;\s*" + _TOKEN + r"=(?:\"[^\"]*\"|" + _TOKEN + r"))*\Z")
_LANG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*"
    r"\Z")
_NON_NEG = re.compile(r"\d+\Z", re.ASCII)


def is_mime_type(value: str) -> bool:
    return _MIME.match(value) is not None


def is_language_tag(value: str) -> bool:
    return _LANG.match(value) is not None


def is_email(value: str) -> bool:
    return _EMAIL.match(value) is not None


def non_negative_int(value: str) -> int | None:
    """The integer in ``value`` (digits only, surrounding whitespace tolerated) or None."""
    v = value.strip()
    return whole(v) if _NON_NEG.match(v) else None


# Above every bound a rule compares with: what a digit string too long for int() stands for.
_HUGE = 10 ** 4300


def whole(digits: str) -> int:
    """``int(digits)`` for a string already matched as an integer. Python refuses to
    convert one of more than 4,300 digits (ValueError, its guard against quadratic
    parsing): such a number is beyond any bound a rule compares with, so it is taken as
    a number that large, of its sign."""
    try:
        return int(digits)
    except ValueError:
        return -_HUGE if digits.strip().startswith("-") else _HUGE


# --- ISO 639 (RSS language, dc:language) ---------------------------------------------

# ISO 639-1 two-letter codes (with x/xx for private use), as the W3C validator lists
# them; three-letter (ISO 639-2) primary subtags are accepted as a family.
_ISO639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv
kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne ng nl nn no
nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn
so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa
wo xh yi yo za zh zu x xx
""".split())  # noqa: SIM905  (a word list reads better)
_ISO639_2 = re.compile(r"[a-z]{3}\Z")


def is_iso639(value: str) -> bool:
    """Whether ``value``'s primary subtag (before the first '-') is an ISO 639 code, as
    RSS ``language`` and ``dc:language`` require (blank is not a code)."""
    primary = value.split("-", 1)[0].lower()
    return primary in _ISO639_1 or _ISO639_2.match(primary) is not None
