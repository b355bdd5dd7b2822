"""config.toml -> a frozen, typed :class:`Config`.

Every mistake stops the run with one :class:`ConfigError` line that names the key
(``site.base_url: must be an absolute http(s) URL, got 'feeds/'``). Unknown keys
are errors too: a typo such as ``min_qualty`` must not silently fall back to a
default and publish articles the user meant to hold back.
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from syndicate.config_feeds import CustomFeed, aliases, custom_feeds, topic_key
from syndicate.config_table import Table
from syndicate.errors import ConfigError
from syndicate.objectstore.url import check_remote_layout, credential_key, parse_s3_url

Format = Literal["atom", "rss", "json"]
FORMATS: tuple[Format, ...] = ("atom", "rss", "json")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str
    base_url: str  # absolute http(s) URL where the output folder is served; ends with "/"
    home_url: str  # the human site the feeds belong to (rel="alternate"); ends with "/"
    description: str
    language: str  # BCP 47
    icon: str | None = None
    logo: str | None = None
    author: str | None = None
    rights: str | None = None


@dataclass(frozen=True, slots=True)
class SourceConfig:
    folder: Path
    patterns: tuple[str, ...] = ("*.md",)  # glob patterns on file names, searched recursively
    max_file_bytes: int = 1_048_576  # larger files are rejected by size, never read whole
    # s3://BUCKET/PREFIX: articles are the objects below PREFIX (then ``folder`` is
    # unused). See syndicate.objectstore.
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Minimum quality per feed family."""

    all: float
    topics: float
    providers: float


@dataclass(frozen=True, slots=True)
class SelectionConfig:
    """Everything selection reads besides the records. Custom feeds and aliases are
    parsed from ``[[feeds.custom]]``, ``[topics.aliases]`` and ``[providers.aliases]``
    but live here: they decide which article goes into which feed."""

    min_quality: Thresholds
    items_per_feed: int = 50
    custom: tuple[CustomFeed, ...] = ()  # sorted by slug
    # (old key, kept key, kept spelling): an old topic spelling merged into a kept one
    topic_aliases: tuple[tuple[str, str, str], ...] = ()
    provider_aliases: tuple[tuple[str, str], ...] = ()  # (old domain, kept domain)


@dataclass(frozen=True, slots=True)
class FeedsConfig:
    """Feed titles are templates: ``{site}`` is the site title, ``{name}`` the topic or
    provider name."""

    all_title: str = "{site}"
    topic_title: str = "{site}: {name}"
    provider_title: str = "{site}: {name}"
    custom_title: str = "{site}: {name}"
    ttl: int = 60  # RSS <ttl>, minutes


@dataclass(frozen=True, slots=True)
class OutputConfig:
    folder: Path
    formats: tuple[Format, ...] = FORMATS  # in FORMATS order
    opml: bool = True
    index_html: bool = True
    # The HTML pages (index and one per feed) show each item's lead image, hot-linked
    # from the record's own URL; False writes no <img> at all, so a page loads nothing
    # from outside the output folder.
    html_images: bool = True
    # s3://BUCKET/PREFIX: the output is rendered into ``folder`` (then a staging folder
    # in the state folder) and synced to the bucket. See syndicate.objectstore.
    url: str | None = None
    # A feed file larger than this keeps its newest items that fit (syndicate.budget).
    max_feed_bytes: int = 524_288
    # Days a withdrawn story is announced in Atom feeds (syndicate.withdrawn); 0: never.
    withdrawn_days: int = 7
    # RFC 5005 archive pages of every feed (syndicate.archive): opt-in, since turning it
    # on publishes about items x feeds / archive_page_size more files.
    archives: bool = False
    archive_page_size: int = 50


@dataclass(frozen=True, slots=True)
class WebSubConfig:
    hubs: tuple[str, ...] = ()
    timeout_seconds: float = 5.0
    retries: int = 2


@dataclass(frozen=True, slots=True)
class SafetyConfig:
    """When a build must refuse to publish (a failed mount must never empty the feeds)."""

    # The fraction (0..1) of the last successful build's selected articles that may
    # disappear in one run; 1.0 turns the guard off (an empty source folder included).
    max_shrink: float = 0.5


@dataclass(frozen=True, slots=True)
class ReportConfig:
    """What a build reports beyond its accounting."""

    # Compare every feed file the build rewrites with the bytes it replaces (the
    # checker's `check --previous` rules); the same as `build --compare-previous`.
    compare_previous: bool = False


@dataclass(frozen=True, slots=True)
class StateConfig:
    folder: Path  # incremental index and lock live here


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # the config file it came from; relative paths are resolved against its folder
    site: SiteConfig
    source: SourceConfig
    selection: SelectionConfig
    output: OutputConfig
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    websub: WebSubConfig = field(default_factory=WebSubConfig)
    state: StateConfig | None = None
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    report: ReportConfig = field(default_factory=ReportConfig)

    @property
    def state_folder(self) -> Path:
        if self.state is not None:
            return self.state.folder
        return self.path.parent / ".syndicate"


# BCP 47 (RFC 5646) langtag, plus private-use tags; grandfathered tags are not accepted.
_BCP47 = re.compile(
    r"""^(?:
        [a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8}   # language
    )
    (?:-[a-z]{4})?                                         # script
    (?:-(?:[a-z]{2}|[0-9]{3}))?                            # region
    (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*               # variants
    (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*                   # extensions
    (?:-x(?:-[a-z0-9]{1,8})+)?$                            # private use
    |^x(?:-[a-z0-9]{1,8})+$""",
    re.VERBOSE | re.IGNORECASE,
)


def is_bcp47(tag: str) -> bool:
    return bool(_BCP47.match(tag))


def _absolute_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port outside 0..65535
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and not any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in value))


def _base_url_problem(value: str) -> str | None:
    """Why ``value`` cannot be the folder every feed URL is joined onto, or None.

    A query or fragment would end up glued before every file name
    (``https://x/?a=1all.atom``), and user:password would be published in every
    feed's self link."""
    parts = urlsplit(value)
    if parts.query or value.rstrip("/").endswith("?"):
        return "must not have a query (?...): feed file names are appended to it"
    if parts.fragment or "#" in value:
        return "must not have a fragment (#...): feed file names are appended to it"
    if parts.username is not None or parts.password is not None:
        return "must not carry user:password@ (it would be published in every feed)"
    return None


def _url(table: Table, key: str, *, required: bool, default: str | None = None) -> str | None:
    value = table.string(key, default, required=required) if required else (
        table.optional_string(key) if default is None else table.string(key, default))
    if value is None:
        return None
    if not _absolute_http_url(value):
        raise ConfigError(f"{table.key(key)}: must be an absolute http(s) URL, got {value!r}")
    return value


def _folder_url(url: str) -> str:
    # A base URL names a folder; without the slash, urljoin would drop its last segment.
    # A home page with a query or fragment is a page, not a folder: kept as written.
    if url.endswith("/") or "?" in url or "#" in url:
        return url
    return url + "/"


def check_folders(config: Config) -> None:
    """Refuse folder layouts where one folder's files land in another's: feeds written
    among the articles (and read back as articles, or an article overwritten by a
    feed), or the index and lock published by the web server. Run again by the CLI
    after --source/--out overrides."""
    if config.source.url is not None or config.output.url is not None:
        check_remote_layout(config.source.url, config.output.url,
                            state=config.state_folder.resolve(),
                            output=config.output.folder.resolve())
        return
    source = config.source.folder.resolve()
    output = config.output.folder.resolve()
    state = config.state_folder.resolve()

    if output == source or source.is_relative_to(output):
        raise ConfigError(f"output.folder: {output} must not be or contain the source "
                          f"folder {source} (the articles would be published)")
    if output.is_relative_to(source):
        # Allowed (source = ".", output = "feeds") unless the feeds would be read back
        # as articles on the next run.
        written = ("all.atom", "all.rss", "all.json", "feeds.opml", "index.html")
        caught = [n for n in written for p in config.source.patterns if fnmatchcase(n, p)]
        if caught:
            raise ConfigError(f"output.folder: {output} is inside the source folder and "
                              f"source.patterns match the files written there "
                              f"({caught[0]})")
    if state == output or state.is_relative_to(output):
        raise ConfigError(f"state.folder: {state} must not be the output folder or inside "
                          "it (the index and lock would be published)")
    if output.is_relative_to(state):
        raise ConfigError(f"output.folder: {output} must not be inside the state folder "
                          f"{state}")


def _template(table: Table, key: str, default: str) -> str:
    value = table.string(key, default)
    # str.format would also honour {site.__class__}, {name[0]}, {name!r} and
    # {name:>99999999} (attribute access into Python objects, a huge allocation): only
    # the two bare fields are allowed; {{ and }} stay literal braces.
    try:
        fields = [(f, conv, spec) for _, f, spec, conv in string.Formatter().parse(value)
                  if f is not None]
    except ValueError:
        fields = [("", None, "")]
    if any(f not in ("site", "name") or conv or spec for f, conv, spec in fields):
        raise ConfigError(
            f"{table.key(key)}: bad template {value!r}: only {{site}} and {{name}} may be "
            "used (write {{ and }} for literal braces)")
    return value


# Where an output.url build renders before syncing to the bucket (in the state folder).
STAGING_FOLDER = "s3-staging"

def _s3_url(table: Table) -> str | None:
    """``url`` of [source] or [output]: an s3:// location, exclusive with ``folder``."""
    value = table.optional_string("url")
    if value is None:
        return None
    if table.raw("folder") is not None:
        raise ConfigError(f"{table.key('url')}: cannot be used together with "
                          f"{table.key('folder')}; remove one of them")
    try:
        return str(parse_s3_url(value))
    except ValueError as exc:
        raise ConfigError(f"{table.key('url')}: {exc}") from None


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    """Validate an already-parsed TOML document. ``path`` anchors relative folders."""
    secret = credential_key(data)
    if secret is not None:
        raise ConfigError(f"{secret}: looks like a credential; credentials never go in "
                          "config.toml (use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, "
                          "AWS_PROFILE or the AWS config files)")
    root = Table(data, "")
    here = path.parent

    site_t = root.table("site")
    raw_base = cast(str, _url(site_t, "base_url", required=True))
    problem = _base_url_problem(raw_base)
    if problem:
        raise ConfigError(f"site.base_url: {problem}, got {raw_base!r}")
    base_url = _folder_url(raw_base)
    home_url = _folder_url(cast(str, _url(site_t, "home_url", required=False, default=base_url)))
    language = site_t.string("language", "en")
    if not is_bcp47(language):
        raise ConfigError(f"site.language: must be a BCP 47 language tag such as 'en' or "
                          f"'pt-BR', got {language!r}")
    site = SiteConfig(
        title=site_t.string("title", required=True).strip(),
        base_url=base_url,
        home_url=home_url,
        description=site_t.string("description", "").strip(),
        language=language,
        icon=_url(site_t, "icon", required=False),
        logo=_url(site_t, "logo", required=False),
        author=site_t.optional_string("author"),
        rights=site_t.optional_string("rights"),
    )
    site_t.check_unknown()

    src_t = root.table("source")
    patterns = src_t.string_list("patterns", ("*.md",))
    if not patterns or any(not p.strip() or "/" in p or "\\" in p for p in patterns):
        raise ConfigError("source.patterns: must be a non-empty list of file-name patterns "
                          "such as '*.md' (no folders)")
    source = SourceConfig(
        folder=here / src_t.string("folder", "articles"),
        patterns=patterns,
        max_file_bytes=src_t.integer("max_file_bytes", 1_048_576, minimum=1024),
        url=_s3_url(src_t),
    )
    src_t.check_unknown()

    sel_t = root.table("selection")
    default_min = sel_t.number("min_quality", 0)
    fam_t = sel_t.table("min_quality_by_family")
    thresholds = Thresholds(
        all=fam_t.number("all", default_min),
        topics=fam_t.number("topics", default_min),
        providers=fam_t.number("providers", default_min),
    )
    fam_t.check_unknown()
    selection = SelectionConfig(
        min_quality=thresholds,
        items_per_feed=sel_t.integer("items_per_feed", 50, minimum=1, maximum=100_000),
    )
    sel_t.check_unknown()

    out_t = root.table("output")
    formats = out_t.string_list("formats", FORMATS)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ConfigError(f"output.formats: each must be one of {', '.join(FORMATS)}; "
                          f"got {bad[0] if bad else 'an empty list'!r}")
    output = OutputConfig(
        folder=here / out_t.string("folder", "feeds"),
        formats=tuple(f for f in FORMATS if f in formats),
        opml=out_t.boolean("opml", True),
        index_html=out_t.boolean("index_html", True),
        html_images=out_t.boolean("html_images", True),
        url=_s3_url(out_t),
        max_feed_bytes=out_t.integer("max_feed_bytes", 524_288, minimum=8192),
        withdrawn_days=out_t.integer("withdrawn_days", 7, minimum=0, maximum=3650),
        archives=out_t.boolean("archives", False),
        archive_page_size=out_t.integer("archive_page_size", 50, minimum=1, maximum=1000),
    )
    out_t.check_unknown()

    feeds_t = root.table("feeds")
    feeds = FeedsConfig(
        all_title=_template(feeds_t, "all_title", "{site}"),
        topic_title=_template(feeds_t, "topic_title", "{site}: {name}"),
        provider_title=_template(feeds_t, "provider_title", "{site}: {name}"),
        custom_title=_template(feeds_t, "custom_title", "{site}: {name}"),
        ttl=feeds_t.integer("ttl", 60, minimum=1, maximum=525_600),
    )
    custom = custom_feeds(feeds_t, thresholds.all)
    feeds_t.check_unknown()
    topic_aliases = tuple((topic_key(old), topic_key(new), new.strip()) for old, new in
                          aliases(root, "topics", topic_key))
    provider_aliases = aliases(root, "providers", lambda name: name.strip().lower())
    selection = dataclasses.replace(selection, custom=custom, topic_aliases=topic_aliases,
                                    provider_aliases=provider_aliases)

    ws_t = root.table("websub")
    hubs = ws_t.string_list("hubs", ())
    for hub in hubs:
        if not _absolute_http_url(hub):
            raise ConfigError(f"websub.hubs: each must be an absolute http(s) URL, got {hub!r}")
    timeout = ws_t.number("timeout_seconds", 5.0)
    if not 0 < timeout <= 300:
        raise ConfigError(f"websub.timeout_seconds: must be between 0 and 300, got {timeout}")
    websub = WebSubConfig(
        hubs=hubs,
        timeout_seconds=float(timeout),
        retries=ws_t.integer("retries", 2, minimum=0, maximum=10),
    )
    ws_t.check_unknown()

    state_t = root.table("state")
    state = StateConfig(folder=here / state_t.string("folder", ".syndicate"))
    state_t.check_unknown()
    if output.url is not None:
        # Rendered here first, so the atomic, change-aware publish and the render
        # fingerprints work as for a folder; then synced to the bucket.
        output = replace(output, folder=state.folder / STAGING_FOLDER)

    safety_t = root.table("safety")
    max_shrink = safety_t.number("max_shrink", 0.5)
    if not 0 <= max_shrink <= 1:
        raise ConfigError(f"safety.max_shrink: must be a fraction from 0 to 1 (0.5: half of "
                          f"the last build's selected articles may disappear in one run; "
                          f"1: no limit), got {max_shrink}")
    safety = SafetyConfig(max_shrink=float(max_shrink))
    safety_t.check_unknown()

    report_t = root.table("report")
    report = ReportConfig(compare_previous=report_t.boolean("compare_previous", False))
    report_t.check_unknown()

    root.check_unknown()
    config = Config(path=path, site=site, source=source, selection=selection, output=output,
                    feeds=feeds, websub=websub, state=state, safety=safety, report=report)
    check_folders(config)
    return config


def load_config(path: Path) -> Config:
    """Read and validate ``path``. Raises :class:`ConfigError` (never a traceback-worthy
    exception) for a missing, unreadable or invalid file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, path.resolve())
