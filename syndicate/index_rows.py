"""The index as a selection source: selection reads the plain columns written at parse
time (:mod:`syndicate.codec`), never re-derives them, and decodes only the records of
the items that land in a feed.

:class:`IndexRows` is a :class:`syndicate.select.SelectionSource`: pass 1 gets from
SQLite only the copies of stories told more than once; pass 2 streams every record's
selection columns in path order.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterator, Sequence

from syndicate.codec import (
    ARTICLE,
    PROVIDER,
    REJECTION,
    TOPICS,
    ItemRef,
    candidate,
    check,
    item_article,
    item_type,
    light_check,
    rejection_from,
)
from syndicate.dedupe import Candidate
from syndicate.errors import IndexCorrupt
from syndicate.index import Index
from syndicate.model import Article, Outcome, Warned
from syndicate.select import ProviderKey, Row, TopicPairs

_new = tuple.__new__
# The meta key of the copy of every article's warnings kept by stored_warnings.
WARNINGS_CACHE = "warnings"

# The partial index files_warns holds just the articles with warnings: this costs next
# to nothing on a no-change run, and it is read on every run.
_WARNINGS = "SELECT path, warns FROM files WHERE warns IS NOT NULL ORDER BY path"
_WARNINGS_OF = ("SELECT path, warns FROM files WHERE warns IS NOT NULL AND path IN ({}) "
                "ORDER BY path")
_CANDIDATES = (
    "SELECT path, dkey, light, lcheck FROM files WHERE dkey IN "
    "(SELECT dkey FROM files WHERE dkey IS NOT NULL GROUP BY dkey HAVING count(*) > 1)")
# Columns an unpublished row or a rejection does not need come back as NULL: no Python
# object is made for them.
_ROWS = (
    "SELECT path, kind, ureason, quality, tflags, "
    "CASE WHEN ureason IS NULL THEN link END, pub_us, "
    "CASE WHEN ureason IS NULL THEN tview END, "
    "CASE WHEN ureason IS NULL THEN pview END, "
    "CASE WHEN kind = 0 AND ureason IS NULL THEN light END, lcheck, "
    "CASE WHEN ureason IS NULL THEN digest END, "
    "CASE kind WHEN 1 THEN body END FROM files ORDER BY path")

# A row below the lowest threshold is in no feed whatever its topics or provider:
# selection needs only to know whether it has any (for the threshold it names).
_SOME_TOPICS: TopicPairs = (("", ""),)
_SOME_PROVIDER: ProviderKey = ("", "")


class IndexRows:
    """Selection over the index. After :func:`syndicate.select.select`, ``digests``
    holds the record digest of every item it put into a feed (for render
    fingerprints)."""

    ordered = True

    def __init__(self, index: Index) -> None:
        self._index = index
        self.digests: dict[str, bytes] = {}

    def candidates(self) -> Iterator[Candidate]:
        """The published articles whose dedupe key occurs more than once: SQLite groups
        the keys; only copies of a story reach Python."""
        for rows in self._index.stream(_CANDIDATES):
            for path, dkey, light, lcheck in rows:
                check(type(path) is str and type(dkey) is str, "dedupe key type")
                check(type(light) is bytes and lcheck == light_check(light),
                      f"{path}: checksum mismatch")
                yield candidate(path, dkey, light)

    def rows(self, floor: float, outcomes: dict[str, Outcome]
             ) -> Iterator[Row[ItemRef | None]]:
        """Every published article as a :class:`Row`, in path order, with an
        :class:`ItemRef` as payload for those that can be in a feed (quality at least
        ``floor``). Rejections and unpublished articles go straight into ``outcomes``
        (their outcome depends on nothing else) in between.

        An unpublished row needs just its reason; a row below ``floor`` its quality and
        whether it has topics / a provider (``tflags``); only a row that can be in
        some feed needs link, time, topic and provider keys (small marshalled views,
        decoded once per distinct value)."""
        reasons: dict[str, str] = {}  # one string object per distinct reason
        views: dict[bytes, object] = {}  # distinct topic/provider views: a few thousand
        loads = marshal.loads
        for rows in self._index.stream(_ROWS):
            for (path, kind, unpublished, quality, tflags, link, published, tview, pview,
                 light, lcheck, digest, body) in rows:
                if kind == ARTICLE and unpublished is not None:
                    check(type(unpublished) is str and type(path) is str
                          and path not in outcomes, f"{path}: reason")
                    outcomes[path] = _new(Outcome, (
                        path, "filtered", reasons.setdefault(unpublished, unpublished),
                        None, None))
                    continue
                if kind == REJECTION:
                    check(type(path) is str and lcheck == light_check(None),
                          f"{path}: rejection")
                    r = rejection_from(path, body)
                    outcomes[path] = _new(Outcome, (path, "rejected", r.reason, r.line,
                                                    r.column))
                    continue
                check(kind == ARTICLE and type(path) is str and type(tflags) is int
                      and type(quality) in (int, float), f"{path}: kind")
                if quality < floor:
                    yield _new(Row, (path, None, quality, 0, "",
                                     _SOME_TOPICS if tflags & TOPICS else (),
                                     _SOME_PROVIDER if tflags & PROVIDER else None, None))
                    continue
                topics = views.get(tview)
                provider = views.get(pview)
                try:
                    if topics is None:
                        topics = views[tview] = loads(tview)
                    if provider is None:
                        provider = views[pview] = loads(pview)
                except (EOFError, ValueError, TypeError) as exc:
                    raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
                check(type(link) is str and type(published) is int
                      and type(light) is bytes and type(topics) is tuple
                      and bool(topics) == bool(tflags & TOPICS)
                      and (provider is not None) == bool(tflags & PROVIDER),
                      f"{path}: selection columns")
                ref = _new(ItemRef, (path, light, lcheck, digest, quality, published, link,
                                     topics, provider))
                yield _new(Row, (path, None, quality, published, link, topics, provider,
                                 ref))

    def article(self, payload: ItemRef | None) -> Article:
        """The light Article of an item (its text is loaded only to render it)."""
        if payload is None:  # below every threshold: never in a feed
            raise IndexCorrupt("a record below every threshold was put into a feed")
        self.digests[payload.path] = payload.digest
        return item_article(payload)

    def item_type(self, payload: ItemRef | None) -> str:
        if payload is None:  # below every threshold: matched by no feed
            raise IndexCorrupt("a record below every threshold was matched by type")
        return item_type(payload)


def stored_warnings(index: Index, kept: tuple[Warned, ...] | None = None
                    ) -> tuple[Warned, ...]:
    """Every article's warnings (of those that have any), in path order: read on every
    run, even one that renders nothing, so each is shown every time, not just once.

    Read from a copy kept in the meta table (:data:`WARNINGS_CACHE`): at a million
    files (80,000 with warnings) reading them row by row costs a no-change run about a
    tenth of its walk, and a watched build half a second. Every refresh that writes
    entries patches the copy in the same transaction (:func:`patch_warnings`). ``kept``:
    the copy as stored, when the caller holds it (a watcher, from build to build)."""
    cached = kept if kept is not None else _cached_warnings(index.get_meta(WARNINGS_CACHE))
    if cached is not None:
        return cached
    out = _read_warnings(index, _WARNINGS, ())
    index.set_meta(WARNINGS_CACHE, [tuple(w) for w in out])
    return tuple(out)


def patch_warnings(index: Index, parsed: Sequence[str], gone: Sequence[str], *,
                   key: Callable[[str], str], kept: tuple[Warned, ...] | None = None
                   ) -> tuple[Warned, ...] | None:
    """Bring the kept copy in line after ``parsed`` (names, ``key`` gives their index
    key) were stored and ``gone`` deleted: theirs are read again, the others stand.
    Many (a cold build): the copy is dropped, and the next :func:`stored_warnings`
    reads every row once. ``kept``: the copy as stored, when the caller holds it (then
    it is not read). Returns the copy as now stored, None when it was dropped or not
    read."""
    if not parsed and not gone:
        return kept
    many = len(parsed) + len(gone) > 10_000
    cached = None if many else (
        kept if kept is not None else _cached_warnings(index.get_meta(WARNINGS_CACHE)))
    if cached is None:
        index.set_meta(WARNINGS_CACHE, None)
        return None
    moved = {*map(key, parsed), *gone}
    paths = sorted(moved)
    fresh: list[Warned] = []
    for start in range(0, len(paths), 500):
        chunk = paths[start:start + 500]
        fresh += _read_warnings(index, _WARNINGS_OF.format(", ".join("?" * len(chunk))), chunk)
    # The kept Warned objects themselves, not rebuilt: at a million files (80,000 with
    # warnings) making them again cost a watched build ~0.1 s, and every new one that
    # survives brings the next full garbage collection closer. Warned sorts as the
    # plain tuple it is, so the order is the stored rows' order.
    merged = sorted([w for w in cached if w.path not in moved] + fresh)
    index.set_meta(WARNINGS_CACHE, [tuple(w) for w in merged])  # marshal: plain tuples
    return tuple(merged)


def _read_warnings(index: Index, sql: str, params: Sequence[str]) -> list[Warned]:
    out: list[Warned] = []
    for rows in index.stream(sql, params=params):
        for path, blob in rows:
            try:
                warnings = marshal.loads(blob)
            except (EOFError, ValueError, TypeError) as exc:
                raise IndexCorrupt(f"invalid record in index: {path}: {exc}") from None
            check(type(path) is str and type(warnings) is tuple
                  and all(type(w) is str for w in warnings), f"{path}: warnings")
            out.append(_new(Warned, (path, warnings)))
    return out


def _cached_warnings(raw: object) -> tuple[Warned, ...] | None:
    """The copy :func:`stored_warnings` kept, None when there is none."""
    if type(raw) is not list:
        return None
    out = tuple(_new(Warned, row) for row in raw)
    for path, warnings in out:
        check(type(path) is str and type(warnings) is tuple, f"{path}: cached warnings")
    return out
