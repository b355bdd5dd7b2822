"""The rendered output, synced from its staging folder to ``output.url``.

With ``output.url`` the build renders into a staging folder in the state folder (the
same atomic, change-aware writes and render fingerprints as for a plain folder), then
:func:`sync_output` makes the bucket hold the same bytes:

- only objects whose bytes changed are uploaded, decided from the *manifest* this
  tool keeps in the state folder (key -> sha256 of the bytes uploaded, their ETag, and
  the staged file's size and mtime, which spare re-hashing unchanged files); a file
  with no record is first checked against the remote (one paginated listing): an
  object there with the same MD5 ETag is recorded, not uploaded again. A run where
  nothing changed sends no request at all;
- each object carries its Content-Type with charset and a Cache-Control of
  ``feeds.ttl`` minutes; no ACL is set (the bucket's policy decides who reads);
- order: pages and everything else first, then feeds, then ``feeds.opml`` and
  ``index.html`` — nothing links to an object before it is there; deletions
  (``--prune``) come last and remove only keys the manifest says we uploaded, so
  objects we did not write under the prefix are never deleted (they are *foreign*:
  the keys seen in the last listing of the prefix that neither the staging folder nor
  the manifest knows, kept in the manifest so every run reports them without a request);
- an S3 PUT replaces an object atomically, and the manifest is saved only with
  uploads that succeeded (after each phase, and when a phase fails): a failed or
  killed sync leaves every object old or new, and the next run uploads the rest
  (the staging folder still holds the new bytes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from syndicate.atomicfile import atomic_write
from syndicate.config import Config
from syndicate.objectstore.client import MAX_CONCURRENCY, make_client, remote_errors
from syndicate.objectstore.url import S3Location, parse_s3_url

# The same types `syndicate serve` sends (one table: a bucket and the preview agree).
from syndicate.serve import CONTENT_TYPES

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MANIFEST = "s3-output-manifest.json"

_FEED_SUFFIXES = (".atom", ".rss", ".json")
_LAST = ("feeds.opml", "index.html")  # link to every feed: uploaded after them


def content_type(rel: str) -> str:
    return CONTENT_TYPES.get(os.path.splitext(rel)[1].lower(), "application/octet-stream")


def cache_control(ttl_minutes: int) -> str:
    return f"public, max-age={ttl_minutes * 60}"


def phase(rel: str) -> int:
    """Upload order: 0 pages and the rest (RFC 5005 archive pages among them: a feed's
    prev-archive link names its newest page), 1 feeds, 2 the OPML list and the index."""
    if rel in _LAST:
        return 2
    return 1 if rel.endswith(_FEED_SUFFIXES) and not rel.startswith("archive/") else 0


class Record(NamedTuple):
    """What the manifest holds for one uploaded object."""

    sha256: str
    etag: str
    size: int  # of the staged file when uploaded (with mtime_ns: skip re-hashing)
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class SyncResult:
    uploaded: tuple[str, ...]
    unchanged: int
    deleted: tuple[str, ...]
    stale: tuple[str, ...]  # uploaded by us earlier, not staged now, kept (no --prune)
    foreign: tuple[str, ...] = ()  # under the prefix, not ours: left alone (last listing)


class Manifest:
    """key (relative to the prefix) -> Record, for one location; saved atomically."""

    def __init__(self, file: Path, where: S3Location) -> None:
        self.file = file
        self.where = where
        self.records: dict[str, Record] = {}
        self.foreign: tuple[str, ...] = ()
        self.dirty = False
        try:
            raw = json.loads(file.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            # Only a cache of what is uploaded: without it, objects are checked against
            # the remote, never lost.
            log.warning("%s unreadable (%s); checking the bucket instead", file, exc)
            return
        if not isinstance(raw, dict) or raw.get("target") != str(where):
            return  # another bucket or prefix: nothing recorded for this one
        try:
            self.records = {str(k): Record(str(v[0]), str(v[1]), int(v[2]), int(v[3]))
                            for k, v in raw["objects"].items()}
            self.foreign = tuple(str(k) for k in raw.get("foreign", ()))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            log.warning("%s malformed; checking the bucket instead", file)
            self.records = {}

    def set(self, rel: str, record: Record) -> None:
        self.records[rel] = record
        self.dirty = True

    def drop(self, rel: str) -> None:
        if self.records.pop(rel, None) is not None:
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        data = {"target": str(self.where),
                "objects": {k: list(v) for k, v in sorted(self.records.items())},
                "foreign": list(self.foreign)}
        atomic_write(self.file, json.dumps(data, indent=0).encode("utf-8"))
        self.dirty = False


def staged_files(root: Path) -> list[str]:
    """Every file of the staging folder (relative POSIX paths, sorted); hidden entries
    (a killed build's temporaries) skipped, symlinks never followed."""
    found: list[str] = []
    pending = [("", str(root))]
    while pending:
        prefix, where = pending.pop()
        try:
            listing = os.scandir(where)
        except FileNotFoundError:
            continue
        with listing:
            for entry in listing:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    found.append(prefix + entry.name)
    return sorted(found)


class _Staged(NamedTuple):
    rel: str
    data: bytes
    sha256: str
    size: int
    mtime_ns: int


def sync_output(config: Config, *, prune: bool, client: S3Client | None = None
                ) -> SyncResult:
    """Make ``config.output.url`` hold the staging folder's files (see the module
    docstring). Raises RemoteError (one line) when the bucket cannot be reached or
    refuses us, OSError for the staging folder or the manifest."""
    assert config.output.url is not None
    where = parse_s3_url(config.output.url)
    root = config.output.folder
    manifest = Manifest(config.state_folder / MANIFEST, where)
    files = staged_files(root)
    todo: list[_Staged] = []
    unchanged = 0
    for rel in files:
        st = os.stat(root / rel)
        known = manifest.records.get(rel)
        if known is not None and (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns):
            unchanged += 1
            continue
        data = (root / rel).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if known is not None and known.sha256 == sha:
            manifest.set(rel, known._replace(size=st.st_size, mtime_ns=st.st_mtime_ns))
            unchanged += 1
            continue
        todo.append(_Staged(rel, data, sha, st.st_size, st.st_mtime_ns))
    staged = set(files)
    gone = [rel for rel in manifest.records if rel not in staged]
    to_delete = sorted(gone) if prune else []
    if not todo and not to_delete:
        manifest.save()
        return SyncResult((), unchanged, (), tuple(sorted(gone)), manifest.foreign)

    client = client if client is not None else make_client()
    try:
        if any(s.rel not in manifest.records for s in todo):
            # No record (first sync, lost state): what is already there need not move.
            remote = _remote_etags(client, where)
            foreign = tuple(sorted(rel for rel in remote
                                   if rel not in staged and rel not in manifest.records))
            if foreign != manifest.foreign:
                manifest.foreign, manifest.dirty = foreign, True
            left: list[_Staged] = []
            for s in todo:
                etag = remote.get(s.rel)
                if (s.rel not in manifest.records and etag is not None
                        and etag == hashlib.md5(s.data, usedforsecurity=False).hexdigest()):
                    manifest.set(s.rel, Record(s.sha256, etag, s.size, s.mtime_ns))
                    unchanged += 1
                else:
                    left.append(s)
            todo = left
        uploaded: list[str] = []
        cache = cache_control(config.feeds.ttl)
        for step in (0, 1, 2):
            batch = [s for s in todo if phase(s.rel) == step]
            if batch:
                uploaded += _upload(client, where, batch, cache, manifest)
                manifest.save()
        deleted = _delete(client, where, to_delete, manifest)
    finally:
        manifest.save()
    stale = tuple(rel for rel in sorted(gone) if rel not in set(deleted))
    return SyncResult(tuple(sorted(uploaded)), unchanged, tuple(deleted), stale,
                      manifest.foreign)


def _remote_etags(client: S3Client, where: S3Location) -> dict[str, str]:
    """rel -> ETag (unquoted) of every object below the prefix."""
    found: dict[str, str] = {}
    with remote_errors(where, "list the output objects"):
        for page in client.get_paginator("list_objects_v2").paginate(
                Bucket=where.bucket, Prefix=where.prefix):
            for obj in page.get("Contents", []):
                found[obj["Key"][len(where.prefix):]] = obj.get("ETag", "").strip('"')
    return found


def _upload(client: S3Client, where: S3Location, batch: list[_Staged], cache: str,
            manifest: Manifest) -> list[str]:
    """Upload ``batch`` concurrently; each success is recorded in ``manifest`` as it
    lands, so a failure keeps what got through. Raises the first RemoteError."""

    def put(s: _Staged) -> str:
        with remote_errors(where, f"upload {s.rel}"):
            answer = client.put_object(Bucket=where.bucket, Key=where.key(s.rel), Body=s.data,
                                       ContentType=content_type(s.rel), CacheControl=cache)
        return str(answer.get("ETag", "")).strip('"')

    done: list[str] = []
    with ThreadPoolExecutor(max_workers=MAX_CONCURRENCY, thread_name_prefix="s3-put") as pool:
        futures: dict[Future[str], _Staged] = {pool.submit(put, s): s for s in batch}
        try:
            for future in _as_done(futures):
                s = futures[future]
                manifest.set(s.rel, Record(s.sha256, future.result(), s.size, s.mtime_ns))
                done.append(s.rel)
                log.debug("uploaded %s", s.rel)
        finally:
            for future in futures:
                future.cancel()
    return done


def _as_done(futures: Iterable[Future[str]]) -> Iterator[Future[str]]:
    """Completed futures (successes first, then the first failure), stopping early on
    a failure so the remaining uploads are cancelled instead of waited for."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_EXCEPTION)
        failed = [f for f in done if f.exception() is not None]
        yield from (f for f in done if f.exception() is None)
        if failed:
            yield failed[0]  # .result() raises it


def _delete(client: S3Client, where: S3Location, rels: list[str], manifest: Manifest
            ) -> list[str]:
    deleted: list[str] = []
    for i in range(0, len(rels), 1000):  # DeleteObjects takes at most 1,000 keys
        chunk = rels[i:i + 1000]
        with remote_errors(where, "delete pruned objects"):
            answer = client.delete_objects(Bucket=where.bucket, Delete={
                "Objects": [{"Key": where.key(rel)} for rel in chunk], "Quiet": True})
        failed = {e.get("Key", "") for e in answer.get("Errors", [])}
        for rel in chunk:
            if where.key(rel) not in failed:
                manifest.drop(rel)
                deleted.append(rel)
    return deleted
