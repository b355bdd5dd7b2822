"""`syndicate check`: find the documents, check each, print the report, give the verdict
(which the CLI turns into an exit code)."""

from __future__ import annotations

import enum
import logging
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, TextIO
from urllib.parse import quote

from syndicate.check.core import MAX_BYTES, check_bytes
from syndicate.check.findings import CheckResult, finding
from syndicate.check.output import render_json, render_junit, render_text

log = logging.getLogger(__name__)



class Verdict(enum.Enum):
    """The outcome of one ``check`` run."""

    OK = "ok"  # no errors (and under ``strict`` no warnings)
    PROBLEMS = "problems"  # errors, or warnings under ``strict``
    UNUSABLE = "unusable"  # an input could not be read, a folder held no feeds, bad options

FEED_SUFFIXES = frozenset((".atom", ".rss", ".xml", ".json", ".opml"))


def _unreadable(path: str, why: str) -> CheckResult:
    return CheckResult(path, "unknown", (finding("file.unreadable", why, None),))


def _too_large(path: str, size: int) -> CheckResult:
    return CheckResult(path, "unknown", (finding(
        "file.too-large", f"{size} bytes is more than the {MAX_BYTES}-byte cap; not read",
        None),))


def _location(base_url: str | None, rel: str | None) -> str | None:
    """Where a file is served: ``base_url`` itself, or ``rel`` below it for folder members."""
    if base_url is None or rel is None:
        return base_url
    return base_url.rstrip("/") + "/" + quote(rel, safe="/")


def _walk(folder: Path, problems: list[OSError]) -> Iterator[Path]:
    """Regular feed files below ``folder``, recursively, in a stable order.

    Symlinked folders are not followed (a link loop cannot trap the walk); FIFOs and
    devices are skipped (reading one could block forever); folders that cannot be
    listed are collected in ``problems``.
    """
    for dirpath, dirnames, filenames in os.walk(folder, onerror=problems.append):
        dirnames.sort()
        for name in sorted(filenames):
            if os.path.splitext(name)[1].lower() not in FEED_SUFFIXES:
                continue
            file = Path(dirpath) / name
            try:
                regular = stat.S_ISREG(file.stat().st_mode)
            except OSError as exc:
                problems.append(exc)
                continue
            if regular:
                yield file


def check_file(file: Path | str, shown: str, location: str | None) -> CheckResult:
    """Check one file; its size is read first so an oversized file is never read."""
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return _unreadable(shown, exc.strerror or str(exc))
    try:
        size = os.fstat(fd).st_size
        if size > MAX_BYTES:
            return _too_large(shown, size)
        # One read for the common case; more only if the file grew after fstat.
        chunks = [os.read(fd, size + 1)]
        total = len(chunks[0])
        while chunks[-1] and total <= MAX_BYTES:
            chunks.append(os.read(fd, MAX_BYTES + 1 - total))
            total += len(chunks[-1])
        data = b"".join(chunks)
    except OSError as exc:
        return _unreadable(shown, exc.strerror or str(exc))
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:  # the file grew after fstat
        return _too_large(shown, len(data))
    return check_bytes(data, path=shown, base_url=location)


class _FileJob(NamedTuple):
    """A file to check, in report order."""

    file: str
    shown: str
    location: str | None


def _check_job(job: _FileJob) -> CheckResult:
    return check_file(job.file, job.shown, job.location)


# Below this many files a worker pool costs more than it saves (its start-up is tens of
# milliseconds); above it, every core checks files (results keep the report order).
POOL_MIN_FILES = 200
_CHUNK = 64


def _check_all(jobs: list[_FileJob | CheckResult]) -> list[CheckResult]:
    files = [j for j in jobs if isinstance(j, _FileJob)]
    workers = min(os.cpu_count() or 1, len(files) // _CHUNK)
    if len(files) < POOL_MIN_FILES or workers < 2 or sys.platform != "linux":
        checked: Iterator[CheckResult] = map(_check_job, files)
        return [next(checked) if isinstance(j, _FileJob) else j for j in jobs]
    import multiprocessing  # only for big runs: its import alone costs start-up time

    # fork: the workers inherit the imported checker instead of importing it again.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = iter(pool.imap(_check_job, files, chunksize=_CHUNK))
        return [next(done) if isinstance(j, _FileJob) else j for j in jobs]


def _stdin(location: str | None) -> CheckResult:
    try:
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
    except OSError as exc:
        return _unreadable("-", exc.strerror or str(exc))
    if len(data) > MAX_BYTES:
        return _too_large("-", len(data))
    return check_bytes(data, path="-", base_url=location)


def collect(paths: Sequence[str], base_url: str | None) -> tuple[list[CheckResult], bool]:
    """Check every document named by ``paths``; the flag says some input was unusable."""
    results: list[_FileJob | CheckResult] = []
    unusable = False
    for arg in paths:
        if arg == "-":
            results.append(_stdin(base_url))
            continue
        p = Path(arg)
        if p.is_dir():
            found = False
            problems: list[OSError] = []
            for file in _walk(p, problems):
                found = True
                rel = file.relative_to(p).as_posix()
                results.append(_FileJob(str(file), file.as_posix(),
                                        _location(base_url, rel)))
            for exc in problems:
                shown = Path(exc.filename).as_posix() if exc.filename else arg
                results.append(_unreadable(shown, exc.strerror or str(exc)))
            if not found and not problems:
                log.error("syndicate check: no .atom .rss .xml .json or .opml files in %s", arg)
                unusable = True
        elif p.exists():
            location = base_url
            if base_url is not None and base_url.endswith("/"):
                location = base_url + quote(p.name)
            results.append(_FileJob(arg, arg, location))
        else:
            results.append(_unreadable(arg, "no such file or folder"))
    checked = _check_all(results)
    for r in checked:
        if any(f.code == "file.unreadable" for f in r.findings):
            unusable = True
    return checked, unusable


def run_check(paths: Sequence[str], *, output_format: str, strict: bool,
              base_url: str | None, out: TextIO) -> Verdict:
    """Check ``paths`` and write the report to ``out``.

    UNUSABLE when an input could not be read (or a folder held no feeds), else PROBLEMS
    when there are errors (or warnings under ``strict``), else OK.
    """
    if output_format not in ("text", "json", "junit"):
        log.error("syndicate check: unknown output format %r", output_format)
        return Verdict.UNUSABLE
    results, unusable = collect(paths, base_url)
    if output_format == "json":
        out.write(render_json(results))
    elif output_format == "junit":
        out.write(render_junit(results, strict=strict))
    else:
        out.write(render_text(results))
    if unusable:
        return Verdict.UNUSABLE
    if any(r.errors or (strict and r.warnings) for r in results):
        return Verdict.PROBLEMS
    return Verdict.OK
