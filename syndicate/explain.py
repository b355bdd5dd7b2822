"""``syndicate explain FILE...``: why each file is or is not in the feeds.

It runs the build's own code path — discovery, the index, parsing, selection and
planning — on a private copy of the index in a temporary folder, so the answer is
exactly what a build would do now, and nothing in the state or output folder is
written. The real index (if present and current) only saves parsing unchanged files.

One line per FILE, in argument order::

    articles/a.md: selected: all, topics/power-apps, providers/microsoft-com
    articles/b.md: filtered: quality 42 < 50
    articles/c.md:3:7: rejected: YAML error: ...
    notes.txt: not an article file: outside the source folder /site/articles
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from syndicate.build import BuildOptions, SourceMissing, refresh_index, select_from_index
from syndicate.config import Config
from syndicate.index import Index, IndexCorrupt, open_readonly, read_key, temporary_index
from syndicate.model import Outcome

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2


def _relative(file: Path, folder: Path) -> str | None:
    try:
        return file.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None


def explain_outcomes(config: Config) -> tuple[dict[str, Outcome], dict[str, list[str]]]:
    """Every source file's Outcome as a build would decide it now, and for selected files
    the feeds (output paths without extension) that carry them."""
    key = read_key(config.source.folder, config.source.patterns, config.source.max_file_bytes)
    with tempfile.TemporaryDirectory(prefix="syndicate-explain-") as tmp:
        index = _private_index(config, key, Path(tmp))
        try:
            index.begin()
            refresh_index(index, config, BuildOptions(progress=False))
            selected = select_from_index(index, config)
            index.rollback()
        finally:
            index.close()
    feeds: dict[str, list[str]] = {}
    for plan in selected.plans:
        name = _feed_name(plan)
        for article in plan.items:
            feeds.setdefault(article.path, []).append(name)
    return {path: Outcome(*row) for path, row in selected.outcomes.items()}, feeds


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


def _feed_name(plan: Any) -> str:
    path: str = plan.path("atom")
    return path.rsplit(".", 1)[0]


def run_explain(config: Config, files: Sequence[Path], out: TextIO) -> int:
    """Print one line per file; exit 0, or 2 when a FILE does not exist or the source
    folder is missing."""
    code = EXIT_OK
    rels: list[str | None] = []
    for file in files:
        if not file.exists():
            out.write(f"{file}: no such file\n")
            code = EXIT_USAGE
            rels.append(None)
            continue
        rels.append(_relative(file, config.source.folder))
    if all(rel is None for rel in rels):
        for file, rel in zip(files, rels, strict=True):
            if file.exists():
                out.write(f"{file}: not an article file: outside the source folder "
                          f"{config.source.folder}\n")
        return code
    try:
        outcomes, feeds = explain_outcomes(config)
    except SourceMissing as exc:
        out.write(f"syndicate: {exc}\n")
        return EXIT_USAGE
    patterns = ", ".join(config.source.patterns)
    for file, rel in zip(files, rels, strict=True):
        if not file.exists():
            continue
        if rel is None:
            out.write(f"{file}: not an article file: outside the source folder "
                      f"{config.source.folder}\n")
            continue
        outcome = outcomes.get(rel)
        if outcome is None:
            out.write(f"{file}: not an article file: not matching {patterns} "
                      f"(or inside a hidden folder)\n")
        elif outcome.status == "selected":
            out.write(f"{file}: selected: {', '.join(feeds.get(rel, []))}\n")
        elif outcome.status == "filtered":
            out.write(f"{file}: filtered: {outcome.reason}\n")
        else:
            where = "".join(f":{n}" for n in (outcome.line, outcome.column) if n is not None)
            out.write(f"{file}{where}: rejected: {outcome.reason}\n")
    return code
