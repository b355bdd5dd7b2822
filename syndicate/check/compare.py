"""Gate 1: what changed between two versions of one feed that makes readers misbehave.

``compare_feeds(old, new)`` is pure (bytes in, findings out; no clock, no I/O), so the
build can call it with the bytes it is about to replace. Line numbers point into the new
version. The rules (docs/checks.md, "Gate 1"):

- items are matched by what readers key them on: the id (Atom id, RSS guid, JSON Feed id),
  else the link;
- an item whose link is unique in both versions and unchanged, but whose id is new, is
  shown twice by readers (``history.id-changed``);
- a kept item's published date must not move: earlier is a warning, later a warning too
  (republished), and later than the new version's *own* date (Atom feed ``updated``, RSS
  ``lastBuildDate`` else ``pubDate``) an error -- "the future" is judged against what the
  document says of itself, never against a clock;
- an item gone from the new version is a deletion readers never learn of when it is newer
  than the oldest kept item (or, undated, sat between two kept items) and no RFC 6721
  ``at:deleted-entry`` names it; items that fall off the end of the window are fine;
- the feed's format, Atom id and self link (JSON Feed ``feed_url``) should stay put.
"""

from __future__ import annotations

from collections import Counter

from syndicate.check.digest import Digest, Item, digest
from syndicate.check.findings import Finding, finding
from syndicate.check.tree import same_location

_FORMAT_NAMES = {"atom": "Atom", "rss": "RSS", "jsonfeed": "JSON Feed"}


def compare_feeds(old: bytes, new: bytes) -> list[Finding]:
    """Findings about ``new`` as the next version of ``old`` (both whole documents)."""
    before, after = digest(old), digest(new)
    if before is None or after is None:
        which = "previous" if before is None else "new"
        return [finding("history.not-comparable",
                        f"the {which} version is not an Atom, RSS or JSON Feed document that "
                        "parses, so the versions were not compared", None)]
    found = _feed(before, after)
    found.extend(_items(before, after))
    found.sort(key=lambda f: f.line or 0)
    return found


def _feed(before: Digest, after: Digest) -> list[Finding]:
    found = []
    if before.format != after.format:
        found.append(finding(
            "history.format-changed",
            f"the feed was {_FORMAT_NAMES[before.format]} and is now "
            f"{_FORMAT_NAMES[after.format]}: readers that key items per format, or that do "
            "not read the new one, show every item again or stop updating", None))
    if before.feed_id and after.feed_id and before.feed_id != after.feed_id:
        found.append(finding(
            "history.feed-id-changed",
            f"the feed id changed from {before.feed_id!r} to {after.feed_id!r} (RFC 4287 "
            "4.2.6: an id never changes); readers may treat it as a new feed",
            after.feed_id_line))
    if before.self_url and after.self_url and not same_location(before.self_url,
                                                                 after.self_url):
        found.append(finding(
            "history.self-changed",
            f"the self link changed from {before.self_url!r} to {after.self_url!r}; readers "
            "that follow it move the subscription there", after.self_line))
    return found


def _unique_links(items: tuple[Item, ...]) -> dict[str, Item]:
    counts = Counter(i.link for i in items if i.link)
    return {i.link: i for i in items if i.link and counts[i.link] == 1}


def _items(before: Digest, after: Digest) -> list[Finding]:
    found: list[Finding] = []
    old_by_key: dict[str, Item] = {}
    for item in before.items:
        if item.key is not None:
            old_by_key.setdefault(item.key, item)
    new_keys = {i.key for i in after.items if i.key is not None}
    old_links, new_links = _unique_links(before.items), _unique_links(after.items)
    renamed: set[str] = set()
    kept: list[tuple[Item, Item]] = []
    seen: set[str] = set()
    for item in after.items:
        if item.key is None or item.key in seen:
            continue
        seen.add(item.key)
        if item.key in old_by_key:
            kept.append((old_by_key[item.key], item))
            continue
        was = old_links.get(item.link) if item.link and item.link in new_links else None
        if was is not None and was.key is not None and was.key not in new_keys:
            renamed.add(was.key)
            found.append(finding(
                "history.id-changed",
                f"the item linking to {item.link!r} had id {was.id or '(none)'!r} and now "
                f"has {item.id or '(none)'!r}: readers show it twice", item.line))
    for was, now in kept:
        found.extend(_published(was, now, after))
    found.extend(_vanished(before, after, {now.key for _, now in kept}, renamed))
    return found


def _published(was: Item, now: Item, after: Digest) -> list[Finding]:
    if was.published is None or now.published is None:
        return []
    # Whole seconds: RSS dates have no fractions, so a change of format alone must not
    # read as a move.
    before, after_moment = was.published.replace(microsecond=0), \
        now.published.replace(microsecond=0)
    if before == after_moment:
        return []
    moved = f"published moved from {was.published_text!r} to {now.published_text!r}"
    if after_moment < before:
        return [finding("history.published-moved-back",
                        f"{moved}: readers sorting by date bury it, mail digests skip it",
                        now.line)]
    if after.stamp is not None and after_moment > after.stamp:
        return [finding("history.published-in-future",
                        f"{moved}, later than the feed's own date {after.stamp_text!r}: "
                        "readers pin it on top (Planet Venus rewrites it to now)", now.line)]
    return [finding("history.published-moved-forward",
                    f"{moved}: readers show it as new again, at the top", now.line)]


def _vanished(before: Digest, after: Digest, kept: set[str | None],
              renamed: set[str]) -> list[Finding]:
    kept_now = [i for i in after.items if i.key in kept]
    dated = [i.date for i in (kept_now or list(after.items)) if i.date is not None]
    oldest = min(dated) if dated else None
    positions = [n for n, i in enumerate(before.items) if i.key in kept]
    first, last = (positions[0], positions[-1]) if positions else (0, -1)
    found = []
    reported: set[str] = set()
    for n, item in enumerate(before.items):
        key = item.key
        if key is None or key in kept or key in renamed or key in reported:
            continue
        if item.id is not None and item.id in after.tombstones:
            continue
        if item.date is not None and oldest is not None:
            inside = item.date > oldest
        else:  # undated: judged by place, between two kept items of the previous version
            inside = first < n < last
        if inside:
            reported.add(key)
            found.append(finding(
                "history.item-vanished",
                f"the item {item.id or item.link!r} (line {item.line} of the previous "
                "version) is gone while newer items stay, with no at:deleted-entry "
                "tombstone: readers keep showing it", None))
    return found
