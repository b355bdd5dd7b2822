"""Soak ``syndicate build`` under CPU load: the sequence that once exited 2, many times.

    .venv/bin/python benchmarks/soak_build.py --n 20000 --rounds 30 --load 2 --jobs 2
    .venv/bin/python benchmarks/soak_build.py --n 100000 --rounds 5 --load 1 --minutes 40

Each round, in a fresh work folder, runs the real CLI as a child process:

1. cold build (empty state folder, empty output folder ``out``);
2. no-change rebuild;
3. one-file-changed rebuild (the title of the newest published article edited, its
   mtime moved 2 s ahead, so the feeds change and the file is "racy");
4. a fresh build into a second output folder ``out2`` (``--out``), same config, same
   state folder.

Every non-zero exit is printed with its stderr; the script exits 1 if any step failed.
``--load K`` starts K busy-loop processes per core for the whole soak (the failure
was seen "under CPU load"); ``--minutes`` bounds the total time (no round starts after
it, and a build running more than ``--timeout`` seconds is killed and counted as a
failure). Standard library only.

The source is a hard-linked copy of the cached corpus (``gen_corpus.py``, cached as
``bench.py`` caches it), so editing a file replaces the link and the cached corpus
itself is never modified.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import gen_corpus  # a sibling script, not a package

STEPS = ("cold", "no-change", "one-change", "fresh-out2")


@dataclass
class Step:
    round: int
    name: str
    code: int  # the exit code; -1 for a build killed after --timeout
    seconds: float
    stderr: str


def corpus_for(cache: Path, n: int, seed: int) -> Path:
    """The cached corpus for (n, seed), generated when missing (as bench.py does)."""
    folder = cache / f"corpus-n{n}-seed{seed}"
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # a generation that was interrupted
    print(f"generating {n:,} files into {folder} ...", flush=True)
    size = gen_corpus.generate(folder, n, seed)
    marker.write_text(f"{n} {seed} {size}\n")
    return folder


def linked_copy(corpus: Path, target: Path) -> list[str]:
    """Hard-link every ``*.md`` file of ``corpus`` into ``target``; their names, sorted."""
    target.mkdir(parents=True)
    names = sorted(e.name for e in os.scandir(corpus) if e.name.endswith(".md"))
    for name in names:
        os.link(corpus / name, target / name)
    return names


_QUALITY = re.compile(rb"\nquality: ([0-9]+)")


def file_to_edit(source: Path, names: list[str]) -> Path:
    """The newest published article of quality >= 50: editing it changes the feeds."""
    for name in reversed(names):
        data = (source / name).read_bytes()
        quality = _QUALITY.search(data)
        if (b"\npublished: true" in data and quality is not None
                and int(quality.group(1)) >= 50 and b'\ntitle: "' in data):
            return source / name
    raise SystemExit("soak: no published article to edit in the corpus")


def edit(path: Path, label: str) -> None:
    """Replace (never modify in place: it is a hard link to the cache) with a new title."""
    data = path.read_bytes().replace(b'\ntitle: "', f'\ntitle: "{label}: '.encode(), 1)
    tmp = path.with_name(f".{path.name}.soak")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    stamp = time.time() + 2  # a later mtime even on coarse file systems; racy on purpose
    os.utime(path, (stamp, stamp))


def write_config(work: Path, source: Path) -> Path:
    config = work / "config.toml"
    config.write_text(
        "[site]\n"
        'title = "Soak"\n'
        'base_url = "https://feeds.example.org/"\n'
        "[source]\n"
        f"folder = {json.dumps(str(source))}\n"
        "[selection]\n"
        "min_quality = 50\n"
        "[output]\n"
        f"folder = {json.dumps(str(work / 'out'))}\n"
        "[state]\n"
        f"folder = {json.dumps(str(work / 'state'))}\n",
        encoding="utf-8")
    return config


def start_load(per_core: int) -> list[subprocess.Popen[bytes]]:
    count = per_core * (os.cpu_count() or 1)
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(count)]


def stop_load(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait()


def run(cmd: list[str], timeout: float) -> tuple[int, float, str]:
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=REPO, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        _, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its workers: its own group
        _, err = proc.communicate()
        code = -1
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)  # the soak is stopped: so is its build
        proc.wait()
        raise
    return code, time.monotonic() - started, err.decode("utf-8", "replace")


def soak_round(number: int, corpus: Path, base: Path, args: argparse.Namespace) -> list[Step]:
    work = base / f"round-{number}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = work / "source"
    names = linked_copy(corpus, source)
    edited = file_to_edit(source, names)
    config = write_config(work, source)
    cmd = [sys.executable, "-m", "syndicate", "build", "--config", str(config), "--quiet"]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    steps: list[Step] = []
    for name in STEPS:
        if name == "one-change":
            edit(edited, f"Soak {number}")
        extra = ["--out", str(work / "out2")] if name == "fresh-out2" else []
        code, seconds, err = run(cmd + extra, args.timeout)
        steps.append(Step(number, name, code, seconds, err))
        if code != 0:
            what = "timed out" if code == -1 else f"exited {code}"
            print(f"round {number}: {name} {what} after {seconds:.1f} s; stderr:\n"
                  f"{err.rstrip() or '(empty)'}", flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return steps


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="corpus size (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=10, help="rounds at most (default 10)")
    parser.add_argument("--load", type=int, nargs="?", const=1, default=0, metavar="K",
                        help="busy-loop processes per core during the soak (--load alone: 1)")
    parser.add_argument("--jobs", type=int, default=0, help="passed to syndicate build --jobs")
    parser.add_argument("--minutes", type=float, default=30.0,
                        help="start no round after this many minutes (default 30)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="kill a build running longer than this many seconds (default 600)")
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "syndicate-bench", help="where generated corpora are kept")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work (and keep every round's folders) in DIR")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.n < 1 or args.load < 0:
        parser.error("--rounds and --n must be at least 1, --load at least 0")

    # Stopped by a signal (even started in the background, where SIGINT is ignored):
    # unwind, so the busy processes and the running build are killed on the way out.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupted)
    corpus = corpus_for(args.cache, args.n, args.seed)
    deadline = time.monotonic() + args.minutes * 60
    steps: list[Step] = []
    load = start_load(args.load)
    print(f"soak: N = {args.n:,}, up to {args.rounds} rounds of {', '.join(STEPS)}; "
          f"{len(load)} busy processes on {os.cpu_count()} cores; --jobs "
          f"{args.jobs or 'default'}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="syndicate-soak-") as tmp:
            base = args.keep if args.keep is not None else Path(tmp)
            for number in range(1, args.rounds + 1):
                if time.monotonic() > deadline:
                    print(f"soak: time limit reached before round {number}", flush=True)
                    break
                done = soak_round(number, corpus, base, args)
                steps += done
                times = ", ".join(f"{s.name} {s.seconds:.1f} s" for s in done)
                print(f"round {number}: {times}; load average "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
    finally:
        stop_load(load)
    failed = [s for s in steps if s.code != 0]
    rounds = len({s.round for s in steps})
    print(f"soak: {rounds} rounds, {len(steps)} builds, {len(failed)} failed"
          + "".join(f"\n  round {s.round} {s.name}: exit {s.code}" for s in failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
