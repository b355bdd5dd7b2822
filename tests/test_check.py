"""The checker as a tool: codes and docs agree, hostile input is refused cheaply,
the CLI's outputs have the promised shapes and exit codes, and real-world feeds pass."""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from syndicate import cli
from syndicate.check import CODES, MAX_BYTES, check_bytes, run_check
from syndicate.cli import main

ROOT = Path(__file__).parents[1]
CASES = Path(__file__).parent / "cases"
CODE_LITERAL = re.compile(
    r"\"((?:file|format|xml|atom|rss|json|jsonfeed|opml|media|ext|history|http|lint)\.[a-z0-9.-]+)\"")
# Gate codes are about two versions (history.*) or a server (http.*), not one file's
# content: tests/test_check_compare.py and tests/test_check_http.py assert each of them.
GATE_TESTS = ("test_check_compare.py", "test_check_http.py")

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>T</title>
  <link rel="self" href="https://example.org/feed.atom"/>
  <updated>2024-01-01T00:00:00Z</updated>
  <author><name>A</name></author>
  <id>https://example.org/</id>
</feed>
"""
BROKEN_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title><link>http://example.com/</link>
<item><title>x</title></item></channel></rss>
"""


def _run(paths: list[str], *extra: str, fmt: str = "text", strict: bool = False,
         base_url: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.check_exit_code(run_check(paths, output_format=fmt, strict=strict,
                                         base_url=base_url, out=out))
    return code, out.getvalue()


# --- the code registry, the docs and the code base agree ---------------------------------

def test_every_emitted_code_is_registered_and_every_registered_code_is_emitted() -> None:
    emitted: set[str] = set()
    for source in (ROOT / "syndicate" / "check").glob("*.py"):
        if source.name != "findings.py":
            emitted |= set(CODE_LITERAL.findall(source.read_text(encoding="utf-8")))
    assert emitted == set(CODES)


def test_docs_list_exactly_the_registered_codes_with_their_severity() -> None:
    rows = re.findall(r"^\| `([^`]+)` \| (error|warning) \| (.+?) \|$",
                      (ROOT / "docs" / "checks.md").read_text(encoding="utf-8"), re.MULTILINE)
    documented = {code: severity for code, severity, _ in rows}
    assert len(rows) == len(documented), "a code is documented twice"
    assert documented == {code: severity for code, (severity, _) in CODES.items()}
    assert all(text.strip() for _, _, text in rows)


def test_every_code_has_a_case_file_that_expects_it() -> None:
    expected: set[str] = set()
    for case in CASES.rglob("*"):
        if case.is_file():
            m = re.search(rb"Expect:\s*([^\"<>\n]*?)\s*(?:-->|\"|$)",
                          case.read_bytes().replace(b"\x00", b""), re.MULTILINE)
            assert m is not None, case
            expected |= {e.strip().split("@")[0] for e in m.group(1).decode().split(",")}
    # These two are about the file, not its content: tested below instead.
    gates = {c for c in CODES if c.startswith(("history.", "http."))}
    assert set(CODES) - expected - gates == {"file.unreadable", "file.too-large"}


def test_every_gate_code_is_asserted_by_a_gate_test() -> None:
    asserted: set[str] = set()
    for name in GATE_TESTS:
        asserted |= set(CODE_LITERAL.findall((ROOT / "tests" / name).read_text("utf-8")))
    assert {c for c in CODES if c.startswith(("history.", "http."))} <= asserted


# --- hostile input --------------------------------------------------------------------

def _bomb(levels: int = 10) -> bytes:
    decls = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rss [{"".join(decls)}]>\n'
            f'<rss version="2.0"><channel><title>&l{levels - 1};</title></channel></rss>'
            ).encode()


def test_billion_laughs_is_rejected_before_the_parser_sees_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the parser must not run on an entity bomb")

    monkeypatch.setattr(etree, "fromstring", never)
    result = check_bytes(_bomb())
    assert [f.code for f in result.findings] == ["xml.doctype-entity"]


def test_entity_bomb_hidden_behind_a_comment_is_still_rejected() -> None:
    data = _bomb().replace(b"<!DOCTYPE", b"<!-- <rss> ]> -->\n<!DOCTYPE", 1)
    tracemalloc.start()
    result = check_bytes(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "xml.doctype-entity" in [f.code for f in result.findings]
    assert peak < 2_000_000  # a billion "lol"s would be gigabytes


def test_entity_bomb_that_defeats_the_prolog_scan_is_caught_after_a_safe_parse() -> None:
    # A comment inside the internal subset ends the cheap scan early; libxml2 (entities
    # not substituted) then parses it and the declared entities are found in the DTD.
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!-- ]> --><!ENTITY a "aaaa">]>\n'
            b'<rss version="2.0"><channel><title>&a;</title></channel></rss>')
    result = check_bytes(data)
    assert [f.code for f in result.findings] == ["xml.doctype-entity"]


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (f'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>&x;</title></feed>').encode()
    result = check_bytes(data)
    assert [f.code for f in result.findings] == ["xml.doctype-entity"]
    assert "TOP-SECRET" not in repr(result)


def test_ten_thousand_levels_of_nesting_are_refused() -> None:
    data = b'<feed xmlns="http://www.w3.org/2005/Atom">' + b"<x>" * 10_000 + b"</x>" * 10_000 \
        + b"</feed>"
    result = check_bytes(data)
    assert [f.code for f in result.findings] == ["xml.too-deep"]
    assert result.findings[0].line == 1


def test_deeply_nested_opml_outlines_within_the_cap_do_not_overflow_the_stack() -> None:
    depth = 250
    data = (b'<opml version="2.0"><head/><body>' + b'<outline text="x">' * depth
            + b"</outline>" * depth + b"</body></opml>")
    assert check_bytes(data).findings == ()


def test_a_50_mb_file_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: costs no disk, and is never read
    tracemalloc.start()
    code, out = _run([str(big)], fmt="json")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    report = json.loads(out)
    assert code == 1
    assert [e["code"] for e in report["files"][0]["errors"]] == ["file.too-large"]
    assert peak < 1_000_000


def test_oversized_stdin_reads_at_most_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            n = len(buffer)
            buffer[:n] = b" " * n
            Endless.served += n
            return n

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    code, out = _run(["-"])
    assert code == 1
    assert "file.too-large" in out
    assert Endless.served <= MAX_BYTES + 2 * 1024 * 1024  # one buffer beyond the cap at most


def test_check_bytes_refuses_oversized_input_unparsed() -> None:
    result = check_bytes(b"<" + b"a" * MAX_BYTES + b"/>")
    assert [f.code for f in result.findings] == ["file.too-large"]


@pytest.mark.parametrize("element", ["georss:point", "georss:polygon", "georss:elev"])
def test_a_megabyte_of_digits_in_a_georss_number_is_judged_in_one_pass(element: str) -> None:
    # Each of these values ends in a letter, so the number pattern must fail; written
    # \d+\.?\d* it tried every split of the digit run (quadratic: this took hours).
    digits = "1" * 1_000_000 + "x"
    data = ('<rss version="2.0" xmlns:georss="http://www.georss.org/georss"><channel>'
            "<title>t</title><link>http://example.com/</link><description>d</description>"
            f"<item><title>t</title><{element}>{digits}</{element}></item>"
            "</channel></rss>").encode()
    codes = {f.code for f in check_bytes(data).findings}
    assert codes & {"ext.georss.bad-point", "ext.georss.bad-point-list",
                    "ext.georss.bad-number"}


def test_a_megabyte_of_white_space_in_an_opml_expansion_state_is_judged_in_one_pass() -> None:
    # Written \s*(list)?\s*, the pattern split the white-space run between its two
    # \s* every way before failing on the letter (quadratic: this took hours).
    state = " " * 1_000_000 + "x"
    data = ('<?xml version="1.0"?><opml version="2.0"><head><title>t</title>'
            f"<expansionState>{state}</expansionState></head>"
            '<body><outline text="a"/></body></opml>').encode()
    assert "opml.bad-expansion-state" in {f.code for f in check_bytes(data).findings}


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\x01\x02", b"{", b"[]", b"null",
                                  b"\xff\xfe", b"<", b"<?xml version='1.0'?>"])
def test_garbage_never_raises_and_always_says_why(data: bytes) -> None:
    result = check_bytes(data)
    assert result.errors, data
    assert all(f.line is not None for f in result.findings)


# --- format detection -----------------------------------------------------------------

def test_format_comes_from_content_not_file_name(tmp_path: Path) -> None:
    (tmp_path / "looks-like.json").write_bytes(ATOM)
    (tmp_path / "looks-like.opml").write_bytes(
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [],'
        b' "home_page_url": "https://e.org/", "feed_url": "https://e.org/f"}')
    code, out = _run([str(tmp_path)], fmt="json")
    formats = {Path(f["path"]).name: f["format"] for f in json.loads(out)["files"]}
    assert formats == {"looks-like.json": "atom", "looks-like.opml": "jsonfeed"}
    assert code == 0


# --- CLI behaviour and output shapes -------------------------------------------------

def _tree(tmp_path: Path) -> Path:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "good.atom").write_bytes(ATOM)
    (tmp_path / "sub" / "bad.rss").write_bytes(BROKEN_RSS)
    (tmp_path / "sub" / "deeper" / "list.opml").write_bytes(
        b'<opml version="2.0"><head/><body><outline text="a"/></body></opml>')
    (tmp_path / "sub" / "notes.txt").write_bytes(b"not a feed, not looked at")
    return tmp_path


def test_folders_are_searched_recursively_for_feed_extensions_only(tmp_path: Path) -> None:
    code, out = _run([str(_tree(tmp_path))], fmt="json")
    paths = [Path(f["path"]).relative_to(tmp_path).as_posix() for f in json.loads(out)["files"]]
    assert paths == ["good.atom", "sub/bad.rss", "sub/deeper/list.opml"]
    assert code == 1


def test_json_output_has_exactly_the_promised_shape(tmp_path: Path) -> None:
    _, out = _run([str(_tree(tmp_path))], fmt="json")
    report = json.loads(out)
    assert set(report) == {"files", "summary"}
    assert set(report["summary"]) == {"files", "errors", "warnings"}
    for f in report["files"]:
        assert set(f) == {"path", "format", "errors", "warnings"}
        assert f["format"] in {"atom", "rss", "jsonfeed", "opml", "unknown"}
        for finding in f["errors"] + f["warnings"]:
            assert set(finding) == {"code", "message", "line"}
            assert isinstance(finding["line"], int)
    bad = next(f for f in report["files"] if f["path"].endswith("bad.rss"))
    assert Counter(e["code"] for e in bad["errors"]) == Counter(
        {"rss.channel.missing-description": 1})
    assert {w["code"] for w in bad["warnings"]} == {"rss.channel.missing-atom-self",
                                                    "rss.item.missing-guid"}
    assert report["summary"] == {
        "files": 3, "errors": sum(len(f["errors"]) for f in report["files"]),
        "warnings": sum(len(f["warnings"]) for f in report["files"])}


def test_text_output_is_one_line_per_finding_and_a_summary(tmp_path: Path) -> None:
    _tree(tmp_path)
    code, out = _run([str(tmp_path / "sub" / "bad.rss")])
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == (f"{tmp_path / 'sub' / 'bad.rss'}:2: error rss.channel.missing-description: "
                        "missing channel element: description")
    assert all(re.match(r".+:\d+: (error|warning) [a-z0-9.-]+: .+", line) for line in lines[:-1])
    assert lines[-1] == "checked 1 file: 1 error, 2 warnings"


def test_junit_output_parses_with_one_testcase_per_file(tmp_path: Path) -> None:
    _, out = _run([str(_tree(tmp_path))], fmt="junit")
    root = etree.fromstring(out.encode())
    cases = root.findall(".//testcase")
    assert len(cases) == 3
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name", "").rsplit("/", 1)[-1] for c in failed] == ["bad.rss"]
    failure = failed[0].find("failure")
    assert failure is not None and "rss.channel.missing-description" in (failure.text or "")
    assert root.get("tests") == "3" and root.get("failures") == "1"


def test_junit_under_strict_turns_warnings_into_failures(tmp_path: Path) -> None:
    feed = tmp_path / "warn.atom"
    feed.write_bytes(ATOM.replace(b'  <link rel="self" href="https://example.org/feed.atom"/>\n',
                                  b""))
    _, out = _run([str(feed)], fmt="junit", strict=True)
    failure = etree.fromstring(out.encode()).find(".//failure")
    assert failure is not None and "atom.feed.missing-self-link" in (failure.text or "")


def test_junit_survives_hostile_paths_and_messages(tmp_path: Path) -> None:
    feed = tmp_path / "odd\u202ename.xml"
    feed.write_bytes(b'<rss version="2.0"><channel><title>\x0b</title></channel></rss>')
    _, out = _run([str(feed)], fmt="junit")
    assert etree.fromstring(out.encode()).find(".//testcase") is not None


def test_exit_codes_clean_warnings_strict_errors_and_missing(tmp_path: Path) -> None:
    clean = tmp_path / "clean.atom"
    clean.write_bytes(ATOM)
    warn = tmp_path / "warn.atom"
    warn.write_bytes(ATOM.replace(b'rel="self" ', b'rel="related" '))
    broken = tmp_path / "broken.rss"
    broken.write_bytes(BROKEN_RSS)
    assert _run([str(clean)])[0] == 0
    assert _run([str(warn)])[0] == 0
    assert _run([str(warn)], strict=True)[0] == 1
    assert _run([str(broken)])[0] == 1
    assert _run([str(clean), str(tmp_path / "missing.xml")])[0] == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _run([str(empty)])[0] == 2


def test_missing_path_is_reported_in_the_output_too(tmp_path: Path) -> None:
    code, out = _run([str(tmp_path / "nope.atom")], fmt="json")
    assert code == 2
    assert json.loads(out)["files"][0]["errors"][0]["code"] == "file.unreadable"


def test_stdin_is_read_for_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ATOM)))
    code, out = _run(["-"], fmt="json")
    assert code == 0
    assert json.loads(out)["files"] == [{"path": "-", "format": "atom", "errors": [],
                                         "warnings": []}]


def test_cli_wires_check_with_base_url_for_folder_members(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "feed.atom").write_bytes(ATOM)
    assert main(["check", "--base-url", "https://example.org/", str(tmp_path / "feeds")]) == 0
    assert main(["check", "--strict", "--base-url", "https://elsewhere.example/",
                 str(tmp_path / "feeds")]) == 1
    out = capsys.readouterr().out
    assert "atom.feed.self-link-mismatch" in out
    assert "'https://elsewhere.example/feed.atom'" in out


def test_base_url_for_a_single_file_is_its_own_location(tmp_path: Path) -> None:
    feed = tmp_path / "whatever-name.xml"
    feed.write_bytes(ATOM)
    assert _run([str(feed)], strict=True, base_url="https://example.org/feed.atom")[0] == 0
    assert _run([str(feed)], strict=True, base_url="https://example.org/")[0] == 1


# --- real-world shapes pass with zero findings -----------------------------------------

WORDPRESS_RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>

<channel>
	<title>Example Blog</title>
	<atom:link href="https://blog.example.com/feed/" rel="self" type="application/rss+xml" />
	<link>https://blog.example.com</link>
	<description>Just another WordPress site</description>
	<lastBuildDate>Mon, 04 Mar 2024 10:15:00 +0000</lastBuildDate>
	<language>en-US</language>
	<sy:updatePeriod>
	hourly	</sy:updatePeriod>
	<sy:updateFrequency>
	1	</sy:updateFrequency>
	<generator>https://wordpress.org/?v=6.4.3</generator>

<image>
	<url>https://blog.example.com/wp-content/uploads/2024/01/cropped-icon-32x32.png</url>
	<title>Example Blog</title>
	<link>https://blog.example.com</link>
	<width>32</width>
	<height>32</height>
</image>
	<item>
		<title>Caf\u00e9 &#8211; a post with &#8220;quotes&#8221;</title>
		<link>https://blog.example.com/2024/03/04/cafe/</link>
					<comments>https://blog.example.com/2024/03/04/cafe/#respond</comments>
		<dc:creator><![CDATA[admin]]></dc:creator>
		<pubDate>Mon, 04 Mar 2024 10:15:00 +0000</pubDate>
				<category><![CDATA[Uncategorized]]></category>
		<guid isPermaLink="false">https://blog.example.com/?p=42</guid>
					<description><![CDATA[Short excerpt &#8230;]]></description>
										<content:encoded><![CDATA[<p>Full <em>HTML</em> body.</p>]]></content:encoded>
					<wfw:commentRss>https://blog.example.com/2024/03/04/cafe/feed/</wfw:commentRss>
			<slash:comments>0</slash:comments>
		</item>
	</channel>
</rss>
""".encode()

GITHUB_ATOM = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xml:lang="en-US">
  <id>tag:github.com,2008:https://github.com/lxml/lxml/releases</id>
  <link type="text/html" rel="alternate" href="https://github.com/lxml/lxml/releases"/>
  <link type="application/atom+xml" rel="self" href="https://github.com/lxml/lxml/releases.atom"/>
  <title>Release notes from lxml</title>
  <updated>2024-02-20T09:00:00Z</updated>
  <entry>
    <id>tag:github.com,2008:Repository/1/lxml-5.1.0</id>
    <updated>2024-01-05T10:00:00Z</updated>
    <link rel="alternate" type="text/html" href="https://github.com/lxml/lxml/releases/tag/lxml-5.1.0"/>
    <title>lxml-5.1.0</title>
    <content type="html">&lt;p&gt;Bug fixes &amp;amp; features.&lt;/p&gt;</content>
    <author>
      <name>scoder</name>
    </author>
    <media:thumbnail height="30" width="30" url="https://avatars.githubusercontent.com/u/1?s=60&amp;v=4"/>
  </entry>
</feed>
"""


def test_wordpress_style_rss_passes_with_no_findings() -> None:
    result = check_bytes(WORDPRESS_RSS, base_url="https://blog.example.com/feed/")
    assert (result.format, result.findings) == ("rss", ())


def test_github_style_atom_passes_with_only_the_media_image_lint() -> None:
    # Spec-valid; its avatar is only in media:thumbnail, so readers that show the HTML
    # body only (NetNewsWire, Fluent Reader) show no picture: the reader lint says so.
    result = check_bytes(GITHUB_ATOM, base_url="https://github.com/lxml/lxml/releases.atom")
    assert result.format == "atom"
    assert [(f.code, f.line) for f in result.findings] == [("lint.images-only-in-media", 8)]


def test_feedgen_feeds_pass_with_no_findings() -> None:
    feedgen = pytest.importorskip("feedgen.feed")
    fg = feedgen.FeedGenerator()
    fg.id("https://example.org/")
    fg.title("Example")
    fg.subtitle("Things")
    fg.author({"name": "Ed", "email": "ed@example.org"})
    fg.link(href="https://example.org/", rel="alternate")
    fg.link(href="https://example.org/feed", rel="self")
    fg.language("en")
    fg.updated(datetime(2024, 3, 4, 10, 0, tzinfo=UTC))
    for n in range(3):
        fe = fg.add_entry()
        fe.id(f"https://example.org/{n}")
        fe.guid(f"https://example.org/{n}", permalink=True)
        fe.title(f"Post {n} & more")
        fe.link(href=f"https://example.org/{n}")
        fe.description(f"<p>Summary {n}</p>")
        fe.content(f"<p>Body {n}</p>", type="html")
        # No enclosure: feedgen 1.0.0 drops rel/type/length of every Atom entry link (the
        # loop variable shadows the dict in FeedEntry.atom_entry), so a second link becomes
        # a duplicate alternate link, which RFC 4287 forbids (see the next test).
        fe.published(datetime(2024, 3, n + 1, 9, 30, tzinfo=UTC))
        fe.updated(datetime(2024, 3, n + 1, 9, 30, tzinfo=UTC))
    for data, fmt in ((fg.atom_str(pretty=True), "atom"), (fg.rss_str(pretty=True), "rss")):
        result = check_bytes(data, base_url="https://example.org/feed")
        assert (result.format, result.findings) == (fmt, ())


def test_feedgen_atom_entry_with_two_links_is_flagged_as_its_bug_deserves() -> None:
    feedgen = pytest.importorskip("feedgen.feed")
    fg = feedgen.FeedGenerator()
    fg.id("https://example.org/")
    fg.title("Example")
    fg.author({"name": "Ed"})
    fg.link(href="https://example.org/feed", rel="self")
    fe = fg.add_entry()
    fe.id("https://example.org/1")
    fe.title("One")
    fe.content("Body")
    fe.updated(datetime(2024, 3, 1, tzinfo=UTC))
    fe.link(href="https://example.org/1")
    fe.enclosure("https://example.org/1.mp3", "1234", "audio/mpeg")
    fg.updated(datetime(2024, 3, 1, tzinfo=UTC))
    result = check_bytes(fg.atom_str())
    assert [f.code for f in result.findings] == ["atom.entry.duplicate-alternate"]


def test_the_jsonfeed_spec_example_passes() -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "My Example Feed",
           "home_page_url": "https://example.org/", "feed_url": "https://example.org/feed.json",
           "items": [{"id": "2", "content_text": "This is a second item.",
                      "url": "https://example.org/second-item"},
                     {"id": "1", "content_html": "<p>Hello, world!</p>",
                      "url": "https://example.org/initial-post"}]}
    result = check_bytes(json.dumps(doc).encode(), base_url="https://example.org/feed.json")
    assert (result.format, result.findings) == ("jsonfeed", ())


def test_line_numbers_point_at_the_offending_json_member() -> None:
    text = ('{\n "version": "https://jsonfeed.org/version/1.1",\n "title": "t",\n'
            ' "home_page_url": "https://e.org/",\n "feed_url": "https://e.org/f",\n'
            ' "items": [\n  {"id": "1", "url": "https://e.org/1", "content_text": "x"},\n'
            '  {"id": "2", "url": "https://e.org/2",\n   "content_text": "y",\n'
            '   "date_published": "yesterday"}\n ]\n}\n')
    result = check_bytes(text.encode())
    assert [(f.code, f.line) for f in result.findings] == [("jsonfeed.bad-date", 10)]


def test_fifos_in_a_folder_are_skipped_not_read(tmp_path: Path) -> None:
    import os

    (tmp_path / "good.atom").write_bytes(ATOM)
    os.mkfifo(tmp_path / "blocking.xml")  # opening it for reading would block forever
    code, out = _run([str(tmp_path)], fmt="json")
    assert [Path(f["path"]).name for f in json.loads(out)["files"]] == ["good.atom"]
    assert code == 0


def test_unlistable_folder_is_reported_and_exits_2(
        tmp_path: Path, without_permission_override: Any) -> None:
    (tmp_path / "ok.atom").write_bytes(ATOM)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "hidden.atom").write_bytes(ATOM)
    (tmp_path / "locked").chmod(0)
    try:
        code, out = without_permission_override(lambda: _run([str(tmp_path)], fmt="json"))
    finally:
        (tmp_path / "locked").chmod(0o755)
    files = json.loads(out)["files"]
    assert code == 2
    assert [(Path(f["path"]).name, [e["code"] for e in f["errors"]]) for f in files] == [
        ("ok.atom", []), ("locked", ["file.unreadable"])]


def test_external_dtd_is_never_loaded_even_from_a_local_device() -> None:
    # Were the DTD read, /dev/zero would never end; load_dtd=False and no_network hold.
    data = ATOM.replace(b"<feed xmlns",
                        b'<!DOCTYPE feed SYSTEM "file:///dev/zero">\n<feed xmlns', 1)
    assert check_bytes(data).findings == ()


def test_utf16_entity_bomb_is_rejected() -> None:
    data = _bomb().decode().replace('<?xml version="1.0"?>',
                                    '<?xml version="1.0" encoding="UTF-16"?>')
    result = check_bytes(b"\xff\xfe" + data.encode("utf-16-le"))
    assert [f.code for f in result.findings] == ["xml.doctype-entity"]


def test_an_html_page_is_named_html_not_reported_as_broken_xml(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # issue 10: `syndicate check feeds/index.html` (a page like the one build writes:
    # void <meta>/<link> elements, so not well-formed XML)
    page = tmp_path / "index.html"
    page.write_bytes(b"\xef\xbb\xbf\n<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
                     b"<link rel=alternate type=application/atom+xml href=all.atom>"
                     b"<title>Feeds</title></head><body><p>Feeds</body></html>\n")
    assert main(["check", "--format", "json", str(page)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [e["code"] for e in report["files"][0]["errors"]] == ["format.html"]
    assert report["files"][0]["format"] == "unknown"


def test_check_command_imports_nothing_from_the_builder(tmp_path: Path) -> None:
    # Start-up cost of `syndicate check` (issue 13 speed): the builder's modules and its
    # third-party libraries stay unimported; lxml and the standard library suffice.
    import subprocess

    feed = tmp_path / "f.atom"
    feed.write_bytes(ATOM)
    probe = ("import io, sys\nfrom syndicate.cli import main\nsys.stdout = io.StringIO()\n"
             "code = main(['check', sys.argv[1]])\nsys.stdout = sys.__stdout__\n"
             "print(code, ' '.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe, str(feed)], capture_output=True,
                          text=True, check=True)
    code, modules = done.stdout.split(" ", 1)
    loaded = set(modules.split())
    assert code == "0"
    builder = {"syndicate.config", "syndicate.publish", "syndicate.build", "syndicate.render",
               "feedgen", "yaml", "dateutil", "tomllib"}
    assert loaded & builder == set()
    assert not any(m.startswith(("feedgen.", "yaml.", "dateutil.")) for m in loaded)
    # Only what an Atom document needs: no other format's rules, no JSON, no pool.
    assert "syndicate.check.atom" in loaded
    others = {"syndicate.check.rss", "syndicate.check.rdf", "syndicate.check.opml",
              "syndicate.check.jsonfeed", "syndicate.check.lints_json", "json",
              "multiprocessing", "pickle", "email", "http.client"}
    assert loaded & others == set()


def test_fast_json_parse_reads_the_same_values_as_the_line_keeping_parse() -> None:
    # check_bytes parses JSON with the C decoder first and re-parses with line numbers
    # only when there is something to report: both must see the same document.
    from syndicate.check.jsontext import loads_fast, loads_with_lines

    compared = 0
    for case in sorted((CASES / "jsonfeed").glob("*.json")) + sorted(
            (CASES / "json").glob("*.json")):
        try:
            slow = loads_with_lines(case.read_bytes().decode("utf-8"))
        except (ValueError, RecursionError, UnicodeDecodeError):
            continue
        assert loads_fast(case.read_bytes().decode("utf-8")) == slow, case
        compared += 1
    assert compared >= 20


def test_a_large_folder_checked_by_the_worker_pool_reports_as_one_process_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs of POOL_MIN_FILES files or more are spread over worker processes: the report
    # must be the same, in the same order, as a one-process run.
    from syndicate.check import run as check_run

    count = check_run.POOL_MIN_FILES + 60
    for i in range(count):
        sub = tmp_path / f"d{i % 7}"
        sub.mkdir(exist_ok=True)
        body = ATOM if i % 3 else BROKEN_RSS
        (sub / f"f{i:03d}.{'atom' if i % 3 else 'rss'}").write_bytes(body)
    (tmp_path / "d0" / "missing-link.json").write_bytes(b"{")
    _, pooled = _run([str(tmp_path)], fmt="json")
    monkeypatch.setattr(check_run, "POOL_MIN_FILES", 10**9)
    _, serial = _run([str(tmp_path)], fmt="json")
    assert pooled == serial
    files = json.loads(pooled)["files"]
    assert len(files) == count + 1
    assert [f["path"] for f in files] == sorted(f["path"] for f in files)


def test_the_checker_dispatches_on_the_same_namespaces_its_rule_modules_use() -> None:
    # core.py spells the root namespaces itself so that dispatch loads no rule module.
    from syndicate.check import atom, atom_constructs, core, rdf, rss_elements

    assert core.ATOM_NS == atom_constructs.ATOM_NS
    assert core.ATOM03_NS == atom.ATOM03_NS
    assert (core.RDF_NS, core.RSS11_NS) == (rdf.RDF_NS, rdf.RSS11_NS)
    assert core.USERLAND_NS == rss_elements.USERLAND_NS


def test_the_ordered_parallel_map_keeps_input_order_and_redoes_a_dead_workers_chunks(
        ) -> None:
    import os

    from syndicate.check.parallel import ordered_map

    parent = os.getpid()
    jobs = list(range(500))
    assert ordered_map(lambda j: (j, j * j), jobs, workers=2, chunk=7) == \
        [(j, j * j) for j in jobs]

    def dies_in_a_worker(j: int) -> int:
        if os.getpid() != parent:
            os._exit(9)  # a worker killed mid-run: its chunks must be done by the parent
        return j + 1

    assert ordered_map(dies_in_a_worker, jobs, workers=2, chunk=3) == [j + 1 for j in jobs]
    assert ordered_map(str, [], workers=2, chunk=3) == []
    assert ordered_map(str, [1], workers=4, chunk=3) == ["1"]


def test_the_parallel_map_forks_one_worker_fewer_than_the_processes_it_may_use(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fewer allowed cores than the machine has: the fork count follows the affinity mask.
    from syndicate.check import parallel

    forks: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(parallel.os, "fork", counting_fork)
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    assert parallel.ordered_map(abs, list(range(100)), workers=parallel.cores(),
                                chunk=4) == list(range(100))
    assert forks == []
    assert parallel.ordered_map(abs, list(range(100)), workers=3, chunk=4) == list(range(100))
    assert len(forks) == 2


def test_a_doctype_hidden_from_a_byte_search_by_utf7_is_still_refused() -> None:
    # The parse skips the DTD look-up when no DOCTYPE is in sight; UTF-7 spells "<!" as
    # "+ADw-!", so the look must be at the decoded text as well as at the bytes.
    data = (b'<?xml version="1.0" encoding="utf-7"?>+ADw-!DOCTYPE feed +AFs-+ADw-!ENTITY a '
            b'"b"+AD4-+AF0-+AD4-<feed xmlns="http://www.w3.org/2005/Atom"/>')
    assert "xml.doctype-entity" in [f.code for f in check_bytes(data).findings]
