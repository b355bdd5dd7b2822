"""Custom feeds and spelling aliases (issue 12), through the CLI: ``[[feeds.custom]]``
filters, ``custom/<slug>.*`` files listed in the OPML and the index page with the ids
every other feed uses, config mistakes as exit 2 naming the key, and
``[topics.aliases]`` / ``[providers.aliases]`` merging spellings while the old URL keeps
answering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree
from test_build import article, make_site, snapshot

from syndicate import cli
from syndicate.config import Config, load_config

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = "2026-12-06T10:00:00Z"

CUSTOM = """
[[feeds.custom]]
name = "AI from our best providers"
slug = "ai-best"
topics_any = ["machine  LEARNING", "generative ai"]
exclude_topics = ["Opinion"]
providers = ["Tech Herald", "lab.example.org"]
min_quality = 80

[[feeds.custom]]
name = "Videos about robots"
slug = "robot-videos"
topics_all = ["Robotics"]
types = ["video"]

[[feeds.custom]]
name = "Quiet corner"
slug = "quiet"
topics_any = ["Gardening"]
"""


def site(root: Path, extra: str = CUSTOM) -> Config:
    config = make_site(root)
    with config.path.open("a", encoding="utf-8") as handle:
        handle.write(extra)
    src = config.source.folder
    herald = ("Tech Herald", "techherald.example.com")
    lab = ("The Lab", "lab.example.org")
    other = ("Other", "other.example.net")
    article(src, "a.md", title="A: ML at the Herald", quality=90, provider=herald,
            topics=("Machine learning",), when="2026-11-01T10:00:00Z")
    article(src, "b.md", title="B: GenAI from the Lab", quality=85, provider=lab,
            topics=("Generative AI", "Policy"), when="2026-11-02T10:00:00Z")
    article(src, "c.md", title="C: ML opinion", quality=95, provider=herald,
            topics=("Machine Learning", "opinion"), when="2026-11-03T10:00:00Z")
    article(src, "d.md", title="D: ML too weak", quality=70, provider=herald,
            topics=("machine learning",), when="2026-11-04T10:00:00Z")
    article(src, "e.md", title="E: ML elsewhere", quality=99, provider=other,
            topics=("Machine learning",), when="2026-11-05T10:00:00Z")
    video = article(src, "f.md", title="F: robot video", quality=60, provider=other,
                    topics=("Robotics", "Video"), when="2026-11-06T10:00:00Z")
    video.write_text(video.read_text(encoding="utf-8").replace("type: article",
                                                                "type: video"),
                     encoding="utf-8")
    article(src, "g.md", title="G: robot text", quality=60, provider=other,
            topics=("Robotics",), when="2026-11-07T10:00:00Z")
    article(src, "h.md", title="H: scheduled ML", quality=90, provider=herald,
            topics=("Machine learning",), when="2026-12-24T10:00:00Z")
    return load_config(config.path)


def run(config: Config, *extra: str) -> int:
    return cli.main(["build", "--config", str(config.path), "--now", NOW, *extra])


def entries(file: Path) -> list[tuple[str, str]]:
    root = etree.fromstring(file.read_bytes())
    return [(e.findtext(f"{ATOM}id") or "", e.findtext(f"{ATOM}title") or "")
            for e in root.iter(f"{ATOM}entry")]


def test_custom_feeds_hold_exactly_the_articles_their_filters_match(tmp_path: Path) -> None:
    config = site(tmp_path)
    report = tmp_path / "report.json"
    assert run(config, "--report", str(report)) == 0
    out = config.output.folder
    # Quality >= 80, ML or GenAI, Herald by name or the Lab by domain, no opinion; H is
    # scheduled, D too weak, E from another provider, C an opinion piece.
    assert [t for _, t in entries(out / "custom/ai-best.atom")] == [
        "B: GenAI from the Lab", "A: ML at the Herald"]
    # min_quality defaults to selection.min_quality (50); only the video about robots.
    assert [t for _, t in entries(out / "custom/robot-videos.atom")] == ["F: robot video"]
    # A configured feed exists even with no article (subscribers keep their URL).
    assert entries(out / "custom/quiet.atom") == []
    for slug, n in (("ai-best", 2), ("robot-videos", 1), ("quiet", 0)):
        feed = json.loads((out / f"custom/{slug}.json").read_text(encoding="utf-8"))
        assert len(feed["items"]) == n
        rss = etree.fromstring((out / f"custom/{slug}.rss").read_bytes())
        assert len(rss.findall("channel/item")) == n
    # The same ids as in every other feed.
    ids = {t: i for i, t in entries(out / "all.atom")}
    assert all(ids[t] == i for i, t in entries(out / "custom/ai-best.atom"))
    # Listed in the OPML and on the index page; accounted for in the report.
    opml = (out / "feeds.opml").read_text(encoding="utf-8")
    page = (out / "index.html").read_text(encoding="utf-8")
    for slug, name in (("ai-best", "AI from our best providers"), ("quiet", "Quiet corner")):
        assert f'xmlUrl="https://feeds.example.org/custom/{slug}.atom"' in opml
        assert f"Test Site: {name}" in opml and f"custom/{slug}.atom" in page
    data = json.loads(report.read_text(encoding="utf-8"))
    reasons = {a["path"]: a["reason"] for a in data["articles"]}
    assert reasons["a.md"].endswith(", custom/ai-best")
    assert reasons["f.md"].endswith(", custom/robot-videos")
    assert {f["path"] for f in data["feeds"]} >= {"custom/quiet.atom", "custom/quiet.rss",
                                                  "custom/quiet.json"}
    assert cli.main(["check", "--strict", str(out)]) == 0


def test_incremental_builds_follow_custom_feed_edits_byte_for_byte(tmp_path: Path) -> None:
    config = site(tmp_path / "site")
    assert run(config) == 0
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(text.replace("min_quality = 80", "min_quality = 60"),
                           encoding="utf-8")
    assert run(config) == 0
    assert [t for _, t in entries(config.output.folder / "custom/ai-best.atom")] == [
        "D: ML too weak", "B: GenAI from the Lab", "A: ML at the Herald"]
    fresh = tmp_path / "fresh"
    shutil.copytree(tmp_path / "site", fresh, ignore=shutil.ignore_patterns("out", "state"))
    other = load_config(fresh / "config.toml")
    assert run(other, "--no-index") == 0
    assert snapshot(config.output.folder) == snapshot(other.output.folder)


def test_a_removed_custom_feed_is_stale_and_pruned(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    config = site(tmp_path)
    assert run(config) == 0
    config.path.write_text(config.path.read_text(encoding="utf-8").replace(
        'slug = "quiet"', 'slug = "calm"'), encoding="utf-8")
    report = tmp_path / "report.json"
    assert run(config, "--report", str(report)) == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["stale"] == ["custom/quiet.atom", "custom/quiet.html", "custom/quiet.json",
                             "custom/quiet.rss"]  # its page goes with it
    assert run(config, "--prune", "--report", str(report)) == 0
    assert not (config.output.folder / "custom/quiet.atom").exists()
    assert not (config.output.folder / "custom/quiet.html").exists()
    assert (config.output.folder / "custom/calm.atom").exists()
    assert json.loads(report.read_text(encoding="utf-8"))["stale"] == []


BAD = [
    (('[[feeds.custom]]\nname = "X"\nslug = "x"\ntopics_all = ["AI"]\n'
     'exclude_topics = ["ai"]\n'), "feeds.custom[0].exclude_topics"),
    (('[[feeds.custom]]\nname = "X"\nslug = "x"\ntopics_any = ["AI"]\n'
     'exclude_topics = ["AI", "b"]\n'), "feeds.custom[0].exclude_topics"),
    ('[[feeds.custom]]\nname = "X"\nslug = "x"\n[[feeds.custom]]\nname = "Y"\nslug = "x"\n',
     "feeds.custom[1].slug"),
    ('[[feeds.custom]]\nname = "X"\nslug = "Not A Slug"\n', "feeds.custom[0].slug"),
    ('[[feeds.custom]]\nname = "X"\nslug = "../x"\n', "feeds.custom[0].slug"),
    ('[[feeds.custom]]\nname = "X"\nslug = "con"\n', "feeds.custom[0].slug"),
    ('[[feeds.custom]]\nname = "X"\nslug = "x"\ntopic_any = ["AI"]\n',
     "feeds.custom[0].topic_any: unknown key"),
    ('[[feeds.custom]]\nname = "X"\nslug = "x"\nmin_quality = "80"\n',
     "feeds.custom[0].min_quality: must be a number"),
    ('[[feeds.custom]]\nname = "X"\nslug = "x"\ntypes = ["podcast"]\n',
     "feeds.custom[0].types"),
    ('[[feeds.custom]]\nname = "X"\nslug = "x"\nproviders = "Tech Herald"\n',
     "feeds.custom[0].providers: must be a list of strings"),
    ('[[feeds.custom]]\nslug = "x"\n', "feeds.custom[0].name: required"),
    ('[feeds]\ncustom = {name = "X"}\n', "feeds.custom: must be an array of tables"),
    ('[topics.aliases]\nML = "Machine learning"\n"Machine learning" = "AI"\n',
     "is itself an alias"),
    ('[topics.aliases]\nml = "ML"\n', "topics.aliases.ml: is its own spelling"),
    ('[topics]\nalias = {}\n', "topics.alias: unknown key"),
    ('[providers.aliases]\n"old.example.com" = 3\n', "must be a string"),
]


@pytest.mark.parametrize(("extra", "named"), BAD)
def test_invalid_custom_feeds_and_aliases_are_config_errors_naming_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, named: str) -> None:
    config = make_site(tmp_path)
    text = config.path.read_text(encoding="utf-8")
    if extra.startswith("[feeds]"):
        extra = extra.removeprefix("[feeds]\n")
        text = text.replace("[output]", f"[feeds]\n{extra}\n[output]")
        extra = ""
    config.path.write_text(text + "\n" + extra, encoding="utf-8")
    assert cli.main(["build", "--config", str(config.path), "--now", NOW]) == 2
    err = capsys.readouterr().err
    assert err.startswith("syndicate: config error: ") and named in err
    assert len(err.strip().splitlines()) == 1
    assert not config.output.folder.exists()


def test_topic_and_provider_aliases_merge_feeds_and_old_urls_keep_answering(
        tmp_path: Path) -> None:
    config = site(tmp_path, '[topics.aliases]\n"ML" = "Machine learning"\n'
                            '[providers.aliases]\n"lab.example.org" = "techherald.example.com"\n')
    src = config.source.folder
    article(src, "m.md", title="M: spelled ML", quality=90, topics=("ML",),
            provider=("The Lab", "lab.example.org"), when="2026-11-10T10:00:00Z")
    assert run(config) == 0
    out = config.output.folder
    merged = [t for _, t in entries(out / "topics/machine-learning.atom")]
    assert merged == ["M: spelled ML", "E: ML elsewhere", "D: ML too weak",
                      "C: ML opinion", "A: ML at the Herald"]
    # The old spelling's URL answers with the merged feed: same entries, same ids,
    # its own self link; it is not listed a second time.
    assert entries(out / "topics/ml.atom") == entries(out / "topics/machine-learning.atom")
    copy = etree.fromstring((out / "topics/ml.atom").read_bytes())
    assert [link.get("href") for link in copy.iterfind(f"{ATOM}link")
            if link.get("rel") == "self"] == ["https://feeds.example.org/topics/ml.atom"]
    opml = (out / "feeds.opml").read_text(encoding="utf-8")
    assert "topics/ml.atom" not in opml and "topics/machine-learning.atom" in opml
    # The Lab's domain is merged into the Herald's provider feed; its old URL is a copy.
    herald = [t for _, t in entries(out / "providers/techherald-example-com.atom")]
    assert "B: GenAI from the Lab" in herald and "M: spelled ML" in herald
    assert entries(out / "providers/lab-example-org.atom") == entries(
        out / "providers/techherald-example-com.atom")
    assert "providers/lab-example-org" not in opml
    assert cli.main(["check", "--strict", str(out)]) == 0
