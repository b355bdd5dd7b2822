"""Size budgets (issue 12): every feed file stays within ``output.max_feed_bytes`` by
keeping its newest items that fit, whole, and the report and the log say which feeds
were trimmed and by how much."""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
from pathlib import Path

import pytest
from lxml import etree
from test_build import article, make_site, snapshot

from syndicate import cli
from syndicate.budget import fit
from syndicate.config import Config, load_config

ATOM = "{http://www.w3.org/2005/Atom}"
BUDGET = 16384
NOW = "2026-12-06T10:00:00Z"


def test_fit_keeps_the_largest_prefix_that_fits_in_few_renders() -> None:
    rng = random.Random(12)
    for _ in range(3000):
        count = rng.randint(0, 400)
        # Mostly similar items, some huge ones: the interpolation guess is often wrong.
        sizes = [rng.randint(200, 900) if rng.random() < 0.9 else rng.randint(1, 60000)
                 for _ in range(count)]
        head = rng.randint(100, 3000)
        calls: list[int] = []

        def render(n: int, sizes: list[int] = sizes, head: int = head,
                   calls: list[int] = calls) -> bytes:
            calls.append(n)
            return b"x" * (head + sum(sizes[:n]))

        budget = rng.randint(50, head + sum(sizes) + 100)
        got = fit(render, count, budget)
        best = max((n for n in range(count + 1) if head + sum(sizes[:n]) <= budget),
                   default=0)
        assert got.kept == best
        assert got.data == render(best)
        assert got.full_bytes == head + sum(sizes)
        assert len(got.data) <= budget or best == 0
        assert len(calls) - 1 <= 2 * math.ceil(math.log2(count + 1)) + 3


def big_site(root: Path, *, budget: int | None = BUDGET, items: int = 50,
             count: int = 40) -> Config:
    config = make_site(root, items=items)
    if budget is not None:
        text = config.path.read_text(encoding="utf-8")
        config.path.write_text(text.replace('[output]\n', f'[output]\nmax_feed_bytes = '
                                                          f'{budget}\n'), encoding="utf-8")
    src = config.source.folder
    for i in range(count):
        words = " ".join(f"word{i}x{j}" for j in range(40 + (i * 7) % 30))
        article(src, f"a{i:02d}.md", title=f"Story {i:02d} {words}",
                topics=("Power Apps",) if i % 2 else ("Power Apps", "Robotics"),
                when=f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00Z")
    return load_config(config.path)


def run(config: Config, *extra: str) -> int:
    return cli.main(["build", "--config", str(config.path), "--now", NOW, *extra])


def titles(out: Path, rel: str) -> list[str]:
    if rel.endswith(".json"):
        return [i["title"] for i in json.loads((out / rel).read_text("utf-8"))["items"]]
    root = etree.fromstring((out / rel).read_bytes())
    if rel.endswith(".atom"):
        return [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]
    return [t.text or "" for t in root.iterfind("channel/item/title")]


def test_every_feed_keeps_its_newest_items_that_fit_and_the_report_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = big_site(tmp_path / "site")
    unlimited = big_site(tmp_path / "unlimited", budget=None)
    report = tmp_path / "report.json"
    caplog.set_level(logging.INFO)
    assert run(config, "--report", str(report)) == 0
    assert run(unlimited) == 0
    out, whole = config.output.folder, unlimited.output.folder
    data = json.loads(report.read_text(encoding="utf-8"))
    trimmed = {t["path"]: t for t in data["trimmed"]}
    assert {"all.atom", "all.rss", "all.json"} <= set(trimmed)
    for rel in sorted(snapshot(out)):
        if not rel.endswith((".atom", ".rss", ".json")):
            continue
        size = (out / rel).stat().st_size
        assert size <= BUDGET, rel
        kept, every = titles(out, rel), titles(whole, rel)
        assert kept == every[:len(kept)]  # the newest, whole, in order
        if rel in trimmed:
            t = trimmed[rel]
            assert (t["items"], t["kept"], t["bytes"]) == (len(every), len(kept), size)
            assert t["dropped"] == len(every) - len(kept) > 0
            assert t["full_bytes"] == (whole / rel).stat().st_size > BUDGET
            # As many as fit: one more item would be over the budget.
            more = big_site(tmp_path / f"more-{rel.replace('/', '-')}", budget=None,
                            items=len(kept) + 1)
            assert run(more) == 0
            assert (more.output.folder / rel).stat().st_size > BUDGET
        else:
            assert kept == every and (whole / rel).stat().st_size <= BUDGET
    outputs = {o["path"]: o["items"] for o in data["feeds"]}
    assert all(outputs[p] == t["kept"] for p, t in trimmed.items())
    logged = [r.getMessage() for r in caplog.records]
    t = trimmed["all.atom"]
    assert (f"feed over output.max_feed_bytes: all.atom keeps its newest {t['kept']} of "
            f"{t['items']} items ({t['full_bytes']} -> {t['bytes']} bytes)") in logged
    assert any(m.startswith("read ") and f"; {len(trimmed)} trimmed to "
               "output.max_feed_bytes" in m for m in logged)
    assert cli.main(["check", "--strict", str(out)]) == 0


def test_trims_survive_incremental_builds_and_match_a_clean_build(tmp_path: Path) -> None:
    config = big_site(tmp_path / "site")
    report = tmp_path / "report.json"
    assert run(config, "--report", str(report)) == 0
    first = json.loads(report.read_text(encoding="utf-8"))["trimmed"]
    assert first
    # Nothing changed: the whole render is skipped, the trims are still reported.
    assert run(config, "--report", str(report)) == 0
    assert json.loads(report.read_text(encoding="utf-8"))["trimmed"] == first
    # One new, newest article: feeds re-render; unchanged feeds keep their trims.
    article(config.source.folder, "new.md", title="Newest story", topics=("Robotics",),
            when="2026-12-01T10:00:00Z")
    assert run(config, "--report", str(report)) == 0
    again = json.loads(report.read_text(encoding="utf-8"))["trimmed"]
    assert titles(config.output.folder, "all.atom")[0] == "Newest story"
    fresh = tmp_path / "fresh"
    shutil.copytree(tmp_path / "site", fresh, ignore=shutil.ignore_patterns("out", "state"))
    other = load_config(fresh / "config.toml")
    clean = tmp_path / "clean.json"
    assert run(other, "--no-index", "--report", str(clean)) == 0
    assert snapshot(config.output.folder) == snapshot(other.output.folder)
    assert json.loads(clean.read_text(encoding="utf-8"))["trimmed"] == again


def test_a_budget_below_the_minimum_is_a_config_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_site(tmp_path)
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(text.replace("[output]\n", "[output]\nmax_feed_bytes = 100\n"),
                           encoding="utf-8")
    assert run(config) == 2
    assert "output.max_feed_bytes: must be at least 8192" in capsys.readouterr().err
