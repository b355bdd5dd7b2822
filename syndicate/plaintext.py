"""Plain text out of text that may carry HTML markup: element tags go, their text stays.

Records come from scrapers, and some titles and excerpts carry tags (``<b>Breaking</b>
chip news``, ``<p>…</p>``, ``<a href=…>``), while text about code or maths only looks
like markup (``a < b``, ``<3``, ``List<T> in C#``, ``x<y>z``, ``Vec<u8>``, ``<<EOF``).
The stdlib HTML tokenizer (:class:`html.parser.HTMLParser`) decides what is a tag; we
decide which tags are markup:

* a start, end or self-closing tag is markup when its name is an HTML element name
  (:data:`ELEMENTS`, any case: ``<B>`` is ``<b>``) and every attribute name is one an
  author could have written (``href``, ``data-x``, ``xml:lang``). ``<T>``, ``<u8>``,
  ``<y>``, ``<foo>`` are not elements, and in ``a<b && c>d`` the tokenizer's "tag"
  ``<b && c>`` has an attribute named ``&&``: all of these stay text;
* comments, doctypes, processing instructions and CDATA sections are markup;
* ``<script>`` and ``<style>`` go with their content (it is code, never text).

The text of removed elements stays. Removing an inline element (``<b>``, ``<a>``,
``<span>``...) joins its neighbours as a browser does (``wo<i>r</i>d`` is ``word``); any
other element (``<br>``, ``<p>``, ``<div>``, ``<li>``...) separates words with a space.

Only spans the tokenizer reported as markup are cut: whatever it reads otherwise, or
skips (an unclosed ``<!--`` or ``<EOF`` at the end, whose handling differs between
Python releases), stays text. Cutting can bring new markup together (``<<b>b>`` leaves
``<b>``), so the text is tokenized again until nothing is removed; after
:data:`MAX_PASSES` (only hostile input nests that deep) every ``<`` goes, as it does
from junk the tokenizer gives up on (``<![<![``, which Python 3.11 cannot read).

The caller gives text whose character references are already decoded, whitespace
collapsed and forbidden characters removed; the result is again collapsed and in NFC.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import NamedTuple


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Every HTML element name a browser's parser knows, current and obsolete (WHATWG HTML
# and its "obsolete features" section), plus svg and math, which HTML embeds, plus every
# name the W3C Feed Validation Service counts as HTML (``htmltags`` in its
# validators.py: command, comment, datagrid, eventsource, m): an end tag of any of these
# left in a plain-text construct is what it reports as ContainsUndeclaredHTML.
ELEMENTS = _names("""
a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound
big blink blockquote body br button canvas caption center cite code col colgroup command
comment data datagrid datalist dd del details dfn dialog dir div dl dt em embed
eventsource fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6
head header hgroup hr html i iframe image img input ins isindex kbd keygen label legend
li link listing m main map mark marquee math menu menuitem meta meter multicol nav
nextid nobr noembed noframes noscript object ol optgroup option output p param picture
plaintext pre progress q rb rp rt rtc ruby s samp script search section select slot
small source spacer span strike strong style sub summary sup svg table tbody td template
textarea tfoot th thead time title tr track tt u ul var video wbr xmp
""")

# Phrasing elements that do not break a word when their tags go.
INLINE = _names("""
a abbr acronym b bdi bdo big blink cite code data del dfn em font i ins kbd label m mark
nobr q rb rp rt rtc ruby s samp small span strike strong sub sup time tt u var wbr
""")

# Elements whose content is code, removed with them.
_CODE = frozenset({"script", "style"})

# An attribute name as authors write them (HTML's, XML's and data-*/aria-* names).
_ATTRIBUTE = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*\Z")

# Rounds of cutting; one more reads the result. Real text needs one (two reads).
MAX_PASSES = 4

# Labels for what was removed, in warnings.
COMMENT = "<!-- -->"
DECLARATION = "<!…>"
INSTRUCTION = "<?…>"
EVERY_LT = "every '<' (markup nested too deeply)"
UNREADABLE = "every '<' (markup the HTML tokenizer cannot read)"


class Plain(NamedTuple):
    """Text without markup, and what was removed from it."""

    text: str
    # Each kind once, in order of first removal: "<b>", "<br>", COMMENT, ... Empty when
    # the text had no markup (and then ``text`` is the input, unchanged).
    removed: tuple[str, ...]


def strip_markup(text: str) -> Plain:
    """``text`` with the markup of HTML elements removed (see the module docstring).

    Pure and idempotent: ``strip_markup(strip_markup(t).text).text`` is
    ``strip_markup(t).text``, and the result contains no tag the tokenizer would read as
    markup. Text without ``<`` is returned as it is, without tokenizing.
    """
    if "<" not in text:
        return Plain(text, ())
    removed: dict[str, None] = {}
    try:
        for passes in range(MAX_PASSES + 1):
            cut = _Tokens.cut(text)
            if cut is None:
                break
            if passes == MAX_PASSES:
                text = _tidy(text.replace("<", " "))
                removed[EVERY_LT] = None
                break
            text, labels = cut
            removed.update(dict.fromkeys(labels))
    except _Unreadable:
        text = _tidy(text.replace("<", " "))
        removed[UNREADABLE] = None
    return Plain(text, tuple(removed))


class _Unreadable(Exception):
    """The tokenizer gave up on the text."""


def _tidy(text: str) -> str:
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        # Joining the two sides of a removed tag can put a combining mark after a base
        # character it now composes with.
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


class _Span(NamedTuple):
    start: int
    end: int
    joiner: str  # what replaces the span: "" or " "
    label: str


class _Tokens(HTMLParser):
    """One tokenizer run, collecting the spans of markup.

    The tokenizer reports tokens, not where they end; each callback notes where its
    token starts (``getpos``), and a token ends where the next one starts. Start tags
    know their exact text (``get_starttag_text``).
    """

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self._text = text
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self._starts: list[int] = []  # of every token, in order
        self._pending: list[tuple[int, str, str]] = []  # (token index, joiner, label)
        self.spans: list[_Span] = []
        self._code: tuple[str, int] | None = None  # open <script>/<style>: name, content start

    @classmethod
    def cut(cls, text: str) -> tuple[str, tuple[str, ...]] | None:
        """``text`` with this pass's markup cut and tidied, and the labels; None when
        there is no markup."""
        # No token can end after the last '>', and the tokenizer of Python 3.11 takes
        # time quadratic in what follows an unclosed '<a' ('<a<a<a...'): it reads the
        # text up to there only.
        end = text.rfind(">") + 1
        if not _MARKUP_OPEN.search(text, 0, end):
            return None  # 'a < b', '<3', '5 <10': no token but text (and no tokenizer run)
        head = text[:end]
        tokens = cls(text)
        try:
            tokens.feed(head)
            tokens.close()
        except AssertionError:
            # _markupbase asserts on some junk after '<!' ('<![<![', '<!x[') that later
            # Python releases read as bogus comments.
            raise _Unreadable from None
        spans = tokens.finish()
        if not spans:
            return None
        out: list[str] = []
        at = 0
        for span in sorted(spans):
            if span.start < at:  # inside a span already cut (script content)
                continue
            out += [text[at:span.start], span.joiner]
            at = span.end
        out.append(text[at:])
        return _tidy("".join(out)), tuple(span.label for span in sorted(spans))

    # -- callbacks

    def _token(self) -> int:
        line, column = self.getpos()
        self._starts.append(self._line_starts[line - 1] + column)
        return self._starts[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, opens=True)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, opens=False)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], *, opens: bool) -> None:
        start = self._token()
        raw = self.get_starttag_text() or ""
        if tag not in ELEMENTS or not all(_ATTRIBUTE.match(name) for name, _ in attrs):
            # Text, but an element's end tag inside it (``<T a="</b>">``) still goes:
            # readers and validators that scan for end tags take it for one.
            for inner in _END_TAG.finditer(raw):
                if inner.group(1).lower() in ELEMENTS:
                    self.spans.append(_Span(start + inner.start(), start + inner.end(), "",
                                            f"<{inner.group(1).lower()}>"))
            return
        end = start + len(raw)
        self.spans.append(_Span(start, end, "" if tag in INLINE else " ", f"<{tag}>"))
        if opens and tag in _CODE and self._code is None:
            self._code = (tag, end)

    def handle_endtag(self, tag: str) -> None:
        start = self._token()
        if self._code is not None and self._code[0] == tag:
            self.spans.append(_Span(self._code[1], start, " ", f"<{tag}>"))
            self._code = None
        # Only a plain end tag: '</b && c>' is not one an author wrote.
        match = _END_TAG.match(self._text, start)
        if tag in ELEMENTS and match is not None and match.group(1).lower() == tag:
            self.spans.append(_Span(start, match.end(), "" if tag in INLINE else " ",
                                    f"<{tag}>"))

    def handle_data(self, data: str) -> None:
        self._token()

    def handle_comment(self, data: str) -> None:
        self._pending.append((len(self._starts), "", COMMENT))
        self._token()

    def handle_decl(self, decl: str) -> None:
        self._pending.append((len(self._starts), "", DECLARATION))
        self._token()

    def unknown_decl(self, data: str) -> None:
        self.handle_decl(data)

    def handle_pi(self, data: str) -> None:
        self._pending.append((len(self._starts), "", INSTRUCTION))
        self._token()

    def finish(self) -> list[_Span]:
        """The spans, once the whole text has been fed and closed."""
        length = len(self._text)
        if self._code is not None:  # never closed: the rest is code, as in a browser
            self.spans.append(_Span(self._code[1], length, " ", f"<{self._code[0]}>"))
        for index, joiner, label in self._pending:
            start = self._starts[index]
            end = self._starts[index + 1] if index + 1 < len(self._starts) else length
            # The token runs to its last '>': anything after it up to the next token is
            # text the tokenizer skipped without a callback, and stays.
            close = self._text.rfind(">", start, end)
            if close > start:
                self.spans.append(_Span(start, close + 1, joiner, label))
        return self.spans


_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9]*)\s*>")
# Where the tokenizer can start a token other than text: a tag, '</', '<!', '<?'.
_MARKUP_OPEN = re.compile(r"<[A-Za-z/!?]")
