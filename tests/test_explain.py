"""``syndicate explain FILE``: the build's verdict on each file, with nothing written."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from test_build import BROKEN, article, build, make_site, small_site, snapshot

from syndicate import cli
from syndicate.config import Config
from syndicate.display import shown
from syndicate.index import INDEX_FILE_NAME


def explain(config: Config, *files: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = cli.explain_command(config, list(files), out)
    return code, out.getvalue().splitlines()


def test_each_state_is_explained(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    src = config.source.folder
    code, lines = explain(config, src / "2024-03-01-one.md", src / "2024-03-02-two.md",
                          src / "2024-03-03-three.md", src / "2024-03-05-broken.md",
                          src / "notes.txt", tmp_path / "config.toml")
    assert code == 0
    one, two, three, broken, notes, outside = lines
    assert one.startswith(f"{src / '2024-03-01-one.md'}: selected: ")
    assert "all" in one.split(": selected: ")[1].split(", ")
    assert "topics/power-apps" in one and "topics/ai-builder" in one and "providers/" in one
    assert two == f"{src / '2024-03-02-two.md'}: filtered: quality 30 < 50"
    assert three == f"{src / '2024-03-03-three.md'}: filtered: unpublished"
    assert broken.startswith(f"{src / '2024-03-05-broken.md'}:")
    head, _, reason = broken.partition(": rejected: ")
    assert reason and head.count(":") == 2  # path:line:column
    assert notes.startswith(f"{src / 'notes.txt'}: not an article file: not matching *.md")
    assert outside.startswith(f"{tmp_path / 'config.toml'}: not an article file: outside")


def test_explain_matches_what_the_build_decides(tmp_path: Path, shared_corpus: Path) -> None:
    config = make_site(tmp_path, patterns=("*.md", "*.txt"), source=shared_corpus)
    result = build(config)
    files = sorted(p for p in config.source.folder.rglob("*") if p.is_file())
    code, lines = explain(config, *files)
    assert code == 0 and len(lines) == len(files) == 197
    by_path = {o.path: o for o in result.outcomes}
    for file, line in zip(files, lines, strict=True):
        outcome = by_path[file.relative_to(config.source.folder).as_posix()]
        assert f": {outcome.status}: " in line, line
        if outcome.status == "filtered":
            assert line.endswith(outcome.reason)


def test_explain_writes_nothing_and_leaves_the_index_alone(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    code, _ = explain(config, config.source.folder / "2024-03-01-one.md")
    assert code == 0
    assert not config.output.folder.exists()
    assert not (config.state_folder / INDEX_FILE_NAME).exists()
    build(config)
    before_out = snapshot(config.output.folder)
    before_state = snapshot(config.state_folder)
    article(config.source.folder, "2024-03-09-new.md", title="New", when="2024-03-09T10:00:00Z")
    code, lines = explain(config, config.source.folder / "2024-03-09-new.md")
    assert code == 0 and ": selected: all" in lines[0]  # sees the file the index lacks
    assert snapshot(config.output.folder) == before_out
    assert snapshot(config.state_folder) == before_state


def test_explain_survives_a_corrupt_index(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    (config.state_folder / INDEX_FILE_NAME).write_bytes(b"junk" * 100)
    code, lines = explain(config, config.source.folder / "2024-03-02-two.md")
    assert code == 0 and lines == [
        f"{config.source.folder / '2024-03-02-two.md'}: filtered: quality 30 < 50"]


def test_missing_file_exits_2_and_hidden_folder_is_not_an_article(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    hidden = article(config.source.folder / ".drafts", "2024-01-01-draft.md")
    code, lines = explain(config, tmp_path / "nope.md", hidden)
    assert code == 2
    assert lines[0] == f"{tmp_path / 'nope.md'}: no such file"
    assert lines[1].startswith(f"{hidden}: not an article file")


def test_explain_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = small_site(tmp_path)
    file = config.source.folder / "2024-03-03-three.md"
    assert cli.main(["explain", "--config", str(config.path), str(file)]) == 0
    assert capsys.readouterr().out == f"{file}: filtered: unpublished\n"


def test_explain_agrees_with_the_report_on_every_odd_file(tmp_path: Path) -> None:
    """Explain's state and reason are the build report's, for every file it accounts
    for: symlinks out of the folder, dangling ones, FIFOs, symlinked folders, names
    that are not UTF-8 or hold control characters, selected files with feeds."""
    config = small_site(tmp_path)
    src = config.source.folder
    (src / "p.md").symlink_to("/etc/passwd")
    (src / "dangling.md").symlink_to(src / "gone.md")
    os.mkfifo(src / "fifo.md")
    (tmp_path / "elsewhere").mkdir()
    (src / "linked-folder.md").symlink_to(tmp_path / "elsewhere")
    article(src / "x.md", "inner.md", title="Inner", topics=("Generative AI",))
    bad = Path(os.fsdecode(os.fsencode(src) + b"/bad\xffname.md"))
    bad.write_text(BROKEN, encoding="utf-8")
    (src / "ok.md: selected\nevil.md").write_text(BROKEN, encoding="utf-8")
    report = tmp_path / "report.json"
    assert cli.main(["build", "--config", str(config.path), "-q", "--report",
                     str(report)]) == 0
    articles = json.loads(report.read_text(encoding="utf-8"))["articles"]
    raw = {"bad\\xffname.md": bad}
    files = [raw.get(a["path"], src / a["path"]) for a in articles]
    code, lines = explain(config, *files, src / "x.md")
    assert code == 0 and len(lines) == len(articles) + 1
    for a, file, line in zip(articles, files, lines, strict=False):
        where = "".join(f":{a[k]}" for k in ("line", "column") if k in a)
        assert line == f"{shown(str(file))}{where}: {a['status']}: {shown(a['reason'])}"
    by_path = {a["path"]: a for a in articles}
    assert by_path["p.md"]["status"] == by_path["dangling.md"]["status"] == "rejected"
    assert by_path["fifo.md"]["status"] == by_path["linked-folder.md"]["status"] == "rejected"
    assert by_path["x.md/inner.md"]["reason"] == "all, topics/generative-ai, providers/" \
        "techherald-example-com"
    assert "\n" not in "".join(lines) and "ok.md: selected\\nevil.md" in "".join(lines)
    assert f"{src}/bad\\xffname.md: rejected: file name is not valid UTF-8" in "\n".join(lines)
    assert lines[-1] == f"{src / 'x.md'}: not an article file: a folder (the build reads " \
        "the files in it)"
