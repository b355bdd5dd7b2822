"""The seams a new user hits (issue 10, section 2), tried as a user would: through the
command line, in a real process, on folders made for each test.

Only the CLI is used (``python -m syndicate ...``), never internal functions, so these
tests state what a user can rely on whatever the modules behind it are called:

- a run that fails on its arguments or its source changes nothing in the state
  folder and creates nothing;
- every dropped field is a warning: counted in the summary line, one line each in the
  build output (a count with ``--quiet``), in ``explain`` and in the ``--report`` JSON;
- a build that finds no article file, or whose selection shrinks by more than
  ``safety.max_shrink`` against the last successful build, publishes nothing and
  exits 1 unless ``--allow-shrink``; a refused run is never the new baseline;
- zero matching files among other files names ``source.patterns``;
- the summary line says exactly what was written and what was not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

CONFIG = """\
[site]
title = "Seams"
base_url = "https://feeds.example.org/"
[selection]
min_quality = 50
"""


# -- helpers ---------------------------------------------------------------------------------

def record(title: str, *, day: int = 1, quality: int = 80, published: str = "true",
           topics: tuple[str, ...] = ("Machine Learning",), domain: str = "example.com",
           width: str = "1200", link: str | None = None) -> str:
    url = link or f"https://news.example.com/2024/03/{day:02d}/{re.sub(r'[^a-z0-9]+', '-', title.lower())}"
    topic_lines = "".join(f"  - {t}\n" for t in topics)
    return (f'---\ntitle: "{title}"\nexcerpt: "About {title}."\n'
            f"publishedDateTime: 2024-03-{day:02d}T10:00:00Z\n"
            f'webUrl: "{url}"\ntype: article\nquality: {quality}\npublished: {published}\n'
            f"provider:\n  name: Example News\n  domain: {domain}\n"
            f"topics:\n{topic_lines}"
            f'images:\n  - url: "https://img.example.com/{day}.jpg"\n    width: {width}\n'
            f"    height: 675\n---\n")


class Site:
    """A config, an article folder, and the output and state folders a build makes."""

    def __init__(self, root: Path, extra_config: str = "") -> None:
        self.root = root
        self.config = root / "config.toml"
        self.config.write_text(CONFIG + extra_config, encoding="utf-8")
        self.source = root / "articles"
        self.source.mkdir()
        self.out = root / "feeds"
        self.state = root / ".syndicate"

    def add(self, name: str, text: str) -> Path:
        path = self.source / name
        path.write_text(text, encoding="utf-8")
        return path

    def add_articles(self, count: int, *, first_day: int = 1) -> list[Path]:
        return [self.add(f"2024-03-{day:02d}-story-{day}.md", record(f"Story {day}", day=day))
                for day in range(first_day, first_day + count)]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return syndicate(*args[:1], "--config", str(self.config), *args[1:])

    def build(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("build", *args)


def syndicate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syndicate", *args], capture_output=True,
                          text=True, timeout=120, check=False, cwd=REPO)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]] | None:
    """Every file and folder below ``folder`` (hidden ones included) with its bytes and
    mtime; None when ``folder`` does not exist."""
    if not folder.exists():
        return None
    found: dict[str, tuple[bytes, int]] = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        found[path.relative_to(folder).as_posix()] = (data, st.st_mtime_ns)
    return found


def summary(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("read ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def good_site(tmp_path: Path, count: int = 10, extra_config: str = "") -> Site:
    site = Site(tmp_path, extra_config)
    site.add_articles(count)
    first = site.build()
    assert first.returncode == EXIT_OK, first.stderr
    return site


# -- 1. a run that fails on its arguments or its source changes nothing ----------------------


def test_missing_source_exits_2_in_one_line_and_leaves_the_state_alone(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    state, out = snapshot(site.state), snapshot(site.out)
    assert state is not None and "index.sqlite" in state
    proc = site.build("--source", str(tmp_path / "typo"))
    assert proc.returncode == EXIT_USAGE
    line = one_line(proc.stderr)
    assert str(tmp_path / "typo") in line and "Traceback" not in line
    assert snapshot(site.state) == state  # the index and its bytes and mtimes: untouched
    assert snapshot(site.out) == out
    # ... so the next correct build re-parses nothing.
    again = site.build()
    assert again.returncode == EXIT_OK
    assert "(0 parsed, 10 unchanged)" in summary(again)


def test_missing_source_creates_no_state_folder_and_no_output(tmp_path: Path) -> None:
    site = Site(tmp_path)
    proc = site.build("--source", str(tmp_path / "typo"))
    assert proc.returncode == EXIT_USAGE
    one_line(proc.stderr)
    assert not site.state.exists() and not site.out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles", "config.toml"]



@pytest.mark.parametrize("kind", ["file", "dangling-link"])
def test_a_source_that_is_not_a_folder_changes_nothing(tmp_path: Path, kind: str) -> None:
    site = good_site(tmp_path)
    state, out = snapshot(site.state), snapshot(site.out)
    bogus = tmp_path / "bogus"
    if kind == "file":
        bogus.write_text("not a folder")
    else:
        bogus.symlink_to(tmp_path / "nowhere")
    proc = site.build("--source", str(bogus))
    assert proc.returncode == EXIT_USAGE
    assert str(bogus.resolve()) in one_line(proc.stderr)  # where --source leads
    assert snapshot(site.state) == state and snapshot(site.out) == out


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a non-root POSIX user: root reads a mode-000 folder anyway")
def test_an_unreadable_source_changes_nothing(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    state, out = snapshot(site.state), snapshot(site.out)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        proc = site.build("--source", str(locked))
    finally:
        locked.chmod(0o755)
    assert proc.returncode == EXIT_USAGE
    one_line(proc.stderr)
    assert snapshot(site.state) == state and snapshot(site.out) == out


@pytest.mark.parametrize("where", ["missing-folder", "a-folder", "the-config",
                                   "a-published-file"])
def test_a_bad_report_path_changes_nothing(tmp_path: Path, where: str) -> None:
    site = good_site(tmp_path)
    state, out = snapshot(site.state), snapshot(site.out)
    report = {"missing-folder": tmp_path / "no" / "such" / "report.json",
              "a-folder": site.source,
              "the-config": site.config,
              "a-published-file": site.out / "all.atom"}[where]
    proc = site.build("--report", str(report))
    assert proc.returncode == EXIT_USAGE
    assert "--report" in one_line(proc.stderr)
    assert snapshot(site.state) == state and snapshot(site.out) == out


def test_a_bad_report_path_on_a_first_run_creates_nothing(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.add_articles(3)
    proc = site.build("--report", str(tmp_path / "no" / "report.json"))
    assert proc.returncode == EXIT_USAGE
    assert not site.state.exists() and not site.out.exists()


@pytest.mark.parametrize("below", ["", "feeds", "deep/er/feeds"])
def test_an_output_path_that_is_or_is_below_a_file_changes_nothing(tmp_path: Path,
                                                                  below: str) -> None:
    site = good_site(tmp_path)
    state = snapshot(site.state)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    proc = site.build("--out", str(blocker / below) if below else str(blocker))
    assert proc.returncode == EXIT_USAGE
    assert f"{blocker} is not a folder" in one_line(proc.stderr)
    assert snapshot(site.state) == state
    assert blocker.read_text() == "a file, not a folder"


def test_a_state_folder_that_is_a_file_is_one_line_and_left_alone(tmp_path: Path) -> None:
    site = Site(tmp_path, '[state]\nfolder = "state-file"\n')
    site.add_articles(3)
    (tmp_path / "state-file").write_text("mine")
    proc = site.build()
    assert proc.returncode == EXIT_USAGE
    assert "state-file" in one_line(proc.stderr)
    assert (tmp_path / "state-file").read_text() == "mine"
    assert not site.out.exists()


# -- 2. every dropped field shows ------------------------------------------------------------

WARNED = "2024-03-20-warned.md"
YES = "2024-03-21-yes.md"
# The field each dropped value is named by, in the order the record holds them.
WARNED_FIELDS = ["provider.domain", "topics[1]", "images[0].width"]


def warned_site(tmp_path: Path) -> Site:
    site = Site(tmp_path)
    site.add_articles(4)
    site.add(WARNED, record("Warned", day=20, domain="https://example.com/path",
                           topics=("Machine Learning", "42"), width="wide"))
    site.add(YES, record("Yes string", day=21, published="yes"))
    return site


def warning_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if ": warning: " in line]


def test_warnings_are_shown_one_line_each_and_counted(tmp_path: Path) -> None:
    site = warned_site(tmp_path)
    proc = site.build()
    assert proc.returncode == EXIT_OK, proc.stderr
    lines = warning_lines(proc.stderr)
    assert [line.split(": warning: ")[0] for line in lines] == [WARNED] * 3 + [YES]
    fields = [line.split(": warning: ")[1].split(":")[0] for line in lines]
    assert fields == [*WARNED_FIELDS, "published"]
    assert "; image dropped" in lines[2] and "; no provider" in lines[0]
    assert "'yes'" in lines[3]
    assert ", 4 warnings;" in summary(proc)
    # The string 'yes' is a warning and the reason it is filtered.
    explained = site.run("explain", str(site.source / YES))
    assert f"{site.source / YES}: filtered: published: must be true or false" in explained.stdout


def test_a_no_change_run_shows_the_same_warnings(tmp_path: Path) -> None:
    site = warned_site(tmp_path)
    first = site.build()
    again = site.build()
    assert again.returncode == EXIT_OK
    assert "(0 parsed, 6 unchanged)" in summary(again)
    assert warning_lines(again.stderr) == warning_lines(first.stderr)
    assert ", 4 warnings;" in summary(again)


def test_quiet_prints_the_warnings_as_one_count(tmp_path: Path) -> None:
    site = warned_site(tmp_path)
    proc = site.build("--quiet")
    assert proc.returncode == EXIT_OK
    line = one_line(proc.stderr)
    assert re.fullmatch(r"syndicate: 4 warnings in 2 articles \(.*\)", line), line
    assert "--report" in line  # where to read them


def test_quiet_clean_build_prints_nothing(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.add_articles(3)
    proc = site.build("--quiet")
    assert proc.returncode == EXIT_OK and proc.stderr == ""


def test_summary_counts_zero_warnings_too(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.add_articles(3)
    assert ", 0 warnings;" in summary(site.build())


def test_explain_lists_each_warning_of_a_file(tmp_path: Path) -> None:
    site = warned_site(tmp_path)
    warned = site.source / WARNED
    clean = site.source / "2024-03-01-story-1.md"
    proc = site.run("explain", str(warned), str(clean))
    assert proc.returncode == EXIT_OK
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{warned}: selected: all")
    assert [line.partition(": warning: ")[2].split(":")[0] for line in lines[1:4]] == \
        WARNED_FIELDS
    assert all(line.startswith(f"{warned}: warning: ") for line in lines[1:4])
    assert lines[4].startswith(f"{clean}: selected: all")
    assert len(lines) == 5


def test_report_carries_each_articles_warnings(tmp_path: Path) -> None:
    site = warned_site(tmp_path)
    report = tmp_path / "report.json"
    proc = site.build("--report", str(report))
    assert proc.returncode == EXIT_OK
    data = json.loads(report.read_text(encoding="utf-8"))
    by_path = {a["path"]: a for a in data["articles"]}
    assert [w.split(":")[0] for w in by_path[WARNED]["warnings"]] == WARNED_FIELDS
    assert [w.split(":")[0] for w in by_path[YES]["warnings"]] == ["published"]
    assert by_path["2024-03-01-story-1.md"]["warnings"] == []
    assert data["summary"]["warnings"] == 4
    # The same text as the build output, line for line.
    shown = [line.split(": warning: ", 1)[1] for line in warning_lines(proc.stderr)]
    assert shown == by_path[WARNED]["warnings"] + by_path[YES]["warnings"]


def test_warned_article_keeps_what_was_valid(tmp_path: Path) -> None:
    # The article stays in the feeds; only the bad values are dropped (so it leaves its
    # provider feed, which is what the warning must tell).
    site = warned_site(tmp_path)
    assert site.build().returncode == EXIT_OK
    atom = (site.out / "all.atom").read_text(encoding="utf-8")
    assert "Warned" in atom and "Yes string" not in atom
    assert not any("Warned" in p.read_text(encoding="utf-8")
                   for p in (site.out / "providers").glob("*.atom"))


# -- 3. a failed mount never empties the feeds ---------------------------------------------

def refused(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == EXIT_PROBLEMS, proc.stderr
    line = one_line(proc.stderr)
    assert "nothing published" in line and "--allow-shrink" in line
    return line


def test_first_build_of_an_empty_source_is_refused(tmp_path: Path) -> None:
    site = Site(tmp_path)
    line = refused(site.build())
    assert "no article file" in line
    assert not site.out.exists()


def test_first_build_of_an_empty_source_is_refused_under_strict_too(tmp_path: Path) -> None:
    site = Site(tmp_path)
    refused(site.build("--strict"))
    assert not site.out.exists()


def test_empty_source_after_a_good_build_publishes_nothing(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    out = snapshot(site.out)
    for path in site.source.iterdir():
        path.unlink()
    refused(site.build())
    assert snapshot(site.out) == out


def test_allow_shrink_publishes_an_empty_source(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    for path in site.source.iterdir():
        path.unlink()
    proc = site.build("--allow-shrink")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "<entry>" not in (site.out / "all.atom").read_text(encoding="utf-8")


def test_max_shrink_1_turns_the_guard_off(tmp_path: Path) -> None:
    site = Site(tmp_path, "[safety]\nmax_shrink = 1.0\n")
    assert site.build().returncode == EXIT_OK
    assert (site.out / "all.atom").is_file()


def test_losing_more_than_half_publishes_nothing(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    out = snapshot(site.out)
    for path in sorted(site.source.iterdir())[:6]:
        path.unlink()
    line = refused(site.build())
    assert "10" in line and "4" in line and "safety.max_shrink" in line
    assert snapshot(site.out) == out


def test_losing_half_or_less_publishes(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    for path in sorted(site.source.iterdir())[:5]:
        path.unlink()
    proc = site.build()
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "5 selected" in summary(proc)


def test_unpublishing_counts_as_shrinking(tmp_path: Path) -> None:
    # Not only vanished files: the selected set is what must not collapse.
    site = good_site(tmp_path)
    out = snapshot(site.out)
    for path in sorted(site.source.iterdir())[:7]:
        path.write_text(path.read_text().replace("published: true", "published: false"))
    refused(site.build())
    assert snapshot(site.out) == out


def test_allow_shrink_publishes_the_smaller_set(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    for path in sorted(site.source.iterdir())[:8]:
        path.unlink()
    proc = site.build("--allow-shrink")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "2 selected" in summary(proc)
    assert (site.out / "all.atom").read_text(encoding="utf-8").count("<entry>") == 2


def test_config_max_shrink_allows_a_larger_shrink(tmp_path: Path) -> None:
    site = good_site(tmp_path, extra_config="[safety]\nmax_shrink = 0.8\n")
    for path in sorted(site.source.iterdir())[:8]:
        path.unlink()
    assert site.build().returncode == EXIT_OK


def test_config_max_shrink_0_refuses_any_loss(tmp_path: Path) -> None:
    site = good_site(tmp_path, extra_config="[safety]\nmax_shrink = 0\n")
    min(site.source.iterdir()).unlink()
    refused(site.build())


def test_a_refused_run_is_not_the_new_baseline(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    out = snapshot(site.out)
    removed = {p: p.read_bytes() for p in sorted(site.source.iterdir())[:6]}
    for path in removed:
        path.unlink()
    refused(site.build())
    # Again: still compared with the 10 published, not with the refused 4.
    refused(site.build())
    assert snapshot(site.out) == out
    # Three come back: 7 of 10 is within half of the last *published* build.
    for path, data in list(removed.items())[:3]:
        path.write_bytes(data)
    proc = site.build()
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "7 selected" in summary(proc)


def test_after_a_refusal_the_restored_source_republishes_the_same_bytes(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    out = snapshot(site.out)
    assert out is not None
    saved = tmp_path / "saved"
    shutil.copytree(site.source, saved)
    shutil.rmtree(site.source)
    site.source.mkdir()  # the mount point, with nothing mounted on it
    refused(site.build())
    shutil.rmtree(site.source)
    shutil.copytree(saved, site.source)  # new mtimes, same bytes
    proc = site.build()
    assert proc.returncode == EXIT_OK, proc.stderr
    assert snapshot(site.out) == out  # nothing rewritten: same bytes, same mtimes
    assert "unchanged" in summary(proc) and "written" not in summary(proc)


def test_no_matching_file_among_others_names_source_patterns(tmp_path: Path) -> None:
    site = Site(tmp_path)
    for name in ("e.txt", "a.txt", "b.txt", "c.txt", "d.txt"):
        site.add(name, record(name))
    line = refused(site.build())
    assert "source.patterns ['*.md']" in line
    assert str(site.source) in line
    assert "5 other files" in line and "a.txt" in line


def test_the_empty_check_uses_the_builds_own_rules_for_what_is_an_article(
        tmp_path: Path) -> None:
    site = Site(tmp_path)
    hidden = site.source / ".drafts"
    hidden.mkdir()
    (hidden / "2024-03-01-draft.md").write_text(record("Draft"), encoding="utf-8")
    line = refused(site.build())  # a hidden folder is never read: nothing to publish
    assert "no file matches source.patterns" not in line and "no article file" in line
    nested = site.source / "2024" / "03"
    nested.mkdir(parents=True)
    (nested / "2024-03-02-story.md").write_text(record("Nested", day=2), encoding="utf-8")
    proc = site.build()  # found below sub-folders, as the build's walk finds it
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "1 selected" in summary(proc)


def test_a_shrink_refusal_names_both_counts_and_the_fraction(tmp_path: Path) -> None:
    site = good_site(tmp_path)
    for path in sorted(site.source.iterdir())[:9]:
        path.unlink()
    line = refused(site.build())
    assert re.search(r"\b1 selected\b", line) and re.search(r"\b10\b", line), line
    assert "90%" in line and "50%" in line


# -- 4. the summary line says exactly what was written --------------------------------------

FEEDS = 9  # 3 feeds (all, one topic, one provider) x 3 formats


def test_first_build_summary_says_everything_was_written(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.add_articles(3)
    line = summary(site.build())
    assert f"; {FEEDS} feed files written; feeds.opml and index.html written; " in line
    assert " changed" not in line  # one word for it: written


def test_no_change_summary_says_unchanged_and_never_written(tmp_path: Path) -> None:
    site = good_site(tmp_path, count=3)
    line = summary(site.build())
    assert f"; {FEEDS} feed files unchanged; feeds.opml and index.html unchanged; " in line
    assert "written" not in line


def test_partial_change_summary_counts_feed_files_apart_from_opml_and_index(
        tmp_path: Path) -> None:
    site = good_site(tmp_path, count=3)
    # A new article of another provider: its 3 new provider files, the 3 all files and
    # the topic's 3 change; the old provider's 3 do not; the OPML and index list a new feed.
    site.add("2024-03-09-other.md", record("Other", day=9, domain="other.example.org"))
    line = summary(site.build())
    assert f"; {FEEDS + 3} feed files (9 written, 3 unchanged); " \
           "feeds.opml and index.html written; " in line


def test_a_title_edit_rewrites_feeds_and_front_page_but_not_the_opml(tmp_path: Path) -> None:
    site = good_site(tmp_path, count=3)
    path = min(site.source.iterdir())
    path.write_text(path.read_text().replace('title: "Story 1"', 'title: "Story one"'))
    line = summary(site.build())
    # The index shows the newest headlines, this one among them.
    assert (f"; {FEEDS} feed files written; feeds.opml unchanged, index.html written; "
            f"{FEEDS // 3} pages written; ") in line


def test_summary_without_opml_and_index_names_neither(tmp_path: Path) -> None:
    site = Site(tmp_path, "[output]\nopml = false\nindex_html = false\n")
    site.add_articles(3)
    line = summary(site.build())
    assert f"; {FEEDS} feed files written; " in line
    assert "opml" not in line and "index.html" not in line
