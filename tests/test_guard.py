"""The publish guard's decisions, without disk: when a build must publish nothing."""

from __future__ import annotations

import pytest

from syndicate.guard import ShrinkPolicy, Unmatched, percent, refuse_empty, refuse_shrink

HALF = ShrinkPolicy(max_shrink=0.5)
NONE_ELSE = Unmatched(0, None)


def test_an_empty_source_is_refused_and_says_so() -> None:
    reason = refuse_empty(0, HALF, folder="/srv/articles", patterns=("*.md",),
                          unmatched=NONE_ELSE)
    assert reason == ("no article file in /srv/articles (source.patterns ['*.md']): "
                      "nothing published; run with --allow-shrink if this is intended")


def test_other_files_name_source_patterns_and_one_example() -> None:
    reason = refuse_empty(0, HALF, folder="/srv/a", patterns=("*.md",),
                          unmatched=Unmatched(5, "a.txt"))
    assert reason is not None
    assert reason.startswith("no file matches source.patterns ['*.md'] in /srv/a "
                             "(it holds 5 other files, e.g. a.txt): nothing published")
    one = refuse_empty(0, HALF, folder="/srv/a", patterns=("*.md", "*.markdown"),
                       unmatched=Unmatched(1, "notes.txt"))
    assert one is not None and "['*.md', '*.markdown']" in one and "1 other file," in one


@pytest.mark.parametrize("policy", [ShrinkPolicy(0.5, allowed=True), ShrinkPolicy(1.0)])
def test_allow_shrink_or_max_shrink_1_lets_an_empty_source_publish(policy: ShrinkPolicy) -> None:
    assert refuse_empty(0, policy, folder="/a", patterns=("*.md",), unmatched=NONE_ELSE) is None


def test_a_source_with_files_passes_the_empty_check() -> None:
    assert refuse_empty(1, HALF, folder="/a", patterns=("*.md",), unmatched=NONE_ELSE) is None


@pytest.mark.parametrize(("baseline", "selected", "refused"), [
    (10, 4, True),    # 60% lost > 50%
    (10, 5, False),   # exactly half: allowed
    (10, 10, False),
    (10, 30, False),  # growing is never a problem
    (10, 0, True),
    (1, 0, True),
    (0, 0, False),    # nothing was published: nothing to lose
    (None, 0, False),  # no build published yet: only the empty check applies
    (3, 1, True),     # 66.7%
    (1000, 499, True),
    (1000, 500, False),
])
def test_shrink_beyond_the_fraction_is_refused(baseline: int | None, selected: int,
                                               refused: bool) -> None:
    assert (refuse_shrink(baseline, selected, HALF) is not None) is refused


def test_max_shrink_0_refuses_any_loss_and_1_none() -> None:
    assert refuse_shrink(100, 99, ShrinkPolicy(0.0)) is not None
    assert refuse_shrink(100, 100, ShrinkPolicy(0.0)) is None
    assert refuse_shrink(100, 0, ShrinkPolicy(1.0)) is None
    assert refuse_shrink(100, 0, ShrinkPolicy(0.5, allowed=True)) is None


@pytest.mark.parametrize(("fraction", "baseline", "selected"), [(0.3, 10, 7), (0.7, 10, 3),
                                                                (0.29, 100, 71), (0.57, 100, 43),
                                                                (0.1, 30, 27)])
def test_a_loss_exactly_at_the_limit_is_allowed_despite_float_rounding(
        fraction: float, baseline: int, selected: int) -> None:
    assert refuse_shrink(baseline, selected, ShrinkPolicy(fraction)) is None
    assert refuse_shrink(baseline, selected - 1, ShrinkPolicy(fraction)) is not None


def test_the_shrink_message_names_both_counts_the_loss_and_the_limit() -> None:
    assert refuse_shrink(10, 1, HALF) == (
        "1 selected article, down from 10 in the last published build (90% fewer; "
        "safety.max_shrink allows 50%): nothing published; run with --allow-shrink if "
        "this is intended")
    reason = refuse_shrink(200, 99, HALF)
    assert reason is not None and "99 selected articles, down from 200" in reason
    assert "(50.5% fewer; safety.max_shrink allows 50%)" in reason


@pytest.mark.parametrize(("fraction", "text"), [(0.6, "60%"), (0.505, "50.5%"), (1.0, "100%"),
                                                (0.0, "0%"), (1 / 3, "33.3%")])
def test_percent_is_never_rounded_onto_the_limit(fraction: float, text: str) -> None:
    assert percent(fraction) == text
