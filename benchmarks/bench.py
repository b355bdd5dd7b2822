"""Benchmark ``syndicate build`` against the parse floor, on synthetic corpora.

    .venv/bin/python benchmarks/bench.py                    # N = 10,000 and 100,000
    .venv/bin/python benchmarks/bench.py --n 10000 --repeat 3 --json out.json
    .venv/bin/python benchmarks/bench.py --million          # adds N = 1,000,000

For each N: generate the corpus (``gen_corpus.py``, cached by N and seed), measure
the floor in this process (read every file; read + PyYAML C-loader parse of every
front matter, one core), then run the real CLI as a child process — cold build
(empty state and output), no-change rebuild, one-file-changed rebuild — and
report wall time, memory, articles/s and the ratio to the floor. Numbers are
printed, never asserted: the machine may be shared (the load average is shown).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import gen_corpus  # a sibling script, not a package

_SAMPLE_SECONDS = 0.05  # how often the child's process tree memory is sampled
_RUNS = ("cold", "no-change", "one-change")
_TITLES = {"cold": "cold build", "no-change": "no-change rebuild",
           "one-change": "one-file-changed rebuild"}


# -- machine ----------------------------------------------------------------------------

def machine_details() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    try:
        from syndicate import __version__ as version
    except ImportError:
        version = "?"
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "ram_gib": ram_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "pyyaml": yaml.__version__,
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "syndicate": version, "commit": commit or "?",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def print_machine(m: dict[str, Any]) -> None:
    print(f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
          f"{m['ram_gib']} GiB RAM, {m['os']}")
    print(f"python {m['python']}, PyYAML {m['pyyaml']} with libyaml: "
          f"{'yes' if m['libyaml'] else 'NO (pure-Python loader: ~9x slower)'}")
    print(f"syndicate {m['syndicate']} (commit {m['commit']}); load average at start: "
          f"{', '.join(str(x) for x in m['load_average_at_start'])}")


# -- corpus -------------------------------------------------------------------------------

def corpus_for(cache: Path, n: int, seed: int) -> Path:
    """The cached corpus for (n, seed), generated when missing or incomplete."""
    folder = cache / f"corpus-n{n}-seed{seed}"
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # a generation that was interrupted
    started = time.perf_counter()
    size = gen_corpus.generate(folder, n, seed)
    marker.write_text(f"{n} {seed} {size}\n")
    print(f"  generated {n:,} files ({size / 1e6:,.0f} MB) in "
          f"{time.perf_counter() - started:.1f} s into {folder}", flush=True)
    return folder


def source_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".md"))


# -- floor --------------------------------------------------------------------------------

def front_matter(data: bytes) -> bytes:
    """The YAML between the opening and closing ``---`` lines (CRLF or LF)."""
    start = data.find(b"\n") + 1
    end = data.find(b"\n---", start - 1)
    return data[start:end + 1] if end >= 0 else data[start:]


def floor_read(folder: Path) -> float:
    started = time.perf_counter()
    for path in source_files(folder):
        path.read_bytes()
    return time.perf_counter() - started


def floor_parse(folder: Path) -> float:
    """Read + C-loader parse of every file's front matter, one process, one core."""
    loader = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader
    started = time.perf_counter()
    for path in source_files(folder):
        try:
            yaml.load(front_matter(path.read_bytes()), Loader=loader)
        except yaml.YAMLError:
            pass  # the corpus carries a few broken records on purpose
    return time.perf_counter() - started


# -- child runs ---------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            found += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
        except (OSError, ValueError):
            pass
    return found


def _memory_kib(pid: int) -> int:
    """Proportional set size (shared pages split between the processes sharing them),
    so forked workers are not double counted; resident size where PSS is unknown."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class TreeMemorySampler(threading.Thread):
    """Peak total memory of a process and all its descendants, sampled."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.peak_processes = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo += _children(pid)
            total = sum(_memory_kib(pid) for pid in pids)
            self.peak_kib = max(self.peak_kib, total)
            self.peak_processes = max(self.peak_processes, len(pids))
            self._done.wait(_SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()


@dataclass
class Run:
    wall_s: float
    max_rss_mb: float  # largest single process (wait4 rusage: child and its reaped workers)
    tree_mb: float  # sampled peak sum of PSS over the whole process tree
    processes: int  # most processes seen at once
    written: int  # output files created or modified by this run
    exit_code: int


def snapshot(folder: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            out[str(path.relative_to(folder))] = path.stat().st_mtime_ns
    return out


def run_build(cmd: list[str], env: dict[str, str], out: Path, log: Path, *,
              cwd: Path = REPO) -> Run:
    """Run ``cmd`` (from ``cwd``: ``python -m`` imports from there first) and measure it."""
    before = snapshot(out) if out.is_dir() else {}
    with open(log, "wb") as log_file:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                                cwd=cwd)
        sampler = TreeMemorySampler(proc.pid)
        sampler.start()
        # wait4, not getrusage(RUSAGE_CHILDREN): that one keeps the maximum over every
        # child ever reaped, so it cannot tell one run from the next.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    after = snapshot(out) if out.is_dir() else {}
    written = sum(1 for path, mtime in after.items() if before.get(path) != mtime)
    return Run(wall_s=wall, max_rss_mb=usage.ru_maxrss / 1024, tree_mb=sampler.peak_kib / 1024,
               processes=sampler.peak_processes, written=written,
               exit_code=proc.returncode)


def write_config(work: Path, corpus: Path, *, archives: bool = False) -> Path:
    config = work / "config.toml"
    config.write_text(
        "[site]\n"
        'title = "Benchmark"\n'
        'base_url = "https://feeds.example.org/"\n'
        "[source]\n"
        f"folder = {json.dumps(str(corpus))}\n"
        "[selection]\n"
        "min_quality = 50\n"
        "items_per_feed = 50\n"
        "[output]\n"
        f"folder = {json.dumps(str(work / 'out'))}\n"
        + ("archives = true\n" if archives else "") +
        "[state]\n"
        f"folder = {json.dumps(str(work / 'state'))}\n",
        encoding="utf-8")
    return config


def pick_file_to_edit(files: list[Path]) -> Path:
    """The newest published, good-enough article: its edit must change the feeds."""
    for path in reversed(files):
        data = path.read_bytes()
        try:
            record = yaml.load(front_matter(data), Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue
        if (isinstance(record, dict) and record.get("published") is True
                and record.get("quality", 0) >= 50 and b'\ntitle: "' in data):
            return path
    raise SystemExit("bench: no published article to edit in the corpus")


# -- profile ----------------------------------------------------------------------------

# Where cold-build time goes, by where a function lives (first match wins). A C
# built-in (isinstance, str methods, ...) counts for the stage of its callers.
_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fsync (publish durability)", ("posix.fsync",)),
    ("YAML: parse + compose (libyaml events, Python composer)",
     ("yaml/composer.py", "yaml/events.py", "yaml/nodes.py", "_yaml",
      "syndicate/yamlread.py:compose_node")),
    ("YAML: constructor + resolver", ("yaml/constructor.py", "yaml/resolver.py")),
    ("front matter: fast subset reader", ("syndicate/frontmatter.py",)),
    ("articles.py validation", ("syndicate/articles.py", "syndicate/article_values.py",
                                "syndicate/yamlread.py", "urllib/parse.py", "dateutil/",
                                "html/__init__.py", "anyascii")),
    ("file reading (open, read, stat)", ("posix.open", "posix.stat", "posix.read",
                                         "_io.BufferedReader", "syndicate/source.py",
                                         "syndicate/refresh.py:parse_one")),
    ("index (SQLite, encode/decode)", ("syndicate/index.py", "syndicate/codec.py",
                                       "syndicate/index_rows.py", "sqlite3", "pickle",
                                       "marshal")),
    ("select + plan", ("syndicate/select.py", "syndicate/dedupe.py", "syndicate/plan.py",
                       "syndicate/slug.py")),
    ("render (feedgen, lxml, json)", ("syndicate/render/", "feedgen/", "lxml", "json/")),
    ("publish (write, rename)", ("syndicate/publish.py", "posix.replace", "tempfile.py")),
    ("imports", ("<frozen importlib", "_imp.")),
)

_Func = tuple[str, int, str]


def _where(func: _Func) -> str:
    filename, _, name = func
    return name if filename == "~" else f"{filename}:{name}"


def _stage(func: _Func, stats: dict[_Func, Any], depth: int = 0) -> list[tuple[str, float]]:
    """(stage, share) pairs for one function: its own stage, or its callers' for a
    built-in that matches no stage."""
    where = _where(func)
    for label, keys in _STAGES:
        if any(k in where for k in keys):
            return [(label, 1.0)]
    callers = stats[func][4] if func in stats else {}
    if func[0] != "~" or not callers or depth > 3:
        return [("other", 1.0)]
    # pstats keeps, per caller, (calls, primitive calls, own time, cumulative time).
    weights = {caller: float(v[2]) for caller, v in callers.items()}
    total = sum(weights.values())
    if total <= 0:
        weights, total = dict.fromkeys(callers, 1.0), float(len(callers))
    shares: list[tuple[str, float]] = []
    for caller, weight in weights.items():
        shares += [(label, weight / total * share)
                   for label, share in _stage(caller, stats, depth + 1)]
    return shares


def profile_breakdown(stats_file: Path) -> list[tuple[str, float]]:
    """Own time (tottime) summed per stage, largest first."""
    import pstats

    stats: dict[_Func, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = {}
    for func, row in stats.items():
        for label, share in _stage(func, stats):
            totals[label] = totals.get(label, 0.0) + row[2] * share
    return sorted(totals.items(), key=lambda kv: -kv[1])


def profile_cold(config: Path, env: dict[str, str], work: Path) -> list[tuple[str, float]]:
    """A cold build in one process under cProfile (inflates Python code, not C)."""
    for folder in (work / "out", work / "state"):
        shutil.rmtree(folder, ignore_errors=True)
    stats = work / "cold.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "syndicate",
                    "build", "--config", str(config), "--quiet", "--jobs", "1"],
                   env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return profile_breakdown(stats)


# -- one N --------------------------------------------------------------------------------

@dataclass
class Result:
    n: int
    seed: int
    repeat: int
    corpus_mb: float
    edited_file: str
    floor_read_s: float
    floor_parse_s: float
    runs: dict[str, list[Run]] = field(default_factory=dict)
    profile: list[tuple[str, float]] = field(default_factory=list)

    def median(self, run: str, attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in self.runs[run]))


def bench_one(n: int, args: argparse.Namespace, work: Path) -> Result:
    print(f"\nN = {n:,}", flush=True)
    corpus = corpus_for(args.cache, n, args.seed)
    files = source_files(corpus)
    size = sum(p.stat().st_size for p in files)
    edited = pick_file_to_edit(files)
    result = Result(n=n, seed=args.seed, repeat=args.repeat, corpus_mb=size / 1e6,
                    edited_file=edited.name, floor_read_s=0.0, floor_parse_s=0.0,
                    runs={name: [] for name in _RUNS})

    floor_read(corpus)  # warm the page cache: every figure is for files in memory
    reads, parses = [], []
    for _ in range(args.repeat):
        reads.append(floor_read(corpus))
        parses.append(floor_parse(corpus))
    result.floor_read_s = statistics.median(reads)
    result.floor_parse_s = statistics.median(parses)
    print(f"  floor: read {result.floor_read_s:.2f} s, read + C-loader parse "
          f"{result.floor_parse_s:.2f} s", flush=True)

    work.mkdir(parents=True, exist_ok=True)
    config = write_config(work, corpus, archives=args.archives)
    cmd = [sys.executable, "-m", "syndicate", "build", "--config", str(config), "--quiet"]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    original = edited.read_bytes()
    try:
        for rep in range(args.repeat):
            for folder in (work / "out", work / "state"):
                shutil.rmtree(folder, ignore_errors=True)
            for name in _RUNS:
                if name == "one-change":
                    edited.write_bytes(original.replace(
                        b'\ntitle: "', f'\ntitle: "Edited {rep + 1}: '.encode(), 1))
                    # A later mtime even on a file system with coarse timestamps.
                    stamp = time.time() + 2
                    os.utime(edited, (stamp, stamp))
                run = run_build(cmd, env, work / "out", work / f"{name}.log")
                if run.exit_code != 0:
                    print((work / f"{name}.log").read_text(errors="replace")[-3000:],
                          file=sys.stderr)
                    raise SystemExit(f"bench: {name} build exited {run.exit_code} "
                                     f"(log above; command: {' '.join(cmd)})")
                result.runs[name].append(run)
                print(f"  {_TITLES[name]:<25} {run.wall_s:7.2f} s  {run.max_rss_mb:6.0f} MB max "
                      f"RSS  {run.tree_mb:6.0f} MB tree  {run.written:5} files written",
                      flush=True)
    finally:
        edited.write_bytes(original)  # the cached corpus stays as generated
    if args.profile:
        print("  profiling a cold build in one process ...", flush=True)
        result.profile = profile_cold(config, env, work)
    return result


# -- report -------------------------------------------------------------------------------

def _targets(n: int) -> dict[str, str]:
    """The issue's targets (#6), where they are defined for this N."""
    if n == 100_000:
        return {"cold": "<= 0.6x floor", "no-change": "< 1 s", "one-change": "< 1.5 s",
                "memory": "< 250 MB"}
    if n == 1_000_000:
        return {"memory": "< 1 GB"}
    return {}


def _met(result: Result, run: str) -> str:
    wall = result.median(run, "wall_s")
    mem = max(result.median(r, "tree_mb") for r in _RUNS)
    limits = {100_000: {"cold": 0.6 * result.floor_parse_s, "no-change": 1.0,
                        "one-change": 1.5}}
    checks = []
    limit = limits.get(result.n, {}).get(run)
    if limit is not None:
        checks.append(wall <= limit)
    mem_limit = {100_000: 250, 1_000_000: 1024}.get(result.n)
    if mem_limit is not None and run == "cold":
        checks.append(mem <= mem_limit)
    if not checks:
        return ""
    return "met" if all(checks) else "MISSED"


def print_table(result: Result) -> None:
    floor = result.floor_parse_s
    print(f"\nN = {result.n:,} articles ({result.corpus_mb:,.0f} MB), seed {result.seed}, "
          f"median of {result.repeat}")
    header = (f"{'':<32}{'wall s':>8}{'x floor':>9}{'articles/s':>12}{'max RSS MB':>12}"
              f"{'tree MB':>9}{'procs':>7}{'written':>9}  target")
    print(header)
    print("-" * len(header))
    print(f"{'floor: read bytes only':<32}{result.floor_read_s:>8.2f}"
          f"{result.floor_read_s / floor:>9.2f}{result.n / result.floor_read_s:>12,.0f}")
    print(f"{'floor: read + C-loader parse':<32}{floor:>8.2f}{1:>9.2f}"
          f"{result.n / floor:>12,.0f}")
    targets = _targets(result.n)
    for name in _RUNS:
        wall = result.median(name, "wall_s")
        target = targets.get(name, "")
        if name == "cold" and "memory" in targets:
            target = f"{target}, {targets['memory']}".strip(", ")
        met = _met(result, name)
        print(f"{_TITLES[name]:<32}{wall:>8.2f}{wall / floor:>9.2f}{result.n / wall:>12,.0f}"
              f"{result.median(name, 'max_rss_mb'):>12.0f}{result.median(name, 'tree_mb'):>9.0f}"
              f"{result.median(name, 'processes'):>7.0f}{result.median(name, 'written'):>9.0f}"
              f"  {target}{' -> ' + met if met else ''}")
    if result.profile:
        total = sum(seconds for _, seconds in result.profile)
        print(f"\nwhere a one-process cold build spends its time (cProfile own time, "
              f"{total:.1f} s profiled):")
        for stage, seconds in result.profile:
            print(f"  {stage:<56}{seconds:>7.2f} s {100 * seconds / total:>5.1f}%")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000],
                        help="corpus sizes (default: 10000 100000)")
    parser.add_argument("--million", action="store_true", help="also N = 1,000,000")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default: 1)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repetitions; medians are reported (README figures: 3)")
    parser.add_argument("--jobs", type=int, default=0,
                        help="passed to syndicate build --jobs (default: its own default)")
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "syndicate-bench", help="where generated corpora are kept")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep config, output, state and logs in DIR (else a temp dir)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    parser.add_argument("--archives", action="store_true",
                        help="build with output.archives = true (RFC 5005 archive pages)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile a one-process cold build and show where time goes")
    args = parser.parse_args(argv)
    sizes = list(dict.fromkeys(args.n + ([1_000_000] if args.million else [])))
    if args.repeat < 1 or any(n < 1 for n in sizes):
        parser.error("--repeat and every --n must be at least 1")

    machine = machine_details()
    print_machine(machine)
    results = []
    with tempfile.TemporaryDirectory(prefix="syndicate-bench-") as tmp:
        base = args.keep if args.keep is not None else Path(tmp)
        for n in sizes:
            results.append(bench_one(n, args, base / f"n{n}"))
    for result in results:
        print_table(result)
    print("\nx floor: wall time / (read + C-loader parse of every file, one process). "
          "max RSS: largest single process; tree MB: sampled peak PSS of the build and "
          "its workers together; written: output files created or changed.")
    if args.json is not None:
        args.json.write_text(json.dumps(
            {"machine": machine, "jobs": args.jobs or None,
             "results": [asdict(r) | {"medians": {
                 name: {k: r.median(name, k) for k in ("wall_s", "max_rss_mb", "tree_mb",
                                                        "written")} for name in _RUNS}}
                 for r in results]}, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
