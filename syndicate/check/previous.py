"""`syndicate check --previous OLD NEW`: check NEW as any document (file, URL or ``-``),
then add what changed since OLD (compare.py). OLD only has to be read, not judged."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from syndicate.check.compare import compare_feeds
from syndicate.check.core import MAX_BYTES, check_bytes
from syndicate.check.fetch import DEFAULT_TIMEOUT, FetchProblem, fetch, shown
from syndicate.check.findings import CheckResult, finding
from syndicate.check.served import fetch_and_check
from syndicate.check.urls import is_url


def _problem(path: str, code: str, why: str) -> CheckResult:
    return CheckResult(path, "unknown", (finding(code, why, None),))


def read_document(arg: str, *, timeout: float) -> bytes | CheckResult:
    """The bytes of a file, ``-`` (standard input) or URL, under the size cap; a
    CheckResult saying why when they cannot be had."""
    if is_url(arg):
        try:
            answer = fetch(arg, timeout=timeout, max_bytes=MAX_BYTES)
        except FetchProblem as problem:
            return _problem(shown(arg), problem.code, problem.message)
        if answer.status != 200:
            return _problem(shown(arg), "http.bad-status",
                            f"{answer.url} answered {answer.status}; a feed must answer 200")
        return answer.body
    try:
        if arg == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            file = Path(arg)
            if not file.is_file():
                return _problem(arg, "file.unreadable",
                                "not a file (--previous compares one feed file or URL "
                                "with another)" if file.exists() else "no such file")
            with file.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return _problem(arg, "file.unreadable", exc.strerror or str(exc))
    if len(data) > MAX_BYTES:
        return _problem(arg, "file.too-large",
                        f"more than the {MAX_BYTES}-byte cap; not read")
    return data


def check_with_previous(previous: str, current: str, *, base_url: str | None,
                        timeout: float = DEFAULT_TIMEOUT,
                        now: datetime.datetime | None = None) -> CheckResult:
    """NEW checked as usual, plus the history findings against OLD (on NEW's result)."""
    old = read_document(previous, timeout=timeout)
    if isinstance(old, CheckResult):
        return old
    if is_url(current):
        result, new = fetch_and_check(current, timeout=timeout, now=now)
        if new is None:
            return result
    else:
        read = read_document(current, timeout=timeout)
        if isinstance(read, CheckResult):
            return read
        new = read
        result = check_bytes(new, path=current, base_url=base_url, now=now)
    history = compare_feeds(old, new)
    return CheckResult(result.path, result.format, result.findings + tuple(history))
