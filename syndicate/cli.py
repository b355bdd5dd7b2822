"""Command line: argument parsing, logging set-up, what each command prints, and exit
codes — decided here and nowhere else.

Exit codes (documented in README):
  0  success
  1  the work ran but found problems (checker errors; rejected articles, or history
     errors with --compare-previous, under --strict; a build that published nothing because it found no article file or its selection
     shrank beyond safety.max_shrink)
  2  usage, config or I/O error
  3  another build holds the lock (and --wait, if given, ran out)

The calendar clock is read here, once per command (``build --now`` replaces it).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from syndicate import __version__
from syndicate.clock import wall_now
from syndicate.display import shown
from syndicate.errors import (
    ConfigError,
    LockBusy,
    OutputRefused,
    PublishRefused,
    RemoteError,
    ReportError,
    SourceMissing,
    StorageError,
    UsageError,
)
from syndicate.watch import DEFAULT_DEBOUNCE, DEFAULT_POLL

if TYPE_CHECKING:
    from syndicate.check import Verdict
    from syndicate.config import Config
    from syndicate.result import BuildResult

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUSY = 3

# `syndicate check` imports nothing of the builder (config, publishing, feedgen, yaml,
# dateutil): see _load.

# More worker processes than this only costs memory; a typo such as --jobs 1000 is
# refused rather than forking a thousand interpreters.
MAX_JOBS = 256

log = logging.getLogger("syndicate")

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


def _positive_seconds(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text!r}")
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
    b.add_argument("--strict", action="store_true",
                   help="exit 1 if any file was rejected (or, with --compare-previous, a "
                        "rewritten feed has a history error)")
    b.add_argument("--compare-previous", action="store_true",
                   help="compare every feed file rewritten with the bytes it replaces and "
                        "report what makes readers misbehave (as check --previous; also "
                        "[report] compare_previous in the config)")
    b.add_argument("--prune", action="store_true",
                   help="delete feed files of topics/providers that no longer have articles")
    b.add_argument("--jobs", type=_jobs, default=0, metavar="N",
                   help=f"worker processes, 1 to {MAX_JOBS} (default: 0, all cores)")
    b.add_argument("--no-index", action="store_true",
                   help="ignore and do not update the incremental index")
    b.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                   help="wait this long for another running build to finish (default: do not)")
    b.add_argument("--now", metavar="TIME",
                   help="the build's moment, RFC 3339 (2026-12-06T10:00:00Z); default: the "
                        "clock")
    b.add_argument("--allow-shrink", action="store_true",
                   help="publish even when no article file is found or the selection shrank "
                        "by more than safety.max_shrink since the last build")
    _add_verbosity(b)

    c = sub.add_parser("check", help="validate Atom, RSS, JSON Feed and OPML files",
                       description="Validate feeds against RFC 4287, RSS 2.0, JSON Feed 1.1 "
                                   "and OPML 2.0. The format is detected from the content.")
    c.add_argument("paths", nargs="+", metavar="PATH",
                   help="a file, a folder (searched recursively), an http(s) URL (fetched: "
                        "the HTTP layer is checked too) or - for standard input")
    c.add_argument("--format", choices=("text", "json", "junit"), default="text",
                   help="output format (default: text)")
    c.add_argument("--strict", action="store_true", help="warnings also make the exit code 1")
    c.add_argument("--base-url", type=_served_at, metavar="URL",
                   help="where PATH is served: self links are compared against it")
    c.add_argument("--previous", metavar="OLD",
                   help="the previous version (file, URL or -) of the one feed PATH: also "
                        "report what changed that makes readers misbehave")
    c.add_argument("--timeout", type=_seconds, default=10.0, metavar="SECONDS",
                   help="per-request time limit for URLs (default: 10)")

    e = sub.add_parser("explain", help="say why files are or are not in the feeds",
                       description="Without writing anything, say for each FILE whether it is "
                                   "selected (and into which feeds), filtered (why) or rejected.")
    _add_config_flag(e)
    e.add_argument("--source", type=Path, metavar="DIR", help="article folder (overrides config)")
    e.add_argument("--now", metavar="TIME",
                   help="the moment to judge at, RFC 3339, as for build (scheduled "
                        "articles); default: the clock")
    e.add_argument("files", nargs="+", type=Path, metavar="FILE")

    w = sub.add_parser("watch", help="stay running and rebuild when articles change",
                       description="Build, then rebuild whenever article files change "
                                   "(inotify; a bucket source is polled). Stops cleanly "
                                   "on SIGTERM or Ctrl-C.")
    _add_config_flag(w)
    w.add_argument("--debounce", type=_seconds, default=DEFAULT_DEBOUNCE, metavar="SECONDS",
                   help="quiet time after a change before building, so a burst of "
                        f"writes gives one build (default: {DEFAULT_DEBOUNCE:g})")
    w.add_argument("--poll", type=_positive_seconds, default=DEFAULT_POLL, metavar="SECONDS",
                   help=f"with source.url: how often the bucket is listed (default: "
                        f"{DEFAULT_POLL:g})")
    w.add_argument("--prune", action="store_true",
                   help="delete feed files of topics/providers that no longer have articles")
    w.add_argument("--jobs", type=_jobs, default=0, metavar="N",
                   help=f"worker processes, 1 to {MAX_JOBS} (default: 0, all cores)")
    w.add_argument("--now", metavar="TIME",
                   help="a fixed moment for every build, RFC 3339 (default: the clock at "
                        "each build)")
    w.add_argument("--allow-shrink", action="store_true", help="as for build, for every build")
    _add_verbosity(w)

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
    # Imported here, not at the top: `syndicate check` must start fast (it may run once
    # per file in a CI loop), so the builder's modules load only for the commands that
    # read config.toml.
    from syndicate.config import check_folders, load_config
    from syndicate.publish import check_output_folder

    config = load_config(args.config)
    # --source / --out name folders: they replace source.url / output.url too.
    if getattr(args, "source", None) is not None:
        config = dataclasses.replace(config, source=dataclasses.replace(
            config.source, folder=args.source.resolve(), url=None))
    if getattr(args, "out", None) is not None:
        config = dataclasses.replace(config, output=dataclasses.replace(
            config.output, folder=args.out.resolve(), url=None))
    if args.command in ("build", "watch"):
        check_folders(config)  # again: --source/--out may have changed the layout
        _check_report_path(getattr(args, "report", None), config)
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
        if rel[0] in ("topics", "providers", "custom", "feeds.opml", "index.html") or (
                len(rel) == 1 and rel[0].startswith("all.")):
            raise UsageError(f"--report {report}: the build writes that file itself")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args)
    try:
        if args.command == "check":
            from syndicate.check import run_check

            verdict = run_check(args.paths, output_format=args.format, strict=args.strict,
                                base_url=args.base_url, out=sys.stdout,
                                previous=args.previous, timeout=args.timeout)
            return check_exit_code(verdict)
        if args.command == "build":
            # The one reading of the calendar clock for a build.
            now = _moment(args.now) if args.now is not None else wall_now()
            return _build(_load(args), args, now)
        if args.command == "watch":
            return _watch(_load(args), args)
        config = _load(args)
        if args.command == "explain":
            if config.source.url is not None:
                raise UsageError(f"explain reads a folder, and source.url is "
                                 f"{config.source.url}: pass --source DIR (a local copy)")
            # The one reading of the calendar clock for an explanation.
            now = _moment(args.now) if args.now is not None else wall_now()
            return explain_command(config, args.files, sys.stdout, now)
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
    except OutputRefused as exc:
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



def check_exit_code(verdict: Verdict) -> int:
    """``syndicate check``: 2 when an input could not be read, 1 for problems, else 0."""
    from syndicate.check import Verdict

    return {Verdict.OK: EXIT_OK, Verdict.PROBLEMS: EXIT_PROBLEMS,
            Verdict.UNUSABLE: EXIT_USAGE}[verdict]


_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.][0-9]+)?"
                      r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})")


def _moment(text: str) -> datetime:
    """``--now``: an RFC 3339 date-time with its offset, as UTC."""
    moment = None
    if _RFC3339.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.upper())
        except ValueError:
            moment = None
    if moment is None:
        raise UsageError(f"--now {text!r}: not an RFC 3339 date-time such as "
                         "2026-12-06T10:00:00Z")
    return moment.astimezone(UTC)


# --- syndicate build ---------------------------------------------------------------------

def _build(config: Config, args: argparse.Namespace, now: datetime) -> int:
    """``syndicate build``: exit 0, 1 (rejections under --strict; nothing published
    because the source was empty or the selection shrank too far), 2 (I/O, index,
    report), 3 (another build holds the lock)."""
    from syndicate.build import run_build
    from syndicate.progress import progress_enabled
    from syndicate.result import BuildOptions

    options = BuildOptions(
        now=now, prune=bool(args.prune), jobs=int(args.jobs or 0), use_index=not args.no_index,
        wait=float(args.wait or 0.0),
        progress=progress_enabled(sys.stderr, bool(getattr(args, "quiet", False))),
        want_outcomes=args.report is not None, allow_shrink=bool(args.allow_shrink),
        compare_previous=bool(getattr(args, "compare_previous", False))
        or config.report.compare_previous)
    try:
        result = run_build(config, options)
    except LockBusy as exc:
        log.error("syndicate: %s", exc)
        return EXIT_BUSY
    except SourceMissing as exc:
        log.error("syndicate: %s", exc)
        return EXIT_USAGE
    except PublishRefused as exc:
        # The run worked and found a problem (a failed mount, most likely): exit 1,
        # with nothing published and the last good build still the one compared with.
        log.error("syndicate: %s", exc)
        return EXIT_PROBLEMS
    except RemoteError as exc:
        # Object storage unreachable or refusing us: one line, no credential in it.
        log.error("syndicate: %s", exc)
        return EXIT_USAGE
    except StorageError as exc:
        # Reached only when even a fresh index cannot be written (disk full, read-only
        # state folder): --no-index still builds.
        log.error("syndicate: index in %s cannot be written: %s (try --no-index)",
                  config.state_folder, exc)
        return EXIT_USAGE
    except OSError as exc:
        log.error("syndicate: %s", _os_error(exc))
        return EXIT_USAGE
    for r in result.rejections:
        log.warning("%s: %s", shown(r.where()), shown(r.reason))
    from syndicate.report import history_lines, summary_line, warning_lines, write_report

    for line in warning_lines(result, quiet=bool(getattr(args, "quiet", False))):
        log.warning("%s", line)
    for t in result.trimmed:
        log.info("feed over output.max_feed_bytes: %s keeps its newest %d of %d items "
                 "(%d -> %d bytes)", shown(t.path), t.kept, t.items, t.full_bytes, t.size)
    for line in history_lines(result):
        log.warning("%s", line)
    for s in result.stale:
        log.info("stale feed kept (no articles any more; --prune deletes it): %s", shown(s))
    for s in result.foreign:
        log.info("foreign file in the feed folders left alone (not written by syndicate): %s",
                 shown(s))
    log.info("%s", summary_line(result))
    if args.report is not None:
        try:
            write_report(Path(args.report), result)
        except ReportError as exc:
            log.error("syndicate: cannot write report: %s", exc)
            return EXIT_USAGE
    if args.strict and result.rejected:
        return EXIT_PROBLEMS
    # The comparison reports; the feeds are published already. Only --strict (a CI
    # run) turns a history error into exit 1.
    if args.strict and any(h.severity == "error" for h in result.history or ()):
        return EXIT_PROBLEMS
    return EXIT_OK


# --- syndicate watch ---------------------------------------------------------------------

def _watch(config: Config, args: argparse.Namespace) -> int:
    """``syndicate watch``: exit 0 on SIGTERM/Ctrl-C; 2 when the source cannot be
    watched at all."""
    from syndicate.report import summary_line
    from syndicate.result import BuildOptions
    from syndicate.watch import run_watch

    fixed = _moment(args.now) if args.now is not None else None
    options = BuildOptions(now=fixed or wall_now(), prune=bool(args.prune), jobs=int(args.jobs or 0),
                           want_outcomes=False, allow_shrink=bool(args.allow_shrink))

    def on_build(result: BuildResult) -> None:
        for r in result.rejections:
            log.debug("%s: %s", shown(r.where()), shown(r.reason))
        log.info("%s", summary_line(result))

    try:
        # The calendar clock, read once per build (wall_now), unless --now fixes it.
        return run_watch(config, options, debounce=float(args.debounce),
                         poll=float(args.poll), clock=None if fixed else wall_now,
                         on_build=on_build)
    except SourceMissing as exc:
        log.error("syndicate: %s", exc)
        return EXIT_USAGE


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


# --- syndicate explain -------------------------------------------------------------------

def explain_command(config: Config, files: Sequence[Path], out: TextIO,
                    now: datetime | None = None) -> int:
    """``syndicate explain``: one line per FILE on ``out`` (then one per warning of
    it); exit 0, or 2 when a FILE does not exist or the source folder is missing."""
    from syndicate.explain import run_explain

    try:
        all_exist = run_explain(config, files, out=out, now=now)
    except SourceMissing as exc:
        out.write(f"syndicate: {shown(str(exc))}\n")
        return EXIT_USAGE
    return EXIT_OK if all_exist else EXIT_USAGE
