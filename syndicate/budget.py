"""Size budgets (issue 12): a feed over ``output.max_feed_bytes`` keeps the newest
items that fit.

Readers cap what they fetch (FeedBurner 512 KB, CommaFeed 5 MiB, Miniflux 15 MiB), so
every feed file is measured as rendered, and one over budget is rendered again with
its oldest items dropped — whole items, never a cut one — until the largest newest-first
prefix that fits is found. Sizes grow with the item count, so the search is over
counts: interpolation from the measured sizes (items are of similar size, so the first
guess is usually right or one off), falling back to bisection whenever a guess does not
halve the interval, so at most about 2·log2(items) renders, typically 3 or 4. The
answer is verified by the render it returns: the bytes are always the bytes measured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Fitted(NamedTuple):
    """A feed rendered within its budget."""

    data: bytes
    kept: int  # newest items kept
    full_bytes: int  # size of the feed with every item (== len(data) when nothing dropped)


def fit(render: Callable[[int], bytes], count: int, budget: int) -> Fitted:
    """The rendering of the newest ``n`` items for the largest ``n <= count`` whose size
    is at most ``budget``; ``render(n)`` must be pure and grow with ``n``. When even no
    item fits (a feed head larger than the budget), the empty feed is returned: it is
    the smallest this feed can be."""
    full = render(count)
    if len(full) <= budget or count == 0:
        return Fitted(full, count, len(full))
    lo, lo_data = 0, render(0)
    if len(lo_data) > budget:
        return Fitted(lo_data, 0, len(full))
    hi, hi_size = count, len(full)  # invariant: lo fits, hi does not
    interpolate = True
    while hi - lo > 1:
        if interpolate:
            step = (budget - len(lo_data)) * (hi - lo) // (hi_size - len(lo_data))
            mid = min(max(lo + step, lo + 1), hi - 1)
        else:
            mid = (lo + hi) // 2
        width = hi - lo
        data = render(mid)
        if len(data) <= budget:
            lo, lo_data = mid, data
        else:
            hi, hi_size = mid, len(data)
        interpolate = hi - lo <= width // 2
    return Fitted(lo_data, lo, len(full))
