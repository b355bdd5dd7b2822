"""Safe, stable slugs: the file-name part of a topic or provider feed.

A slug is 1 to :data:`MAX_LENGTH` characters of ``[a-z0-9-]``, starts and ends with a
letter or digit, and so can never be ``.``, ``..``, empty, hidden, or contain a path
separator: no topic or provider name can make a path leave the output folder.

Slugs are URLs subscribers keep polling, so they depend only on the names themselves,
never on which other names exist in what order -- except that names which would share a
slug get a hash suffix, decided by :func:`assign_slugs` independent of order. The one
name already written as its slug (``c``, ``ai``, ``machine learning``) keeps the plain
slug, so a new look-alike (``C++``, ``AI!``, ``A\u200bI``) arriving in one article never
moves an established feed to another URL.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from anyascii import anyascii

MAX_LENGTH = 60
_HASH_LENGTH = 8

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SEPARATORS = re.compile(r"[ .]")  # topic keys have spaces, provider domains dots

# Device names Windows refuses as file names whatever the extension ("con.atom" too);
# feeds folders get copied to such machines, so these never stand alone as a slug.
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)


def short_hash(text: str, length: int = _HASH_LENGTH) -> str:
    """The first ``length`` hex digits of SHA-256 of ``text`` (UTF-8): stable across runs,
    machines and Python versions (unlike ``hash()``)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def _with_suffix(base: str, suffix: str) -> str:
    room = MAX_LENGTH - len(suffix) - 1
    head = base[:room].rstrip("-")
    return f"{head}-{suffix}" if head else f"n-{suffix}"


def slugify(name: str) -> str:
    """The slug of one name, on its own (collisions are :func:`assign_slugs`' job).

    Latin and transliterable scripts keep their words (``"Computer Vision"`` ->
    ``"computer-vision"``, ``"人工智能"`` -> ``"rengongzhineng"``); a name with nothing
    transliterable (emoji, symbols, empty) becomes ``n-<hash>``; a name too long is cut
    and gets a hash of the full name, so two long names sharing a prefix stay apart.
    """
    base = _NOT_SLUG.sub("-", anyascii(name).lower()).strip("-")
    if not base:
        return _with_suffix("", short_hash(name))
    if len(base) > MAX_LENGTH:
        return _with_suffix(base, short_hash(name))
    if base in _WINDOWS_RESERVED:
        return _with_suffix(base, short_hash(name))
    return base


def assign_slugs(keys: Iterable[str]) -> dict[str, str]:
    """One distinct slug per distinct key, deterministically.

    Every key whose natural slug is shared with another key (``"c++"``, ``"c"``,
    ``"c--"`` all give ``"c"``) gets ``<slug>-<hash of the key>`` -- except the one key
    that is its slug written out (``"c"``), which keeps it. Not "all but the first": the
    result depends neither on iteration order nor on which name arrived first.
    """
    unique = sorted(set(keys))
    natural = {key: slugify(key) for key in unique}
    # Of the names sharing a natural slug, the single one that is that slug written as
    # words ("c" for "c", "machine learning" for "machine-learning") keeps it, whoever
    # else appears; when none or several are, all of them take a suffix.
    owners: dict[str, list[str]] = {}
    for key, slug in natural.items():
        owners.setdefault(slug, []).append(key)
    keeper: dict[str, str] = {}
    for slug, group in owners.items():
        plain = [key for key in group if _SEPARATORS.sub("-", key) == slug]
        if len(plain) == 1:
            keeper[slug] = plain[0]
    result = dict(natural)
    # A suffixed slug could (absurdly) equal another name's natural slug or another
    # suffix; each round lengthens the hash for whoever still clashes.
    for length in (_HASH_LENGTH, 2 * _HASH_LENGTH, 4 * _HASH_LENGTH):
        clashes = _clashing(result)
        if not clashes:
            return result
        for key in clashes:
            if keeper.get(result[key]) != key:
                result[key] = _with_suffix(natural[key], short_hash(key, length))
    if _clashing(result):  # 128 bits of SHA-256 of distinct keys: cannot happen
        raise AssertionError("slug collision survived hashing")
    return result


def _clashing(result: dict[str, str]) -> list[str]:
    owners: dict[str, list[str]] = {}
    for key, slug in result.items():
        owners.setdefault(slug, []).append(key)
    return [key for group in owners.values() if len(group) > 1 for key in group]
