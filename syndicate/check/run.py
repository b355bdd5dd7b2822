"""`syndicate check`: find the documents, check each, print the report, give the verdict
(which the CLI turns into an exit code)."""

from __future__ import annotations

import datetime
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
from syndicate.check.urls import DEFAULT_TIMEOUT, is_url

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


def _walk(folder: str, problems: list[OSError]) -> Iterator[str]:
    """Regular feed files below ``folder``, recursively, in a stable order (as strings:
    Path objects for thousands of files cost a measurable share of a check run).

    Symlinked folders are not followed (a link loop cannot trap the walk); FIFOs and
    devices are skipped (reading one could block forever); folders that cannot be
    listed are collected in ``problems``.
    """
    for dirpath, dirnames, filenames in os.walk(folder, onerror=problems.append):
        dirnames.sort()
        for name in sorted(filenames):
            if os.path.splitext(name)[1].lower() not in FEED_SUFFIXES:
                continue
            file = os.path.join(dirpath, name)
            try:
                regular = stat.S_ISREG(os.stat(file).st_mode)
            except OSError as exc:
                problems.append(exc)
                continue
            if regular:
                yield file


def check_file(file: Path | str, shown: str, location: str | None,
               now: datetime.datetime | None = None) -> CheckResult:
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
    return check_bytes(data, path=shown, base_url=location, now=now)


class _FileJob(NamedTuple):
    """A file to check, in report order."""

    file: str
    shown: str
    location: str | None
    now: datetime.datetime | None  # the checking clock, for the future-date rules


def _check_job(job: _FileJob) -> CheckResult:
    return check_file(job.file, job.shown, job.location, job.now)


# Below this many files forking costs more than it saves; above it, every core checks
# files (the calling process too: parallel.py), and results keep the report order.
POOL_MIN_FILES = 200
_CHUNK = 16


def _check_all(jobs: list[_FileJob | CheckResult]) -> list[CheckResult]:
    files = [j for j in jobs if isinstance(j, _FileJob)]
    if len(files) < POOL_MIN_FILES:
        checked: Iterator[CheckResult] = map(_check_job, files)
    else:
        from syndicate.check.parallel import cores, ordered_map

        checked = iter(ordered_map(_check_job, files, workers=cores(), chunk=_CHUNK))
    return [next(checked) if isinstance(j, _FileJob) else j for j in jobs]


def _stdin(location: str | None, now: datetime.datetime | None = None) -> CheckResult:
    try:
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
    except OSError as exc:
        return _unreadable("-", exc.strerror or str(exc))
    if len(data) > MAX_BYTES:
        return _too_large("-", len(data))
    return check_bytes(data, path="-", base_url=location, now=now)


def collect(paths: Sequence[str], base_url: str | None, *, timeout: float = DEFAULT_TIMEOUT,
            now: datetime.datetime | None = None) -> tuple[list[CheckResult], bool]:
    """Check every document named by ``paths``; the flag says some input was unusable."""
    results: list[_FileJob | CheckResult] = []
    unusable = False
    for arg in paths:
        if is_url(arg):  # Gate 2: fetched, and the HTTP layer checked too (served.py)
            from syndicate.check.served import check_url  # HTTP machinery only when used

            results.append(check_url(arg, timeout=timeout, now=now))
            continue
        if arg == "-":
            results.append(_stdin(base_url, now))
            continue
        p = Path(arg)
        if p.is_dir():
            found = False
            problems: list[OSError] = []
            root = str(p)  # normalised by Path, as the walk's paths then are
            prefix = p.as_posix().rstrip("/") + "/"
            for file in _walk(root, problems):
                found = True
                shown = file if os.sep == "/" else file.replace(os.sep, "/")
                results.append(_FileJob(file, shown,
                                        _location(base_url, shown[len(prefix):]), now))
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
            results.append(_FileJob(arg, arg, location, now))
        else:
            results.append(_unreadable(arg, "no such file or folder"))
    checked = _check_all(results)
    return checked, unusable or _unusable(checked)


def _unusable(results: Sequence[CheckResult]) -> bool:
    return any(f.code in _UNUSABLE for r in results for f in r.findings)


# A document that could not be had at all: the run is a usage/I-O failure (exit 2).
_UNUSABLE = frozenset(("file.unreadable", "http.fetch-failed"))


def run_check(paths: Sequence[str], *, output_format: str, strict: bool,
              base_url: str | None, out: TextIO, previous: str | None = None,
              timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """Check ``paths`` and write the report to ``out``. With ``previous`` (Gate 1),
    ``paths`` is the one new version and the findings include what changed since.

    UNUSABLE when an input could not be read or fetched (or a folder held no feeds, or
    the options cannot work), else PROBLEMS when there are errors (or warnings under
    ``strict``), else OK.
    """
    if output_format not in ("text", "json", "junit"):
        log.error("syndicate check: unknown output format %r", output_format)
        return Verdict.UNUSABLE
    if not timeout > 0:  # 0 would make every socket non-blocking: an obscure failure
        log.error("syndicate check: --timeout must be more than 0 seconds")
        return Verdict.UNUSABLE
    now = datetime.datetime.now(datetime.UTC)  # the checking clock, read once per run
    if previous is not None:
        if len(paths) != 1 or (previous == "-" and paths[0] == "-"):
            log.error("syndicate check: --previous OLD compares with exactly one NEW file or "
                      "URL (and at most one of them can be -)")
            return Verdict.UNUSABLE
        from syndicate.check.previous import check_with_previous

        results = [check_with_previous(previous, paths[0], base_url=base_url,
                                       timeout=timeout, now=now)]
        unusable = _unusable(results)
    else:
        results, unusable = collect(paths, base_url, timeout=timeout, now=now)
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
