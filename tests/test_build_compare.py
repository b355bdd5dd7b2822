"""``build --compare-previous``: the checker's Gate 1 (``check --previous``) on every feed
file a build rewrites, against the bytes it replaces; reported, opt-in, read-free when off."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from test_build import article, run_cli, small_site

from syndicate import render_all
from syndicate.config import Config, load_config
from syndicate.errors import ConfigError


def _site(root: Path) -> Config:
    config = small_site(root)
    (config.source.folder / "2024-03-05-broken.md").unlink()  # --strict exits 0 without
    return config


def _report(config: Config, tmp_path: Path, *extra: str, code: int = 0) -> dict[str, Any]:
    file = tmp_path / "report.json"
    assert run_cli(config, "--report", str(file), *extra) == code
    data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return data


def _spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = render_all.read_previous

    def spy(root: Path, rel: str, limit: int) -> bytes | None:
        reads.append(rel)
        return real(root, rel, limit)

    monkeypatch.setattr(render_all, "read_previous", spy)
    return reads


def _previous_id_scheme(feed: Path) -> str:
    """Give the first entry of ``feed`` on disk another id, as if the previous version of
    syndicate (or of the site) had used another id scheme; returns the link it kept."""
    text = feed.read_text(encoding="utf-8")
    entry = re.search(r"<entry>.*?</entry>", text, re.DOTALL)
    assert entry is not None
    old = re.sub(r"<id>[^<]*</id>", "<id>tag:news.example.org,2024:old-scheme-1</id>",
                 entry.group(), count=1)
    assert old != entry.group()
    feed.write_text(text.replace(entry.group(), old), encoding="utf-8")
    link = re.search(r'<link href="([^"]+)"', entry.group())
    assert link is not None
    return link.group(1)


@pytest.mark.parametrize("strict", [False, True])
def test_an_id_changed_behind_a_kept_link_is_reported(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, strict: bool) -> None:
    config = _site(tmp_path)
    assert run_cli(config) == 0
    link = _previous_id_scheme(config.output.folder / "all.atom")
    article(config.source.folder, "2024-03-06-five.md", title="Five",
            when="2024-03-06T10:00:00Z")
    with caplog.at_level(logging.WARNING):
        data = _report(config, tmp_path, "--compare-previous",
                       *(["--strict"] if strict else []), code=1 if strict else 0)
    changed = [h for h in data["history"] if h["code"] == "history.id-changed"]
    assert [(h["path"], h["severity"]) for h in changed] == [("all.atom", "error")]
    assert link in changed[0]["message"] and "old-scheme-1" in changed[0]["message"]
    assert isinstance(changed[0]["line"], int)
    # The other formats kept their ids: nothing to say about them.
    assert {h["path"] for h in data["history"]} == {"all.atom"}
    shown = [r.getMessage() for r in caplog.records if "history.id-changed" in r.getMessage()]
    assert len(shown) == 1 and shown[0].startswith("all.atom:") and "error" in shown[0]
    # Reported, not refused: the new bytes are published all the same.
    assert "old-scheme-1" not in (config.output.folder / "all.atom").read_text("utf-8")


def test_an_ordinary_new_article_gives_no_history_finding_and_reads_only_rewritten_feeds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(tmp_path)
    _report(config, tmp_path)
    reads = _spy_reads(monkeypatch)
    article(config.source.folder, "2024-03-06-five.md", title="Five",
            topics=("AI Builder",), when="2024-03-06T10:00:00Z")
    data = _report(config, tmp_path, "--compare-previous")
    assert data["history"] == []
    written = {f["path"] for f in data["feeds"] if f["changed"]}
    assert written and written <= set(reads)  # every rewritten feed was compared...
    assert set(reads) < {f["path"] for f in data["feeds"]}  # ...feeds left alone were not
    assert all(p.endswith((".atom", ".rss", ".json")) for p in reads)  # nor OPML, HTML


def test_without_the_flag_nothing_is_compared_and_nothing_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(tmp_path)
    _report(config, tmp_path)
    reads = _spy_reads(monkeypatch)
    _previous_id_scheme(config.output.folder / "all.atom")
    article(config.source.folder, "2024-03-06-five.md", title="Five",
            when="2024-03-06T10:00:00Z")
    data = _report(config, tmp_path, "--strict")  # strict: history is not its business
    assert data["history"] is None and reads == []


def test_the_config_can_turn_the_comparison_on(tmp_path: Path) -> None:
    config = _site(tmp_path)
    assert run_cli(config) == 0
    with config.path.open("a", encoding="utf-8") as fh:
        fh.write("\n[report]\ncompare_previous = true\n")
    config = load_config(config.path)
    assert config.report.compare_previous
    _previous_id_scheme(config.output.folder / "all.atom")
    data = _report(config, tmp_path)
    assert [h["code"] for h in data["history"]] == ["history.id-changed"]


def test_a_config_value_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    config = _site(tmp_path)
    with config.path.open("a", encoding="utf-8") as fh:
        fh.write("\n[report]\ncompare_previous = \"yes\"\n")
    with pytest.raises(ConfigError, match=r"report\.compare_previous"):
        load_config(config.path)


def test_the_previous_bytes_are_never_read_through_a_link_leading_outside(
        tmp_path: Path) -> None:
    from syndicate.publish import read_previous

    outside = tmp_path / "secret.atom"
    outside.write_text("<feed/>", encoding="utf-8")
    root = tmp_path / "out"
    root.mkdir()
    (root / "all.atom").symlink_to(outside)
    assert read_previous(root, "all.atom", 1 << 20) is None
    (root / "big.atom").write_bytes(b"x" * 100)
    assert read_previous(root, "big.atom", 99) is None
    assert read_previous(root, "big.atom", 100) == b"x" * 100
    assert read_previous(root, "missing.atom", 100) is None


def test_a_deleted_article_is_a_vanished_item_where_no_tombstone_announces_it(
        tmp_path: Path) -> None:
    # The article between two others goes: Atom feeds announce it (RFC 6721 tombstone),
    # RSS and JSON Feed cannot, so readers of those keep showing it.
    config = _site(tmp_path)
    article(config.source.folder, "2024-03-06-five.md", title="Five",
            when="2024-03-06T10:00:00Z")
    _report(config, tmp_path)
    (config.source.folder / "nested/2024-03-04-four.md").unlink()
    data = _report(config, tmp_path, "--compare-previous", "--allow-shrink")
    vanished = {h["path"] for h in data["history"] if h["code"] == "history.item-vanished"}
    assert vanished == {"all.rss", "all.json"}
    assert all(h["severity"] == "warning" for h in data["history"])
    assert "deleted-entry" in (config.output.folder / "all.atom").read_text("utf-8")
