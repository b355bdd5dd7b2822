"""A bucket as the source of articles: the listing is the walk, a GET is the read.

The same accounting as a folder: every object below the prefix whose *name* (the
last key segment) matches ``source.patterns`` is an article, its path the key below
the prefix; keys with a hidden segment (``.git/...``, ``.draft.md``) are skipped, as
the walk skips hidden entries, and so are "folder" marker keys ending in "/".

The change key stored in the index is (size, stand-in mtime), the stand-in being a
hash of the listing's ETag and LastModified: a run where nothing changed lists the
bucket (paginated, 1,000 keys a request) and downloads nothing. Entries are stored
as never racy: an object's ETag changes with its bytes, unlike a file's mtime within
one clock tick, so the key proves the content.

Changed objects are downloaded by a bounded pool of threads (at most
``MAX_CONCURRENCY`` requests and ``WINDOW`` objects in memory at once) and parsed in
this process, in path order.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from fnmatch import translate
from typing import TYPE_CHECKING

from syndicate.articles import parse_article
from syndicate.codec import RACY_WINDOW_NS, Entry, encode
from syndicate.config import SourceConfig
from syndicate.index import FileRow, entry_row
from syndicate.model import Rejection
from syndicate.objectstore.client import (
    MAX_CONCURRENCY,
    error_code,
    make_client,
    remote_errors,
)
from syndicate.objectstore.url import S3Location, parse_s3_url
from syndicate.source import Found

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# Objects downloaded ahead of the parser: bounds memory at WINDOW * max_file_bytes.
WINDOW = 4 * MAX_CONCURRENCY
CHUNK = 200  # rows handed to the index at a time


def change_key(etag: str, last_modified: str) -> int:
    """The stand-in mtime stored in the index for an object: any change of ETag or
    LastModified changes it (56 bits, non-negative, so it fits SQLite's integer)."""
    raw = f"{etag}\0{last_modified}".encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=7).digest(), "big")


def listed_moment(raw: object) -> str:
    """An object's LastModified as the change key has always held it — the ISO form of
    the moment botocore would have parsed — from the text of the listing (the client
    leaves timestamps unparsed: see :func:`syndicate.objectstore.client.make_client`).
    ``fromisoformat`` takes the listing's form (``2026-12-06T09:40:00.000Z``) in about
    a microsecond; anything else goes through botocore's own parser."""
    if isinstance(raw, datetime):
        return raw.isoformat()
    try:
        return datetime.fromisoformat(str(raw)).isoformat()
    except ValueError:
        from botocore.utils import parse_timestamp

        return parse_timestamp(str(raw)).isoformat()


class BucketStore:
    """The objects below ``source.url`` (see :class:`syndicate.source.SourceStore`)."""

    def __init__(self, source: SourceConfig, client: S3Client | None = None) -> None:
        assert source.url is not None
        self.source = source
        self.where: S3Location = parse_s3_url(source.url)
        self.client = client if client is not None else make_client()
        self.matches = re.compile(
            "|".join(f"(?:{translate(p)})" for p in source.patterns)).match
        # rel -> (size, change key) of the last listing: stored with each record parsed.
        self.listed: dict[str, tuple[int, int]] = {}

    def discover(self) -> list[Found]:
        found: list[Found] = []
        prefix = self.where.prefix
        with remote_errors(self.where, "list the source objects"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.where.bucket, Prefix=prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    rel = obj["Key"][len(prefix):]
                    if not self._wanted(rel):
                        continue
                    stamp = change_key(obj.get("ETag", ""), listed_moment(obj["LastModified"]))
                    found.append((rel, int(obj.get("Size", 0)), stamp))
        self.listed = {rel: (size, stamp) for rel, size, stamp in found}
        return found

    def stat_paths(self, rels: Iterable[str]) -> list[Found]:
        # A bucket has no change events: watch polls the listing (rels never come
        # from a watcher here), and a listing is the only way to know.
        wanted = set(rels)
        return [(rel, size, stamp) for rel, size, stamp in self.discover() if rel in wanted]

    def _wanted(self, rel: str) -> bool:
        if not rel or rel.endswith("/"):
            return False
        parts = rel.split("/")
        if any(not p or p[0] == "." for p in parts):
            return False
        return self.matches(parts[-1]) is not None

    def read_regular(self, rel: str) -> bytes | None:
        data = self._get(rel)
        if data is None or len(data) > self.source.max_file_bytes:
            return None
        return data

    def _get(self, rel: str) -> bytes | None:
        """The object's bytes (at most max_file_bytes + 1), or None when it vanished
        since the listing."""
        limit = self.source.max_file_bytes
        with remote_errors(self.where, f"download {rel}"):
            try:
                # A range: an object that grew past the limit since the listing costs
                # at most limit + 1 bytes.
                got = self.client.get_object(Bucket=self.where.bucket,
                                             Key=self.where.key(rel),
                                             Range=f"bytes=0-{limit}")
            except Exception as exc:
                if error_code(exc) in ("NoSuchKey", "404"):
                    return None
                raise
            body = got["Body"]
            try:
                data: bytes = body.read(limit + 1)
            finally:
                body.close()
            return data

    def parse(self, rels: Sequence[str], *, jobs: int, threshold: int,
              on_progress: Callable[[int], None]) -> Iterator[list[FileRow]]:
        sizes = self.listed
        limit = self.source.max_file_bytes
        rows: list[FileRow] = []
        with ThreadPoolExecutor(max_workers=MAX_CONCURRENCY,
                                thread_name_prefix="s3-get") as pool:
            pending: deque[tuple[str, Future[bytes | None] | None]] = deque()
            todo = iter(rels)
            for rel in todo:
                size, _ = sizes.get(rel, (-1, -1))
                # Too large by the listing: rejected without a download.
                pending.append((rel, None if size > limit else pool.submit(self._get, rel)))
                if len(pending) < WINDOW:
                    continue
                rows.append(self._row(*pending.popleft(), sizes))
                if len(rows) >= CHUNK:
                    on_progress(len(rows))
                    yield rows
                    rows = []
            while pending:
                rows.append(self._row(*pending.popleft(), sizes))
        if rows:
            on_progress(len(rows))
            yield rows

    def _row(self, rel: str, future: Future[bytes | None] | None,
             sizes: dict[str, tuple[int, int]]) -> FileRow:
        size, stamp = sizes.get(rel, (-1, -1))
        return entry_row(self._entry(rel, size, stamp,
                                     None if future is None else future.result()))

    def _entry(self, rel: str, size: int, stamp: int, data: bytes | None) -> Entry:
        limit = self.source.max_file_bytes
        # read_at far after the stand-in mtime: never racy (see the module docstring).
        never_racy = stamp + RACY_WINDOW_NS + 1
        if size > limit or (data is not None and len(data) > limit):
            shown_size = max(size, len(data) if data is not None else 0)
            return encode(Rejection(rel, f"file too large: {shown_size} bytes, more than the "
                                         f"limit of {limit} (source.max_file_bytes); not read"),
                          size=size, mtime_ns=stamp, data=None, read_at_ns=never_racy)
        if data is None:
            # Deleted between the listing and the download: retried next run (size -1
            # never matches), when the listing will no longer show it.
            return encode(Rejection(rel, "cannot read: the object vanished while being read"),
                          size=-1, mtime_ns=-1, data=None, read_at_ns=0)
        return encode(parse_article(data, rel), size=size, mtime_ns=stamp, data=data,
                      read_at_ns=never_racy)
