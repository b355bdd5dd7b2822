"""The newest K items of one feed, in bounded memory (selection's pass 2)."""

from __future__ import annotations

from typing import Generic, TypeVar

P = TypeVar("P")

FeedKey = tuple[int, str, str]  # (-published µs, link, path): feed order, smallest first


class TopK(Generic[P]):
    """The first ``limit`` items of a feed in O(limit) memory: items are appended to a
    buffer that is sorted and cut back to ``limit`` whenever it doubles; after a cut,
    anything sorting after the last kept item is refused in O(1). Keys are unique (they
    end in the path), so payloads are never compared."""

    __slots__ = ("buffer", "cutoff", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer: list[tuple[FeedKey, P]] = []
        self.cutoff: FeedKey | None = None

    def offer(self, key: FeedKey, payload: P) -> None:
        cutoff = self.cutoff
        if cutoff is not None and key > cutoff:
            return
        buffer = self.buffer
        buffer.append((key, payload))
        if len(buffer) >= 2 * self.limit:
            buffer.sort()
            del buffer[self.limit:]
            self.cutoff = buffer[-1][0]

    def items(self) -> list[tuple[FeedKey, P]]:
        self.buffer.sort()
        del self.buffer[self.limit:]
        return self.buffer
