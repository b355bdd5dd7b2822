"""config.toml -> Config: every bad key gives its own clear one-line message and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from syndicate.cli import EXIT_USAGE, main
from syndicate.config import ConfigError, is_bcp47, load_config

REPO = Path(__file__).resolve().parents[1]

MINIMAL = """
[site]
title = "T"
base_url = "https://feeds.example.org/news"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_config_loads_and_resolves_folders_next_to_it() -> None:
    config = load_config(REPO / "config.toml")
    assert config.source.folder == REPO / "articles"
    assert config.output.folder == REPO / "feeds"
    assert config.state_folder == REPO / ".syndicate"
    assert config.site.base_url.startswith("https://") and config.site.base_url.endswith("/")


def test_minimal_config_gets_documented_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    # A base URL names a folder: the slash is added so joined feed URLs keep "news/".
    assert config.site.base_url == "https://feeds.example.org/news/"
    assert config.site.home_url == config.site.base_url
    assert config.site.language == "en"
    assert config.source.patterns == ("*.md",)
    assert config.output.formats == ("atom", "rss", "json")
    assert config.selection.items_per_feed == 50
    assert config.selection.min_quality.all == 0
    assert config.output.folder == tmp_path / "feeds"
    assert config.state_folder == tmp_path / ".syndicate"


def test_family_thresholds_override_the_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + """
[selection]
min_quality = 50
[selection.min_quality_by_family]
topics = 70
"""))
    t = config.selection.min_quality
    assert (t.all, t.topics, t.providers) == (50, 70, 50)


def test_formats_are_kept_in_canonical_order(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[output]\nformats = ["json", "atom"]\n'))
    assert config.output.formats == ("atom", "json")


BAD = [
    # (toml appended to / replacing the minimal config, the key the message must name, a phrase)
    ('[site]\ntitle = "T"\n', "site.base_url", "required"),
    ('[site]\ntitle = "T"\nbase_url = "feeds/"\n', "site.base_url", "absolute http(s) URL"),
    ('[site]\ntitle = "T"\nbase_url = "ftp://x.org/"\n', "site.base_url", "absolute http(s) URL"),
    ('[site]\ntitle = "T"\nbase_url = "javascript:alert(1)"\n', "site.base_url", "absolute"),
    ('[site]\ntitle = "T"\nbase_url = 5\n', "site.base_url", "must be a string"),
    ('[site]\nbase_url = "https://x.org/"\n', "site.title", "required"),
    ('[site]\ntitle = "  "\nbase_url = "https://x.org/"\n', "site.title", "must not be empty"),
    (MINIMAL + 'language = "english!"\n', "site.language", "BCP 47"),
    (MINIMAL + 'language = "en_US"\n', "site.language", "BCP 47"),
    (MINIMAL + 'icon = "/favicon.ico"\n', "site.icon", "absolute http(s) URL"),
    (MINIMAL + 'home_url = "news.example.org"\n', "site.home_url", "absolute http(s) URL"),
    (MINIMAL + 'titel = "typo"\n', "site.titel", "unknown key"),
    (MINIMAL + '[selection]\nmin_qualty = 5\n', "selection.min_qualty", "unknown key"),
    (MINIMAL + '[selection]\nmin_quality = "50"\n', "selection.min_quality", "must be a number"),
    (MINIMAL + '[selection]\nmin_quality = true\n', "selection.min_quality", "must be a number"),
    (MINIMAL + '[selection]\nmin_quality = nan\n', "selection.min_quality", "finite"),
    (MINIMAL + '[selection]\nitems_per_feed = 0\n', "selection.items_per_feed", "at least 1"),
    (MINIMAL + '[selection]\nitems_per_feed = 2.5\n', "selection.items_per_feed", "integer"),
    (MINIMAL + '[selection.min_quality_by_family]\nalll = 1\n',
     "selection.min_quality_by_family.alll", "unknown key"),
    (MINIMAL + '[output]\nformats = ["atom", "rdf"]\n', "output.formats", "'rdf'"),
    (MINIMAL + '[output]\nformats = []\n', "output.formats", "empty"),
    (MINIMAL + '[output]\nopml = "yes"\n', "output.opml", "true or false"),
    (MINIMAL + '[source]\npatterns = ["../*.md"]\n', "source.patterns", "no folders"),
    (MINIMAL + '[source]\npatterns = "*.md"\n', "source.patterns", "list of strings"),
    (MINIMAL + '[source]\nmax_file_bytes = 10\n', "source.max_file_bytes", "at least 1024"),
    (MINIMAL + '[feeds]\ntopic_title = "{site} {topic}"\n', "feeds.topic_title", "{name}"),
    (MINIMAL + '[feeds]\nttl = -1\n', "feeds.ttl", "at least 1"),
    (MINIMAL + '[websub]\nhubs = ["not a url"]\n', "websub.hubs", "absolute http(s) URL"),
    (MINIMAL + '[websub]\ntimeout_seconds = 0\n', "websub.timeout_seconds", "between 0 and 300"),
    (MINIMAL + 'site = 3\n', "site.site", "unknown key"),
    ('site = "x"\n', "site", "must be a table"),
    (MINIMAL + '[surprise]\nx = 1\n', "surprise", "unknown key"),
]


@pytest.mark.parametrize(("text", "key", "phrase"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_each_bad_value_names_its_key(tmp_path: Path, text: str, key: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert message.startswith(key + ":"), message
    assert phrase in message
    assert "\n" not in message


def test_invalid_toml_names_the_file_and_says_why(tmp_path: Path) -> None:
    path = write(tmp_path, '[site]\ntitle = "unterminated\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    # tomllib's own explanation (with its position) follows our words.
    message = str(info.value)
    assert message.startswith(f"{path}: invalid TOML: ") and "\n" not in message
    assert len(message) > len(f"{path}: invalid TOML: ")


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_non_utf8_config_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[site]\ntitle = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


@pytest.mark.parametrize("tag", ["en", "en-US", "pt-BR", "zh-Hant-TW", "sr-Latn", "es-419",
                                 "de-CH-1901", "x-private", "en-x-custom"])
def test_bcp47_accepts_real_tags(tag: str) -> None:
    assert is_bcp47(tag)


@pytest.mark.parametrize("tag", ["", "e", "en_US", "english language", "en-", "-en", "123"])
def test_bcp47_rejects_non_tags(tag: str) -> None:
    assert not is_bcp47(tag)


def test_cli_exits_2_with_one_line_naming_the_key(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, MINIMAL + '[selection]\nitems_per_feed = "many"\n')
    code = main(["build", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.strip() == ("syndicate: config error: selection.items_per_feed: "
                           "must be an integer, got a string")


def test_cli_config_error_has_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    path = write(tmp_path, '[site]\ntitle = "T"\nbase_url = "relative/"\n')
    proc = subprocess.run([sys.executable, "-m", "syndicate", "build", "--config", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == EXIT_USAGE
    assert "Traceback" not in proc.stderr
    assert "site.base_url: must be an absolute http(s) URL" in proc.stderr


def test_cli_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", "--no-such-flag"])
    assert info.value.code == EXIT_USAGE
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["build", "check", "explain", "serve"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: syndicate " + command in capsys.readouterr().out


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from syndicate import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"syndicate {__version__}"


# -- a typo gets the nearest known key ----------------------------------------------------

TYPOS = [
    (MINIMAL + '[selection]\nmin_qualty = 5\n', "selection.min_qualty",
     "selection.min_quality"),
    (MINIMAL + 'base_ulr = "https://x.org/"\n', "site.base_ulr", "site.base_url"),
    (MINIMAL + '[source]\npattern = ["*.md"]\n', "source.pattern", "source.patterns"),
    (MINIMAL + '[selection.min_quality_by_family]\nprovider = 1\n',
     "selection.min_quality_by_family.provider", "selection.min_quality_by_family.providers"),
    (MINIMAL + '[output]\nformat = ["atom"]\n', "output.format", "output.formats"),
    (MINIMAL + '[feeds]\ntopics_title = "{name}"\n', "feeds.topics_title", "feeds.topic_title"),
    (MINIMAL + '[websub]\nhub = []\n', "websub.hub", "websub.hubs"),
    (MINIMAL + '[state]\nfolders = "s"\n', "state.folders", "state.folder"),
    (MINIMAL + '[safety]\nmax_shrinks = 0.2\n', "safety.max_shrinks", "safety.max_shrink"),
    # Unknown tables too: a misspelt table would otherwise lose every key in it.
    (MINIMAL + '[selction]\nmin_quality = 50\n', "selction", "selection"),
    (MINIMAL + '[safty]\nmax_shrink = 0.2\n', "safty", "safety"),
]


@pytest.mark.parametrize(("text", "key", "suggestion"), TYPOS, ids=[t[1] for t in TYPOS])
def test_unknown_key_suggests_the_nearest_known_one(tmp_path: Path, text: str, key: str,
                                                    suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert str(info.value) == f"{key}: unknown key (did you mean {suggestion}?)"


def test_unknown_key_far_from_every_known_one_gets_no_guess(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, MINIMAL + '[selection]\nzzzzzz = 5\n'))
    assert str(info.value) == "selection.zzzzzz: unknown key"


def test_cli_shows_the_suggestion_on_one_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, MINIMAL + '[selection]\nmin_qualty = 50\n')
    assert main(["build", "--config", str(path)]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "syndicate: config error: selection.min_qualty: unknown key "
        "(did you mean selection.min_quality?)\n")


# -- [safety] max_shrink -------------------------------------------------------------------

def test_max_shrink_defaults_to_half(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, MINIMAL)).safety.max_shrink == 0.5


@pytest.mark.parametrize(("value", "expected"), [("0", 0.0), ("0.25", 0.25), ("1", 1.0),
                                                 ("1.0", 1.0)])
def test_max_shrink_accepts_fractions_from_0_to_1(tmp_path: Path, value: str,
                                                  expected: float) -> None:
    config = load_config(write(tmp_path, MINIMAL + f"[safety]\nmax_shrink = {value}\n"))
    assert config.safety.max_shrink == expected
    assert type(config.safety.max_shrink) is float


@pytest.mark.parametrize(("value", "phrase"), [
    ("1.5", "fraction from 0 to 1"),
    ("-0.1", "fraction from 0 to 1"),
    ("50", "fraction from 0 to 1"),  # a percentage by mistake
    ('"half"', "must be a number, got a string"),
    ("true", "must be a number, got a boolean"),
    ("nan", "finite"),
    ("inf", "finite"),
])
def test_bad_max_shrink_names_the_key(tmp_path: Path, value: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, MINIMAL + f"[safety]\nmax_shrink = {value}\n"))
    message = str(info.value)
    assert message.startswith("safety.max_shrink: "), message
    assert phrase in message and "\n" not in message


def test_safety_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^safety: must be a table, got a number$"):
        load_config(write(tmp_path, "safety = 0.5\n" + MINIMAL))
