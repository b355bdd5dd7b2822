"""frontmatter.py: the fast subset reader must give exactly what the full YAML path
gives, or step aside (None). Differential tests: real, sample and generated records,
thousands of seeded mutations of them, and generated scalars, each read both ways.

"Exactly" is type-exact (1, 1.0 and True differ; dict key order counts) and covers
the key positions used in messages; parse_article's Article or Rejection (with its
line and column) must be the same with the fast path on and off.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED_CORPUS
from corpus_generator import load_generator

from syndicate import frontmatter, yamlread
from syndicate.articles import parse_article
from syndicate.model import Article, Rejection
from syndicate.yamlread import MAX_YAML_DEPTH, MAX_YAML_NODES

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- helpers

def same(a: Any, b: Any) -> bool:
    """Equal with identical types all the way down, dict order included; NaN == NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (list(a) == list(b)
                and all(same(value, b[key]) for key, value in a.items()))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def fast_load(text: str) -> frontmatter.Loaded | None:
    return frontmatter.load(text, yamlread._PLAIN, first_line=2, max_nodes=MAX_YAML_NODES,
                            max_depth=MAX_YAML_DEPTH)


def full_load(text: str) -> Any:
    return yamlread._load_yaml(text, "a/b.md", 2)


def check(data: bytes) -> bool:
    """Assert both paths agree on ``data``; True when the fast path read it."""
    fast_result = parse_article(data, "a/b.md")
    full_result = parse_article(data, "a/b.md", fast=False)
    assert same(fast_result, full_result), (data[:300], fast_result, full_result)
    doc = yamlread._front_matter(data, "a/b.md")
    if isinstance(doc, Rejection):
        return False
    loaded = fast_load(doc[0])
    if loaded is None:
        return False
    full = full_load(doc[0])
    assert not isinstance(full, Rejection), (data[:300], full)
    assert same(loaded[0], full[0]), (data[:300], loaded[0], full[0])
    assert loaded[1] == full[1], (data[:300], loaded[1], full[1])
    return True


def wrap(text: str) -> bytes:
    return ("---\n" + text + "---\n").encode("utf-8")




def sample_records() -> list[bytes]:
    return [p.read_bytes() for p in sorted((REPO / "articles").glob("*.md"))]


def corpus_records(corpus: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()]


@pytest.fixture(scope="module")
def generated() -> list[bytes]:
    gen = load_generator()
    return [data for _, data in gen.iter_records(2000, 7, 0.001)]


# --------------------------------------------------------------------------- whole records

def test_every_real_record_is_read_by_the_fast_path_identically(shared_corpus: Path) -> None:
    records = corpus_records(shared_corpus)
    hits = [check(data) for data in records]
    print(f"\nfast path hit rate, real corpus: {sum(hits)}/{len(hits)}")
    assert all(hits)


def test_every_sample_article_is_read_by_the_fast_path_identically() -> None:
    records = sample_records()
    assert len(records) >= 10
    hits = [check(data) for data in records]
    print(f"\nfast path hit rate, articles/: {sum(hits)}/{len(hits)}")
    assert all(hits)


def test_generated_records_are_read_identically(generated: list[bytes]) -> None:
    hits = [check(data) for data in generated]
    print(f"\nfast path hit rate, generated: {sum(hits)}/{len(hits)}")
    # Every record the full loader reads without error is in the subset; the broken
    # ones the generator plants (unterminated quotes ...) fall back.
    for data, hit in zip(generated, hits, strict=True):
        doc = yamlread._front_matter(data, "a/b.md")
        readable = not isinstance(doc, Rejection) and not isinstance(full_load(doc[0]), Rejection)
        assert hit == readable, data[:300]


# --------------------------------------------------------------------------- mutations

_CHARS = list(" :#-?'\"\\/{}[],&*!|>%@`~=<.+_0123456789eExXoObBnN\t\r\n\x00\x85\xa0"
              "é東🚀\u2028\ufeff\ufffe")
_SNIPPETS = [
    ": ", " #", "# ", "- ", "-", "\\x4", "\\x41", "\\u00e9", "\\ud800", "\\U0001F680",
    "\\'", "\\N", "\\q", "''", '"', "'", "&a ", "*a", "!!int ", "!!str ", "[1, 2]",
    "{a: 1}", "|", ">", "? ", "<<: ", "0x1F", "0o17", "012", "08", "1_000", "1:20",
    "190:20:30", ".inf", "-.NaN", ".Inf", "+1", "1e5", "1.5e+3", "1.", ".5", "-0",
    "Null", "NULL", "~", "TRUE", "False", "yes", "on", "=", "---", "...", "%YAML 1.1",
    "2020-01-01", "\r\n", "\n  ", "\n- ", "  ", "\t", "x" * 120, "9" * 30,
]


def _mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not text:
            return text
        op = rng.randrange(9)
        pos = rng.randrange(len(text) + 1)
        lines = text.split("\n")
        row = rng.randrange(len(lines))
        if op == 0:  # delete a character
            text = text[:pos] + text[pos + 1:]
        elif op == 1:  # duplicate a character
            text = text[:pos] + text[pos:pos + 1] + text[pos:]
        elif op == 2:  # alter a character
            text = text[:pos] + rng.choice(_CHARS) + text[pos + 1:]
        elif op == 3:  # insert a snippet
            text = text[:pos] + rng.choice(_SNIPPETS) + text[pos:]
        elif op == 4:  # change a line's indentation
            stripped = lines[row].lstrip(" ")
            lines[row] = " " * max(0, len(lines[row]) - len(stripped) + rng.choice(
                (-2, -1, 1, 2))) + stripped
            text = "\n".join(lines)
        elif op == 5:  # duplicate or delete a line
            if rng.random() < 0.5:
                lines.insert(row, lines[row])
            else:
                del lines[row]
            text = "\n".join(lines)
        elif op == 6:  # swap two lines
            other = rng.randrange(len(lines))
            lines[row], lines[other] = lines[other], lines[row]
            text = "\n".join(lines)
        elif op == 7:  # replace a value with a scalar of another shape
            head, sep, _ = lines[row].partition(": ")
            if sep:
                lines[row] = head + sep + rng.choice(_SNIPPETS + _SCALARS)
                text = "\n".join(lines)
        else:  # line endings
            text = text.replace("\n", "\r\n") if rng.random() < 0.7 else text + "\r"
    return text


def _front_texts(records: list[bytes]) -> Iterator[str]:
    for data in records:
        doc = yamlread._front_matter(data, "a/b.md")
        if not isinstance(doc, Rejection):
            yield doc[0]


def test_mutated_records_are_read_identically_or_fall_back(generated: list[bytes]) -> None:
    rng = random.Random(20261122)
    bases = list(_front_texts(sample_records() + generated[:200]))
    if SHARED_CORPUS.is_dir():  # the real records too, where they are
        bases += list(_front_texts(corpus_records(SHARED_CORPUS)))
    outcomes = {"fast": 0, "fallback": 0, "articles": 0}
    for _ in range(4000):
        data = wrap(_mutate(rng.choice(bases), rng))
        outcomes["fast" if check(data) else "fallback"] += 1
        outcomes["articles"] += isinstance(parse_article(data, "a/b.md"), Article)
    print(f"\nmutations: {outcomes}")
    # The mutations must exercise both paths, or the comparison proves little.
    assert outcomes["fast"] > 1000 and outcomes["fallback"] > 500


# --------------------------------------------------------------------------- scalars

_SCALARS = [
    "news", "137", "-1", "0", "00", "007", "08", "0b101", "0x1F", "0X1F", "0o17", "1_000",
    "+12", "-0", "1:20", "-1:30:00", "1:60", "1.5", "-1.5", "1.", ".5", "1e5", "1.5e+3",
    "1.5E-3", "1_0.5", "6.8523015e+5", "190:20:30.15", ".inf", "-.Inf", "+.INF", ".nan",
    ".NaN", "true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "yes", "No", "on",
    "OFF", "y", "n", "null", "Null", "NULL", "nULL", "~", "2020-06-09T01:09:00Z",
    "2020-06-09", "2021-06-02T09:12:27-07:00", "<<", "=", "a=b", "microsoft.com",
    "Power Apps", "C# and F#", "a:b", "http://x.y/z?q=1#frag", "-foo", "-.5", "+",
    "9" * 25, "1" * 5000, "0x" + "f" * 40, "3.14.15", "1,000", "é", "東京", "🚀", "x'y",
    'x"y', "a [b] {c}", "a, b", "%x", "@x", "`x`", "!x", "&x", "*x", "|", ">", "?x", ":x",
    "- x", "#x", "x #y", "x#y", "x: y", "x:", "x  ", "...", "---",
]


@pytest.mark.parametrize("value", _SCALARS)
def test_plain_scalars_are_typed_like_the_full_loader(value: str) -> None:
    for text in (f"a: {value}\n", f"a:\n  - {value}\n", f"a:\n  - b: {value}\n"):
        check(wrap(text))


def test_common_plain_scalars_take_the_fast_path() -> None:
    common = ["news", "137", "-1", "1.5", "true", "false", "null", "~", "Power Apps",
              "microsoft.com", "2020-06-09T01:09:00Z", "0x1F", "1_000", "1:20", ".inf"]
    for value in common:
        assert check(wrap(f"a: {value}\n")), value


def test_random_quoted_and_plain_scalars_are_read_identically() -> None:
    rng = random.Random(7)
    alphabet = list("ab :#-'\"\\/x0u9Ff{}[],&*!|>%@`~ é東🚀\x85\xa0\u2028\ufeff") + [
        "\\x41", "\\u00e9", "\\U0001F680", "\\ud800", "\\U00110000", "\\N", "\\_", "\\L",
        "\\P", "\\e", "\\0", "\\t", "\\ ", '\\"', "\\\\", "\\/", "\\'", "''"]
    hits = 0
    for _ in range(3000):
        body = "".join(rng.choices(alphabet, k=rng.randrange(0, 12)))
        quote = rng.choice(['"', "'", ""])
        suffix = rng.choice(["", "", " ", " # note", "#x", "x"])
        hits += check(wrap(f"k: {quote}{body}{quote}{suffix}\nl:\n  - {quote}{body}{quote}\n"))
    assert hits > 500


# --------------------------------------------------------------------------- what falls back

@pytest.mark.parametrize("text", [
    "a: [1, 2]\n", "a: {b: 1}\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  x\n",
    "a: >\n  x\n", "? a\n: b\n", "a: b\n  c\n", 'a: "b\n  c"\n', "a:\n- b\n", "a:\n\tb: 1\n",
    "a: 1\na: 2\n", "b:\n  a: 1\n  a: 2\n", "%YAML 1.1\n---\na: 1\n", "a: 1\n...\n",
    "  a: 1\n", "a:\n  b: 1\n c: 2\n", "'a': 1\n", "null: 1\n", "true: 1\n", "<<: {}\n",
    "a: x: y\n", "a: x:\n", "a: @x\n", "a: `x`\n", "a: %x\n", "a: - b\n", "a: b\r c\n",
    "a: b\u2028c\n", "a: b\x85c\n", "a: \ufeffb\n", "a:\n  -\n  - b\n", "a: \"b\\'\"\n",
    "a: \"b\\q\"\n", 'a: "\\ud800"\n', "a: '\n", "# only a comment\n", "\n", "- a\n",
    "a: 1\n- b\n", "a: b\x00\n", "a: =\n", "a: 1" + "0" * 5000 + "\n",
])
def test_outside_the_subset_falls_back(text: str) -> None:
    assert fast_load(text) is None
    check(wrap(text))


def test_nesting_at_the_depth_cap_reads_and_beyond_it_falls_back() -> None:
    def nested(depth: int) -> str:
        return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth - 1)) + \
            f"{'  ' * (depth - 1)}leaf: 1\n"
    assert fast_load(nested(MAX_YAML_DEPTH)) is not None
    assert check(wrap(nested(MAX_YAML_DEPTH)))
    assert fast_load(nested(MAX_YAML_DEPTH + 1)) is None
    result = parse_article(wrap(nested(MAX_YAML_DEPTH + 1)), "a/b.md")
    assert isinstance(result, Rejection) and "nests deeper" in result.reason


def test_too_many_values_fall_back_to_the_capped_loader() -> None:
    text = "a:\n" + "".join(f"  - {i}\n" for i in range(MAX_YAML_NODES))
    assert fast_load(text) is None
    result = parse_article(wrap(text), "a/b.md")
    assert isinstance(result, Rejection) and "more than" in result.reason
    check(wrap(text))


def test_key_positions_name_the_file_line() -> None:
    text = "# a comment\ncategory: news\n\ntitle: \"x\"\nprovider:\n  name: n\nquality: 1\n"
    loaded = fast_load(text)
    assert loaded is not None
    assert loaded[1] == {"category": (3, 1), "title": (5, 1), "provider": (6, 1),
                         "quality": (8, 1)}
    assert check(wrap(text))


def test_rejections_keep_their_line_and_column_on_the_fast_path() -> None:
    data = wrap('title: "t"\nwebUrl: "https://x.example/a"\npublishedDateTime: 2020-01-01\n'
                "quality: true\n")
    fast = parse_article(data, "a/b.md")
    assert isinstance(fast, Rejection) and (fast.line, fast.column) == (5, 1)
    assert fast == parse_article(data, "a/b.md", fast=False)


# --------------------------------------------------------------------------- random shapes

def _random_block(rng: random.Random, indent: int, depth: int, lines: list[str]) -> None:
    """Append a random block mapping or sequence at ``indent`` (mostly in the subset,
    sometimes just outside it: odd indentation, indentless sequences, duplicates)."""
    pad = " " * indent
    keys = ["a", "b", "title", "webUrl", "x_1", "y-2", "k"]
    if rng.random() < 0.05:
        keys.append(rng.choice(["null", "True"]))  # keys that are not strings
    if depth > 0 and rng.random() < 0.4:
        for _ in range(rng.randint(1, 4)):
            dash = "-" + " " * rng.choice((1, 1, 1, 2, 3))
            if rng.random() < 0.5:
                lines.append(pad + dash + _random_scalar(rng))
            else:
                first = rng.choice(keys)
                lines.append(f"{pad}{dash}{first}: {_random_scalar(rng)}")
                inner = indent + len(dash)
                for key in rng.sample(keys, rng.randint(0, 3)):
                    if key != first or rng.random() < 0.1:
                        _random_entry(rng, inner, key, depth, lines)
        return
    for key in rng.sample(keys, rng.randint(1, 5)) + (["a"] if rng.random() < 0.05 else []):
        _random_entry(rng, indent, key, depth, lines)


def _random_entry(rng: random.Random, indent: int, key: str, depth: int,
                  lines: list[str]) -> None:
    pad = " " * indent
    roll = rng.random()
    if rng.random() < 0.1:
        lines.append(rng.choice(["", "   ", pad + "# note", "#"]))
    if depth < 5 and roll < 0.35:
        lines.append(f"{pad}{key}:" + rng.choice(["", "", " ", " # c"]))
        step = rng.choice((1, 2, 2, 2, 4)) if rng.random() < 0.97 else 0
        _random_block(rng, indent + step, depth + 1, lines)
    elif roll < 0.45:
        lines.append(f"{pad}{key}:")
    else:
        lines.append(f"{pad}{key}: {_random_scalar(rng)}")


def _random_scalar(rng: random.Random) -> str:
    value = rng.choice(_SCALARS[:-20] + ["Power Apps", "news", "137", "true"])
    style = rng.random()
    if style < 0.2:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style < 0.3:
        return "'" + value.replace("'", "''") + "'"
    return value + (" # c" if rng.random() < 0.05 else "")


def test_random_document_shapes_are_read_identically() -> None:
    rng = random.Random(99)
    hits = 0
    for _ in range(1500):
        lines: list[str] = []
        _random_block(rng, 0, 0, lines)
        text = "\n".join(lines) + "\n"
        if rng.random() < 0.2:
            text = text.replace("\n", "\r\n")
        hits += check(wrap(text))
    print(f"\nrandom shapes: fast path took {hits} of 1500")
    assert hits > 500
