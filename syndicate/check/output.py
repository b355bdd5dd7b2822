"""Render check results as text, JSON (a fixed shape other tools read) or JUnit XML."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from syndicate.check.findings import CheckResult, Finding

_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def shown_path(path: str) -> str:
    """A path as printable UTF-8 text: a file name that is not UTF-8 (decoded by Python
    with surrogate escapes) is shown with ``\\xff`` escapes instead of lone
    surrogates, which cannot be written as UTF-8 and would make the JSON invalid."""
    try:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return path.encode("utf-8", "backslashreplace").decode("ascii")


def _text_path(path: str) -> str:
    # One finding per line: a newline or other control character in a file name must
    # not start a fake line that a CI log parser would read as a finding.
    path = shown_path(path)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        path = "".join(c if ord(c) >= 0x20 and ord(c) != 0x7F
                       else c.encode("unicode_escape").decode("ascii") for c in path)
    return path


def _line(path: str, f: Finding) -> str:
    path = _text_path(path)
    where = f"{path}:{f.line}:" if f.line is not None else f"{path}:"
    return f"{where} {f.severity} {f.code}: {f.message}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(results: Sequence[CheckResult]) -> str:
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    return (f"checked {_plural(len(results), 'file')}: {_plural(errors, 'error')}, "
            f"{_plural(warnings, 'warning')}")


def render_text(results: Sequence[CheckResult]) -> str:
    lines = [_line(r.path, f) for r in results for f in r.findings]
    lines.append(summary_line(results))
    return "\n".join(lines) + "\n"


def _finding_json(f: Finding) -> dict[str, object]:
    return {"code": f.code, "message": f.message, "line": f.line}


def render_json(results: Sequence[CheckResult]) -> str:
    doc = {
        "files": [{"path": shown_path(r.path), "format": r.format,
                   "errors": [_finding_json(f) for f in r.errors],
                   "warnings": [_finding_json(f) for f in r.warnings]} for r in results],
        "summary": {"files": len(results),
                    "errors": sum(len(r.errors) for r in results),
                    "warnings": sum(len(r.warnings) for r in results)},
    }
    import json  # only for --format json: a text run does without

    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _safe(text: str) -> str:
    return _XML_UNSAFE.sub("\ufffd", text)


def render_junit(results: Sequence[CheckResult], *, strict: bool) -> str:
    """One testcase per file; errors (and warnings under --strict) become its failure."""
    failures = 0
    suite = etree.Element("testsuite", name="syndicate check")
    for r in results:
        case = etree.SubElement(suite, "testcase", classname=f"syndicate.check.{r.format}",
                                name=_safe(shown_path(r.path)))
        failing = list(r.errors) + (list(r.warnings) if strict else [])
        if failing:
            failures += 1
            failure = etree.SubElement(
                case, "failure", type=failing[0].code,
                message=_safe(f"{_plural(len(r.errors), 'error')}, "
                              f"{_plural(len(r.warnings), 'warning')}"))
            failure.text = _safe("\n".join(_line(r.path, f) for f in failing))
        rest = [] if strict else list(r.warnings)
        if rest:
            out = etree.SubElement(case, "system-out")
            out.text = _safe("\n".join(_line(r.path, f) for f in rest))
    for el in (suite,):
        el.set("tests", str(len(results)))
        el.set("failures", str(failures))
        el.set("errors", "0")
        el.set("skipped", "0")
    top = etree.Element("testsuites", name="syndicate check", tests=str(len(results)),
                        failures=str(failures), errors="0")
    top.append(suite)
    return etree.tostring(top, encoding="UTF-8", xml_declaration=True,
                          pretty_print=True).decode("utf-8")
