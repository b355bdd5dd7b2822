"""The index's record codec: an Article or Rejection <-> plain blobs and columns.

A record is stored as two ``marshal`` blobs of plain types: ``light`` (what selection
needs: link, times, quality, flags, provider, topics, warnings) and ``body`` (text,
images, related links, embed), plus the *selection columns* derived once at parse
time (dedupe key, unpublished reason, quality, topic and provider views). ``digest``
(BLAKE2b of light + body) is checked whenever a full record is decoded, and goes into
feed fingerprints; ``lcheck``, a short checksum of ``light``, whenever a light record
is. Anything that does not check out raises :class:`~syndicate.errors.IndexCorrupt`.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from syndicate.dedupe import Candidate, dedupe_key
from syndicate.errors import IndexCorrupt
from syndicate.model import Article, Image, Provider, Rejection, RelatedLink
from syndicate.select import ProviderKey, TopicPairs, light_fields

# Coarse file systems (FAT: 2 s, some network mounts: 1 s) round mtimes; anything
# modified this close to the moment we read it may change again without a new mtime.
RACY_WINDOW_NS = 2_000_000_000
# Bits of ``files.tflags``.
TOPICS = 1
PROVIDER = 2
# Entry.kind
ARTICLE = 0
REJECTION = 1

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Entry:
    """One encoded record, ready to store (built in parse workers: plain data only)."""

    path: str
    size: int
    mtime_ns: int
    racy: bool
    chash: bytes
    kind: int
    light: bytes | None
    body: bytes
    digest: bytes
    lcheck: bytes
    dkey: str | None = None  # dedupe_key of the link, for published articles only
    ureason: str | None = None  # why an article is unpublished (None: published)
    quality: float | None = None
    tflags: int = 0  # TOPICS | PROVIDER: what feeds beside "all" it could be in
    link: str | None = None
    pub_us: int | None = None  # published, µs since the epoch
    tview: bytes | None = None  # marshalled ((topic key, spelling), ...)
    pview: bytes | None = None  # marshalled (provider domain, name) or None
    warns: bytes | None = None  # marshalled warnings of an article that has any


def _ts(value: datetime) -> int:
    return (value - _EPOCH) // _US


def _dt(value: object) -> datetime:
    if type(value) is not int:
        raise IndexCorrupt(f"bad timestamp {value!r}")
    return _EPOCH + timedelta(microseconds=value)


def content_hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def encode(record: Article | Rejection, *, size: int, mtime_ns: int, data: bytes | None,
           read_at_ns: int) -> Entry:
    """Encode ``record`` (parsed from ``data``, the bytes read) into an :class:`Entry`.

    ``data`` is None when the file was not read whole (too large, unreadable): its
    content hash is then empty and the entry is never racy-verified by content.
    """
    light: bytes | None
    dkey: str | None = None
    unpublished: str | None = None
    quality: float | None = None
    tflags = 0
    link: str | None = None
    pub_us: int | None = None
    tview: bytes | None = None
    pview: bytes | None = None
    warns: bytes | None = None
    if isinstance(record, Rejection):
        kind = REJECTION
        light = None
        body = marshal.dumps((record.reason, record.line, record.column))
    else:
        kind = ARTICLE
        a = record
        provider = None if a.provider is None else (a.provider.name, a.provider.domain)
        # The selection view (unpublished reason, topic keys, provider key) and the
        # dedupe key are derived here, once per parse, so no rebuild derives them again.
        unpublished, topic_pairs, provider_key = light_fields(a)
        dkey = dedupe_key(a.link) if a.is_published else None
        quality = a.quality
        tflags = (TOPICS if topic_pairs else 0) | (PROVIDER if provider_key else 0)
        link, pub_us = a.link, _ts(a.published)
        tview, pview = marshal.dumps(topic_pairs), marshal.dumps(provider_key)
        # A column of its own (NULL for the many without): every run lists them all.
        warns = marshal.dumps(tuple(a.warnings)) if a.warnings else None
        light = marshal.dumps((a.link, _ts(a.published), _ts(a.updated), a.type, a.quality,
                               a.heat, a.is_published, provider, tuple(a.topics),
                               tuple(a.warnings), unpublished, topic_pairs, provider_key))
        body = marshal.dumps((a.title, a.excerpt,
                              tuple((i.url, i.width, i.height) for i in a.images),
                              tuple((r.url, r.title, None if r.provider is None
                                     else (r.provider.name, r.provider.domain))
                                    for r in a.related),
                              a.embed_url))
    digest = content_hash((light or b"") + body)
    racy = mtime_ns + RACY_WINDOW_NS > read_at_ns
    chash = content_hash(data) if data is not None else b""
    return Entry(record.path, size, mtime_ns, racy, chash, kind, light, body, digest,
                 light_check(light), dkey, unpublished, quality, tflags, link, pub_us, tview,
                 pview, warns)


def check(cond: bool, what: str) -> None:
    """Raise IndexCorrupt naming ``what`` unless ``cond``."""
    if not cond:
        raise IndexCorrupt(f"invalid record in index: {what}")


def light_check(light: bytes | None) -> bytes:
    """A short checksum of the light blob, verified on every read: selection reads
    every light record, so this must cost well under a microsecond."""
    return hashlib.blake2b(light or b"", digest_size=8).digest()


def _article(path: str, light: bytes | tuple[Any, ...], body: bytes | None) -> Article:
    """Rebuild an Article from blobs whose checksum was verified (``light`` may be
    given already unmarshalled). Any shape error left (an index written by a buggy
    build) is still reported as corruption, never raised as a crash."""
    try:
        (link, published, updated, type_, quality, heat, is_published, provider, topics,
         warnings, _unpublished, _topic_pairs, _provider_key) = (
            light if type(light) is tuple else marshal.loads(light))  # type: ignore[arg-type]
        title, excerpt, embed_url = "", "", None
        images: tuple[Image, ...] = ()
        related: tuple[RelatedLink, ...] = ()
        if body is not None:
            title, excerpt, raw_images, raw_related, embed_url = marshal.loads(body)
            images = tuple(Image(u, w, h) for u, w, h in raw_images)
            related = tuple(RelatedLink(u, t, None if p is None else Provider(*p))
                            for u, t, p in raw_related)
        return Article(path, link, title, excerpt, _dt(published), _dt(updated), type_,
                       quality, heat, is_published,
                       None if provider is None else Provider(*provider), topics, images,
                       related, embed_url, warnings)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None


def candidate(path: str, dkey: str, light: bytes) -> Candidate:
    """A published article as dedupe (pass 1 of selection) sees it, from its light
    blob (whose checksum the caller verified)."""
    fields = _light_tuple(path, light)
    return Candidate(dkey, fields[4], fields[1], path)


def _light_tuple(path: str, light: bytes) -> tuple[Any, ...]:
    """The unmarshalled light blob, shape-checked."""
    try:
        fields = marshal.loads(light)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
    check(type(fields) is tuple and len(fields) == 13 and type(fields[1]) is int
           and type(fields[4]) in (int, float), f"{path}: light fields")
    assert isinstance(fields, tuple)
    return fields


class ItemRef(NamedTuple):
    """What selection carries into the feeds for one article read off the index: the
    stored light record with its checksums, and the columns it was selected by."""

    path: str
    light: bytes
    check: bytes  # light_check(light)
    digest: bytes  # of the whole record
    quality: float
    published_us: int
    link: str
    topics: TopicPairs
    provider: ProviderKey | None


def item_type(ref: ItemRef) -> str:
    """The ``type`` of the article behind an :data:`ItemRef` (for a custom feed that
    filters by type), from its checked light blob."""
    check(light_check(ref.light) == ref.check, f"{ref.path}: checksum mismatch")
    try:
        kind = marshal.loads(ref.light)[3]
    except (EOFError, ValueError, TypeError, IndexError) as exc:
        raise IndexCorrupt(f"invalid record in index: {ref.path}: {exc}") from None
    check(type(kind) is str, f"{ref.path}: type")
    return str(kind)


def item_article(ref: ItemRef) -> Article:
    """The light Article behind an :data:`ItemRef` (an article that made it into a
    feed): its light blob is checked against its checksum, and the selection columns it
    was chosen by against the blob."""
    path, light = ref.path, ref.light
    check(light_check(light) == ref.check, f"{path}: checksum mismatch")
    try:
        fields = marshal.loads(light)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
    check(type(fields) is tuple and len(fields) == 13 and fields[0] == ref.link
          and fields[1] == ref.published_us and fields[4] == ref.quality
          and fields[6] is True and fields[11] == ref.topics and fields[12] == ref.provider,
           f"{path}: selection columns disagree with the record")
    return _article(path, fields, None)


def article_from_light(path: str, light: bytes) -> Article:
    """The light Article (no text, images or related links) of a checked light blob."""
    return _article(path, light, None)


def rejection_from(path: str, body: object) -> Rejection:
    check(type(body) is bytes, f"{path}: rejection blob")
    assert isinstance(body, bytes)
    try:
        reason, line, column = marshal.loads(body)
    except (EOFError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
    check(type(reason) is str and all(v is None or type(v) is int for v in (line, column)),
           f"{path}: rejection fields")
    return Rejection(path, reason, line, column)


def decode(path: str, kind: object, light: object, body: object, digest: object
           ) -> Article | Rejection:
    """The full record; raises :class:`IndexCorrupt` if anything does not check out."""
    check(type(body) is bytes and (light is None or type(light) is bytes), f"{path}: blobs")
    assert isinstance(body, bytes) and (light is None or isinstance(light, bytes))
    check(digest == content_hash((light or b"") + body), f"{path}: digest mismatch")
    if kind == REJECTION:
        return rejection_from(path, body)
    check(kind == ARTICLE and light is not None, f"{path}: kind")
    assert light is not None
    return _article(path, light, body)


def read_key(source_folder: Path | str, patterns: Sequence[str], max_file_bytes: int) -> str:
    """A hash of the config parts that change what a file parses to or which files count."""
    raw = repr((str(source_folder), tuple(patterns), max_file_bytes))
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()


# An entry as the files table's columns, in INSERT order (see Index.put_rows).
FileRow = tuple[str, int, int, int, bytes, int, bytes, bytes, str | None, str | None,
            float | None, int, str | None, int | None, bytes | None, bytes | None,
            bytes | None, bytes, bytes | None]


def entry_row(e: Entry) -> FileRow:
    return (e.path, e.size, e.mtime_ns, int(e.racy), e.chash, e.kind, e.digest, e.lcheck,
            e.dkey, e.ureason, e.quality, e.tflags, e.link, e.pub_us, e.tview, e.pview,
            e.light, e.body, e.warns)


def _row_view(r: FileRow) -> tuple[Any, ...]:
    """A row's selection view, as :meth:`Index.put_rows` reads it back from the columns
    (a rejection's view is its digest: its reason and position)."""
    return (r[5], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15],
            r[6] if r[5] == REJECTION else None)
