"""The JSON accounting written by ``syndicate build --report FILE``.

Shape (keys sorted, lists sorted by path; everything but ``summary.seconds`` is a
pure function of the source folder and the config)::

    {"articles": [{"path", "status", "reason", "warnings", "line"?, "column"?}],
     "feeds":    [{"path", "items", "changed"}],
     "outputs":  [{"path", "kind", "items", "changed"}],   # feeds, pages, OPML, index
     "stale":    [path, ...], "pruned": [path, ...], "foreign": [path, ...],
     "next_due": "2026-12-07T09:00:00Z" | null,
     "trimmed":  [{"path", "items", "kept", "dropped", "full_bytes", "bytes"}],
     "history":  [{"path", "code", "severity", "message", "line"}] | null,
     "summary":  {"read", "parsed", "reused", "selected", "filtered", "rejected",
                  "scheduled", "warnings", "feeds", "pages", "written", "stale", "pruned",
                  "seconds"},
     "version":  "<syndicate version>"}

Every source file appears in ``articles`` exactly once, and
``read == selected + filtered + rejected + scheduled``. A ``scheduled`` article is
dated after the build's ``--now`` and held back; its reason says when it is due, and
``next_due`` is the earliest such moment (null when none is held), so a cron wrapper
knows when to run next. ``trimmed`` lists the feed files over ``output.max_feed_bytes``
that kept only their newest ``kept`` of ``items`` (``full_bytes`` with every item,
``bytes`` as written). A selected article's ``reason`` lists the
feeds that carry it by output path without extension (``all, topics/ai,
providers/example-com``), as ``syndicate explain`` does. ``warnings`` lists, one string
each, the values dropped from that article (``images[0].width: must be a whole number
of pixels, got a string; image dropped``), empty for most; ``summary.warnings`` counts
them all. ``stale`` lists feed files of
vanished topics/providers that this tool wrote (what ``--prune`` deletes); ``foreign``
the feed-named files in the feed folders it did not write (never pruned). ``history``
is null unless the build compared (``--compare-previous`` or ``[report]
compare_previous``): then it lists, for every feed file the run rewrote, what changed
since the bytes it replaced that makes readers misbehave — the ``history.*`` findings
of ``syndicate check --previous`` (docs/checks.md), ``line`` in the new file or null. Paths are
raw (JSON-escaped); a name that is not valid UTF-8 appears with ``\\xNN`` escapes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from syndicate import __version__
from syndicate.atomicfile import atomic_write
from syndicate.display import shown
from syndicate.errors import ReportError
from syndicate.result import BuildResult, OutputFile
from syndicate.schedule import rfc3339_us


def summary_line(result: BuildResult) -> str:
    """The one line a build prints (and cron mails)::

        read 120 files (3 parsed, 117 unchanged): 57 selected, 50 filtered, 13 rejected,
        2 warnings; 171 feed files (9 written, 162 unchanged); feeds.opml and index.html
        unchanged; 0.52 s

    Feed files are counted apart from the OPML list and the HTML index, which are
    named; "written" means the bytes changed and the file was replaced, "unchanged"
    that it was left alone (same bytes, same mtime). Only when they apply: ", N
    scheduled" after the rejected count (articles held back until their time), "; N
    trimmed to output.max_feed_bytes" and "; next scheduled article due <time>" after
    the output files (the time a cron wrapper should run next)."""
    warnings = result.warning_count
    files = "file" if result.read == 1 else "files"
    counts = (f"read {result.read} {files} ({result.parsed} parsed, {result.reused} unchanged): "
              f"{result.selected} selected, {result.filtered} filtered, "
              f"{result.rejected} rejected")
    if result.scheduled:
        counts += f", {result.scheduled} scheduled"
    counts += f", {warnings} warning{'' if warnings == 1 else 's'}"
    parts = [counts, _feed_files(result.feeds)]
    listed = _named_files([o for o in result.outputs if o.kind in ("opml", "index")])
    if listed:
        parts.append(listed)
    pages = [o for o in result.outputs if o.kind == "page"]
    if pages:
        parts.append(_counted(pages, "page", "pages"))
    if result.trimmed:
        parts.append(f"{len(result.trimmed)} trimmed to output.max_feed_bytes")
    if result.next_due_us is not None:
        parts.append(f"next scheduled article due {rfc3339_us(result.next_due_us)}")
    if result.stale:
        parts.append(f"{len(result.stale)} stale (use --prune)")
    if result.pruned:
        parts.append(f"{len(result.pruned)} pruned")
    parts.append(f"{result.seconds:.2f} s")
    return "; ".join(parts)


def warning_lines(result: BuildResult, *, quiet: bool) -> list[str]:
    """One line per dropped value, so cron mails them; with --quiet one line counting
    them (what to fix is in the full output and the report)."""
    if not result.warnings:
        return []
    if quiet:
        count, articles = result.warning_count, len(result.warnings)
        return [(f"syndicate: {_plural(count, 'warning')} in {_plural(articles, 'article')} "
                 "(run without --quiet to see them, or read --report FILE)")]
    return [f"{shown(w.path)}: warning: {shown(text)}"
            for w in result.warnings for text in w.warnings]


def history_lines(result: BuildResult) -> list[str]:
    """``build --compare-previous``: one line per finding, ``all.atom:12: error: ...
    [history.id-changed]`` (shown with --quiet too: it is what a cron mail is for)."""
    return [f"{shown(h.path)}{f':{h.line}' if h.line else ''}: {h.severity}: "
            f"{shown(h.message)} [{h.code}]" for h in result.history or ()]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _feed_files(feeds: tuple[OutputFile, ...]) -> str:
    return _counted(feeds, "feed file", "feed files")


def _counted(files: Sequence[OutputFile], one: str, many: str) -> str:
    total = len(files)
    written = sum(1 for o in files if o.changed)
    noun = one if total == 1 else many
    if written == total:
        return f"{total} {noun} written"
    if written == 0:
        return f"{total} {noun} unchanged"
    return f"{total} {noun} ({written} written, {total - written} unchanged)"


def _named_files(files: list[OutputFile]) -> str:
    """``feeds.opml and index.html unchanged``, ``feeds.opml written, index.html
    unchanged``: each file by name, its state once when they share it."""
    files = sorted(files, key=lambda o: o.path)
    states = {o.changed for o in files}
    if len(states) == 1:
        return f"{' and '.join(o.path for o in files)} {_state(files[0].changed)}"
    return ", ".join(f"{o.path} {_state(o.changed)}" for o in files)


def _state(changed: bool) -> str:
    return "written" if changed else "unchanged"


def report_data(result: BuildResult) -> dict[str, Any]:
    articles: list[dict[str, Any]] = []
    warned = {w.path: w.warnings for w in result.warnings}
    for o in sorted(result.outcomes, key=lambda o: o.path):
        item: dict[str, Any] = {"path": o.path, "status": o.status, "reason": o.reason,
                                "warnings": list(warned.get(o.path, ()))}
        if o.line is not None:
            item["line"] = o.line
        if o.column is not None:
            item["column"] = o.column
        articles.append(item)
    outputs = sorted(result.outputs, key=lambda o: o.path)
    return {
        "version": __version__,
        "articles": articles,
        "feeds": [{"path": o.path, "items": o.items, "changed": o.changed}
                  for o in outputs if o.kind == "feed"],
        "outputs": [{"path": o.path, "kind": o.kind, "items": o.items, "changed": o.changed}
                    for o in outputs],
        "stale": sorted(result.stale),
        "pruned": sorted(result.pruned),
        "foreign": sorted(result.foreign),
        "next_due": (None if result.next_due_us is None
                     else rfc3339_us(result.next_due_us)),
        "history": (None if result.history is None else
                    [{"path": h.path, "code": h.code, "severity": h.severity,
                      "message": h.message, "line": h.line} for h in result.history]),
        "trimmed": [{"path": t.path, "items": t.items, "kept": t.kept,
                     "dropped": t.items - t.kept, "full_bytes": t.full_bytes,
                     "bytes": t.size} for t in result.trimmed],
        "summary": {
            "read": result.read,
            "parsed": result.parsed,
            "reused": result.reused,
            "selected": result.selected,
            "filtered": result.filtered,
            "rejected": result.rejected,
            "scheduled": result.scheduled,
            "warnings": result.warning_count,
            "feeds": sum(1 for o in outputs if o.kind == "feed"),
            "pages": sum(1 for o in outputs if o.kind == "page"),
            "written": result.written,
            "stale": len(result.stale),
            "pruned": len(result.pruned),
            "seconds": round(result.seconds, 3),
        },
    }


def render_report(result: BuildResult) -> bytes:
    text = json.dumps(report_data(result), sort_keys=True, indent=1, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def write_report(file: Path, result: BuildResult) -> None:
    """Write atomically: a reader (or a crash) sees the old report or the new one.
    Raises :class:`ReportError` naming the file and the OS's reason."""
    try:
        atomic_write(file, render_report(result))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise ReportError(f"{where}{exc.strerror or exc}") from exc
