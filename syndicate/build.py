"""One build, top to bottom: read -> select -> plan -> render -> write.

:func:`run_build` first checks the source folder — a missing one, or one without a
single article file (:mod:`syndicate.guard`), stops the run before anything in the
state or output folder is touched; a bucket source (``source.url``) is judged on the
listing the refresh makes — then takes the lock and an index (the state
folder's, or a scratch one with ``--no-index``); :func:`_build` is the pipeline, one
call per stage:

1. :func:`syndicate.refresh.refresh` — walk the source folder (or list the bucket) and
   parse what changed into the index (:mod:`syndicate.source`, :mod:`syndicate.pool`,
   :mod:`syndicate.objectstore`);
2. :func:`syndicate.select.select` over :class:`syndicate.index_rows.IndexRows` — which
   article goes into which feed, and why not (or the last build's selection, when
   :mod:`syndicate.incremental` proves it still holds); a selection that shrank beyond
   ``safety.max_shrink`` publishes nothing (:func:`syndicate.guard.refuse_shrink`);
3. :func:`syndicate.plan.plan_feeds` — the set of feeds: slugs, titles, paths;
4. :func:`syndicate.render_all.render_all` — render what moved, publish it atomically
   (:mod:`syndicate.publish`);
5. the accounting is committed with the index; stale feeds are found (or pruned) and
   WebSub hubs pinged (:mod:`syndicate.websub`).

Every record reaches selection and rendering *through the index*, cold build or warm,
1 process or N: there is one code path, so output bytes cannot depend on which run
produced a record. What may be skipped, and why that is safe, is
:mod:`syndicate.incremental`'s business.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from syndicate.clock import Stopwatch
from syndicate.config import Config
from syndicate.display import shown
from syndicate.errors import IndexCorrupt, PublishRefused
from syndicate.guard import ShrinkPolicy, Unmatched, refuse_empty, refuse_shrink
from syndicate.incremental import (
    LAST_BUILD,
    Counts,
    FeedPaths,
    LastBuild,
    SelectionMemo,
    nothing_to_do,
    render_key,
    reuse_selection,
    selection_key,
)
from syndicate.index import Index, discard, open_index, read_key, temporary_index
from syndicate.index_rows import IndexRows, stored_warnings
from syndicate.lock import acquire_lock
from syndicate.model import Outcome, Rejection
from syndicate.publish import remove_temporaries, tidy
from syndicate.refresh import refresh
from syndicate.result import BuildOptions, BuildResult, HistoryFinding, OutputFile
from syndicate.select import Selection, micros, select
from syndicate.source import Survey, check_source, survey

if TYPE_CHECKING:
    from syndicate.plan import FeedPlan

log = logging.getLogger(__name__)


def run_build(config: Config, options: BuildOptions) -> BuildResult:
    """Run one build under the lock. Raises SourceMissing and PublishRefused (an empty
    source) before touching the state or output folder; LockBusy, OutputRefused,
    StorageError (an index that cannot even be created), PublishRefused (a selection
    shrunk beyond safety.max_shrink: nothing published, nothing recorded) and OSError
    (for the output folder); a damaged index is logged and rebuilt, never an error."""
    watch = Stopwatch()
    if config.source.url is None:
        # A bucket source is listed once, under the lock (refresh), and the guard after
        # the refresh judges that listing: a listing here too would double the requests
        # of a no-change run. A refused run rolls the index back, so it records nothing.
        check_source(config.source)
        if not _policy(config, options).off:
            _refuse(_empty(config, options, survey(config.source)))
    with acquire_lock(config.state_folder, options.wait):
        # A build killed mid-publish leaves hidden temporaries; under the lock they are
        # certainly orphans.
        if config.output.folder.is_dir():
            for rel in remove_temporaries(config.output.folder):
                log.debug("removed a temporary file left by an interrupted build: %s", rel)
        result = _indexed(config, options, watch)
        if config.output.url is not None:
            # The staging folder is complete and the index committed: a sync that fails
            # here is finished by the next run (see syndicate.objectstore.publish).
            from syndicate.objectstore.publish import sync_output

            synced = sync_output(config, prune=options.prune)
            log.info("%s: %d objects uploaded, %d unchanged, %d deleted", config.output.url,
                     len(synced.uploaded), synced.unchanged, len(synced.deleted))
            if synced.foreign:
                log.info("%s: %d objects not written by syndicate left alone (as of the "
                         "last listing of the prefix)", config.output.url, len(synced.foreign))
                # Listed in the report like foreign files of an output folder.
                result = replace(result, foreign=result.foreign + synced.foreign)
        return result


def _indexed(config: Config, options: BuildOptions, watch: Stopwatch) -> BuildResult:
    key = read_key(config.source.url or config.source.folder, config.source.patterns,
                   config.source.max_file_bytes)
    if not options.use_index:
        with tempfile.TemporaryDirectory(prefix="syndicate-") as tmp:
            return _in(temporary_index(Path(tmp), key), config, options, watch)
    try:
        return _in(open_index(config.state_folder, key), config, options, watch,
                   discard_if_corrupt=True)
    except IndexCorrupt:
        pass  # logged and deleted by _in
    # A second attempt on a fresh index: a corrupt index must never cost the build.
    return _in(open_index(config.state_folder, key), config, options, watch)


def _in(index: Index, config: Config, options: BuildOptions, watch: Stopwatch, *,
        discard_if_corrupt: bool = False) -> BuildResult:
    """:func:`_build` in ``index``'s one transaction; the index is closed after."""
    try:
        result = _build(index, config, options, watch)
    except IndexCorrupt as exc:
        index.rollback()
        if not discard_if_corrupt:
            index.close()
            raise
        log.warning("index %s is unusable (%s); rebuilding it from the source files",
                    index.file, exc)
        discard(index)
        raise
    except BaseException:
        index.rollback()
        index.close()
        raise
    index.close()
    return result


def _build(index: Index, config: Config, options: BuildOptions, watch: Stopwatch
           ) -> BuildResult:
    index.begin()
    memo = options.memo
    if memo is not None:
        memo.start(index)
    read = refresh(index, config.source, jobs=options.jobs,
                   parallel_threshold=options.parallel_threshold, progress=options.progress,
                   changed=options.changed,
                   warnings=memo.kept_warnings() if memo is not None else None)
    log.debug("%.2f s: index refreshed", watch.seconds())
    # Again, on what the walk found: the folder may have emptied since (a mount gone).
    _refuse(_empty(config, options, Survey(read.found > 0, 0, None)))
    warnings = stored_warnings(index, read.warnings)
    # One transaction per run: the generation moves now if files changed, and commits
    # together with the record of the build that used it.
    generation = index.bump_generation()
    sel_key, ren_key = selection_key(config), render_key(config)
    last = LastBuild.from_meta(index.get_meta(LAST_BUILD))
    root = config.output.folder
    pings = _ping_round(config, options)
    now_us = micros(options.now)

    if nothing_to_do(last, generation, sel_key, ren_key, root, now_us):
        assert last is not None
        outputs, counts, rejections = last.outputs, last.counts, last.rejections
        next_due_us, trims = last.next_due_us, last.trims
        outcomes = index.get_outcomes() if options.want_outcomes else []
        rendered, changed_urls, skipped = 0, [], True
        history: list[HistoryFinding] = []  # nothing rewritten: nothing to compare
    else:
        # Imported here: a run with nothing to render (the cron case) needs none of it.
        from syndicate.archive_history import archive_step
        from syndicate.plan import name_feeds, plan_feeds
        from syndicate.render_all import render_all
        from syndicate.withdrawn import (
            ENTRY_IDS,
            HISTORY,
            dump_history,
            entry_ids_record,
            load_history,
            seed_entry_ids,
            withdraw,
        )

        chosen = _choose(index, config, last, sel_key, options.now, options.memo,
                         read.written)
        # Before anything is rendered; raising rolls the index back, so the refused
        # run is not recorded and the next one compares with the same last build.
        # The baseline is what the last build published; an article held back as
        # scheduled is still there, only not yet due: it is not lost.
        _refuse(refuse_shrink(last.counts.selected if last is not None else None,
                              chosen.counts.selected, _policy(config, options),
                              held=chosen.counts.scheduled))
        seeded = seed_entry_ids(index.get_meta(ENTRY_IDS))
        drawn = withdraw(plan_feeds(chosen.selection, config),
                         load_history(index.get_meta(HISTORY)), now_us=now_us,
                         retention_days=config.output.withdrawn_days,
                         items_per_feed=config.selection.items_per_feed)
        plans, digests = drawn.plans, chosen.digests
        pages: tuple[FeedPlan, ...] = ()
        kept_pages: tuple[OutputFile, ...] = ()
        index.set_meta(HISTORY, dump_history(drawn.history))
        ids = entry_ids_record(drawn.plans, seeded)
        if ids is not None:
            index.set_meta(ENTRY_IDS, ids)
        if config.output.archives:
            step = archive_step(index, config, plans, options.now, last)
            plans, pages, kept_pages = step.archived.plans, step.archived.pages, step.kept
            digests = {**step.digests, **digests}
        log.debug("%.2f s: selected and planned %d feeds", watch.seconds(), len(plans))
        rendering = render_all(index, config, plans, ren_key,
                               last.stamps if last is not None else {}, digests,
                               jobs=options.jobs, before_publish=pings.before_publish,
                               previous_trims=last.trims if last is not None else {},
                               compare=options.compare_previous, pages=pages,
                               kept_pages=kept_pages)
        log.debug("%.2f s: rendered %d files", watch.seconds(), rendering.rendered)
        outputs = tuple(rendering.outputs)
        if chosen.outcomes is None:  # the last build's selection: its outcomes stand
            outcomes = index.get_outcomes() if options.want_outcomes else []
        else:
            name_feeds(plans, chosen.outcomes)
            outcomes = list(chosen.outcomes.values())  # path order
            index.set_outcomes(outcomes)
            if len(outcomes) != read.found:
                log.error("accounting mismatch: %d files found, %d outcomes", read.found,
                          len(outcomes))
            if not options.want_outcomes:
                outcomes = []
        counts, rejections = chosen.counts, chosen.rejections
        next_due_us, trims = chosen.next_due_us, rendering.trims
        made = LastBuild(generation, sel_key, ren_key, rendering.stamps, outputs, counts,
                         rejections, FeedPaths.of(chosen.selection), now_us, next_due_us,
                         trims, drawn.expires_us)
        index.set_meta(LAST_BUILD, made.to_meta())
        rendered, changed_urls, skipped = rendering.rendered, rendering.changed_urls, False
        history = rendering.history
    prefill = None
    if memo is not None and skipped and not memo.holds and last is not None:
        # A watcher's first build (a walk that renders nothing): the selection's items
        # are read once now, so that the first edit is as quick as the next ones.
        prefill = reuse_selection(index, last, memo)
    index.commit()
    log.debug("%.2f s: index committed", watch.seconds())
    if memo is not None:
        if not skipped:
            memo.keep(index, warnings, made, chosen.selection, chosen.digests)
        elif prefill is not None:
            memo.keep(index, warnings, last, *prefill)
        else:  # no record moved: the items kept stand
            memo.keep(index, warnings)

    left = tidy(root, (o.path for o in outputs), prune_stale=options.prune)
    failures = pings.deliver(changed_urls)
    return BuildResult(
        read=read.found, parsed=read.parsed, reused=read.reused,
        selected=counts.selected, filtered=counts.filtered, rejected=counts.rejected,
        outputs=outputs, rendered=rendered, written=sum(1 for o in outputs if o.changed),
        stale=left.stale, pruned=left.pruned, seconds=watch.seconds(),
        outcomes=tuple(outcomes), rejections=rejections, ping_failures=tuple(failures),
        skipped_render=skipped, foreign=left.foreign, warnings=warnings,
        scheduled=counts.scheduled, next_due_us=next_due_us,
        trimmed=tuple(trims[p] for p in sorted(trims)),
        history=tuple(history) if options.compare_previous else None)


def _policy(config: Config, options: BuildOptions) -> ShrinkPolicy:
    return ShrinkPolicy(config.safety.max_shrink, options.allow_shrink)


def _empty(config: Config, options: BuildOptions, seen: Survey) -> str | None:
    return refuse_empty(int(seen.articles), _policy(config, options),
                        folder=shown(config.source.url or str(config.source.folder)),
                        patterns=config.source.patterns,
                        unmatched=Unmatched(seen.others, None if seen.example is None
                                            else shown(seen.example)))


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise PublishRefused(reason)


@dataclass(frozen=True, slots=True)
class _Chosen:
    """A selection with what the build keeps of it."""

    selection: Selection
    digests: dict[str, bytes]  # record digest of every item in the feeds
    outcomes: dict[str, Outcome] | None  # None: the stored outcomes stand
    counts: Counts
    rejections: tuple[Rejection, ...]  # sorted by path
    next_due_us: int | None  # the earliest held-back article's due time


def _choose(index: Index, config: Config, last: LastBuild | None, sel_key: bytes,
            now: datetime, memo: SelectionMemo | None, written: frozenset[str] | None
            ) -> _Chosen:
    if (last is not None and last.selection_key == sel_key and not index.views_changed
            and last.holds_at(micros(now))):
        reused = reuse_selection(index, last, memo, written)
        if reused is not None:
            selection, digests = reused
            return _Chosen(selection, digests, None, last.counts, last.rejections,
                           last.next_due_us)
    rows = IndexRows(index)
    selection = select(rows, config.selection, now)
    tally = Counter(o.status for o in selection.outcomes.values())
    rejections = tuple(Rejection(o.path, o.reason, o.line, o.column)
                       for o in selection.outcomes.values() if o.status == "rejected")
    return _Chosen(selection, rows.digests, selection.outcomes,
                   Counts(tally["selected"], tally["filtered"], tally["rejected"],
                          tally["scheduled"]),
                   rejections, selection.next_due_us)


class _Pings(Protocol):
    def before_publish(self, feed_urls: list[str]) -> None: ...
    def deliver(self, changed_urls: list[str]) -> list[str]: ...


class _NoPings:
    def before_publish(self, feed_urls: list[str]) -> None:
        pass

    def deliver(self, changed_urls: list[str]) -> list[str]:
        return []


def _ping_round(config: Config, options: BuildOptions) -> _Pings:
    """WebSub pings owed by earlier runs are read now, before anything is published
    (see :class:`syndicate.websub.PingRound`)."""
    hubs = config.websub.hubs
    if not hubs:
        return _NoPings()  # and the HTTP client is never imported
    from syndicate.websub import PingRound

    return PingRound(config.state_folder, hubs, timeout=config.websub.timeout_seconds,
                     retries=config.websub.retries, now=options.now.timestamp())


__all__ = ["BuildOptions", "BuildResult", "OutputFile", "run_build"]
