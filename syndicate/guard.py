"""Whether a build may publish: a failed mount must never empty the feeds.

Pure decisions, no I/O. The build asks twice:

- :func:`refuse_empty`, before it touches the state or output folder: a source folder
  without a single article file is far more often a mount that failed (or a typo in
  ``source.patterns``) than an editor who deleted everything;
- :func:`refuse_shrink`, after selection and before anything is rendered: the
  selected articles must not shrink by more than ``safety.max_shrink`` against the
  last build that published. A refused run records nothing as "published", so the
  next run is compared with the same last good build.

Either answer is one line saying why (for ``syndicate: <reason>``), or None to go on.
``--allow-shrink`` or ``safety.max_shrink = 1`` turns both off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

_ALLOW = "nothing published; run with --allow-shrink if this is intended"


@dataclass(frozen=True, slots=True)
class ShrinkPolicy:
    max_shrink: float  # safety.max_shrink: the fraction of the baseline that may go
    allowed: bool = False  # --allow-shrink

    @property
    def off(self) -> bool:
        return self.allowed or self.max_shrink >= 1.0


@dataclass(frozen=True, slots=True)
class Unmatched:
    """What else a source folder without article files holds (its non-hidden files
    that no pattern matched), for a message that names the likely mistake."""

    count: int
    example: str | None  # the first such name in sorted order, already display-safe


def refuse_empty(found: int, policy: ShrinkPolicy, *, folder: str, patterns: Sequence[str],
                 unmatched: Unmatched) -> str | None:
    """Why a build that found ``found`` article files must not publish, or None.
    ``folder`` is the source folder as it is to be shown."""
    if found or policy.off:
        return None
    listed = list(patterns)
    if unmatched.count:
        files = "file" if unmatched.count == 1 else "files"
        example = f", e.g. {unmatched.example}" if unmatched.example else ""
        return (f"no file matches source.patterns {listed} in {folder} (it holds "
                f"{unmatched.count} other {files}{example}): {_ALLOW}")
    return f"no article file in {folder} (source.patterns {listed}): {_ALLOW}"


def refuse_shrink(baseline: int | None, selected: int, policy: ShrinkPolicy, *,
                  held: int = 0) -> str | None:
    """Why ``selected`` articles must not replace the ``baseline`` the last published
    build selected (None: no build published yet), or None. ``held`` articles are
    scheduled (dated after the build's moment): not published yet, but not lost
    either, so they count against the loss, never towards the baseline."""
    if baseline is None or baseline <= 0 or policy.off:
        return None
    lost = baseline - selected - held
    # As written in the config (0.3, not 0.299999...): a loss exactly at the limit is
    # allowed whatever binary floating point makes of the product.
    if lost <= Fraction(repr(policy.max_shrink)) * baseline:
        return None
    noun = "article" if selected == 1 else "articles"
    also = f" (and {held} scheduled)" if held else ""
    return (f"{selected} selected {noun}{also}, down from {baseline} in the last published build "
            f"({percent(lost / baseline)} fewer; safety.max_shrink allows "
            f"{percent(policy.max_shrink)}): {_ALLOW}")


def percent(fraction: float) -> str:
    """``0.6`` -> ``60%``, ``0.505`` -> ``50.5%``: never rounded onto the limit it is
    compared with."""
    text = f"{fraction * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"
