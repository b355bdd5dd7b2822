"""Red-team regressions through the real command line: hostile article folders, hostile
configs, hostile output folders, hostile feeds for the checker, hostile HTTP requests.

Every bug the pre-release verification found has a test here (named after what broke),
beside a representative set of attacks that already held. End-to-end runs go through
``python -m syndicate`` in a subprocess (so a traceback is visible as such); the many
small config and flag cases call :func:`syndicate.cli.main` in-process, which returns
an exit code instead of raising for anything a user can get wrong.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import unicodedata
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import drop_permission_override

from syndicate.cli import main
from syndicate.serve import make_server

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "syndicate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


_MINUTES = itertools.count(1)  # 00:00 is the date-only record's


def record(url: str, *, title: str = "T", date: str | None = None,
           quality: str = "60", published: str = "true", topics: str = "[AI]",
           provider: str = "{name: P, domain: p.example}", extra: str = "") -> str:
    if date is None:
        # Each record its own instant: two entries sharing one `updated` draw the
        # validators' DuplicateUpdated warning, which these records are not about.
        minute = next(_MINUTES)
        date = f"2024-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z"
    return (f"---\ntitle: {title}\nwebUrl: {url}\npublishedDateTime: {date}\n"
            f"quality: {quality}\npublished: {published}\ntopics: {topics}\n"
            f"provider: {provider}\n{extra}---\nbody\n")


CONFIG = """\
[site]
title = "Hostile {site} %s {0} }{ <b>&amp;"
base_url = "https://b\u00fccher.example:8443/f%20eeds/"
language = "zh-Hant-TW"
[source]
folder = "articles"
[output]
folder = "out"
[state]
folder = "state"
"""

# name -> (file text, expected state, a fragment of the reason)
HOSTILE: dict[str, tuple[str, str, str]] = {
    "ok.md": (record("https://ex.com/ok"), "selected", "all"),
    "bom-crlf.md": ("\ufeff" + record("https://ex.com/bom").replace("\n", "\r\n"),
                    "selected", "all"),
    "anchor-merge.md": (("---\nbase: &b {title: Anchored, webUrl: 'https://ex.com/anchor', "
                        "publishedDateTime: 2024-01-01, quality: 70, published: true}\n"
                        "<<: *b\n---\n"), "selected", "all"),
    "python-tag.md": ("---\ntitle: !!python/object/apply:os.system ['echo PWNED']\n---\n",
                      "rejected", "invalid YAML: "),
    "alias-bomb.md": (("---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n---\n"), "rejected", "aliases"),
    "not-closed.md": ("---\ntitle: open\n", "rejected", "not closed"),
    "empty.md": ("", "rejected", "no front matter"),
    "nul.md": (record("https://ex.com/nul", title="a\x00b"), "rejected", "U+0000"),
    "quoted-dashes.md": (record("https://ex.com/dq", title="'a\n---\nb'"), "rejected",
                         "invalid YAML"),
    "types.md": ("---\ntitle: [1]\nwebUrl: {a: 1}\npublishedDateTime: 5\nquality: x\n---\n",
                 "rejected", "webUrl: must be a URL string"),
    "year-1.md": (record("https://ex.com/y1", date="0001-01-01T00:00:00Z"), "rejected",
                  "implausible date"),
    "year-9999.md": (record("https://ex.com/y9999", date="9999-12-31T23:59:59Z"), "rejected",
                     "implausible date"),
    "leap-second.md": (record("https://ex.com/leap", date="2016-12-31T23:59:60Z"),
                       "rejected", "not a valid ISO 8601 date-time: '2016-12-31T23:59:60Z' ("),
    "plus-14.md": (record("https://ex.com/p14", date="2024-01-01T00:30:00+14:00"),
                   "selected", "all"),
    "lower-t-z.md": (record("https://ex.com/lower", date="'2024-01-01t10:00:00z'"),
                     "selected", "all"),
    "date-only.md": (record("https://ex.com/donly", date="2024-02-29"), "selected", "all"),
    "quality-nan.md": (record("https://ex.com/qnan", quality=".nan"), "rejected", "finite"),
    "quality-huge.md": (record("https://ex.com/qhuge", quality="1" + "0" * 400), "rejected",
                        "out of range"),
    "quality-negative.md": (record("https://ex.com/qneg", quality="-5"), "filtered",
                            "quality -5 < 0"),
    "published-string.md": (record("https://ex.com/ps", published='"true"'), "filtered",
                            "got a string 'true'"),
    "published-yes.md": (record("https://ex.com/py", published="yes"), "filtered",
                         "got a string 'yes'"),
    "published-1.md": (record("https://ex.com/p1", published="1"), "filtered", "integer"),
    "dup-a.md": (record("https://EX.com:443/story?utm_source=x&a=1#frag", date="2024-01-02T00:00:00Z"), "selected", "all"),
    "dup-b.md": (record("https://ex.com/story?a=1", date="2024-01-02T00:00:00Z"), "filtered", "duplicate of dup-a.md"),
    "javascript.md": (record("'javascript:alert(1)'"), "rejected", "javascript: URL"),
    "embed.md": (record("https://ex.com/embed", extra=(
        "type: video\nfeaturedContent: '<iframe src=\"https://www.youtube.com/embed/x?a=1&amp;"
        "b=2\"></iframe>'\n")), "selected", "all"),
    "embed-script.md": (record("https://ex.com/embed-js", extra=(
        "type: video\nfeaturedContent: '<iframe src=\"javascript:alert(1)\"></iframe>'\n")),
        "selected", "all"),
    "secured.md": (record("https://ex.com/sec", extra="secured: 'SECRET-TOKEN-XYZ'\n"),
                   "selected", "all"),
    "cafe-nfc.md": (record("https://ex.com/nfc", topics="['Caf\u00e9']"), "selected",
                    "topics/cafe"),
    "cafe-nfd.md": (record("https://ex.com/nfd", topics="['Cafe\u0301']"), "selected",
                    "topics/cafe"),
    "idn-unicode.md": (record("https://ex.com/idn1",
                              provider="{name: B, domain: 'B\u00fccher.example'}"),
                       "selected", "providers/bucher-example"),
    "idn-punycode.md": (record("https://ex.com/idn2",
                               provider="{name: B, domain: 'xn--bcher-kva.example'}"),
                        "selected", "providers/bucher-example"),
    "slugs.md": (record("https://ex.com/slugs", topics=(
        "['../../x', 'C++', 'C', 'c--', '\u4eba\u5de5\u667a\u80fd', '<T>x</T>', "
        "\"\\u202eevil\", '\U0001f600', '" + "L" * 400 + "', '..', '.', 'con', '{site}', "
        "'%s']")), "selected", "topics/t-x-t"),
}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    src = root / "articles"
    src.mkdir()
    for name, (text, _, _) in HOSTILE.items():
        (src / name).write_text(text, encoding="utf-8", newline="")
    (src / "utf16.md").write_bytes(record("https://ex.com/u16").encode("utf-16"))
    (src / "latin1.md").write_bytes(record("https://ex.com/l1", title="caf\xe9")
                                    .encode("latin-1"))
    (src / "dir.md").mkdir()
    (src / "dir.md" / "inner.md").write_text(record("https://ex.com/inner"))
    os.mkfifo(src / "fifo.md")
    (src / "passwd.md").symlink_to("/etc/passwd")
    (src / "dangling.md").symlink_to(root / "nowhere")
    outside = root / "outside"
    outside.mkdir()
    (outside / "o.md").write_text(record("https://ex.com/outside"))
    (src / "outdir").symlink_to(outside)
    (src / "new\nline.md").write_text(record("https://ex.com/nl"))
    (src / ".hidden.md").write_text(record("https://ex.com/hidden"))
    deep = src.joinpath(*["d"] * 40)
    deep.mkdir(parents=True)
    (deep / "deep.md").write_text(record("https://ex.com/deep"))
    (root / "config.toml").write_text(CONFIG)
    proc = run("build", "--config", "config.toml", "--report", "report.json", cwd=root)
    check = run("check", "--strict", "--format", "json",
                "--base-url", "https://b\u00fccher.example:8443/f%20eeds/", "out", cwd=root)
    report = json.loads((root / "report.json").read_text())
    return {"root": root, "proc": proc, "check": check, "report": report,
            "by_path": {a["path"]: a for a in report["articles"]}}


def test_hostile_folder_builds_without_failing(hostile_build: dict[str, Any]) -> None:
    assert hostile_build["proc"].returncode == 0, hostile_build["proc"].stderr


def test_every_file_has_exactly_one_state_and_counts_add_up(
        hostile_build: dict[str, Any]) -> None:
    report, src = hostile_build["report"], hostile_build["root"] / "articles"
    paths = [a["path"] for a in report["articles"]]
    assert len(paths) == len(set(paths))
    # What `find articles -name '*.md' -not -type d` lists, minus hidden entries and
    # what is below a symlinked folder (never followed).
    expected = {p.relative_to(src).as_posix() for p in src.rglob("*.md")
                if not p.is_dir() or p.is_symlink()}
    expected = {p for p in expected if not any(s.startswith(".") for s in p.split("/"))}
    assert set(paths) == expected
    summary = report["summary"]
    states = Counter(a["status"] for a in report["articles"])
    assert set(states) <= {"selected", "filtered", "rejected"}
    assert summary["read"] == len(paths)
    assert (summary["selected"], summary["filtered"], summary["rejected"]) == (
        states["selected"], states["filtered"], states["rejected"])


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_record_gets_its_state_and_reason(hostile_build: dict[str, Any],
                                                        name: str) -> None:
    _, status, reason = HOSTILE[name]
    got = hostile_build["by_path"][name]
    assert (got["status"], reason in got["reason"]) == (status, True), got


def test_files_that_are_not_articles_are_rejected_not_lost(
        hostile_build: dict[str, Any]) -> None:
    by_path = hostile_build["by_path"]
    for name, fragment in [("fifo.md", "not a regular file"),
                           ("passwd.md", "outside the source folder"),
                           ("dangling.md", "outside the source folder"),
                           ("utf16.md", "UTF-16"), ("latin1.md", "not UTF-8")]:
        assert by_path[name]["status"] == "rejected" and fragment in by_path[name]["reason"]
    assert by_path["dir.md/inner.md"]["status"] == "selected"
    assert by_path["new\nline.md"]["status"] == "selected"
    assert by_path["/".join(["d"] * 40) + "/deep.md"]["status"] == "selected"


def test_yaml_rejections_name_file_line_column(hostile_build: dict[str, Any]) -> None:
    err = hostile_build["proc"].stderr
    # The column of the tag is libyaml's to report; the NUL's is ours (counted by us).
    assert re.search(r"python-tag\.md:2:[0-9]+: invalid YAML", err), err
    assert "nul.md:2:9: invalid YAML" in err


def test_output_passes_check_strict_with_zero_findings(hostile_build: dict[str, Any]) -> None:
    check = hostile_build["check"]
    result = json.loads(check.stdout)
    assert result["summary"]["errors"] == result["summary"]["warnings"] == 0, check.stdout
    assert check.returncode == 0
    out = hostile_build["root"] / "out"
    # every feed and the OPML; index.html and the feeds' pages are not feeds
    assert result["summary"]["files"] == len([p for p in out.rglob("*.*")
                                              if p.suffix != ".html"])


def test_feedparser_reads_every_feed_and_json_is_json_feed(
        hostile_build: dict[str, Any]) -> None:
    out = hostile_build["root"] / "out"
    feeds = sorted(out.rglob("*.atom")) + sorted(out.rglob("*.rss"))
    assert len(feeds) > 20
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    for path in sorted(out.rglob("*.json")):
        doc = json.loads(path.read_bytes())
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["feed_url"].endswith(path.relative_to(out).as_posix())
        assert all(isinstance(item["id"], str) for item in doc["items"])


def test_secured_and_python_tags_never_reach_the_output(hostile_build: dict[str, Any]) -> None:
    out = hostile_build["root"] / "out"
    for path in out.rglob("*.*"):
        data = path.read_bytes()
        assert b"SECRET-TOKEN-XYZ" not in data and b"PWNED" not in data
        if path.suffix != ".json":  # in JSON, "<script>" is plain text
            assert b"<script>" not in data, path


def test_embed_urls_decoded_once_javascript_dropped(
        hostile_build: dict[str, Any]) -> None:
    parsed = feedparser.parse((hostile_build["root"] / "out" / "all.atom").read_bytes())
    players = {e.link: e.get("media_player", {}).get("url") for e in parsed.entries}
    assert players["https://ex.com/embed"] == "https://www.youtube.com/embed/x?a=1&b=2"
    assert players["https://ex.com/embed-js"] is None


def test_nfc_and_nfd_spellings_are_one_topic_one_feed(hostile_build: dict[str, Any]) -> None:
    topics = hostile_build["root"] / "out" / "topics"
    cafe = sorted(p.name for p in topics.glob("cafe*.atom"))
    assert cafe == ["cafe.atom"]
    parsed = feedparser.parse((topics / "cafe.atom").read_bytes())
    assert len(parsed.entries) == 2
    assert unicodedata.is_normalized("NFC", parsed.entries[0].tags[0].term)


def test_idn_and_punycode_provider_domains_are_one_provider(
        hostile_build: dict[str, Any]) -> None:
    providers = sorted(p.name for p in (hostile_build["root"] / "out" / "providers")
                       .glob("*.atom"))
    assert providers == ["bucher-example.atom", "p-example.atom"]


def test_hostile_topic_names_stay_inside_with_safe_slugs(hostile_build: dict[str, Any]) -> None:
    out = hostile_build["root"] / "out"
    assert not (hostile_build["root"] / "x.atom").exists()
    for path in (out / "topics").iterdir():
        stem = path.name.rsplit(".", 1)[0]
        assert stem and set(stem) <= set("abcdefghijklmnopqrstuvwxyz0123456789-"), path
        assert len(stem) <= 60 and stem not in (".", "..", "con")


def test_site_title_braces_are_literal(hostile_build: dict[str, Any]) -> None:
    parsed = feedparser.parse((hostile_build["root"] / "out" / "all.atom").read_bytes())
    assert parsed.feed.title == "Hostile {site} %s {0} }{ <b>&amp;"
    assert parsed.feed.links[-1].href.startswith("https://xn--bcher-kva.example:8443/f%20eeds/")


def test_rebuild_of_hostile_folder_is_byte_identical_and_writes_nothing(
        hostile_build: dict[str, Any]) -> None:
    root = hostile_build["root"]
    before = {p: p.read_bytes() for p in (root / "out").rglob("*") if p.is_file()}
    again = run("build", "--config", "config.toml", "--no-index", "--jobs", "2",
                "--out", "out2", "-q", cwd=root)
    assert again.returncode == 0
    after = {root / "out" / p.relative_to(root / "out2"): p.read_bytes()
             for p in (root / "out2").rglob("*") if p.is_file()}
    assert after == before


def test_explain_agrees_with_the_report(hostile_build: dict[str, Any]) -> None:
    root = hostile_build["root"]
    names = ["ok.md", "dup-b.md", "year-1.md", "published-yes.md", "fifo.md"]
    proc = run("explain", "--config", "config.toml", *[f"articles/{n}" for n in names],
               cwd=root)
    assert proc.returncode == 0
    # Each file's verdict, then one line per value dropped from it (as the build shows).
    lines = [line for line in proc.stdout.splitlines() if ": warning: " not in line]
    warned = [line for line in proc.stdout.splitlines() if ": warning: " in line]
    assert "articles/published-yes.md: warning: published: " in "\n".join(warned)
    for name, line in zip(names, lines, strict=True):
        status = hostile_build["by_path"][name]["status"]
        assert re.match(rf"articles/{re.escape(name)}(:\d+:\d+)?: {status}: ", line), line


def test_a_non_utf8_file_name_is_rejected_not_a_crash(tmp_path: Path) -> None:
    src = tmp_path / "articles"
    src.mkdir()
    (src / "ok.md").write_text(record("https://ex.com/ok"))
    (src / os.fsdecode(b"bad\xffname.md")).write_text(record("https://ex.com/bad"))
    (tmp_path / "config.toml").write_text(CONFIG)
    proc = subprocess.run([sys.executable, "-m", "syndicate", "build", "--config",
                           "config.toml", "-q"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- config

@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "ok.md").write_text(record("https://ex.com/ok"))
    return tmp_path


def build_with(site: Path, toml: str, *extra: str) -> int:
    (site / "config.toml").write_text(toml)
    return main(["build", "--config", str(site / "config.toml"), "-q", *extra])


def _config(**site_keys: str) -> str:
    keys = {"title": "'x'", "base_url": "'https://ex.com/'", **site_keys}
    return "[site]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


BAD_CONFIGS = [
    (_config(base_url="'https://ex.com/?q=1'"), "site.base_url: must not have a query"),
    (_config(base_url="'https://ex.com/#top'"), "site.base_url: must not have a fragment"),
    (_config(base_url="'https://u:pw@ex.com/'"), "site.base_url: must not carry user"),
    (_config(base_url="'https://ex.com:99999/'"), "site.base_url: must be an absolute"),
    (_config(base_url="'ftp://ex.com/'"), "site.base_url: must be an absolute"),
    (_config(icon="'https://ex.com:0x50/i.png'"), "site.icon: must be an absolute"),
    (_config(language="'not a tag!'"), "site.language"),
    (_config(title="''"), "site.title: must not be empty"),
    (_config() + "[feeds]\ntopic_title = '{name.__class__}'\n", "feeds.topic_title: bad"),
    (_config() + "[feeds]\ntopic_title = '{site.__init__.__globals__}'\n",
     "feeds.topic_title: bad"),
    (_config() + "[feeds]\nall_title = '{site!r}'\n", "feeds.all_title: bad"),
    (_config() + "[feeds]\nprovider_title = '{name:>99999999}'\n",
     "feeds.provider_title: bad"),
    (_config() + "[feeds]\ntopic_title = '{name[0]}'\n", "feeds.topic_title: bad"),
    (_config() + "[feeds]\ntopic_title = '{0}'\n", "feeds.topic_title: bad"),
    (_config() + "[feeds]\ntopic_title = '{'\n", "feeds.topic_title: bad"),
    (_config() + "[output]\nfolder = 'articles'\n", "output.folder"),
    (_config() + "[output]\nfolder = 'articles/feeds'\n[source]\npatterns = ['*']\n",
     "output.folder"),
    (_config() + "[output]\nfolder = 'articles/feeds'\n[source]\npatterns = ['*.json']\n",
     "output.folder"),
    (_config() + "[output]\nfolder = '.'\n", "output.folder"),
    (_config() + "[state]\nfolder = 'feeds'\n", "state.folder"),
    (_config() + "[state]\nfolder = 'feeds/.state'\n", "state.folder"),
    (_config() + "[selection]\nmin_quality = nan\n", "selection.min_quality"),
    (_config() + "[selection]\nitems_per_feed = 0\n", "selection.items_per_feed"),
    (_config() + "[output]\nformats = []\n", "output.formats"),
    (_config() + "[source]\npatterns = ['../*.md']\n", "source.patterns"),
    (_config() + "[sitee]\n", "sitee: unknown key"),
]


@pytest.mark.parametrize(("toml", "message"), BAD_CONFIGS)
def test_a_config_mistake_is_one_line_naming_the_key(site: Path, toml: str, message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert build_with(site, toml) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (site / "feeds").exists()  # refused before anything was written


@pytest.mark.parametrize("toml", [
    _config(language="'zh-Hant-TW'"),
    _config(base_url="'https://b\u00fccher.example:8443/a%20b/'"),
    _config(base_url="'http://[::1]:8080/f'"),
    _config(title="'{site} {name} {{ }} %s %(x)s'"),
    _config(home_url="'https://ex.com/page?a=1#top'"),
    _config() + "[feeds]\ntopic_title = '{{{name}}} \u2014 {site} {{x}}'\n",
])
def test_valid_oddities_build(site: Path, toml: str) -> None:
    assert build_with(site, toml) == 0
    assert (site / "feeds" / "all.atom").is_file()


def test_output_inside_the_source_folder_is_fine_when_no_pattern_matches_a_feed(
        site: Path) -> None:
    toml = _config() + "[output]\nfolder = 'articles/feeds'\n"  # *.md matches no feed
    assert build_with(site, toml, "--report", str(site / "r.json")) == 0
    assert build_with(site, toml, "--report", str(site / "r.json")) == 0
    report = json.loads((site / "r.json").read_text())
    assert [a["path"] for a in report["articles"]] == ["ok.md"]
    assert (site / "articles" / "feeds" / "all.atom").is_file()


def test_literal_braces_in_a_template_are_kept(site: Path) -> None:
    toml = _config() + "[feeds]\ntopic_title = '{{{name}}} of {site}'\n"
    assert build_with(site, toml) == 0
    parsed = feedparser.parse((site / "feeds" / "topics" / "ai.atom").read_bytes())
    assert parsed.feed.title == "{AI} of x"


def test_a_home_url_with_a_query_is_not_given_a_slash(site: Path) -> None:
    assert build_with(site, _config(home_url="'https://ex.com/page?a=1'")) == 0
    # home_url is the pages' "Website" link (the feeds' alternate is their own page).
    index = (site / "feeds" / "index.html").read_text()
    assert '<a href="https://ex.com/page?a=1">Website</a>' in index


# --------------------------------------------------------------------------- flags

@pytest.mark.parametrize("flags", [
    ["--jobs", "-1"], ["--jobs", "1000"], ["--jobs", "x"], ["--wait", "-1"],
    ["--wait", "nan"], ["--wait", "inf"], ["--bogus"],
])
def test_bad_build_flags_exit_2_before_building(site: Path, flags: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (site / "config.toml").write_text(_config())
    with pytest.raises(SystemExit) as exc:
        main(["build", "--config", str(site / "config.toml"), *flags])
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert not (site / "feeds").exists()


@pytest.mark.parametrize("report", ["missing/r.json", ".", "config.toml", "articles/ok.md",
                                    "articles/r.md", "feeds/all.atom", "feeds/index.html",
                                    "feeds/topics/ai.json"])
def test_an_unusable_report_path_stops_before_publishing(site: Path, report: str,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    (site / "feeds" / "topics").mkdir(parents=True)
    before = (site / "articles" / "ok.md").read_bytes()
    assert build_with(site, _config(), "--report", str(site / report)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--report" in err
    assert [p.name for p in (site / "feeds").iterdir()] == ["topics"]
    assert (site / "articles" / "ok.md").read_bytes() == before
    assert (site / "config.toml").read_text() == _config()


def test_a_report_beside_the_feeds_is_fine(site: Path) -> None:
    assert build_with(site, _config(), "--report", str(site / "feeds-report.json")) == 0
    assert build_with(site, _config(), "--report", str(site / "articles" / "r.json")) == 0
    (site / "feeds" / "status").mkdir()
    assert build_with(site, _config(), "--report", str(site / "feeds" / "status" / "r.json")) == 0
    report = json.loads((site / "feeds" / "status" / "r.json").read_text())
    assert report["summary"]["selected"] == 1


@pytest.mark.parametrize("url", ["", "not a url", "feeds/", "ftp://x.org/", "http://[::1"])
def test_check_refuses_a_base_url_that_is_not_one(url: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--base-url", url, str(REPO / "README.md")])
    assert exc.value.code == 2


def test_serve_refuses_a_port_out_of_range(site: Path) -> None:
    (site / "config.toml").write_text(_config())
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--config", str(site / "config.toml"), "--port", "70000"])
    assert exc.value.code == 2


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("build", "check", "explain", "serve"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert f"usage: syndicate {command}" in capsys.readouterr().out


# --------------------------------------------------------------------------- output folder

def test_unrelated_files_survive_build_and_prune(site: Path) -> None:
    feeds = site / "feeds"
    (feeds / "topics").mkdir(parents=True)
    keep = {"notes.txt": b"n", "topics/legacy.atom": b"<feed><generator>Hugo</generator>"
            b"</feed>", "topics/hand.json": b'{"feed_url": "https://x/other.json"}',
            "topics/readme.md": b"r", ".well-known/x": b"w"}
    for rel, data in keep.items():
        (feeds / rel).parent.mkdir(parents=True, exist_ok=True)
        (feeds / rel).write_bytes(data)
    toml = _config()
    (site / "articles" / "gone.md").write_text(record("https://ex.com/g", topics="[Gone]"))
    assert build_with(site, toml) == 0
    assert (feeds / "topics" / "gone.atom").is_file()
    (site / "articles" / "gone.md").unlink()
    assert build_with(site, toml, "--prune") == 0
    assert not (feeds / "topics" / "gone.atom").exists()  # ours: pruned
    for rel, data in keep.items():
        assert (feeds / rel).read_bytes() == data, rel


def test_a_look_alike_topic_does_not_move_an_established_feed(site: Path) -> None:
    assert build_with(site, _config()) == 0
    before = (site / "feeds" / "topics" / "ai.atom").read_bytes()
    (site / "articles" / "intruder.md").write_text(
        record("https://ex.com/intruder", topics="['AI!', 'A\u200bI']"))
    assert build_with(site, _config(), "--report", str(site / "r.json")) == 0
    assert json.loads((site / "r.json").read_text())["stale"] == []
    assert (site / "feeds" / "topics" / "ai.atom").read_bytes() == before
    assert len(list((site / "feeds" / "topics").glob("ai-*.atom"))) == 2


def test_a_symlinked_output_folder_is_written_through(site: Path) -> None:
    (site / "real").mkdir()
    (site / "feeds").symlink_to(site / "real")
    assert build_with(site, _config()) == 0
    assert (site / "real" / "all.atom").is_file()


def test_topics_symlinked_outside_is_refused_before_any_write(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = site / "elsewhere"
    elsewhere.mkdir()
    (site / "feeds").mkdir()
    (site / "feeds" / "topics").symlink_to(elsewhere)
    assert build_with(site, _config()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "leads outside" in err and "nothing written" in err
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in (site / "feeds").iterdir()) == ["topics"]


@pytest.mark.parametrize("rel", ["all.atom", "providers/p-example.rss"])
def test_a_feed_file_linked_outside_is_refused_before_any_write(
        site: Path, rel: str, capsys: pytest.CaptureFixture[str]) -> None:
    victim = site / "victim"
    victim.write_bytes(b"keep")
    (site / "feeds" / rel).parent.mkdir(parents=True)
    (site / "feeds" / rel).symlink_to(victim)
    assert build_with(site, _config()) == 2
    assert "is a link leading outside" in capsys.readouterr().err
    assert victim.read_bytes() == b"keep"
    assert not (site / "feeds" / "all.rss").exists()


def test_an_output_folder_that_is_a_file_is_one_line(site: Path) -> None:
    (site / "feeds").write_bytes(b"x")
    (site / "config.toml").write_text(_config())
    proc = run("build", "--config", "config.toml", "-q", cwd=site)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and str(site / "feeds") in proc.stderr


def test_read_only_output_folder_exits_2_with_one_line(site: Path) -> None:
    # The build runs as this user, so it reaches the interpreter and the clone wherever
    # they are; as root it first gives up the power to override permission bits (see
    # conftest), or the read-only folder would be written anyway.
    (site / "config.toml").write_text(_config())
    feeds = site / "feeds"
    feeds.mkdir()
    feeds.chmod(0o555)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "syndicate", "build", "--config", "config.toml", "-q"],
            cwd=site, capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "PYTHONPATH": str(REPO)}, preexec_fn=drop_permission_override)
        assert list(feeds.iterdir()) == []
    except subprocess.SubprocessError as exc:  # raised by drop_permission_override
        pytest.skip(f"root cannot give up its permission override here: {exc}")
    finally:
        feeds.chmod(0o755)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    # Our words name the folder; the OS's reason (strerror) follows them.
    assert proc.stderr.startswith(f"syndicate: {feeds}{os.sep}"), proc.stderr
    assert proc.stderr.rstrip("\n").endswith(os.strerror(errno.EACCES)), proc.stderr


# --------------------------------------------------------------------------- checker

def test_checker_on_hostile_inputs(tmp_path: Path) -> None:
    d = tmp_path / "web"
    d.mkdir()
    (d / "truncated.atom").write_bytes(b'<?xml version="1.0"?><feed xmlns="http://www.w3.o')
    (d / "page.rss").write_bytes(b"<html><body>hi</body></html>")
    (d / "notfeed.json").write_bytes(b'{"a": 1}')
    (d / "atom03.xml").write_bytes(b'<feed version="0.3" xmlns="http://purl.org/atom/ns#">'
                                   b"<title>t</title></feed>")
    (d / "bomb.xml").write_bytes(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">'
                                 b'<!ENTITY b "&a;&a;&a;">]><rss version="2.0">&b;</rss>')
    with open(d / "sparse.xml", "wb") as handle:
        handle.truncate(1 << 30)
    os.mkfifo(d / "fifo.xml")
    (d / "loop").symlink_to(d)
    proc = run("check", "--format", "json", str(d), cwd=tmp_path)
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    codes = {Path(f["path"]).name: [e["code"] for e in f["errors"]] for f in result["files"]}
    assert codes == {
        "truncated.atom": ["xml.not-well-formed"], "page.rss": ["format.html"],
        "notfeed.json": ["format.unknown"], "atom03.xml": ["atom.obsolete-namespace"],
        "bomb.xml": ["xml.doctype-entity"], "sparse.xml": ["file.too-large"]}
    assert result["summary"] == {"files": 6, "errors": 6, "warnings": 0}
    for f in result["files"]:
        assert set(f) == {"path", "format", "errors", "warnings"}
        assert all(set(e) == {"code", "message", "line"} for e in f["errors"])


def test_checker_output_with_hostile_file_names(tmp_path: Path) -> None:
    from lxml import etree

    d = tmp_path / "names"
    d.mkdir()
    (d / os.fsdecode(b"bad\xffname.atom")).write_bytes(b"<feed")
    (d / "new\nline.atom").write_bytes(b"<feed")
    as_json = run("check", "--format", "json", "names", cwd=tmp_path)
    doc = json.loads(as_json.stdout.encode("utf-8", "surrogateescape").decode("utf-8"))
    assert [f["path"] for f in doc["files"]] == ["names/bad\\xffname.atom",
                                                 "names/new\nline.atom"]
    as_text = run("check", "names", cwd=tmp_path)
    assert as_text.stdout.splitlines()[1].startswith("names/new\\nline.atom:")
    assert len(as_text.stdout.splitlines()) == 3  # two findings and the summary
    junit = run("check", "--format", "junit", "names", cwd=tmp_path)
    names = [c.get("name") for c in etree.fromstring(junit.stdout.encode()).iter("testcase")]
    assert names == ["names/bad\\xffname.atom", "names/new\nline.atom"]


def test_checker_exit_2_for_unreadable_and_empty_inputs(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert run("check", "empty", cwd=tmp_path).returncode == 2
    assert run("check", "missing.atom", cwd=tmp_path).returncode == 2
    zero = run("check", "/dev/zero", cwd=tmp_path)
    assert zero.returncode == 1 and "file.too-large" in zero.stdout


def test_checker_junit_is_xml_with_one_case_per_file(tmp_path: Path) -> None:
    from lxml import etree

    (tmp_path / "a.rss").write_bytes(b"<html/>")
    (tmp_path / "b.json").write_bytes(b"[]")
    proc = run("check", "--format", "junit", "a.rss", "b.json", cwd=tmp_path)
    assert proc.returncode == 1
    suites = etree.fromstring(proc.stdout.encode())
    cases = suites.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["a.rss", "b.json"]
    assert all(c.find("failure") is not None for c in cases)


# --------------------------------------------------------------------------- serve

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("serve")
    root = tmp_path / "feeds"
    (root / "topics").mkdir(parents=True)
    (root / "all.atom").write_bytes(b"<feed/>")
    (root / "topics" / "ai.atom").write_bytes(b"<feed/>")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (root / "big.atom").write_bytes(b"<feed/>" + b"x" * 100_000)
    srv = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_serve_streams_a_big_file_with_validators(server: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import syndicate.serve

    monkeypatch.setattr(syndicate.serve, "MAX_IN_MEMORY", 1000)
    request = urllib.request.Request(server + "/big.atom",
                                     headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        etag = response.headers["ETag"]
        assert response.headers.get("Content-Encoding") is None
        assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert body == b"<feed/>" + b"x" * 100_000
    again = urllib.request.Request(server + "/big.atom", headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(again, timeout=10)
    assert exc.value.code == 304
    head = urllib.request.Request(server + "/big.atom", method="HEAD")
    with urllib.request.urlopen(head, timeout=10) as response:
        assert response.headers["Content-Length"] == str(len(body))
        assert response.read() == b""


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(("path", "status"), [
    ("/all.atom", 200), ("/all.atom/", 404), ("/topics/ai.atom/", 404),
    ("/%2e%2e/secret.txt", 400), ("/topics/..%2f..%2fsecret.txt", 400),
    ("/topics/%2e%2e/%2e%2e/secret.txt", 400), ("/all.atom%00", 400),
    ("/..%5csecret.txt", 400), ("/%252e%252e/secret.txt", 404), ("/topics/", 404),
])
def test_serve_traversal_and_file_paths(server: str, path: str, status: int) -> None:
    assert _status(server + path) == status
