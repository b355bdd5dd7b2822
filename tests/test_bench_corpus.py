"""The benchmark's synthetic corpus: deterministic, in the real records' format, realistic mix."""

from __future__ import annotations

import filecmp
import re
from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import yaml
from corpus_generator import load_generator

REPO = Path(__file__).resolve().parents[1]




gen = load_generator()

_FRONT_MATTER = re.compile(rb"\A---\r?\n(.*?\r?\n)---\r?\n(?:\r?\n)*\Z", re.DOTALL)


def _front_matter(data: bytes) -> Any:
    match = _FRONT_MATTER.match(data)
    assert match is not None, data[:200]
    return yaml.load(match.group(1), Loader=yaml.CSafeLoader)


@pytest.fixture(scope="module")
def sample() -> list[tuple[str, bytes]]:
    return list(gen.iter_records(2000, 7, 0.0))


def test_same_seed_gives_a_byte_identical_corpus(tmp_path: Path) -> None:
    gen.generate(tmp_path / "a", 200, 42)
    gen.generate(tmp_path / "b", 200, 42)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 200
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names,
                                               shallow=False)
    assert (len(match), mismatch, errors) == (200, [], [])


def test_another_seed_gives_another_corpus() -> None:
    first = list(gen.iter_records(50, 1))
    assert first != list(gen.iter_records(50, 2))
    assert first == list(gen.iter_records(50, 1))


def test_generate_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.md").write_text("mine")
    with pytest.raises(FileExistsError):
        gen.generate(tmp_path, 5, 1)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.md"]


def test_cli_writes_the_requested_number_of_files(tmp_path: Path) -> None:
    assert gen.main(["--n", "30", "--seed", "3", "--out", str(tmp_path / "c")]) == 0
    assert len(list((tmp_path / "c").glob("*.md"))) == 30


def test_file_names_are_unique_dated_slugs_matching_the_record_date(
        sample: list[tuple[str, bytes]]) -> None:
    names = [name for name, _ in sample]
    assert len(set(names)) == len(names)
    for name, data in sample:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.md", name), name
        stamp = _front_matter(data)["publishedDateTime"]
        assert stamp.tzinfo is not None
        assert stamp.astimezone(UTC).date().isoformat() == name[:10]


def test_every_record_has_the_real_shape(sample: list[tuple[str, bytes]]) -> None:
    for _, data in sample:
        record = _front_matter(data)
        assert isinstance(record["title"], str) and record["title"]
        assert isinstance(record["published"], bool)
        assert 0 <= record["quality"] <= 150
        assert record["type"] in ("article", "video")
        assert 1 <= len(record["topics"]) <= 3
        assert set(record["provider"]) <= {"name", "domain", "images"}
        link = record.get("webUrl") or record["originalUrl"]
        assert link.startswith("https://")
        if record["type"] == "video":
            assert "webUrl" not in record
            assert "<iframe" in record["featuredContent"]


def test_keys_are_those_of_the_real_corpus(sample: list[tuple[str, bytes]],
                                           shared_corpus: Path) -> None:
    real: set[str] = set()
    for path in shared_corpus.rglob("*"):
        if path.is_file():
            real |= set(_front_matter(path.read_bytes()))
    generated: set[str] = set()
    for _, data in sample:
        generated |= set(_front_matter(data))
    assert generated <= real
    assert {"title", "excerpt", "webUrl", "originalUrl", "provider", "topics", "images",
            "related", "featuredContent", "secured"} <= generated


def test_mix_is_realistic(sample: list[tuple[str, bytes]]) -> None:
    n = len(sample)
    records = [_front_matter(data) for _, data in sample]
    published = sum(r["published"] for r in records) / n
    without_images = sum("images" not in r for r in records) / n
    videos = sum(r["type"] == "video" for r in records) / n
    crlf = sum(b"\r\n" in data for _, data in sample) / n
    assert 0.55 <= published <= 0.65
    assert 0.07 <= without_images <= 0.13
    assert 0.03 <= videos <= 0.12
    assert 0.15 <= crlf <= 0.35
    assert any("related" in r for r in records)
    offsets = sum(bool(re.search(rb"publishedDateTime: \S+[+-]\d\d:\d\d\r?\n", data))
                  for _, data in sample) / n
    assert 0.05 <= offsets <= 0.25
    providers = Counter(r["provider"]["name"] for r in records)
    topics = Counter(t for r in records for t in r["topics"])
    assert len(providers) > 300  # of 500, skewed: the long tail shows up
    assert len(topics) == 40
    assert any(not t.isascii() for t in topics) and any(" " in t for t in topics)
    text = " ".join(r["title"] + " " + r["excerpt"] for r in records)
    for needle in ("&", "<", ">", "&#8217;", "é", "東京"):
        assert needle in text
    sizes = sorted(len(data) for _, data in sample)
    assert 1200 <= sizes[n // 2] <= 2500  # about the size of the real files


def test_broken_records_are_invalid_yaml_or_lack_a_title() -> None:
    broken = 0
    for _, data in gen.iter_records(300, 5, 0.2):
        try:
            record = _front_matter(data)
        except yaml.YAMLError:
            broken += 1
            continue
        broken += "title" not in record
    assert 30 <= broken <= 90


def test_generated_articles_are_accepted_by_the_reader(
        sample: list[tuple[str, bytes]]) -> None:
    articles = pytest.importorskip("syndicate.articles")
    from syndicate.model import Article

    results = [articles.parse_article(data, name) for name, data in sample[:300]]
    rejected = [r for r in results if not isinstance(r, Article)]
    assert rejected == []


def test_broken_records_are_exactly_the_ones_the_reader_rejects() -> None:
    articles = pytest.importorskip("syndicate.articles")
    from syndicate.model import Rejection

    for name, data in gen.iter_records(200, 11, 0.1):
        try:
            record = _front_matter(data)
            broken = "title" not in record
        except yaml.YAMLError:
            broken = True
        assert isinstance(articles.parse_article(data, name), Rejection) == broken, name
