"""Does plain text look like HTML? The W3C Feed Validator's judgement, for warnings.

Readers show a plain-text field (an Atom ``type="text"`` construct, an RSS title, category
or author) as it is, so markup there reaches the reader as visible tags. The reference
validator (``nonhtml`` in its validators.py; ContainsUndeclaredHTML for Atom text
constructs, ContainsHTML for RSS fields) decides from two clues only:

- an end tag of a known HTML element, ``</b>`` or ``</p>``: ``<b>x</b>`` is markup, while
  ``a < b``, ``<3``, ``List<T> in C#``, ``x<y>z`` and ``Vec<u8>`` have no end tag at all;
- otherwise an HTML character reference left in the text after XML decoding
  (``&amp;amp;`` in the source, so ``&amp;`` shown to the reader), unless the element's
  lines in the source also hold a hexadecimal character reference (``&#x``), which that
  validator takes as a sign of text escaped on purpose.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

# The element names the reference validator counts as HTML (HTML 4 and 5, plus a few
# legacy ones); an end tag of any other name (</T>, </u8x>) is not taken as markup.
HTML_TAGS = frozenset("""
a abbr acronym address applet area article aside audio b base basefont bdi bdo big
blockquote body br button canvas caption center cite code col colgroup command data
datagrid datalist dd del details dfn dialog dir div dl dt em eventsource fieldset
figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr
html i iframe img input ins isindex kbd label legend li link m main mark map menu meta
meter nav noframes noscript object ol optgroup option output p param picture pre progress
q rp rt ruby s samp script section select slot small source span strike strong style sub
summary sup table tbody td template textarea tfoot th thead time title tr track tt u ul
var xmp plaintext embed comment listing video wbr
""".split())  # noqa: SIM905  (a word list reads better)

_END_TAG = re.compile(r"</(\w+)>")
_ENTITY = re.compile(r"&(#?\w+)")


class Markup(NamedTuple):
    """What made a plain-text value look like markup."""

    kind: Literal["html", "character-data"]
    sample: str  # the clue, e.g. "</b>" or "&amp;" or "<y"


_CHARACTER_DATA = re.compile(r"&#[x0-9]|<[/a-zA-Z]")


def html_in_text(value: str, *, hex_escaped: bool = False,
                 rss2: bool = False) -> Markup | None:
    """What in ``value`` looks like markup, or None; the three clues in the reference
    validator's order, the first that applies deciding.

    ``hex_escaped`` says the element's source lines hold ``&#x`` (text escaped on
    purpose: no character-reference clue). ``rss2`` adds the RSS Profile's clue for RSS
    2.x plain text: ``<`` before a letter or ``/``, or ``&#``, left unescaped by hexadecimal
    references (``x<y>z``, ``Vec<u8>``); ``a < b`` and ``<3`` pass.
    """
    if "<" not in value and "&" not in value:
        return None  # the common case, decided without a regex
    for tag in _END_TAG.findall(value):
        if tag.lower() in HTML_TAGS:
            return Markup("html", f"</{tag}>")
    refs = _ENTITY.findall(value)
    if refs:
        # An entity-like "&name" decides alone, even when it names no HTML entity
        # ("AT&T"): the reference validator's elif chain stops there.
        if hex_escaped:
            return None
        from html.entities import name2codepoint  # a large table, needed only here

        for ref in refs:
            if ref in name2codepoint or ref == "apos" or not ref.isalpha():
                return Markup("html", f"&{ref};")
        return None
    if rss2 and not hex_escaped and (m := _CHARACTER_DATA.search(value)):
        return Markup("character-data", m.group(0))
    return None


def element_hex_escaped(lines: frozenset[int] | None, first: int | None, text: str) -> bool:
    """Whether the source lines of an element (from ``first``, as long as its ``text``)
    hold ``&#x``, given the set from :func:`hex_escaped_lines`."""
    if lines is None or first is None:
        return False
    return any(n in lines for n in range(first, first + text.count("\n") + 1))


def hex_escaped_lines(data: bytes) -> frozenset[int] | None:
    """The 1-based lines of the source that hold ``&#x`` (None when none do)."""
    if b"&#x" not in data:
        return None
    return frozenset(i for i, line in enumerate(data.split(b"\n"), 1) if b"&#x" in line)
