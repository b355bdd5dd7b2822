"""What a build is asked to do and what it reports: the types between the build, the
CLI and the report (kept here so neither has to import the other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from syndicate.model import Outcome, Rejection, Warned

if TYPE_CHECKING:
    from syndicate.incremental import SelectionMemo

# "page": a feed's HTML page (P.html beside P.atom, syndicate.render.pages).
OutputKind = Literal["feed", "page", "opml", "index"]

# Below this many files to parse, forking workers costs more than it saves.
PARALLEL_THRESHOLD = 1000


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How to run one build. ``now`` is the build's moment (``--now``, or the clock
    read once by the CLI): the only time the build may use for anything it keeps."""

    now: datetime  # timezone-aware
    prune: bool = False
    jobs: int = 0  # worker processes; 0 = all cores
    use_index: bool = True
    wait: float = 0.0  # seconds to wait for another build's lock
    progress: bool = False
    parallel_threshold: int = PARALLEL_THRESHOLD
    want_outcomes: bool = True  # load every file's Outcome (for --report)
    allow_shrink: bool = False  # publish even an empty or sharply shrunk selection
    # Source paths known to be the only ones that may have changed since the last
    # build (``syndicate watch``: from file-system events), so only these are stat'ed;
    # None (cron, and watch after a rescan-worthy event) walks the whole source.
    changed: frozenset[str] | None = None
    # Compare every feed file the build rewrites with the bytes it replaces
    # (``build --compare-previous`` / ``[report] compare_previous``): BuildResult.history.
    compare_previous: bool = False
    # The last build's selection items, kept by ``syndicate watch`` between its builds.
    memo: SelectionMemo | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the output folder as this build left it."""

    path: str  # POSIX, relative to the output folder
    kind: OutputKind
    items: int  # entries in a feed or page; feeds listed for opml/index
    changed: bool  # bytes written this run


class HistoryFinding(NamedTuple):
    """What changed in a rewritten feed file that makes readers misbehave (the checker's
    ``check --previous`` rules, run on the bytes a build replaces)."""

    path: str  # the feed file, POSIX, relative to the output folder
    code: str  # a ``history.*`` code of the checker (docs/checks.md)
    severity: str  # "error" or "warning"
    message: str
    line: int | None  # in the new version


class Trim(NamedTuple):
    """A feed file over ``output.max_feed_bytes`` that kept only its newest items."""

    path: str
    items: int  # the feed's items before trimming
    kept: int  # newest items kept
    full_bytes: int  # its size with every item
    size: int  # its size as written (<= the budget, unless even no item fits)


@dataclass(frozen=True, slots=True)
class BuildResult:
    read: int  # source files found
    parsed: int  # of which read and parsed this run
    reused: int  # of which taken from the index
    selected: int
    filtered: int
    rejected: int
    outputs: tuple[OutputFile, ...]  # sorted by path
    rendered: int  # output files rendered this run
    written: int  # output files whose bytes changed
    stale: tuple[str, ...]  # feed files of vanished topics/providers still on disk
    # (only files this tool wrote: what --prune deletes)
    pruned: tuple[str, ...]  # stale files deleted (--prune)
    seconds: float
    outcomes: tuple[Outcome, ...] = ()  # every source file, sorted by path
    rejections: tuple[Rejection, ...] = ()
    ping_failures: tuple[str, ...] = ()
    skipped_render: bool = False  # the whole select/plan/render stage was proven unneeded
    # Feed-named files in the feed folders that this tool did not write (see
    # publish.written_by_us): neither kept by the build nor ever pruned.
    foreign: tuple[str, ...] = ()
    warnings: tuple[Warned, ...] = ()  # articles kept with values dropped, by path
    scheduled: int = 0  # articles held back: dated after the build's moment
    next_due_us: int | None = None  # when the earliest of them is due (µs since epoch)
    trimmed: tuple[Trim, ...] = ()  # feeds cut to their size budget, sorted by path
    # Findings of the comparison with the previous bytes, sorted by path and line; None
    # when the build was not asked to compare (BuildOptions.compare_previous).
    history: tuple[HistoryFinding, ...] | None = None

    @property
    def warning_count(self) -> int:
        return sum(len(w.warnings) for w in self.warnings)

    @property
    def feeds(self) -> tuple[OutputFile, ...]:
        return tuple(o for o in self.outputs if o.kind == "feed")
