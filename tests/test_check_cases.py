"""Data-driven checker tests: every file under tests/cases/ states its own expectation.

Convention (the W3C Feed Validator's, adapted): somewhere in the file is
``Description: <what the case shows> [BaseURL: <url>] Expect: <codes>`` — in an XML comment
for XML cases, in the ``"_test"`` string member (a JSON Feed extension) for JSON cases.
``<codes>`` is ``valid`` (no findings at all) or a comma-separated list of finding codes,
each optionally ``@line``; the list must equal the findings' codes exactly (as a multiset).
Cases under atom/, rss/, jsonfeed/ and opml/ must also be detected as that format.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from syndicate.check import CODES, check_bytes

CASES = Path(__file__).parent / "cases"
_HEADER = re.compile(
    r"Description:\s*(?P<desc>.*?)\s*(?:BaseURL:\s*(?P<base>\S+)\s*)?"
    r"Expect:\s*(?P<expect>[^\"<>\n]*?)"
    r"\s*(?:-->|\"|$)", re.DOTALL | re.MULTILINE)
_FORMATS = {"atom", "rss", "jsonfeed", "opml"}


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    if data[1:2] == b"\x00":
        return data.decode("utf-16-le", "replace")
    if data[:1] == b"\x00":
        return data.decode("utf-16-be", "replace")
    return data.decode("latin-1")


def _cases() -> list[Path]:
    return sorted(p for p in CASES.rglob("*") if p.is_file())


def test_there_are_at_least_200_cases_covering_every_format() -> None:
    cases = _cases()
    assert len(cases) >= 200
    assert {p.parent.name for p in cases} >= _FORMATS | {"xml"}


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.relative_to(CASES).as_posix())
def test_case(case: Path) -> None:
    data = case.read_bytes()
    header = _HEADER.search(_decode(data))
    assert header is not None, f"{case}: no 'Description: ... Expect: ...' header"
    expect = header.group("expect").strip()
    wanted = [] if expect == "valid" else [e.strip() for e in expect.split(",")]
    result = check_bytes(data, path=case.name, base_url=header.group("base"))

    got = Counter(f.code for f in result.findings)
    assert got == Counter(w.split("@")[0] for w in wanted), \
        f"{header.group('desc')}\n" + "\n".join(
            f"  {f.line}: {f.severity} {f.code}: {f.message}" for f in result.findings)
    for w in wanted:
        if "@" in w:
            code, line = w.split("@")
            assert int(line) in [f.line for f in result.findings if f.code == code], w
    for f in result.findings:
        assert f.line is not None and f.line >= 1, f"{f.code} has no line number"
    if case.parent.name in _FORMATS:
        assert result.format == case.parent.name


# A description that names the severity of what it shows, outside its parenthesised
# references (which quote the W3C validator's own levels): "draws a warning", "is an error".
_SAYS_WARNING = re.compile(r"\b(?:draws?|gives?|is|are|gets?) (?:only )?a warning\b|\bwarns\b")
_SAYS_ERROR = re.compile(r"\b(?:draws?|gives?|is|are) an error\b")


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.relative_to(CASES).as_posix())
def test_description_names_the_severity_it_expects(case: Path) -> None:
    header = _HEADER.search(_decode(case.read_bytes()))
    assert header is not None
    said = re.sub(r"\([^)]*\)", "", " ".join(header.group("desc").lower().split()))
    expect = header.group("expect").strip()
    codes = [] if expect == "valid" else [e.strip().split("@")[0] for e in expect.split(",")]
    severities = {CODES[c][0] for c in codes if c in CODES}
    if _SAYS_WARNING.search(said):
        assert "warning" in severities, f"says a warning, expects {expect}"
    if _SAYS_ERROR.search(said) and not re.search(r"\bnot an error\b", said):
        assert "error" in severities, f"says an error, expects {expect}"
