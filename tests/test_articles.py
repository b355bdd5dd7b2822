"""articles.py: files -> Article | Rejection. Each rule has a hostile record that must
get its own specific reason; the real corpus must read cleanly."""

from __future__ import annotations

import errno
import html
import json
import math
import os
import random
import re
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from syndicate.articles import parse_article
from syndicate.config import SourceConfig
from syndicate.errors import SourceMissing
from syndicate.model import Article, Image, Provider, Rejection, RelatedLink
from syndicate.source import discover, read_article
from syndicate.yamlread import MAX_YAML_ALIASES

PATTERNS = ("*.md", "*.txt")

# A valid record, field by field, as YAML source text. Tests override single fields
# (None removes the key) so each hostile record differs from a good one in one way.
BASE: dict[str, str] = {
    "title": '"Power Apps gets a new editor"',
    "excerpt": '"Makers can now edit formulas faster."',
    "publishedDateTime": "2020-06-09T01:09:00Z",
    "webUrl": '"https://example.com/news/editor"',
    "type": "article",
    "quality": "56",
    "heat": "7",
    "published": "true",
    "provider": "\n  name: Example News\n  domain: example.com",
    "topics": "\n  - Power Apps",
    "secured": '"TOKEN-never-published"',
}


def source(**fields: str | None) -> str:
    values = {**BASE, **fields}
    lines = [f"{key}: {value}" for key, value in values.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\n"


def parse(**fields: str | None) -> Article | Rejection:
    return parse_article(source(**fields).encode("utf-8"), "a/b.md")


def article(**fields: str | None) -> Article:
    result = parse(**fields)
    assert isinstance(result, Article), result
    return result


def rejected(**fields: str | None) -> Rejection:
    result = parse(**fields)
    assert isinstance(result, Rejection), result
    assert result.path == "a/b.md"
    return result


# A ``(...)`` in an expected reason stands for the detail a library adds in parentheses
# (CPython's datetime or urllib.parse): the words around it are ours and tested exactly,
# the library's own wording is not ours to test.
LIBRARY_DETAIL = "(...)"


def assert_reason(actual: str, expected: str) -> None:
    if LIBRARY_DETAIL not in expected:
        assert actual == expected
        return
    before, after = expected.split(LIBRARY_DETAIL)
    assert actual.startswith(before + "(") and actual.endswith(")" + after), actual
    assert len(actual) > len(before) + len(after) + 2, actual  # the detail is not empty


def yaml_error_position(text: str) -> tuple[int, int]:
    """Where libyaml itself places the error in ``text`` (0-based line and column).

    A rejection must translate that into the file's 1-based line and column (the
    opening ``---`` is line 1); the position within the YAML is libyaml's to choose.
    """
    try:
        yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        assert mark is not None
        return mark.line, mark.column
    raise AssertionError(f"libyaml accepts {text!r}")


def line_of(key: str, **fields: str | None) -> int:
    """1-based file line of ``key:`` in the source built from ``fields``."""
    lines = source(**fields).split("\n")
    return next(i for i, text in enumerate(lines, 1) if text.startswith(f"{key}:"))


@pytest.fixture(autouse=True, params=["fast", "full"])
def yaml_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs twice: with the fast front-matter reader (checked, on every
    text it accepts, against the full loader: type-exact, key positions included),
    and with the full YAML loader alone."""
    from syndicate import frontmatter, yamlread

    real_load = frontmatter.load

    def checked_load(text: str, *args: Any, **kwargs: Any) -> Any:
        loaded = real_load(text, *args, **kwargs)
        if loaded is not None:
            full = yamlread._load_yaml(text, "a/b.md", kwargs["first_line"])
            assert not isinstance(full, Rejection), (text, full)
            assert _same(loaded[0], full[0]) and loaded[1] == full[1], text
        return loaded

    def no_fast_path(text: str, *args: Any, **kwargs: Any) -> None:
        return None

    monkeypatch.setattr(frontmatter, "load",
                        checked_load if request.param == "fast" else no_fast_path)
    return str(request.param)


def _same(a: Any, b: Any) -> bool:
    """Equal with identical types all the way down (1, 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# --------------------------------------------------------------------------- real corpus

def corpus_files(corpus: Path) -> list[Path]:
    return source_files(corpus, PATTERNS)


def source_files(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    """The article files the build reads, in path order."""
    return [folder / rel for rel, _, _ in sorted(discover(SourceConfig(folder, patterns)))]


def read_corpus(corpus: Path) -> dict[Path, Article | Rejection]:
    return {f: read_article(f, f.relative_to(corpus).as_posix(), max_bytes=1_048_576)
            for f in corpus_files(corpus)}


def test_every_corpus_file_becomes_an_article(shared_corpus: Path) -> None:
    results = read_corpus(shared_corpus)
    assert len(results) == 197
    assert sum(1 for f in results if f.suffix == ".md") == 192
    assert sum(1 for f in results if f.suffix == ".txt") == 5
    # The corpus has no defect that should reject a record: every file is an Article.
    rejections = [r for r in results.values() if isinstance(r, Rejection)]
    assert rejections == []
    for f, result in results.items():
        assert isinstance(result, Article)
        assert result.path == f.relative_to(shared_corpus).as_posix()
        assert result.published.tzinfo is UTC
        assert result.link.startswith(("https://", "http://"))
        # secured is an opaque token: it must not reach the record.
        secured = re.search(rb'^secured: "([^"]+)"', f.read_bytes(), re.MULTILINE)
        assert secured is not None
        assert secured.group(1).decode() not in repr(result)


def test_corpus_crlf_files_parse(shared_corpus: Path) -> None:
    results = read_corpus(shared_corpus)
    crlf = [f for f in results if b"\r\n" in f.read_bytes()]
    assert len(crlf) == 57
    assert all(isinstance(results[f], Article) for f in crlf)


def test_corpus_character_references_are_decoded(shared_corpus: Path) -> None:
    results = read_corpus(shared_corpus)
    ref = re.compile(r"&(#\d+|#x[0-9a-f]+|amp|quot|lt|gt|apos);", re.IGNORECASE)
    carrying = [f for f in results if ref.search(f.read_text("utf-8"))]
    assert len(carrying) == 28
    for f in carrying:
        a = results[f]
        assert isinstance(a, Article)
        assert not ref.search(a.title), a.title
        assert not ref.search(a.excerpt), a.excerpt
    texts = " ".join(f"{a.title} {a.excerpt}" for a in results.values() if isinstance(a, Article))
    assert "\u2019" in texts  # from &#8217;
    assert " & " in texts  # from &amp;


def test_corpus_original_url_is_the_link_without_web_url(shared_corpus: Path) -> None:
    results = read_corpus(shared_corpus)
    without = [f for f in results if not re.search(rb"^webUrl:", f.read_bytes(), re.MULTILINE)]
    assert len(without) == 12
    for f in without:
        original = re.search(rb'^originalUrl: "([^"]+)"', f.read_bytes(), re.MULTILINE)
        assert original is not None
        result = results[f]
        assert isinstance(result, Article)
        assert result.link == original.group(1).decode()


def test_corpus_published_flags_and_video_embeds(shared_corpus: Path) -> None:
    results = read_corpus(shared_corpus)
    articles = [a for a in results.values() if isinstance(a, Article)]
    published_true = [f for f in results
                      if re.search(rb"^published: true\r?$", f.read_bytes(), re.MULTILINE)]
    assert sum(a.is_published for a in articles) == len(published_true)
    videos = [a for a in articles if a.type == "video"]
    assert len(videos) == 12
    for video in videos:
        assert video.embed_url is not None
        assert video.embed_url.startswith("https://www.youtube.com/embed/")
    assert all(a.embed_url is None for a in articles if a.type != "video")
    assert all(a.warnings == () for a in articles)


def test_corpus_parse_speed_is_reported(capsys: pytest.CaptureFixture[str],
                                        shared_corpus: Path) -> None:
    datas = [(f.read_bytes(), f.name) for f in corpus_files(shared_corpus)]
    start = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        results = [parse_article(data, name) for data, name in datas]
    per_file = (time.perf_counter() - start) / rounds / len(datas)
    assert all(isinstance(r, Article) for r in results)
    with capsys.disabled():
        print(f"\nparse_article: {per_file * 1e6:.0f} us per corpus file")


# --------------------------------------------------------------------------- framing

def test_lf_crlf_and_bom_give_the_same_article() -> None:
    text = source()
    lf = parse_article(text.encode(), "a/b.md")
    crlf = parse_article(text.replace("\n", "\r\n").encode(), "a/b.md")
    bom = parse_article(b"\xef\xbb\xbf" + text.encode(), "a/b.md")
    assert isinstance(lf, Article)
    assert lf == crlf == bom


def test_anything_after_the_closing_line_is_ignored() -> None:
    text = source().encode()
    assert parse_article(text + b"\xff\xfe not utf-8 \x00 body", "a/b.md") == \
        parse_article(text, "a/b.md")
    no_final_newline = text.rstrip(b"\n")
    assert isinstance(parse_article(no_final_newline, "a/b.md"), Article)


def test_missing_opening_line_is_rejected() -> None:
    r = parse_article(b"title: x\n---\n", "a/b.md")
    assert isinstance(r, Rejection)
    assert r.reason == "no front matter: the first line must be ---"
    assert (r.line, r.column) == (1, 1)


def test_unclosed_front_matter_is_rejected() -> None:
    r = parse_article(source().rstrip("-\n").encode(), "a/b.md")
    assert isinstance(r, Rejection)
    assert r.reason.startswith("front matter is not closed")


def test_utf16_file_is_rejected_as_not_utf8() -> None:
    r = parse_article(source().encode("utf-16"), "a/b.md")
    assert isinstance(r, Rejection)
    assert "UTF-16" in r.reason and r.reason.startswith("not UTF-8 text")


def test_invalid_utf8_is_rejected_with_its_position() -> None:
    data = source().encode().replace(b"Makers", b"Mak\xffers")
    r = parse_article(data, "a/b.md")
    assert isinstance(r, Rejection)
    assert r.reason == "not UTF-8 text: invalid byte 0xff"
    assert r.line == line_of("excerpt")
    assert r.column == len('excerpt: "Mak') + 1
    accented = parse_article(b"---\ntitle: \xc3\xa9\xc3\xa9\xff\n---\n", "a/b.md")
    assert accented == Rejection("a/b.md", "not UTF-8 text: invalid byte 0xff", 2, 10)


def test_yaml_error_position_is_measured_in_the_file() -> None:
    # Line 1 is the opening ---, so YAML's first line is the file's line 2.
    r = parse_article(b"---\ntitle: a\n  b: c\n---\n", "a/b.md")
    assert isinstance(r, Rejection)
    assert r.reason.startswith("invalid YAML: ") and r.reason != "invalid YAML: "
    line, column = yaml_error_position("title: a\n  b: c\n")
    assert line == 1  # the error is in the YAML's second line, "  b: c"...
    assert (r.line, r.column) == (line + 2, column + 1)  # ...which is the file's third
    assert r.where() == f"a/b.md:{line + 2}:{column + 1}"
    # A byte-order mark and CRLF line ends shift nothing.
    crlf = parse_article(b"\xef\xbb\xbf---\r\ntitle: ok\r\nquality: [1, 2\r\n---\r\n", "a/b.md")
    assert isinstance(crlf, Rejection) and crlf.reason.startswith("invalid YAML: ")
    line, column = yaml_error_position("title: ok\r\nquality: [1, 2\r\n")
    assert (crlf.line, crlf.column) == (line + 2, column + 1)


def test_empty_and_non_mapping_front_matter_are_rejected() -> None:
    empty = parse_article(b"---\n---\n", "a/b.md")
    assert isinstance(empty, Rejection) and empty.reason == "front matter is empty"
    listed = parse_article(b"---\n- a\n- b\n---\n", "a/b.md")
    assert isinstance(listed, Rejection)
    assert listed.reason == "front matter must be a mapping of keys to values, got a list"
    scalar = parse_article(b"---\njust text\n---\n", "a/b.md")
    assert isinstance(scalar, Rejection)
    assert scalar.reason == "front matter must be a mapping of keys to values, got a single value"


def test_duplicate_top_level_key_is_rejected() -> None:
    # A second `published: true` appended to an unpublished record must not win.
    text = source(published="false", appended="1").replace("appended: 1", "published: true")
    r = parse_article(text.encode(), "a/b.md")
    assert isinstance(r, Rejection)
    assert r.reason == f"published: duplicate key (first on line {line_of('published')})"
    assert (r.line, r.column) == (text.split("\n").index("published: true") + 1, 1)


def test_alias_bomb_is_rejected_before_expansion() -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        levels.append(f"a{i}: &a{i} [{refs}]")
    bomb = source().replace("\n---\n", "\n" + "\n".join(levels) + "\n---\n", 1)
    tracemalloc.start()
    try:
        r = parse_article(bomb.encode(), "a/b.md")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(r, Rejection)
    assert r.reason == (f"front matter uses more than {MAX_YAML_ALIASES} YAML aliases (*name); "
                        f"refused as a possible alias bomb")
    assert r.line is not None and r.line > line_of("secured")
    assert peak < 2_000_000  # 9**11 expanded strings would be far beyond memory


def test_a_few_aliases_are_fine_and_cycles_do_not_hang() -> None:
    a = article(title="&t \"Shared title\"", excerpt="*t")
    assert a.excerpt == a.title == "Shared title"
    cyclic = article(topics="&t [AI, *t]")
    assert cyclic.topics == ("AI",)
    assert cyclic.warnings == ("topics[1]: must be text, got a list; dropped",)


def test_nesting_deeper_than_the_budget_is_rejected() -> None:
    r = rejected(topics="[" * 33 + "]" * 33)
    assert r.reason == "front matter nests deeper than 32 levels"
    assert r.line == line_of("topics")
    assert isinstance(parse(topics="[" * 31 + "]" * 31), Article)  # topics: dropped items


def test_deep_nesting_is_rejected_without_crashing() -> None:
    # libyaml's C composer recursed without a limit (this input crashed a plain
    # yaml.load(..., CSafeLoader) with a segmentation fault); newer libyaml builds refuse
    # it themselves while scanning. Either way the file is rejected where it goes wrong.
    r = rejected(topics="[" * 200_000 + "]" * 200_000)
    assert r.reason == "front matter nests deeper than 32 levels" or \
        r.reason.startswith("invalid YAML: "), r.reason
    assert r.line == line_of("topics")


def test_too_many_yaml_values_are_rejected() -> None:
    r = rejected(heat="[" + ", ".join(["1"] * 25_000) + "]")
    assert r.reason == "front matter has more than 20000 YAML values"


def test_python_object_tags_are_refused() -> None:
    r = rejected(title="!!python/object/apply:os.system [\"echo pwned\"]")
    assert r.reason.startswith("invalid YAML: ")  # the safe loader knows no such tag
    assert r.line == line_of("title")


def test_unconstructible_values_are_rejected_not_raised() -> None:
    # The detail after our prefix is CPython's (int() and datetime()).
    huge = rejected(heat="1" * 5_000)
    assert huge.reason.startswith("invalid YAML value: ") and len(huge.reason) < 200
    impossible = rejected(publishedDateTime="!!timestamp 2020-02-30T00:00:00Z")
    assert impossible.reason.startswith("invalid YAML value: ")
    assert impossible.reason != "invalid YAML value: "


@pytest.mark.parametrize("value", ['!!int ""', "!!int _", "!!float", "!!bool x", "!!bool",
                                   "!!timestamp x"])
def test_values_that_do_not_fit_their_explicit_tag_are_rejected_not_raised(value: str) -> None:
    # PyYAML's constructors raise IndexError/KeyError/AttributeError for these.
    assert rejected(heat=value).reason == (
        "invalid YAML value: a value that does not fit its explicit tag (such as !!int, "
        "!!bool or !!timestamp)")


@pytest.mark.parametrize("loader", ["libyaml", "pure"])
def test_raw_control_characters_are_a_yaml_error(loader: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate import yamlread

    if loader == "pure":
        monkeypatch.setattr(yamlread, "_Loader", yamlread._PureLoader)
    r = parse_article("---\ntitle: ok\nexcerpt: \"\u00e9\u00e9 a\x00b\"\n---\n".encode(),
                      "a/b.md")
    assert r == Rejection("a/b.md", "invalid YAML: unacceptable character U+0000 (control "
                                    "characters are not allowed)", 3, 15)


def test_unknown_keys_and_ignored_fields_never_reject() -> None:
    a = article(category="news", ampWebUrl="javascript:alert(1)", whatever="{a: [1, 2]}",
                related="\n  - title: Other\n    webUrl: https://example.org/x\n"
                        "    publishedDateTime: 2020-02-30T00:00:00Z")
    assert a.related == (RelatedLink(url="https://example.org/x", title="Other"),)
    assert a.warnings == ()


# --------------------------------------------------------------------------- link

def test_web_url_is_the_link() -> None:
    a = article(originalUrl='"https://example.com/original"')
    assert a.link == "https://example.com/news/editor"


@pytest.mark.parametrize("web_url", [None, "null", '""', '"  "'])
def test_original_url_is_the_fallback(web_url: str | None) -> None:
    a = article(webUrl=web_url, originalUrl='"https://youtube.com/watch?v=x"')
    assert a.link == "https://youtube.com/watch?v=x"


def test_missing_link_is_rejected() -> None:
    r = rejected(webUrl=None)
    assert r.reason == "webUrl: missing, and no originalUrl either: an article needs a link"


@pytest.mark.parametrize(("url", "reason"), [
    ('"javascript:alert(1)"', "webUrl: must be an absolute http(s) URL, got a javascript: URL"),
    ('"data:text/html,<script>alert(1)</script>"',
     "webUrl: must be an absolute http(s) URL, got a data: URL"),
    ('"ftp://example.com/a"', "webUrl: must be an absolute http(s) URL, got a ftp: URL"),
    ('"/news/editor"', ("webUrl: must be an absolute http(s) URL, got a relative URL "
                       "'/news/editor'")),
    ('"//example.com/a"', ("webUrl: must be an absolute http(s) URL, got a relative URL "
                          "'//example.com/a'")),
    ('"https://"', "webUrl: URL has no host: 'https://'"),
    ('"http:example.com"', "webUrl: URL has no host: 'http:example.com'"),
    ('"https://[::1/a"', "webUrl: malformed URL (...): 'https://[::1/a'"),
    ('"https://example.com:99999/"', "webUrl: malformed URL (...): 'https://example.com:99999/'"),
    ('"https://exa mple.com/"',
     "webUrl: contains whitespace or control characters: 'https://exa mple.com/'"),
    ('"https://example.com/\\x01"',
     "webUrl: contains whitespace or control characters: 'https://example.com/\\x01'"),
    ('"https://example.com/a\\nb"',
     "webUrl: contains whitespace or control characters: 'https://example.com/a\\nb'"),
    ('"https://good.example\\\\@evil.example/"',
     "webUrl: malformed URL (backslash): 'https://good.example\\\\@evil.example/'"),
    ('"https://<script>/"', "webUrl: malformed host name in URL: 'https://<script>/'"),
    ("[https://example.com]", "webUrl: must be a URL string, got a list"),
    ("42", "webUrl: must be a URL string, got an integer"),
    ('"https://example.com/' + "a" * 4_100 + '"',
     "webUrl: too long (4120 characters, at most 4096)"),
])
def test_bad_link_is_rejected_with_its_reason(url: str, reason: str) -> None:
    r = rejected(webUrl=url)
    assert_reason(r.reason, reason)
    assert (r.line, r.column) == (line_of("webUrl"), 1)


def test_bad_web_url_is_not_rescued_by_original_url() -> None:
    r = rejected(webUrl='"javascript:alert(1)"', originalUrl='"https://example.com/ok"')
    assert r.reason.startswith("webUrl: must be an absolute http(s) URL")


def test_bad_original_url_fallback_is_rejected_naming_it() -> None:
    r = rejected(webUrl=None, originalUrl='"watch?v=1"')
    assert r.reason == "originalUrl: must be an absolute http(s) URL, got a relative URL " \
                       "'watch?v=1'"


def test_surrounding_spaces_in_a_link_are_trimmed() -> None:
    assert article(webUrl='"  https://example.com/a  "').link == "https://example.com/a"


# --------------------------------------------------------------------------- text

def test_title_is_cleaned() -> None:
    a = article(title='"  We&#8217;re  \\t live:\\n Customer &amp; Partner \\x00\\x07\\uFFFE "')
    assert a.title == "We\u2019re live: Customer & Partner"


def test_discouraged_characters_are_removed_too() -> None:
    # DEL, C1 controls, non-characters and U+FFFD: legal XML 1.0 but flagged by feed
    # validators (W3C BadCharacters); NEL is whitespace and collapses to a space.
    a = article(title='"a\\x7fb\\x80c\\x9fd\\uFDD0e\\uFFFDf\\x85g"')
    assert a.title == "abcdef g"
    # HTML decodes &#0; to U+FFFD (dropped) and &#x9F; by the Windows-1252 table, as
    # browsers do, so the scraped text reads as its page did.
    assert article(title='"caf&#0;e &#x9F;"').title == "cafe \u0178"


def test_character_references_are_decoded_once() -> None:
    assert article(title='"AT&amp;amp;T &amp;#8217;"').title == "AT&amp;T &#8217;"


def test_markup_in_text_is_removed_and_reported() -> None:
    # References are decoded first: markup escaped once is markup too.
    a = article(excerpt='"<b>bold</b> &lt;script&gt;alert(1)&lt;/script&gt; end"')
    assert a.excerpt == "bold end"
    assert "excerpt: HTML tags removed (<b>, <script>)" in a.warnings


def _q(text: str) -> str:
    return json.dumps(text)  # a YAML double-quoted scalar


def test_markup_goes_from_every_plain_text_field_with_a_warning_per_field() -> None:
    a = article(
        title=_q("<b>Breaking</b> chip news"),
        excerpt=_q("<p>First.</p><p>Second <a href='https://x.example/'>link</a></p>"),
        provider="\n  name: " + _q("<i>Example</i> News") + "\n  domain: example.com",
        topics="\n  - " + _q("<span>AI</span>") + "\n  - " + _q("List<T>"),
        related="\n  - title: " + _q("Other<br>story") + "\n    webUrl: https://o.example/1",
    )
    assert a.title == "Breaking chip news"
    assert a.excerpt == "First. Second link"
    assert a.provider is not None and a.provider.name == "Example News"
    assert a.topics == ("AI", "List<T>")
    assert [r.title for r in a.related] == ["Other story"]
    assert a.warnings == (
        "title: HTML tags removed (<b>)",
        "excerpt: HTML tags removed (<p>, <a>)",
        "provider.name: HTML tags removed (<i>)",
        "topics[0]: HTML tags removed (<span>)",
        "related[0].title: HTML tags removed (<br>)",
    )


@pytest.mark.parametrize("text", ["a < b", "<3", "List<T> in C#", "x<y>z", "Vec<u8>",
                                  "5 <10", "<<EOF", "a<b && c>d", "<foo>bar</foo>"])
def test_look_alikes_stay_text_in_every_field_without_a_warning(text: str) -> None:
    a = article(title=_q(text), excerpt=_q(text),
                provider=f"\n  name: {_q(text)}\n  domain: example.com",
                topics=f"\n  - {_q(text)}",
                related=f"\n  - title: {_q(text)}\n    webUrl: https://o.example/1")
    assert (a.title, a.excerpt, a.topics, a.related[0].title) == (text, text, (text,), text)
    assert a.provider is not None and a.provider.name == text
    assert a.warnings == ()


def test_escaped_markup_is_markup_and_double_escaped_is_text() -> None:
    # References are decoded once, before the tokenizer reads the text.
    assert article(title=_q("&lt;b&gt;Bold&lt;/b&gt; news")).title == "Bold news"
    assert article(title=_q("&amp;lt;b&amp;gt; tag")).title == "&lt;b&gt; tag"
    # A tag hidden by a control character or a no-break space is still found: the
    # tokenizer reads the characters that will be published.
    assert article(title=_q("<scr\u0001ipt>x</script>y")).title == "y"
    assert article(title=_q("<b\u00a0class=x>y</b>")).title == "y"


@pytest.mark.parametrize(("title", "reason"), [
    ("<script>alert(1)</script>", "title: empty once HTML tags are removed (<script>)"),
    ("<br><p></p>", "title: empty once HTML tags are removed (<br>, <p>)"),
    ("&lt;!-- x --&gt;", "title: empty once HTML tags are removed (<!-- -->)"),
])
def test_a_title_that_is_only_markup_is_rejected_with_reason(title: str, reason: str) -> None:
    r = rejected(title=_q(title))
    assert (r.reason, r.line) == (reason, line_of("title", title=_q(title)))


def test_other_fields_that_are_only_markup_are_dropped_with_a_warning() -> None:
    a = article(excerpt=_q("<br>"),
                provider="\n  name: " + _q("<b></b>") + "\n  domain: example.com",
                topics="\n  - " + _q("<i> </i>") + "\n  - AI",
                related="\n  - title: " + _q("<style>x</style>") + "\n    webUrl: https://o.example/1")
    assert (a.excerpt, a.provider, a.topics, a.related) == ("", None, ("AI",), ())
    assert a.warnings == (
        "excerpt: HTML tags removed (<br>)",
        "provider.name: empty once HTML tags are removed (<b>); no provider",
        "topics[0]: empty once HTML tags are removed (<i>); dropped",
        "related[0].title: empty once HTML tags are removed (<style>); dropped",
    )


def test_markup_the_tokenizer_cannot_read_never_raises() -> None:
    a = article(title=_q("<![<![ x > y"), excerpt=_q("<!x[ b > c"))
    assert "<" not in a.title and "<" not in a.excerpt
    assert [w.split(":")[0] for w in a.warnings] == ["title", "excerpt"]


def test_a_topic_with_markup_merges_with_its_plain_spelling() -> None:
    a = article(topics="\n  - " + _q("<b>AI</b>") + "\n  - ai")
    assert a.topics == ("AI",)


@pytest.mark.parametrize(("title", "reason"), [
    (None, "title: missing"),
    ("null", "title: missing"),
    ('""', "title: empty"),
    ('"  \\t \\n "', "title: empty"),
    ('"\\x01\\x02 "', "title: empty"),
    ("1984", "title: must be text, got an integer (quote it in the YAML)"),
    ("[a, b]", "title: must be text, got a list (quote it in the YAML)"),
    ('"' + "x" * 2_001 + '"', "title: too long (2001 characters, at most 2000)"),
])
def test_bad_title_is_rejected_with_its_reason(title: str | None, reason: str) -> None:
    r = rejected(title=title)
    assert r.reason == reason


def test_excerpt_rules() -> None:
    assert article(excerpt=None).excerpt == ""
    odd = article(excerpt="[a]")
    assert odd.excerpt == ""
    assert odd.warnings == ("excerpt: must be text, got a list; left empty",)
    long = rejected(excerpt='"' + "x" * 20_001 + '"')
    assert long.reason == "excerpt: too long (20001 characters, at most 20000)"
    assert long.line == line_of("excerpt")


def test_type_is_lower_case_with_a_default() -> None:
    assert article(type=None).type == "article"
    assert article(type="VIDEO").type == "video"
    odd = article(type="[video]")
    assert odd.type == "article"
    assert odd.warnings == (("type: must be a short word such as 'article', got a list; "
                            "using 'article'"),)


# --------------------------------------------------------------------------- time

@pytest.mark.parametrize(("value", "expected"), [
    ("2020-06-09T01:09:00Z", datetime(2020, 6, 9, 1, 9, tzinfo=UTC)),
    ('"2020-06-09T01:09:00Z"', datetime(2020, 6, 9, 1, 9, tzinfo=UTC)),
    ("2021-06-02T09:12:27-07:00", datetime(2021, 6, 2, 16, 12, 27, tzinfo=UTC)),
    ("2020-06-09T01:09:00.250+02:00", datetime(2020, 6, 8, 23, 9, 0, 250_000, tzinfo=UTC)),
    ("2020-06-09", datetime(2020, 6, 9, tzinfo=UTC)),
    ("2020-06-09T01:09:00", datetime(2020, 6, 9, 1, 9, tzinfo=UTC)),  # naive means UTC
    ("2020-06-09 01:09:00", datetime(2020, 6, 9, 1, 9, tzinfo=UTC)),
    # Explicit tags hand us datetime and date objects instead of strings.
    ("!!timestamp 2020-06-09T03:09:00+02:00", datetime(2020, 6, 9, 1, 9, tzinfo=UTC)),
    ("!!timestamp 2020-06-09 01:09:00", datetime(2020, 6, 9, 1, 9, tzinfo=UTC)),
    ("!!timestamp 2020-06-09", datetime(2020, 6, 9, tzinfo=UTC)),
])
def test_published_time_forms(value: str, expected: datetime) -> None:
    a = article(publishedDateTime=value)
    assert a.published == expected
    assert a.published.utcoffset() is not None and a.published.tzinfo is UTC
    assert a.updated == a.published


@pytest.mark.parametrize(("value", "reason"), [
    (None, "publishedDateTime: missing"),
    ("2020-02-30T00:00:00Z", ("publishedDateTime: not a valid ISO 8601 date-time: "
                             "'2020-02-30T00:00:00Z' (...)")),
    ("2020-06-09T25:00:00Z", ("publishedDateTime: not a valid ISO 8601 date-time: "
                             "'2020-06-09T25:00:00Z' (...)")),
    ("yesterday", "publishedDateTime: not a valid ISO 8601 date-time: 'yesterday'"),
    ("1591664297", "publishedDateTime: must be an ISO 8601 date-time, got an integer"),
    ("9999-12-31T23:00:00-05:00",
     "publishedDateTime: out of range in UTC: '9999-12-31T23:00:00-05:00'"),
    ('"' + "2020-06-09" * 10 + '"',
     "publishedDateTime: not an ISO 8601 date-time (100 characters)"),
])
def test_bad_published_time_is_rejected(value: str | None, reason: str) -> None:
    r = rejected(publishedDateTime=value)
    assert_reason(r.reason, reason)


def test_updated_time_rules() -> None:
    later = article(updatedDateTime="2020-06-10T00:00:00+01:00")
    assert later.updated == datetime(2020, 6, 9, 23, 0, tzinfo=UTC)
    assert later.warnings == ()
    earlier = article(updatedDateTime="2020-06-08")
    assert earlier.updated == earlier.published
    assert earlier.warnings == (("updatedDateTime: earlier than publishedDateTime; "
                                "using publishedDateTime"),)
    # A date alone on the published day is that day: no instant earlier than published.
    same_day = article(updatedDateTime="2020-06-09")
    assert (same_day.updated, same_day.warnings) == (same_day.published, ())
    same_day = article(updatedDateTime="!!timestamp 2020-06-09")
    assert (same_day.updated, same_day.warnings) == (same_day.published, ())
    bad = article(updatedDateTime="2020-13-01")
    assert bad.updated == bad.published
    [warning] = bad.warnings
    assert_reason(warning, ("updatedDateTime: not a valid ISO 8601 date-time: '2020-13-01' "
                            "(...); using publishedDateTime"))


# --------------------------------------------------------------------------- numbers, flags

def test_quality_and_heat_numbers() -> None:
    a = article(quality="189", heat="-1.5")
    assert (a.quality, a.heat) == (189.0, -1.5)
    assert article(heat=None).heat is None


@pytest.mark.parametrize(("value", "reason"), [
    (None, "quality: missing"),
    ('"56"', "quality: must be a number, got a string '56'"),
    ("true", "quality: must be a number, got a boolean"),
    ("[56]", "quality: must be a number, got a list"),
    (".nan", "quality: must be a finite number, got nan"),
    ("-.inf", "quality: must be a finite number, got -inf"),
    ("1" * 400, "quality: number out of range"),
])
def test_bad_quality_is_rejected(value: str | None, reason: str) -> None:
    r = rejected(quality=value)
    assert r.reason == reason
    if value is not None:
        assert r.line == line_of("quality")


def test_bad_heat_is_dropped_with_a_warning() -> None:
    a = article(heat="true")
    assert a.heat is None
    assert a.warnings == ("heat: must be a number, got a boolean; ignored",)


@pytest.mark.parametrize(("value", "published", "warning"), [
    ("true", True, None),
    ("false", False, None),
    ("True", True, None),
    ("FALSE", False, None),
    # YAML 1.1 reads these as booleans; we follow YAML 1.2 so `yes`/`on` never publish.
    ("yes", False, "published: must be true or false, got a string 'yes'; not published"),
    ("on", False, "published: must be true or false, got a string 'on'; not published"),
    ("y", False, "published: must be true or false, got a string 'y'; not published"),
    ('"true"', False, "published: must be true or false, got a string 'true'; not published"),
    ('"false"', False, "published: must be true or false, got a string 'false'; not published"),
    ("1", False, "published: must be true or false, got an integer; not published"),
    ("null", False, "published: must be true or false, got nothing (null); not published"),
    (None, False, "published: missing; not published"),
])
def test_only_a_real_boolean_true_publishes(value: str | None, published: bool,
                                            warning: str | None) -> None:
    a = article(published=value)
    assert a.is_published is published
    assert a.warnings == (() if warning is None else (warning,))


# --------------------------------------------------------------------------- provider

def test_provider_domain_is_lower_cased() -> None:
    a = article(provider="\n  name: '  Example   News '\n  domain: Example.COM.")
    assert a.provider == Provider(name="Example News", domain="example.com")
    assert article(provider="\n  name: Bücher\n  domain: bücher.de").provider == \
        Provider(name="Bücher", domain="bücher.de")


@pytest.mark.parametrize(("value", "warning"), [
    ("\n  name: X\n  domain: http://x.com/path",
     ("provider.domain: must be a plain host name such as 'example.com', got "
     "'http://x.com/path'")),
    ("\n  name: X\n  domain: exa mple.com",
     "provider.domain: must be a plain host name such as 'example.com', got 'exa mple.com'"),
    ("\n  name: X\n  domain: -bad.com",
     "provider.domain: must be a plain host name such as 'example.com', got '-bad.com'"),
    ("\n  name: X\n  domain: 192.168.0.1",
     "provider.domain: must be a plain host name such as 'example.com', got '192.168.0.1'"),
    ("\n  name: X\n  domain: [x.com]", "provider.domain: must be a host name, got a list"),
    ("\n  name: X", "provider.domain: missing"),
    ("\n  domain: x.com", "provider.name: missing"),
    ("\n  name: ' '\n  domain: x.com", "provider.name: empty"),
    ("Example", "provider: must be a mapping with name and domain, got a string"),
])
def test_bad_provider_is_dropped_with_a_warning(value: str, warning: str) -> None:
    a = article(provider=value)
    assert a.provider is None
    assert a.warnings == (f"{warning}; no provider",)


def test_no_provider_is_fine() -> None:
    a = article(provider=None)
    assert a.provider is None and a.warnings == ()


# --------------------------------------------------------------------------- topics

def test_topics_merge_by_case_and_spacing_keeping_the_first_spelling() -> None:
    a = article(topics="\n  - Computer Vision\n  - computer  vision\n  - COMPUTER VISION\n"
                       "  - IBM AI\n  - Customer &amp; Partner")
    assert a.topics == ("Computer Vision", "IBM AI", "Customer & Partner")
    assert a.warnings == ()


def test_bad_topics_are_dropped_with_warnings() -> None:
    a = article(topics="\n  - AI\n  - 42\n  - ''\n  - {a: b}\n  - '" + "x" * 501 + "'")
    assert a.topics == ("AI",)
    assert a.warnings == (
        "topics[1]: must be text, got an integer; dropped",
        "topics[2]: empty; dropped",
        "topics[3]: must be text, got a mapping; dropped",
        "topics[4]: too long (501 characters, at most 500); dropped",
    )
    single = article(topics="AI")
    assert single.topics == ()
    assert single.warnings == ("topics: must be a list, got a string; ignored",)


def test_too_many_topics_reject() -> None:
    r = rejected(topics="[" + ", ".join(f"t{i}" for i in range(101)) + "]")
    assert r.reason == "topics: too many items (101, at most 100)"
    assert r.line == line_of("topics")


# --------------------------------------------------------------------------- images

def test_images_are_kept_with_sizes() -> None:
    a = article(images="\n  - url: https://example.com/a.jpg\n    width: 600\n    height: 338"
                       "\n    isCached: true\n  - url: http://example.com/b.png")
    assert a.images == (Image("https://example.com/a.jpg", 600, 338),
                        Image("http://example.com/b.png", None, None))


@pytest.mark.parametrize(("item", "warning"), [
    ("url: /a.jpg", ("images[0].url: must be an absolute http(s) URL, got a relative URL "
                    "'/a.jpg'")),
    ("url: javascript:alert(1)", ("images[0].url: must be an absolute http(s) URL, "
                                 "got a javascript: URL")),
    ("width: 5", "images[0].url: must be a URL string, got nothing (null)"),
    ("url: https://e.com/a.jpg\n    width: true",
     "images[0].width: must be a whole number of pixels, got a boolean"),
    ("url: https://e.com/a.jpg\n    width: '600'",
     "images[0].width: must be a whole number of pixels, got a string"),
    ("url: https://e.com/a.jpg\n    height: -5", ("images[0].height: must be between 1 and "
                                                 "1000000, got -5")),
    ("url: https://e.com/a.jpg\n    height: 1.5",
     "images[0].height: must be a whole number of pixels, got a number"),
])
def test_bad_image_is_dropped_with_a_warning(item: str, warning: str) -> None:
    a = article(images=f"\n  - {item}\n  - url: https://example.com/ok.jpg")
    assert a.images == (Image("https://example.com/ok.jpg"),)
    assert a.warnings == (f"{warning}; image dropped",)


def test_non_mapping_image_and_too_many_images() -> None:
    a = article(images="[https://example.com/a.jpg]")
    assert a.images == ()
    assert a.warnings == (("images[0]: must be a mapping with url, width, height, got a "
                          "string; image dropped"),)
    r = rejected(images="[" + ", ".join(["{url: 'https://e.com/a.jpg'}"] * 101) + "]")
    assert r.reason == "images: too many items (101, at most 100)"


# --------------------------------------------------------------------------- related

def test_related_links_are_cleaned_and_bad_ones_dropped() -> None:
    a = article(related="\n  - title: Other &amp; more\n    webUrl: https://example.org/x"
                        "\n  - title: Video\n    originalUrl: https://youtube.com/watch?v=1"
                        "\n  - title: Bad\n    webUrl: javascript:alert(1)"
                        "\n  - webUrl: https://example.org/untitled"
                        "\n  - just text")
    assert a.related == (RelatedLink("https://example.org/x", "Other & more"),
                         RelatedLink("https://youtube.com/watch?v=1", "Video"))
    assert a.warnings == (
        "related[2].webUrl: must be an absolute http(s) URL, got a javascript: URL; dropped",
        "related[3].title: missing; dropped",
        "related[4]: must be a mapping with title and webUrl, got a string; dropped",
    )


def test_related_items_keep_a_valid_provider_and_drop_a_bad_one_with_a_warning() -> None:
    a = article(related="\n  - title: One\n    webUrl: https://example.org/1"
                        "\n    provider: {name: 'Tech &amp; Herald', domain: TechHerald.example.}"
                        "\n  - title: Two\n    webUrl: https://example.org/2"
                        "\n    provider: {name: Nameless, domain: 'not a host'}"
                        "\n  - title: Three\n    webUrl: https://example.org/3")
    assert a.related == (
        RelatedLink("https://example.org/1", "One", Provider("Tech & Herald", "techherald.example")),
        RelatedLink("https://example.org/2", "Two"),
        RelatedLink("https://example.org/3", "Three"))
    assert len(a.warnings) == 1
    assert a.warnings[0].startswith("related[1].provider.domain: ")
    assert a.warnings[0].endswith("; no provider")


def test_too_many_related_reject() -> None:
    item = "{title: t, webUrl: 'https://e.com/'}"
    r = rejected(related="[" + ", ".join([item] * 101) + "]")
    assert r.reason == "related: too many items (101, at most 100)"


# --------------------------------------------------------------------------- embeds

def embed(html: str, kind: str = "video") -> Article:
    return article(type=kind, featuredContent="'" + html.replace("'", "''") + "'")


@pytest.mark.parametrize(("html", "url"), [
    ('<iframe width="800" src="https://www.youtube.com/embed/WJk" allowfullscreen></iframe>',
     "https://www.youtube.com/embed/WJk"),
    ("<IFRAME title='a>b' SRC='https://player.example/v?a=1&amp;b=2'></IFRAME>",
     "https://player.example/v?a=1&b=2"),
    (("<p>watch</p><iframe data-src=x src=https://v.example/1></iframe>"
     "<iframe src=https://v.example/2>"), "https://v.example/1"),
])
def test_video_embed_url_comes_from_the_iframe_src(html: str, url: str) -> None:
    a = embed(html)
    assert a.embed_url == url
    assert a.warnings == ()
    assert "<iframe" not in repr(a).lower()


@pytest.mark.parametrize(("html", "warning"), [
    ('<iframe src="javascript:alert(1)"></iframe>',
     "featuredContent iframe src: must be an absolute http(s) URL, got a javascript: URL"),
    ('<iframe src="//www.youtube.com/embed/x"></iframe>',
     ("featuredContent iframe src: must be an absolute http(s) URL, got a relative URL "
     "'//www.youtube.com/embed/x'")),
    ('<script src="https://evil.example/x.js"></script>',
     "featuredContent: no <iframe> with a src"),
    ('<iframe data-src="https://v.example/1"></iframe>',
     "featuredContent: no <iframe> with a src"),
    ("<iframe " + "x" * 10_000 + ">", ("featuredContent: too long (10009 characters, at most "
                                       "10000)")),
])
def test_bad_embed_is_dropped_with_a_warning(html: str, warning: str) -> None:
    a = embed(html)
    assert a.embed_url is None
    assert a.warnings == (f"{warning}; no embed",)


def test_only_videos_get_an_embed() -> None:
    a = embed('<iframe src="https://www.youtube.com/embed/x"></iframe>', kind="article")
    assert a.embed_url is None and a.warnings == ()


def test_secured_is_never_read() -> None:
    assert "TOKEN-never-published" not in repr(article())


def test_every_warning_names_its_field() -> None:
    a = article(published='"yes"', heat="[1]", topics="[1]", images="[1]", related="[1]",
                provider="[1]", excerpt="[1]", type="video", updatedDateTime="x",
                featuredContent="'<p>'")
    fields = [w.split(":")[0] for w in a.warnings]
    assert fields == ["excerpt", "updatedDateTime", "heat", "published", "provider",
                      "topics[0]", "images[0]", "related[0]", "featuredContent"]


# --------------------------------------------------------------------------- reading files

def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_read_article_reads_a_file(tmp_path: Path) -> None:
    f = write(tmp_path / "2020" / "a.md", source())
    a = read_article(f, "2020/a.md", max_bytes=1024)
    assert isinstance(a, Article) and a.path == "2020/a.md"


def test_huge_file_is_rejected_by_size_without_being_read(tmp_path: Path) -> None:
    f = tmp_path / "junk.md"
    with f.open("wb") as fh:
        fh.write(source().encode() + os.urandom(4096))
        fh.truncate(100 * 1024 * 1024)  # sparse: 100 MB on paper, little on disk
    tracemalloc.start()
    try:
        r = read_article(f, "junk.md", max_bytes=1_048_576)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(r, Rejection)
    assert r.reason == ("file too large: 104857600 bytes, more than the limit of 1048576 "
                        "(source.max_file_bytes); not read")
    assert peak < 1_000_000  # reading it whole would allocate 100 MB


def test_size_limit_is_inclusive(tmp_path: Path) -> None:
    data = source().encode()
    f = write(tmp_path / "a.md", data)
    assert isinstance(read_article(f, "a.md", max_bytes=len(data)), Article)
    r = read_article(f, "a.md", max_bytes=len(data) - 1)
    assert isinstance(r, Rejection) and r.reason.startswith(f"file too large: {len(data)} bytes")


def test_os_problems_become_rejections(tmp_path: Path) -> None:
    missing = read_article(tmp_path / "gone.md", "gone.md", max_bytes=1024)
    # The OS's own words for the error follow our prefix (strerror, as `ls` shows it).
    assert missing == Rejection("gone.md", f"cannot read: {os.strerror(errno.ENOENT)}")
    (tmp_path / "dir.md").mkdir()
    folder = read_article(tmp_path / "dir.md", "dir.md", max_bytes=1024)
    assert folder == Rejection("dir.md", "is a folder, not a file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_rejected_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    r = read_article(tmp_path / "pipe.md", "pipe.md", max_bytes=1024)
    assert r == Rejection("pipe.md", "not a regular file (device, FIFO or socket)")


def test_unreadable_file_is_rejected(tmp_path: Path,
                                     without_permission_override: Any) -> None:
    f = write(tmp_path / "secret.md", source())
    f.chmod(0)
    r = without_permission_override(lambda: read_article(f, "secret.md", max_bytes=1024))
    assert r == Rejection("secret.md", f"cannot read: {os.strerror(errno.EACCES)}")


def test_symlinks(tmp_path: Path) -> None:
    src = tmp_path / "src"
    inside = write(src / "real.md", source())
    outside = write(tmp_path / "outside.md", source())
    (src / "sub").mkdir()
    (src / "sub" / "in.md").symlink_to(inside)
    (src / "sub" / "out.md").symlink_to(outside)
    (src / "sub" / "broken.md").symlink_to(tmp_path / "nowhere.md")
    assert isinstance(read_article(src / "sub" / "in.md", "sub/in.md", max_bytes=4096), Article)
    out = read_article(src / "sub" / "out.md", "sub/out.md", max_bytes=4096)
    assert out == Rejection("sub/out.md", "symlink points outside the source folder; not read")
    broken = read_article(src / "sub" / "broken.md", "sub/broken.md", max_bytes=4096)
    assert broken == Rejection("sub/broken.md", "symlink points outside the source folder; "
                                                "not read")
    (src / "dangling.md").symlink_to(src / "missing.md")
    dangling = read_article(src / "dangling.md", "dangling.md", max_bytes=4096)
    assert dangling == Rejection("dangling.md", f"cannot read: {os.strerror(errno.ENOENT)}")


# --------------------------------------------------------------------------- listing files

def test_discovery_is_recursive_and_skips_hidden(tmp_path: Path) -> None:
    for name in ["b.md", "a.md", "a/z.md", "a/c/d.md", "A.md", "notes.txt", "x.MD",
                 ".git/HEAD.md", ".syndicate/i.md", "sub/.hidden.md", "sub/ok.md",
                 "sub/deeper/e.md"]:
        write(tmp_path / name, "x")
    (tmp_path / "folder.md").mkdir()
    found = [p.relative_to(tmp_path).as_posix() for p in source_files(tmp_path, ("*.md",))]
    assert found == ["A.md", "a.md", "a/c/d.md", "a/z.md", "b.md", "sub/deeper/e.md",
                     "sub/ok.md"]
    both = [p.name for p in source_files(tmp_path, ("*.txt", "*.md"))]
    assert "notes.txt" in both and "x.MD" not in both


def test_discovery_does_not_follow_folder_symlinks(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "a.md", "x")
    write(tmp_path / "elsewhere" / "b.md", "x")
    (src / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (src / "loop").symlink_to(src, target_is_directory=True)
    (src / "file-link.md").symlink_to(tmp_path / "elsewhere" / "b.md")
    found = [p.relative_to(src).as_posix() for p in source_files(src, ("*.md",))]
    # The symlinked file is listed so read_article can account for (and reject) it.
    assert found == ["a.md", "file-link.md"]


def test_unlistable_subfolder_is_yielded_for_accounting(
        tmp_path: Path, without_permission_override: Any) -> None:
    write(tmp_path / "locked" / "a.md", "x")
    (tmp_path / "locked").chmod(0)

    def list_and_read() -> tuple[list[Path], Article | Rejection]:
        found = source_files(tmp_path, ("*.md",))
        return found, read_article(found[0], "locked", max_bytes=1024)

    try:
        found, r = without_permission_override(list_and_read)
        assert found == [tmp_path / "locked"]
        assert isinstance(r, Rejection) and r.reason.startswith("cannot read: ")
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_missing_source_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(SourceMissing):
        discover(SourceConfig(tmp_path / "nope", ("*.md",)))


def test_pure_python_fallback_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fallback for a PyYAML without libyaml must apply the same rules and limits.
    from syndicate import yamlread

    samples = [source().encode(), source().replace("\n", "\r\n").encode(),
               source(topics="[" * 100 + "]" * 100).encode(),
               source(excerpt="*undefined").encode(),
               b"---\ntitle: a\n  b: c\n---\n"]
    with_libyaml = [parse_article(data, "a/b.md") for data in samples]
    monkeypatch.setattr(yamlread, "_Loader", yamlread._PureLoader)
    pure = [parse_article(data, "a/b.md") for data in samples]
    assert isinstance(pure[0], Article) and pure[0] == pure[1]
    assert [type(r) for r in pure] == [Article, Article, Rejection, Rejection, Rejection]
    assert pure[:3] == with_libyaml[:3]
    assert isinstance(pure[3], Rejection) and isinstance(with_libyaml[3], Rejection)
    assert pure[3].reason == with_libyaml[3].reason == \
        "invalid YAML: found undefined alias 'undefined'"
    assert isinstance(pure[4], Rejection) and isinstance(with_libyaml[4], Rejection)
    assert pure[4].reason.startswith("invalid YAML: ")
    assert pure[4].line == with_libyaml[4].line == 3  # "  b: c", the file's third line


def test_pure_python_fallback_reads_the_corpus_identically(
        monkeypatch: pytest.MonkeyPatch, shared_corpus: Path) -> None:
    from syndicate import yamlread

    datas = [(f.read_bytes(), f.name) for f in corpus_files(shared_corpus)]
    with_libyaml = [parse_article(data, name) for data, name in datas]
    monkeypatch.setattr(yamlread, "_Loader", yamlread._PureLoader)
    assert [parse_article(data, name) for data, name in datas] == with_libyaml


# --------------------------------------------------------------------------- shortcuts

def _outcome(fn: Any, *args: Any) -> object:
    from syndicate.article_values import Invalid as _Invalid

    try:
        return fn(*args)
    except _Invalid as exc:
        return ("invalid", exc.key, exc.message)


def _random_texts(alphabet: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=rng.randrange(0, 14))) for _ in range(count)]


def test_plain_url_shortcut_gives_what_the_full_url_checks_give(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate import article_values

    alphabet = ["http", "https", "HTTP", "://", ":", "/", "?", "#", "@", ".", "-", "a", "Z",
                "0", "8080", "[", "]", "\\", " ", "\t", "\x7f", "\x85", "\xa0", "é", "%20",
                "&", "=", "ftp", "www.example.com", "xn--bcher-kva", "\u3000"]
    urls = ["https://example.com", "http://a.b/c?d=1#e", "https://example.com:443/x",
            "https://user@example.com/", "https://[::1]/", "HTTPS://EXAMPLE.COM/",
            "https://bücher.example/", "https://", "https:///x", "https://a..b/"] + [
        prefix + text for text in _random_texts(alphabet, 3000, 11)
        for prefix in ("https://", "")]
    shortcut = [_outcome(article_values.http_url, url, "f", "k") for url in urls]
    monkeypatch.setattr(article_values, "_PLAIN_HTTP_URL", re.compile(r"(?!)"))  # never matches
    assert [_outcome(article_values.http_url, url, "f", "k") for url in urls] == shortcut
    assert sum(isinstance(result, str) for result in shortcut) > 300


def test_clean_shortcut_gives_what_the_general_rule_gives() -> None:
    from syndicate import articles

    alphabet = ["a", "b", " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x00", "\x1f", "\x85",
                "\xa0", "\u2028", "\u3000", "\ufffe", "\ud800", "&amp;", "&#8217;", "&#0;",
                "&#x85;", "\x7f", "\x9f", "\ufdd0", "\ufffd", "é", "東", "🚀", "&"]
    for text in _random_texts(alphabet, 5000, 12):
        raw = html.unescape(text) if "&" in text else text
        expected = " ".join(articles._XML_FORBIDDEN.sub("", raw).split())
        assert articles._clean(text) == expected, repr(text)


def test_domain_check_is_the_label_by_label_rule() -> None:
    from syndicate import article_values

    label = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")

    def by_labels(value: str) -> bool:  # the rule as written before the one-regex form
        domain = value.strip().lower().removesuffix(".")
        ascii_form = domain
        if not domain.isascii():
            try:
                ascii_form = domain.encode("idna").decode("ascii")
            except UnicodeError:
                ascii_form = ""
        labels = ascii_form.split(".")
        return not (not ascii_form or len(ascii_form) > 253
                    or not all(label.fullmatch(part) for part in labels)
                    or labels[-1].isdigit())

    alphabet = ["a", "Z", "0", "9", "-", ".", "..", "_", " ", "é", "xn--", "com", "a" * 63,
                "b" * 64, "\n"]
    values = _random_texts(alphabet, 5000, 13) + ["a" * 63 + "." + "b" * 63 + "." + "c" * 63
                                                  + "." + "d" * 61, "example.com.", "1.2.3.4"]
    for value in values:
        outcome = _outcome(article_values.host_name, value)
        assert isinstance(outcome, str) == by_labels(value), repr(value)
