"""``syndicate explain FILE...``: why each file is or is not in the feeds.

It runs the build's own code path — discovery, the index, parsing, selection and
planning — on a private copy of the index in a temporary folder, so the answer is
exactly what a build would do now, and nothing in the state or output folder is
written. The real index (if present and current) only saves parsing unchanged files.

For every file the build accounts for (symlinks, dangling ones, unreadable files and
names that are not UTF-8 included) the state and reason are the build report's,
word for word. One line per FILE, in argument order, then one line per value dropped
from it (as the build shows them), names escaped like ``ls -b`` (see
:func:`syndicate.display.shown`)::

    articles/a.md: selected: all, topics/power-apps, providers/microsoft-com
    articles/a.md: warning: images[0].width: must be a whole number of pixels, got a string; image dropped
    articles/b.md: filtered: quality 42 < 50
    articles/d.md: scheduled: scheduled for 2026-12-07T09:00:00Z
    articles/c.md:3:7: rejected: YAML error: ...
    articles/old.md: not an article file: a folder (the build reads the files in it)
    notes.txt: not an article file: outside the source folder /site/articles
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, TextIO

from syndicate.config import Config
from syndicate.display import shown
from syndicate.errors import IndexCorrupt
from syndicate.index import Index, open_readonly, read_key, temporary_index
from syndicate.index_rows import IndexRows, stored_warnings
from syndicate.model import Outcome
from syndicate.plan import name_feeds, plan_feeds
from syndicate.refresh import refresh
from syndicate.result import PARALLEL_THRESHOLD
from syndicate.select import select
from syndicate.source import source_key

log = logging.getLogger(__name__)


def _relative(file: Path, folder: Path) -> str | None:
    """``file``'s path in the source folder, as discovery names it, or None if outside.
    Only the folder part is resolved: the build accounts for a symlink by its own
    name, wherever it points (or whether it points anywhere)."""
    absolute = Path(os.path.abspath(file))
    try:
        parent = absolute.parent.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return None
    if absolute.name in ("", ".", ".."):
        return None
    return (parent / absolute.name).as_posix()


class Explained(NamedTuple):
    outcomes: dict[str, Outcome]  # every source file, by path
    warnings: dict[str, tuple[str, ...]]  # the values dropped, for articles with any


def explain_outcomes(config: Config, now: datetime | None = None) -> Explained:
    """Every source file's Outcome as a build at ``now`` would decide it (a selected
    file's reason names the feeds that carry it, as in the build report; None: nothing
    is held back as scheduled), and the warnings the build would show."""
    key = read_key(config.source.folder, config.source.patterns, config.source.max_file_bytes)
    with tempfile.TemporaryDirectory(prefix="syndicate-explain-") as tmp:
        index = _private_index(config, key, Path(tmp))
        try:
            index.begin()
            refresh(index, config.source, jobs=0, parallel_threshold=PARALLEL_THRESHOLD,
                    progress=False)
            selection = select(IndexRows(index), config.selection, now)
            name_feeds(plan_feeds(selection, config), selection.outcomes)
            warned = {w.path: w.warnings for w in stored_warnings(index)}
            index.rollback()
        finally:
            index.close()
    return Explained(selection.outcomes, warned)


def _private_index(config: Config, key: str, tmp: Path) -> Index:
    """A scratch index in ``tmp``, seeded from the real one when that is usable."""
    index = temporary_index(tmp, key)
    real = open_readonly(config.state_folder, key)
    if real is None:
        return index
    try:
        real.copy_to(index)
        return index
    except IndexCorrupt as exc:
        log.info("index not used (%s); reading every file", exc)
        index.close()
        fresh = tmp / "fresh"
        fresh.mkdir()
        return temporary_index(fresh, key)
    finally:
        real.close()


def run_explain(config: Config, files: Sequence[Path], out: TextIO,
                now: datetime | None = None) -> bool:
    """Print one line per file; False when some FILE does not exist. Raises
    SourceMissing when the source folder is missing."""
    all_exist = True
    rels: list[str | None] = []
    for file in files:
        # lexists: a dangling symlink is a file the build accounts for (and rejects).
        rels.append(_relative(file, config.source.folder) if os.path.lexists(file) else None)
    explained = Explained({}, {})
    if any(rel is not None for rel in rels):
        explained = explain_outcomes(config, now)
    patterns = ", ".join(config.source.patterns)
    for file, rel in zip(files, rels, strict=True):
        name = shown(str(file))
        if not os.path.lexists(file):
            out.write(f"{name}: no such file\n")
            all_exist = False
            continue
        if rel is None:
            out.write(f"{name}: not an article file: outside the source folder "
                      f"{shown(str(config.source.folder))}\n")
            continue
        outcome = explained.outcomes.get(source_key(rel))
        if outcome is None:
            if os.path.isdir(file) and not os.path.islink(file):
                out.write(f"{name}: not an article file: a folder (the build reads the "
                          f"files in it)\n")
            else:
                out.write(f"{name}: not an article file: not matching {shown(patterns)} "
                          f"(or inside a hidden folder)\n")
        elif outcome.status == "rejected":
            where = "".join(f":{n}" for n in (outcome.line, outcome.column) if n is not None)
            out.write(f"{name}{where}: rejected: {shown(outcome.reason)}\n")
        else:
            out.write(f"{name}: {outcome.status}: {shown(outcome.reason)}\n")
            out.writelines(f"{name}: warning: {shown(text)}\n"
                           for text in explained.warnings.get(outcome.path, ()))
    return all_exist
