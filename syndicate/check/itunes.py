"""iTunes podcast elements (Apple's podcast RSS tags), judged as the W3C Feed Validator's
itunes module does: yes/no values, durations, length limits, image href, owner e-mail,
category names from Apple's list and their nesting.

Where Apple's rules grew after the validator's (https images, "true"/"false" for explicit,
durations in seconds, the 2019 category list), the newer form is accepted too: a value is
an error only when no version of the validator's rules accepts it.
media.py walks the tree once and hands each element in the iTunes namespace to
``Itunes.element``.
"""

from __future__ import annotations

import re

from lxml import etree

from syndicate.check.tree import Sink, line_of, split
from syndicate.check.values import iri_problem

# Apple's namespace, and the capitalised spelling from its early documentation, which the
# W3C validator treats as the same.
ITUNES_NAMESPACES = ("http://www.itunes.com/dtds/podcast-1.0.dtd",
                     "http://www.itunes.com/DTDs/Podcast-1.0.dtd")

_YES_NO = frozenset(("yes", "no", "clean", "true", "false"))
_LIMITS = {"author": 255, "subtitle": 255, "keywords": 255, "name": 255, "summary": 4000}
# Elements that may appear once per parent.
_SINGLE = frozenset(("author", "block", "explicit", "keywords", "subtitle", "summary",
                     "image", "owner", "email", "name", "duration", "new-feed-url",
                     "pubDate"))
# [[h]h:]m:ss in the validator's first rule (only the end is looked at), or a count of
# seconds with optional :mm[:ss] in its later one.
_DURATION_END = re.compile(r"[0-9]:[0-5][0-9]\Z")
_DURATION = re.compile(r"[0-9]+(?::[0-5][0-9](?::[0-5][0-9])?)?\Z")
_EMAIL = re.compile(r"[A-Za-z0-9_\-+.']+@(?:\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.|"
                    r"(?:[A-Za-z0-9\-]+\.)+)[A-Za-z0-9]+\]?\Z")

# Apple's categories: the 2005 list the W3C validator checks, the 2006-2018 list and the
# 2019 list, merged (top level -> subcategories).
_CATEGORY_LISTS = """
Arts & Entertainment: Architecture|Books|Design|Entertainment|Games|Performing Arts|
  Photography|Poetry|Science Fiction
Audio Blogs:
Business: Careers|Finance|Investing|Management|Marketing|Business News|
  Management & Marketing|Shopping|Entrepreneurship|Non-Profit
Comedy: Comedy Interviews|Improv|Stand-Up
Education: Higher Education|K-12|Education|Education Technology|Language Courses|Training|
  Courses|How To|Language Learning|Self-Improvement
Family:
Food:
Health: Diet & Nutrition|Fitness|Relationships|Self-Help|Sexuality|Alternative Health|
  Fitness & Nutrition
International: Australian|Belgian|Brazilian|Canadian|Chinese|Dutch|French|German|Hebrew|
  Italian|Japanese|Norwegian|Polish|Portuguese|Spanish|Swedish
Movies & Television:
Music: Music Commentary|Music History|Music Interviews
News:  Business News|Daily News|Entertainment News|News Commentary|Politics|Sports News|
  Tech News
Politics:
Public Radio:
Religion & Spirituality: Buddhism|Christianity|Islam|Judaism|New Age|Philosophy|
  Spirituality|Hinduism|Other|Religion
Science: Astronomy|Chemistry|Earth Sciences|Life Sciences|Mathematics|Natural Sciences|
  Nature|Physics|Social Sciences
Sports: Baseball|Basketball|Cricket|Fantasy Sports|Football|Golf|Hockey|Rugby|Running|
  Soccer|Swimming|Tennis|Volleyball|Wilderness|Wrestling
Talk Radio:
Technology: Computers|Developers|Gadgets|Information Technology|News|Operating Systems|
  Podcasting|Smart Phones|Text/Speech|Software How-To|Tech News
Transportation: Automotive|Aviation|Bicycles|Commuting
Travel:
Arts: Design|Fashion & Beauty|Food|Literature|Performing Arts|Visual Arts|Books
Games & Hobbies: Automotive|Aviation|Hobbies|Other Games|Video Games
Government & Organizations: Local|National|Non-Profit|Regional
Kids & Family: Education for Kids|Parenting|Pets & Animals|Stories for Kids
News & Politics:
Science & Medicine: Medicine|Natural Sciences|Social Sciences
Society & Culture: History|Personal Journals|Philosophy|Places & Travel|Documentary|
  Relationships
Sports & Recreation: Amateur|College & High School|Outdoor|Professional
TV & Film: After Shows|Film History|Film Interviews|Film Reviews|TV Reviews
Fiction: Comedy Fiction|Drama|Science Fiction
Government:
History:
Health & Fitness: Alternative Health|Fitness|Medicine|Mental Health|Nutrition|Sexuality
Leisure: Animation & Manga|Automotive|Aviation|Crafts|Games|Hobbies|Home & Garden|
  Video Games
True Crime:
"""


def _categories(text: str) -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for entry in re.split(r"\n(?=\S)", text.strip()):
        top, _, subs = entry.partition(":")
        names = {s.strip() for s in subs.replace("\n", "").split("|") if s.strip()}
        merged.setdefault(top.strip(), set()).update(names)
    return {top: frozenset(subs) for top, subs in merged.items()}


CATEGORIES = _categories(_CATEGORY_LISTS)


# Channel-level elements (Apple's podcast spec and the reference's itunes_channel): in an
# item the reference reports UndefinedElement. The newer item tags Apple added
# (episode, season, episodeType, title) are not judged either way.
_CHANNEL_ONLY = frozenset(("category", "owner", "new-feed-url"))

class Itunes:
    """Checks iTunes elements one by one as the walk meets them, then the channel."""

    __slots__ = ("_seen", "_sink")

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._seen = False

    def element(self, el: etree._Element, name: str) -> None:
        self._seen = True
        sink = self._sink
        if name in _SINGLE:
            for _ in el.itersiblings(el.tag, preceding=True):
                sink.add("ext.itunes.duplicate", f"itunes:{name} appears more than once here",
                         line_of(el))
                break
        if name in _CHANNEL_ONLY:
            parent = el.getparent()
            if parent is not None and split(parent.tag)[1] in ("item", "entry"):
                sink.add("ext.itunes.misplaced",
                         f"itunes:{name} belongs in the channel, not in an item", line_of(el))
                return
        value = (el.text or "").strip()
        limit = _LIMITS.get(name)
        if limit is not None and len(value) > limit:
            sink.add("ext.itunes.too-long", f"itunes:{name} is {len(value)} characters long; "
                     f"the limit is {limit}", line_of(el))
        if name in ("explicit", "block"):
            raw = el.text or ""  # taken as written: " yes " is not yes
            if raw.lower() not in _YES_NO:
                sink.add("ext.itunes.bad-yes-no",
                         f"itunes:{name} must be yes, no or clean (or true/false), got "
                         f"{raw!r}", line_of(el))
        elif name == "keywords":
            if " " in value and "," not in value:
                sink.add("ext.itunes.bad-keywords",
                         "itunes:keywords should be separated by commas, not spaces",
                         line_of(el))
        elif name == "duration":
            self._duration(el, value)
        elif name == "image":
            self._image(el)
        elif name == "category":
            self._category(el)
        elif name == "owner":
            if not any(split(c.tag)[1] == "email" and split(c.tag)[0] in ITUNES_NAMESPACES
                       for c in el.iterchildren(etree.Element)):
                sink.add("ext.itunes.owner-missing-email", "itunes:owner has no itunes:email",
                         line_of(el))
        elif name == "email":
            if not _is_email(value):
                sink.add("ext.itunes.bad-email",
                         f"itunes:email must be an e-mail address, got {el.text!r}",
                         line_of(el))
        elif name == "new-feed-url" and (
                why := iri_problem(value, absolute=True, ascii_only=True)):
            sink.add("ext.itunes.bad-url",
                     f"itunes:new-feed-url must be a full URL, got {value!r}: {why}",
                     line_of(el))

    def _duration(self, el: etree._Element, value: str) -> None:
        parent = el.getparent()
        if parent is not None and split(parent.tag)[1] in ("channel", "feed"):
            sink_name = split(parent.tag)[1]
            self._sink.add("ext.itunes.misplaced",
                           f"itunes:duration belongs in an item, not in {sink_name}",
                           line_of(el))
        elif not (_DURATION_END.search(value) or _DURATION.match(value)):
            self._sink.add("ext.itunes.bad-duration",
                           f"itunes:duration must be HH:MM:SS, H:MM:SS, MM:SS, M:SS or "
                           f"seconds, got {el.text!r}", line_of(el))

    def _image(self, el: etree._Element) -> None:
        href = el.get("href")
        if href is None:
            self._sink.add("ext.itunes.missing-attribute", "itunes:image has no href attribute",
                           line_of(el))
        elif not href.lower().startswith(("http://", "https://")) or iri_problem(
                href, absolute=True, ascii_only=True):
            self._sink.add("ext.itunes.bad-image-url",
                           f"itunes:image href must be a full http(s) URL, got {href!r}",
                           line_of(el))

    def _category(self, el: etree._Element) -> None:
        text = el.get("text")
        if text is None:
            self._sink.add("ext.itunes.missing-attribute",
                           "itunes:category has no text attribute", line_of(el))
            return
        parent = el.getparent()
        if parent is not None and parent.tag == el.tag:
            top = parent.get("text")
            if top is None:  # already reported on the parent
                return
            if text not in CATEGORIES.get(top, ()):
                self._sink.add("ext.itunes.bad-category",
                               f"{text!r} is not one of Apple's subcategories of {top!r}",
                               line_of(el))
        elif text not in CATEGORIES:
            self._sink.add("ext.itunes.bad-category",
                           f"{text!r} is not one of Apple's podcast categories", line_of(el))

    def finish(self, root: etree._Element) -> None:
        """A channel that uses iTunes elements should also give the ones Apple's
        directory relies on (the W3C validator's MissingItunesElement warnings)."""
        if not self._seen or root.tag != "rss":
            return
        channel = root.find("channel")
        if channel is None:
            return
        names = {c.tag for c in channel.iterchildren(etree.Element)}
        wanted: list[tuple[str, tuple[str, ...]]] = (
            [] if _has_language(channel) else [("language", ("language",))])
        wanted += [(f"itunes:{n}", tuple(f"{{{ns}}}{n}" for ns in ITUNES_NAMESPACES))
                   for n in ("category", "explicit", "owner")]
        for label, tags in wanted:
            if not names.intersection(tags):
                self._sink.add("ext.itunes.missing-recommended",
                               f"a podcast channel should have {label}", line_of(channel))


def _has_language(channel: etree._Element) -> bool:
    if channel.find("language") is not None:
        return True
    node: etree._Element | None = channel
    while node is not None:
        if node.get("{http://www.w3.org/XML/1998/namespace}lang"):
            return True
        node = node.getparent()
    return False


def _is_email(value: str) -> bool:
    from email.utils import getaddresses  # only for the rare "Name <address>" form

    if "<" in value or "(" in value:
        found = getaddresses([value])
        if len(found) == 1:
            value = found[0][1]
    return _EMAIL.match(value) is not None
