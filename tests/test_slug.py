"""Slugs: safe file names from any topic or provider name, stable and distinct."""

from __future__ import annotations

import hashlib
import itertools
import random
import re
from pathlib import Path

import pytest

from syndicate.slug import MAX_LENGTH, assign_slugs, slugify

SAFE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")

HOSTILE = [
    "../../x", "..", ".", "/", "/etc/passwd", "a/b\\c", "C++", "c", "c--", "人工智能",
    "x" * 400, "CON", "con", "nul", "LPT1", "", " ", "\x00", "\ud800", "😀🔥", "٩(◕‿◕)۶",
    "العربية", "Ελληνικά", "Ünïcödé Näme", "-leading-and-trailing-", "\u202eevil", "a\nb",
    "%2e%2e%2f", "~user", "$(rm -rf /)", "name.atom", "all",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_any_name_gives_a_safe_bounded_slug(name: str) -> None:
    slug = slugify(name)
    assert SAFE.match(slug), slug
    assert 1 <= len(slug) <= MAX_LENGTH
    assert slug not in {".", "..", "con", "nul", "lpt1"}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_slug_path_never_leaves_the_feed_folder(name: str, tmp_path: Path) -> None:
    root = (tmp_path / "feeds").resolve()
    target = (root / "topics" / f"{slugify(name)}.atom").resolve()
    assert target.parent == root / "topics"


def test_latin_names_read_naturally() -> None:
    assert slugify("Computer Vision") == "computer-vision"
    assert slugify("  IBM   AI ") == "ibm-ai"
    assert slugify("Ünïcödé Näme") == "unicode-name"
    assert slugify("livemint.com") == "livemint-com"


def test_non_latin_names_are_transliterated_when_possible() -> None:
    assert slugify("人工智能") == "rengongzhineng"
    assert slugify("Ελληνικά") == "ellinika"


def test_a_name_with_nothing_to_transliterate_gets_a_stable_hash() -> None:
    for name in ("", "\x00", "!!!", "\ud800"):
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
        assert slugify(name) == f"n-{digest[:8]}"
    assert slugify("!!!") != slugify("???")


def test_long_names_are_cut_and_kept_apart_by_a_hash() -> None:
    a, b = "x" * 400, "x" * 399 + "y"
    assert len(slugify(a)) == MAX_LENGTH
    assert slugify(a) != slugify(b)
    assert slugify(a).startswith("x" * 40)


def test_windows_device_names_never_stand_alone() -> None:
    for name in ("CON", "con", "Aux", "NUL", "COM1", "lpt9", "prn"):
        slug = slugify(name)
        assert slug.startswith(name.lower() + "-")


def test_colliding_names_get_distinct_suffixed_slugs_but_the_plain_one_keeps_its() -> None:
    slugs = assign_slugs(["c++", "c", "c--", "ai"])
    assert slugs["ai"] == "ai"
    assert slugs["c"] == "c"  # the name that is its slug written out keeps it
    for key in ("c++", "c--"):
        suffix = hashlib.sha256(key.encode()).hexdigest()[:8]
        assert slugs[key] == f"c-{suffix}"


def test_a_new_look_alike_never_moves_an_established_feed() -> None:
    # One article tagged "AI!" or "A<zero width space>I" must not rename topics/ai.atom,
    # nor "p-com" take providers/p-com from p.com.
    assert assign_slugs(["ai"])["ai"] == "ai"
    for intruder in ("ai!", "a\u200bi", "a-i-", "\u0430i"):
        slugs = assign_slugs(["ai", intruder])
        assert slugs["ai"] == "ai"
        assert slugs[intruder] != "ai"
    assert assign_slugs(["machine learning", "machine learning!"])["machine learning"] == (
        "machine-learning")


def test_without_a_single_plain_name_every_colliding_name_is_suffixed() -> None:
    slugs = assign_slugs(["c++", "c--", "machine learning", "machine-learning"])
    assert all(len(slug.rsplit("-", 1)[1]) == 8 for slug in slugs.values())
    assert len(set(slugs.values())) == 4


def test_collision_resolution_does_not_depend_on_order() -> None:
    keys = ["c++", "c", "c--", "C#", "c#", "ai", "a.i.", "人工智能", "rengongzhineng"]
    first = assign_slugs(keys)
    for perm in itertools.islice(itertools.permutations(keys), 0, 2000, 97):
        assert assign_slugs(perm) == first
    assert len(set(first.values())) == len(set(keys))


def test_a_suffixed_slug_cannot_capture_another_names_natural_slug() -> None:
    # "c-<hash of c++>" written literally as a name would equal c++'s suffixed slug.
    sneaky = "c-" + hashlib.sha256(b"c++").hexdigest()[:8]
    slugs = assign_slugs(["c++", "c", sneaky])
    assert len(set(slugs.values())) == 3
    assert all(SAFE.match(s) and len(s) <= MAX_LENGTH for s in slugs.values())


def test_random_hostile_names_always_get_distinct_safe_slugs() -> None:
    rng = random.Random(4)
    alphabet = "aA-_. /\\\x00+人工😀é" + "".join(chr(c) for c in range(0x300, 0x310))
    names = {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
             for _ in range(2000)}
    slugs = assign_slugs(names)
    assert len(set(slugs.values())) == len(names)
    for slug in slugs.values():
        assert SAFE.match(slug) and len(slug) <= MAX_LENGTH
