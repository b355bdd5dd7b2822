"""Render every output file whose inputs moved, and publish it.

For each feed file, a fingerprint — the render key, the plan's header and the digest
of every item's record — decides whether it must be rendered at all
(:func:`syndicate.incremental.unchanged`). The files that must are rendered from
their plans with the full records loaded from the index (selection carried light
ones), in worker processes when there are many (:func:`syndicate.pool.pool_map`,
batches of plans out, stamps back), and published a batch at a time
(:func:`syndicate.publish.write_many`). Every output is a pure function of its plan,
so N processes write the same bytes as one. The OPML list and the HTML index are
rendered from the light plans (titles, paths, counts, dates: no article text) when
any feed's fingerprint moved.

The renderers (feedgen, lxml) are imported only when something is rendered: a
no-change build never loads them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from syndicate.budget import fit
from syndicate.config import Config, Format
from syndicate.errors import IndexCorrupt
from syndicate.incremental import Stamp, stamp_of, unchanged
from syndicate.index import Index
from syndicate.model import Article
from syndicate.plan import INDEX_PATH, OPML_PATH, PAGE_EXTENSION, FeedPlan, newest_updated
from syndicate.pool import pool_map, worker_count
from syndicate.publish import read_previous, write_if_changed, write_many
from syndicate.result import HistoryFinding, OutputFile, OutputKind, Trim

# Rendering in workers pays off from this many feed files per worker; plans travel to
# workers in batches of RENDER_BATCH, at most IN_FLIGHT batches per worker at a time.
RENDER_PARALLEL_THRESHOLD = 150
RENDER_BATCH = 16
IN_FLIGHT = 4
# Full records kept in the parent between render batches (an item is in several feeds).
_FULL_RECORDS_HELD = 20_000


# A feed's HTML page (syndicate.render.pages) is rendered like one more format of it:
# same plan, same fingerprint base, so it moves exactly when its feed does. An archive
# page's HTML view likewise, beside it (archive/<feed>/<k>.html).
PAGE: Literal["html"] = "html"


class Job(NamedTuple):
    """One feed file (or the feed's page) to render."""

    fmt: Format | Literal["html"]
    rel: str  # output path
    fingerprint: bytes


class Rendered(NamedTuple):
    """One feed file rendered and published."""

    rel: str
    changed: bool  # its bytes differ from what was there
    stamp: Stamp
    trim: Trim | None  # when it was over output.max_feed_bytes
    history: tuple[HistoryFinding, ...] = ()  # against the bytes it replaced (compare)


class RenderTask(NamedTuple):
    config: Config
    batch: list[tuple[FeedPlan, list[Job]]]  # full plans and their files
    compare: bool = False  # compare each file with the bytes it replaces


@dataclass(slots=True)
class Rendering:
    """What :func:`render_all` did."""

    outputs: list[OutputFile] = field(default_factory=list)  # sorted by path
    stamps: dict[str, Stamp] = field(default_factory=dict)  # of every output file
    trims: dict[str, Trim] = field(default_factory=dict)  # feed files cut to the budget
    changed_urls: list[str] = field(default_factory=list)  # feeds whose bytes changed
    rendered: int = 0
    history: list[HistoryFinding] = field(default_factory=list)  # in path order


def render_all(index: Index, config: Config, plans: Sequence[FeedPlan], key: bytes,
               previous: dict[str, Stamp], digests: dict[str, bytes], *, jobs: int = 0,
               before_publish: Callable[[list[str]], None] | None = None,
               previous_trims: dict[str, Trim] | None = None,
               compare: bool = False,
               pages: Sequence[FeedPlan] = (),
               kept_pages: Sequence[OutputFile] = ()) -> Rendering:
    """Render and publish every output file whose fingerprint moved (or that is
    missing or touched). ``key`` is the render key, ``previous`` the last build's
    stamps, ``digests`` the record digest of every item in ``plans``.
    ``before_publish`` gets the URLs of the feed files about to be rewritten, before
    the first one is. ``previous_trims``: the last build's trims (an unchanged file
    keeps its trim). ``compare``: each feed file rewritten is compared with the bytes it
    replaces (the checker's ``check --previous`` rules): ``Rendering.history``. Files
    whose fingerprint did not move are not rewritten, so not read either. ``pages``:
    the RFC 5005 archive pages (syndicate.archive), rendered like feeds but never
    listed, announced to hubs or cut to the budget. ``kept_pages``: archive page files
    the archive step found unchanged without a plan (their members' records did not
    move): they keep their last stamps."""
    root = config.output.folder
    result = Rendering()
    for kept_page in kept_pages:
        result.stamps[kept_page.path] = previous[kept_page.path]
        result.outputs.append(OutputFile(kept_page.path, kept_page.kind, kept_page.items,
                                         False))
    all_prints: list[bytes] = []
    pending: list[tuple[FeedPlan, list[Job]]] = []  # (light plan, its files to render)
    about: dict[str, tuple[int, str | None]] = {}  # rel -> (items, feed url; None: no URL)
    for plan in (*plans, *pages):
        h = hashlib.blake2b(key, digest_size=16)
        h.update(_plan_header(plan).encode("utf-8"))
        for a in plan.items:
            h.update(a.path.encode("utf-8") + b"\0" + digests.get(a.path, b"?"))
        base = h.digest()
        todo: list[Job] = []
        for fmt in config.output.formats:
            rel = plan.path(fmt)
            fp = hashlib.blake2b(base + fmt.encode(), digest_size=16).digest()
            if not _is_page(plan):
                all_prints.append(fp)
            if unchanged(root, rel, fp, previous):
                result.stamps[rel] = previous[rel]
                trim = (previous_trims or {}).get(rel)
                if trim is not None:
                    result.trims[rel] = trim
                kept = len(plan.items) if trim is None else trim.kept
                result.outputs.append(OutputFile(rel, "feed", kept, False))
            else:
                todo.append(Job(fmt, rel, fp))
                about[rel] = (len(plan.items), None if _is_page(plan) else plan.url(fmt, config))
        # --- the feed's (or archive page's) HTML page: one more file of the same plan
        page_fp = hashlib.blake2b(base + PAGE.encode(), digest_size=16).digest()
        page = _html_path(plan)
        if unchanged(root, page, page_fp, previous):
            result.stamps[page] = previous[page]
            result.outputs.append(OutputFile(page, "page", len(plan.items), False))
        else:
            todo.append(Job(PAGE, page, page_fp))
            about[page] = (len(plan.items), None)
        if todo:
            pending.append((plan, todo))

    full = _FullRecords(index)

    def tasks() -> Iterator[RenderTask]:
        for start in range(0, len(pending), RENDER_BATCH):
            chunk = pending[start:start + RENDER_BATCH]
            yield RenderTask(config, [(full.plan(plan), todo) for plan, todo in chunk],
                             compare)

    urls = sorted(url for _, url in about.values() if url is not None)
    if before_publish is not None and urls:
        before_publish(urls)
    workers = min(worker_count(jobs), math.ceil(len(about) / RENDER_PARALLEL_THRESHOLD))
    _collect(result, pool_map(render_batch, tasks(), workers=workers, window=IN_FLIGHT),
             about)
    _render_listings(result, config, plans, key, all_prints, previous, full)
    result.outputs.sort(key=lambda o: o.path)
    result.history.sort(key=lambda h: (h.path, h.line or 0))
    return result


def _plan_header(plan: FeedPlan) -> str:
    # The archive spot only when set: with archives off, the prints of a build before
    # they existed.
    spot = () if plan.archive is None else (tuple(plan.archive),)
    return repr((plan.family, plan.key, plan.name, plan.slug, plan.title, plan.subtitle,
                 plan.updated, len(plan.items), plan.withdrawn, *spot))


def _is_page(plan: FeedPlan) -> bool:
    return plan.archive is not None and plan.archive.page > 0


def _html_path(plan: FeedPlan) -> str:
    if _is_page(plan):
        from syndicate.archive import html_page_path

        return html_page_path(plan)
    return plan.page_path()


def _render_listings(result: Rendering, config: Config, plans: Sequence[FeedPlan],
                     key: bytes, all_prints: list[bytes], previous: dict[str, Stamp],
                     full: _FullRecords) -> None:
    """The OPML and the HTML index list every feed; re-rendered when any feed's print
    moved. They read feed titles, paths, item counts and dates: the light plans carry
    all of it. The index also shows the all-feed's newest headlines: only those few
    records are loaded in full (their digests are in the all-feed's prints)."""
    root = config.output.folder
    listing = hashlib.blake2b(key + b"".join(all_prints), digest_size=16).digest()
    plans = [p for p in plans if p.alias_of is None]  # copies at old URLs: not listed
    if config.output.opml:
        from syndicate.render.opml import render_opml

        _render_listing(result, root, OPML_PATH, "opml", listing, plans, previous,
                        lambda: render_opml(plans, config))
    if config.output.index_html:
        from syndicate.render.html import FRONT_PAGE_ITEMS, render_index

        def index() -> bytes:
            newest = [p for p in plans if p.family == "all"][:1]
            headlines = full.plan(dataclasses.replace(
                newest[0], items=newest[0].items[:FRONT_PAGE_ITEMS])).items if newest else ()
            return render_index(plans, config, headlines)

        _render_listing(result, root, INDEX_PATH, "index", listing, plans, previous, index)


def _render_listing(result: Rendering, root: Path, rel: str, kind: OutputKind,
                    listing: bytes, plans: Sequence[FeedPlan], previous: dict[str, Stamp],
                    render: Callable[[], bytes]) -> None:
    fp = hashlib.blake2b(listing + kind.encode(), digest_size=16).digest()
    if unchanged(root, rel, fp, previous):
        result.stamps[rel] = previous[rel]
        result.outputs.append(OutputFile(rel, kind, len(plans), False))
        return
    data = render()
    result.rendered += 1
    changed = write_if_changed(root, rel, data)
    result.stamps[rel] = stamp_of(root, rel, fp)
    result.outputs.append(OutputFile(rel, kind, len(plans), changed))


def render_batch(task: RenderTask) -> list[Rendered]:
    """Render and publish some feed files (in a worker process, or inline). The whole
    batch is published together: one durability barrier for all its files instead of
    two fsyncs per file (see write_many for why that is as crash-safe)."""
    from syndicate.archive import newest_archive_page
    from syndicate.render.atom_rss import render_atom, render_rss
    from syndicate.render.jsonfeed import render_json
    from syndicate.render.pages import render_archive_page, render_feed_page

    renderers: dict[Format, Callable[[FeedPlan, Config], bytes]] = {
        "atom": render_atom, "rss": render_rss, "json": render_json}
    config = task.config
    root = config.output.folder
    budget = config.output.max_feed_bytes
    files: list[tuple[str, bytes]] = []
    trims: list[Trim | None] = []
    for plan, todo in task.batch:
        for job in todo:
            if job.fmt == PAGE:  # pages are not cut to the feed byte budget
                if _is_page(plan):
                    files.append((job.rel, render_archive_page(plan, config)))
                else:
                    older = newest_archive_page(plan)
                    up = "../" * plan.page_path().count("/")
                    files.append((job.rel, render_feed_page(
                        plan, config, archive_url=None if older is None else up + older)))
                trims.append(None)
                continue
            render = renderers[job.fmt]

            def newest(n: int, plan: FeedPlan = plan,
                       render: Callable[[FeedPlan, Config], bytes] = render) -> bytes:
                if n == len(plan.items):
                    return render(plan, config)
                items = plan.items[:n]
                return render(dataclasses.replace(plan, items=items,
                                                  updated=newest_updated(items)), config)

            # An archive page is never cut: what it left out would be missing from the
            # history (output.archive_page_size bounds its size instead).
            fitted = fit(newest, len(plan.items), budget if not _is_page(plan) else 1 << 62)
            files.append((job.rel, fitted.data))
            trims.append(None if fitted.kept == len(plan.items) else Trim(
                job.rel, len(plan.items), fitted.kept, fitted.full_bytes, len(fitted.data)))
    jobs = [job for _, todo in task.batch for job in todo]
    # Only subscription feeds are compared: an HTML page is no feed, and an archive page
    # losing a withdrawn story is the archive's documented rule, not a reader's surprise.
    compared = {job.rel for plan, todo in task.batch if task.compare and not _is_page(plan)
                for job in todo if job.fmt != PAGE}
    history = [_history(root, rel, data) if rel in compared else () for rel, data in files]
    changed = write_many(root, files)
    return [Rendered(job.rel, was_changed, stamp_of(root, job.rel, job.fingerprint), trim,
                     found)
            for job, was_changed, trim, found in zip(jobs, changed, trims, history,
                                                     strict=True)]


def _history(root: Path, rel: str, data: bytes) -> tuple[HistoryFinding, ...]:
    """The checker's Gate 1 on ``rel``: its bytes on disk (about to be replaced) against
    ``data``. Nothing to say for a new file or for the same bytes."""
    from syndicate.check.compare import compare_feeds  # the builder may use the checker
    from syndicate.check.core import MAX_BYTES

    old = read_previous(root, rel, MAX_BYTES)
    if old is None or old == data:
        return ()
    return tuple(HistoryFinding(rel, f.code, f.severity, f.message, f.line)
                 for f in compare_feeds(old, data))


def _collect(result: Rendering, batches: Iterable[list[Rendered]],
             about: dict[str, tuple[int, str | None]]) -> None:
    for batch in batches:
        for done in batch:
            items, url = about[done.rel]
            result.rendered += 1
            result.stamps[done.rel] = done.stamp
            if done.trim is not None:
                result.trims[done.rel] = done.trim
                items = done.trim.kept
            kind: OutputKind = "page" if done.rel.endswith(PAGE_EXTENSION) else "feed"
            result.outputs.append(OutputFile(done.rel, kind, items, done.changed))
            if done.changed and url is not None:
                result.changed_urls.append(url)
            result.history.extend(done.history)


class _FullRecords:
    """Plans with their items' full records (text, images...) loaded from the index,
    each record once."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self._full: dict[str, Article] = {}

    def plan(self, plan: FeedPlan) -> FeedPlan:
        full = self._full
        if len(full) > _FULL_RECORDS_HELD:
            full.clear()  # archive pages reach every record: keep memory bounded
        missing = [a.path for a in plan.items if a.path not in full]
        for path, record in self._index.load(missing).items():
            if not isinstance(record, Article):
                raise IndexCorrupt(f"{path}: selected record is not an article")
            full[path] = record
        try:
            # The full record is the plan's light item plus its text; should a plan
            # ever adjust a light field (topic spellings), its item wins and only the
            # text is filled in (a copy, so only then).
            items = tuple(f if _same_light(a, f := full[a.path]) else _with_body(a, f)
                          for a in plan.items)
        except KeyError as exc:
            raise IndexCorrupt(f"{exc.args[0]}: selected record missing from index") from None
        return dataclasses.replace(plan, items=items)


def _same_light(light: Article, full: Article) -> bool:
    return (light.link == full.link and light.published == full.published
            and light.updated == full.updated and light.topics == full.topics
            and light.provider == full.provider and light.type == full.type
            and light.quality == full.quality and light.heat == full.heat
            and light.warnings == full.warnings and light.is_published == full.is_published)


def _with_body(light: Article, full: Article) -> Article:
    return dataclasses.replace(light, title=full.title, excerpt=full.excerpt,
                               images=full.images, related=full.related,
                               embed_url=full.embed_url)
