"""syndicate.plaintext: the tags of HTML elements go, their text stays; look-alikes stay.

Both sides of the decision, one case per kind. The input is what the reader hands over:
references decoded, whitespace collapsed.
"""

from __future__ import annotations

import random
import re

import pytest

from syndicate.plaintext import (
    COMMENT,
    DECLARATION,
    ELEMENTS,
    EVERY_LT,
    INSTRUCTION,
    MAX_PASSES,
    UNREADABLE,
    Plain,
    strip_markup,
)

# Text that only looks like markup: it must come back unchanged, and nothing reported.
LOOK_ALIKES = (
    "a < b",
    "<3",
    "I <3 U",
    "List<T> in C#",
    "x<y>z",
    "Vec<u8>",
    "5 <10",
    "<<EOF",
    "cat <<EOF > out",
    "a<b && c>d",
    "Map<K, V>",
    "Result<Vec<u8>, Error>",
    "<foo>unknown element</foo>",  # not an HTML element: text (README says so)
    "<T>x</T>",
    "a </ b",
    "a</>b",
    "</b && c>",  # not an end tag an author wrote
    "<!-- unclosed comment",  # read differently by Python releases: kept as text
    "x <EOF",
    "if (a<b) {}",
    "<p/2>",  # attribute name '2': no author writes that
    "<=>",
    "<-- arrow",
)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_stay_text(text: str) -> None:
    assert strip_markup(text) == Plain(text, ())


# (input, plain text, what is reported as removed)
ELEMENT_MARKUP = (
    ("<b>Breaking</b> chip news", "Breaking chip news", ("<b>",)),
    ("<B>Breaking</B>", "Breaking", ("<b>",)),  # HTML names are case-insensitive
    ("one<br>two", "one two", ("<br>",)),  # a line break separates words
    ("one<br/>two", "one two", ("<br>",)),
    ("one<BR />two", "one two", ("<br>",)),
    ("<p>first</p><p>second</p>", "first second", ("<p>",)),
    ("<div>a</div><div>b</div>", "a b", ("<div>",)),
    ("<ul><li>a</li><li>b</li></ul>", "a b", ("<ul>", "<li>")),
    ("wo<i>r</i>d", "word", ("<i>",)),  # inline elements do not split a word
    ("<a href=\"https://x.example/?a=1&b=2\">the link</a> text", "the link text", ("<a>",)),
    ("<a href='x>y'>quoted</a>", "quoted", ("<a>",)),  # '>' inside a quoted value
    ("<span class=\"x\" data-id=1 aria-label='y' xml:lang=en>s</span>", "s", ("<span>",)),
    ("<b>unclosed", "unclosed", ("<b>",)),
    ("closed only</b>", "closed only", ("<b>",)),
    ("a<b>c", "ac", ("<b>",)),  # 'b' is an element: a tag, whatever it meant
    ("<script>alert('</b>')</script>after", "after", ("<script>",)),
    ("before<script>never closed", "before", ("<script>",)),
    ("<style>p { color: red }</style>Text", "Text", ("<style>",)),
    ("Hi<!-- note -->there", "Hithere", (COMMENT,)),
    ("<!DOCTYPE html>x", "x", (DECLARATION,)),
    ("<?php echo 1 ?>y", "y", (INSTRUCTION,)),
    ("<![CDATA[z]]>w", "w", (DECLARATION,)),
    ("<img src=x.png alt=pic>caption", "caption", ("<img>",)),
    ("<h1>Title</h1>Body", "Title Body", ("<h1>",)),
    ("List<T> in <b>C#</b>", "List<T> in C#", ("<b>",)),  # both kinds in one text
    ("<T a=\"</b>\">", "<T a=\"\">", ("<b>",)),  # an element's end tag inside kept text
    ("<<b>b>x", "x", ("<b>",)),  # cutting brought a tag together: cut again
    ("e<b>\u0301</b>", "\u00e9", ("<b>",)),  # joined sides composed to NFC
    ("<script>x</script>", "", ("<script>",)),
)


@pytest.mark.parametrize(("text", "plain", "removed"), ELEMENT_MARKUP)
def test_element_markup_goes_and_its_text_stays(text: str, plain: str,
                                                removed: tuple[str, ...]) -> None:
    assert strip_markup(text) == Plain(plain, removed)


def test_every_element_name_is_markup_and_nothing_else_is() -> None:
    for name in sorted(ELEMENTS):
        assert strip_markup(f"x<{name}>y</{name}>z").removed == (f"<{name}>",), name
    for name in ("t", "y", "u8", "eof", "foo", "k", "string", "vec", "result"):
        assert strip_markup(f"x<{name}>y</{name}>z").removed == (), name


def test_the_reference_validators_html_names_are_all_elements() -> None:
    # htmltags of the W3C Feed Validation Service (validators.py): an end tag with one of
    # these names in a plain-text construct is its ContainsHTML/ContainsUndeclaredHTML.
    w3c = [
        "a", "abbr", "acronym", "address", "applet", "area", "article", "aside",
        "audio", "b", "base", "basefont", "bdi", "bdo", "big", "blockquote", "body",
        "br", "button", "canvas", "caption", "center", "cite", "code", "col",
        "colgroup", "command", "data", "datagrid", "datalist", "dd", "del", "details",
        "dfn", "dialog", "dir", "div", "dl", "dt", "em", "eventsource", "fieldset",
        "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1",
        "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i",
        "iframe", "img", "input", "ins", "isindex", "kbd", "label", "legend", "li",
        "link", "m", "main", "mark", "map", "menu", "meta", "meter", "nav", "noframes",
        "noscript", "object", "ol", "optgroup", "option", "output", "p", "param",
        "picture", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script",
        "section", "select", "slot", "small", "source", "span", "strike", "strong",
        "style", "sub", "summary", "sup", "table", "tbody", "td", "template",
        "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u",
        "ul", "var", "xmp", "plaintext", "embed", "comment", "listing", "video", "wbr"
    ]
    assert set(w3c) <= ELEMENTS


_W3C_END_TAG = re.compile(r"</(\w+)>")


@pytest.mark.parametrize("text", [t for t, _, _ in ELEMENT_MARKUP] + list(LOOK_ALIKES))
def test_result_is_a_fixpoint_without_end_tags_the_reference_flags(text: str) -> None:
    plain = strip_markup(text).text
    assert strip_markup(plain) == Plain(plain, ())
    assert not [t for t in _W3C_END_TAG.findall(plain) if t.lower() in ELEMENTS]


def test_text_without_a_less_than_sign_is_returned_as_is() -> None:
    text = "Tom & Jerry > 3"
    assert strip_markup(text).text is text


@pytest.mark.parametrize("junk", ["<![<![<![ x > y", "a <!x[ b > c"])
def test_markup_the_tokenizer_cannot_read_loses_every_less_than_sign(junk: str) -> None:
    # Python 3.11's tokenizer raises on some junk after '<!' (later releases read it as
    # a bogus comment): never an exception, never a tag left.
    plain = strip_markup(junk)
    assert "<" not in plain.text
    assert plain.removed in ((UNREADABLE,), (COMMENT,), (DECLARATION,))


@pytest.mark.parametrize("text", ["<a" * 10_000, "<b>x</b>" + "<a" * 10_000,
                                  "<!--" * 5_000, "<" * 6_000 + "b>" * 6_000])
def test_hostile_text_of_the_excerpt_limit_comes_back_without_markup(text: str) -> None:
    # Work is bounded by the passes, never quadratic in what follows an unclosed '<a'
    # (no wall-clock assertion: the machine is shared; benchmarks/ measures time).
    plain = strip_markup(text)
    assert strip_markup(plain.text).removed == ()


def test_markup_nested_past_the_pass_limit_loses_every_less_than_sign() -> None:
    # Each pass can only cut what the tokenizer sees; '<<<b>b>b>' needs one pass per
    # level. Past MAX_PASSES (hostile input only) no '<' is kept, so no tag can remain.
    deep = "<" * (MAX_PASSES + 2) + "b>" * (MAX_PASSES + 2) + "x < y"
    plain = strip_markup(deep)
    assert "<" not in plain.text and plain.text.endswith("x y")
    assert plain.removed == ("<b>", EVERY_LT)
    shallow = "<" * MAX_PASSES + "b>" * MAX_PASSES + "x < y"
    assert strip_markup(shallow) == Plain("x < y", ("<b>",))


_PIECES = ("<", ">", "</", "<!", "<!--", "-->", "<?", "[", "]", "'", '"', "=", " ", "&",
           "b", "i", "p", "br", "T", "u8", "foo", "script", "style", "a href=x", "/", "\u0301",
           "e", "x")


def test_random_markup_soup_never_raises_and_leaves_no_markup() -> None:
    rng = random.Random(14)
    for _ in range(3_000):
        text = " ".join("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 12)))
                        .split())
        plain = strip_markup(text).text
        assert strip_markup(plain) == Plain(plain, ()), text
        assert not [t for t in _W3C_END_TAG.findall(plain) if t.lower() in ELEMENTS], text
