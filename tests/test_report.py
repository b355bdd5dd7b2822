"""``--report FILE``: the JSON accounting of every source file and every feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_build import article, make_site, run_cli, small_site

from syndicate.config import Config


def report_of(config: Config, tmp_path: Path, *extra: str) -> dict[str, Any]:
    file = tmp_path / "report.json"
    assert run_cli(config, "--report", str(file), *extra) == 0
    data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return data


def test_report_shape_and_accounting(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    data = report_of(config, tmp_path)
    assert set(data) >= {"articles", "feeds", "summary"}
    paths = [a["path"] for a in data["articles"]]
    assert paths == sorted(paths) and len(paths) == len(set(paths)) == 5
    for a in data["articles"]:
        assert a["status"] in ("selected", "filtered", "rejected")
        assert isinstance(a["reason"], str) and a["reason"]
    rejected = [a for a in data["articles"] if a["status"] == "rejected"]
    assert [a["path"] for a in rejected] == ["2024-03-05-broken.md"]
    assert isinstance(rejected[0]["line"], int) and isinstance(rejected[0]["column"], int)
    s = data["summary"]
    assert s["read"] == 5 == s["selected"] + s["filtered"] + s["rejected"]
    for status in ("selected", "filtered", "rejected"):
        assert s[status] == sum(1 for a in data["articles"] if a["status"] == status)
    feeds = data["feeds"]
    assert [f["path"] for f in feeds] == sorted(f["path"] for f in feeds)
    assert s["feeds"] == len(feeds)
    for f in feeds:
        assert set(f) == {"path", "items", "changed"}
        assert f["changed"] is True  # first build writes everything
        assert (config.output.folder / f["path"]).is_file()
    selected = {a["path"] for a in data["articles"] if a["status"] == "selected"}
    all_atom = next(f for f in feeds if f["path"] == "all.atom")
    assert all_atom["items"] == len(selected)
    assert isinstance(s["seconds"], float | int)


def test_report_is_deterministic_except_seconds(tmp_path: Path) -> None:
    a = report_of(small_site(tmp_path / "a"), tmp_path / "a")
    b = report_of(small_site(tmp_path / "b"), tmp_path / "b")
    a["summary"].pop("seconds")
    b["summary"].pop("seconds")
    assert a == b


def test_report_after_no_change_run_says_nothing_changed(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    first = report_of(config, tmp_path)
    second = report_of(config, tmp_path)
    assert second["summary"]["parsed"] == 0 and second["summary"]["written"] == 0
    assert not any(f["changed"] for f in second["feeds"])
    assert second["articles"] == first["articles"]
    assert [(f["path"], f["items"]) for f in second["feeds"]] == [
        (f["path"], f["items"]) for f in first["feeds"]]


def test_report_lists_stale_and_pruned_feeds(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    report_of(config, tmp_path)
    (config.source.folder / "nested/2024-03-04-four.md").unlink()
    data = report_of(config, tmp_path)
    assert data["stale"] and all(p.endswith((".atom", ".rss", ".json", ".html"))
                                 for p in data["stale"])
    assert data["summary"]["stale"] == len(data["stale"])
    assert not set(data["stale"]) & {f["path"] for f in data["feeds"]}
    pruned = report_of(config, tmp_path, "--prune")
    assert pruned["pruned"] == data["stale"] and pruned["stale"] == []


def test_report_is_replaced_atomically(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    file = tmp_path / "report.json"
    file.write_text("old", encoding="utf-8")
    assert run_cli(config, "--report", str(file)) == 0
    json.loads(file.read_text(encoding="utf-8"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_unwritable_report_exits_2(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    assert run_cli(config, "--report", str(tmp_path / "missing-folder" / "r.json")) == 2


def test_report_accounts_for_every_real_corpus_file(tmp_path: Path,
                                                    shared_corpus: Path) -> None:
    config = make_site(tmp_path / "site", patterns=("*.md", "*.txt"), source=shared_corpus)
    article(config.source.folder, "zz-extra.md", title="Extra")
    data = report_of(config, tmp_path)
    on_disk = sorted(p.relative_to(config.source.folder).as_posix()
                     for p in config.source.folder.rglob("*") if p.is_file())
    assert [a["path"] for a in data["articles"]] == on_disk
    s = data["summary"]
    assert s["read"] == 198 == s["selected"] + s["filtered"] + s["rejected"]
