"""Command line: argument parsing, logging set-up and exit codes only.

Exit codes (documented in README):
  0  success
  1  the work ran but found problems (checker errors; rejected articles under --strict)
  2  usage, config or I/O error
  3  another build holds the lock (and --wait, if given, ran out)
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlsplit

from syndicate import __version__
from syndicate.config import Config, ConfigError, check_folders, load_config
from syndicate.publish import UnsafePathError, check_output_folder

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUSY = 3

# More worker processes than this only costs memory; a typo such as --jobs 1000 is
# refused rather than forking a thousand interpreters.
MAX_JOBS = 256

log = logging.getLogger("syndicate")


class UsageError(Exception):
    """A command-line value that cannot work; ``str()`` is the one line shown."""


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message to one clear line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n"
                              f"Try '{self.prog} --help'.\n")


def _int_between(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high``; ``what`` names the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {what}, got {value}")
        return value

    return parse


_jobs = _int_between(0, MAX_JOBS, f"0 (all cores) to {MAX_JOBS}")
_port = _int_between(0, 65535, "0 to 65535")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    # nan would compare false against every deadline; inf would wait forever.
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds >= 0, got {text!r}")
    return value


def _served_at(text: str) -> str:
    # An empty or relative value would turn every self link into a "mismatch" warning,
    # and under --strict into a failed CI run, for the wrong reason.
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"must be an absolute http(s) URL, got {text!r}")
    return text


def _add_config_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=Path("config.toml"), metavar="PATH",
                   help="configuration file (default: ./config.toml)")


def _add_verbosity(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true",
                   help="print only warnings and errors (no summary, no progress): for cron")
    g.add_argument("-v", "--verbose", action="store_true", help="print details of every step")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="syndicate",
        description="Turn a folder of article records into Atom, RSS, JSON Feed and OPML "
                    "feeds, and check any feed against the specs.",
    )
    parser.add_argument("--version", action="version", version=f"syndicate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    b = sub.add_parser("build", help="read the articles and write every feed",
                       description="Read the source folder, select articles and write all "
                                   "feeds into the output folder.")
    _add_config_flag(b)
    b.add_argument("--source", type=Path, metavar="DIR", help="article folder (overrides config)")
    b.add_argument("--out", type=Path, metavar="DIR", help="output folder (overrides config)")
    b.add_argument("--report", type=Path, metavar="FILE",
                   help="write the full accounting (every file, every feed) as JSON")
    b.add_argument("--strict", action="store_true", help="exit 1 if any file was rejected")
    b.add_argument("--prune", action="store_true",
                   help="delete feed files of topics/providers that no longer have articles")
    b.add_argument("--jobs", type=_jobs, default=0, metavar="N",
                   help=f"worker processes, 1 to {MAX_JOBS} (default: 0, all cores)")
    b.add_argument("--no-index", action="store_true",
                   help="ignore and do not update the incremental index")
    b.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                   help="wait this long for another running build to finish (default: do not)")
    _add_verbosity(b)

    c = sub.add_parser("check", help="validate Atom, RSS, JSON Feed and OPML files",
                       description="Validate feeds against RFC 4287, RSS 2.0, JSON Feed 1.1 "
                                   "and OPML 2.0. The format is detected from the content.")
    c.add_argument("paths", nargs="+", metavar="PATH",
                   help="a file, a folder (searched recursively) or - for standard input")
    c.add_argument("--format", choices=("text", "json", "junit"), default="text",
                   help="output format (default: text)")
    c.add_argument("--strict", action="store_true", help="warnings also make the exit code 1")
    c.add_argument("--base-url", type=_served_at, metavar="URL",
                   help="where PATH is served: self links are compared against it")

    e = sub.add_parser("explain", help="say why files are or are not in the feeds",
                       description="Without writing anything, say for each FILE whether it is "
                                   "selected (and into which feeds), filtered (why) or rejected.")
    _add_config_flag(e)
    e.add_argument("--source", type=Path, metavar="DIR", help="article folder (overrides config)")
    e.add_argument("files", nargs="+", type=Path, metavar="FILE")

    s = sub.add_parser("serve", help="serve the output folder over HTTP (preview, tests)",
                       description="Serve the output folder with the right Content-Types, "
                                   "ETag/Last-Modified and conditional GET.")
    _add_config_flag(s)
    s.add_argument("--out", type=Path, metavar="DIR", help="folder to serve (overrides config)")
    s.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on (default: 127.0.0.1, loopback only)")
    s.add_argument("--port", type=_port, default=8000, metavar="N", help="port (default: 8000)")
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.INFO
    if getattr(args, "quiet", False):
        level = logging.WARNING
    elif getattr(args, "verbose", False):
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)


def _load(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if getattr(args, "source", None) is not None:
        config = dataclasses.replace(
            config, source=dataclasses.replace(config.source, folder=args.source.resolve()))
    if getattr(args, "out", None) is not None:
        config = dataclasses.replace(
            config, output=dataclasses.replace(config.output, folder=args.out.resolve()))
    if args.command == "build":
        check_folders(config)  # again: --source/--out may have changed the layout
        _check_report_path(args.report, config)
        check_output_folder(config.output.folder)
    return config


def _check_report_path(report: Path | None, config: Config) -> None:
    """Refuse an unusable --report FILE before building, not after the feeds are
    published (the build would then exit 2 with its work done and no accounting), and
    one that would overwrite the config, an article or a file the build publishes."""
    if report is None:
        return
    if report.is_dir():
        raise UsageError(f"--report {report}: is a folder, not a file")
    if not report.parent.is_dir():
        raise UsageError(f"--report {report}: folder {report.parent} does not exist")
    target = report.resolve()
    out = config.output.folder.resolve()
    if target == config.path.resolve():
        raise UsageError(f"--report {report}: is the config file")
    if target.is_relative_to(config.source.folder.resolve()) and any(
            fnmatchcase(target.name, p) for p in config.source.patterns):
        raise UsageError(f"--report {report}: is inside the source folder and matches "
                         "source.patterns (it would be read as an article)")
    if target.is_relative_to(out):
        rel = target.relative_to(out).parts
        if rel[0] in ("topics", "providers", "feeds.opml", "index.html") or (
                len(rel) == 1 and rel[0].startswith("all.")):
            raise UsageError(f"--report {report}: the build writes that file itself")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args)
    try:
        if args.command == "check":
            from syndicate.check import run_check

            return run_check(args.paths, output_format=args.format, strict=args.strict,
                             base_url=args.base_url, out=sys.stdout)
        config = _load(args)
        if args.command == "build":
            from syndicate.build import run_build_command

            return run_build_command(config, args)
        if args.command == "explain":
            from syndicate.explain import run_explain

            return run_explain(config, args.files, out=sys.stdout)
        if args.command == "serve":
            from syndicate.serve import Headers, run_serve

            return run_serve(config.output.folder, bind=args.bind, port=args.port,
                             headers=Headers.from_config(config))
    except ConfigError as exc:
        print(f"syndicate: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"syndicate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UnsafePathError as exc:
        # A symlinked topics/ or providers/ (or feed file) leading out of the output
        # folder, found before writing (check_output_folder) or, if it appeared since,
        # while writing: nothing is written through it; files already replaced are
        # complete (atomic renames).
        print(f"syndicate: output folder refused, nothing written: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("syndicate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `syndicate explain ... | head`: the reader left; that is not an error worth a
        # traceback. Point stdout at devnull so the interpreter's final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse guarantees one
