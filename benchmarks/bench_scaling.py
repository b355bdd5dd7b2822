"""Benchmarks for scaling out (issue 15): watch latency, the no-change cron run
against a bare walk, and object storage against a local SeaweedFS.

    .venv/bin/python benchmarks/bench_scaling.py                  # N = 100,000
    .venv/bin/python benchmarks/bench_scaling.py --n 1000000      # the corpus is generated
    .venv/bin/python benchmarks/bench_scaling.py --s3-n 2000 --skip-folder

Every figure comes with its baseline measured in the same run:

- cron no-change run (``syndicate build`` child process, warm index) vs a bare
  ``os.scandir`` + ``stat`` walk of the same folder (a child process too, so both pay
  an interpreter start);
- watch: one file edited -> ``all.atom`` rewritten with the edit, polled every 2 ms;
  the watcher's peak memory (PSS) is sampled;
- object storage (SeaweedFS on 127.0.0.1, ``tests/seaweedfs.py``): cold build, no-change
  and one-change runs from a bucket to a bucket, with the S3 requests each makes
  (counted by a botocore event hook in the child).

Numbers are printed, never asserted: the machine may be shared (load average shown).
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
import bench  # a sibling script: corpus cache, child runs, memory sampler

NOW = "2026-12-06T10:00:00Z"

_WALK = """
import os, sys, time
started = time.perf_counter()
pending, n = [sys.argv[1]], 0
while pending:
    with os.scandir(pending.pop()) as it:
        for e in it:
            if e.name[0] == ".":
                continue
            if e.is_dir(follow_symlinks=False):
                pending.append(e.path)
            elif e.name.endswith(".md"):
                e.stat()
                n += 1
print(n, time.perf_counter() - started)
"""

_COUNTING = """
import atexit, collections, json, os, sys
import boto3
seen = collections.Counter()
original = boto3.session.Session.client
def client(self, *a, **k):
    made = original(self, *a, **k)
    made.meta.events.register("before-call.s3.*", lambda model, **_: seen.update([model.name]))
    return made
boto3.session.Session.client = client
atexit.register(lambda: open(os.environ["COUNT_FILE"], "w").write(json.dumps(seen)))
from syndicate.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO))


def _build_cmd(config: Path) -> list[str]:
    return [sys.executable, "-m", "syndicate", "build", "--config", str(config), "--now", NOW,
            "-q"]


def _run(name: str, cmd: list[str], env: dict[str, str], out: Path, work: Path, *,
         cwd: Path = REPO) -> bench.Run:
    log = work / (re.sub(r"[^\w.]+", "-", name) + ".log")
    run = bench.run_build(cmd, env, out, log, cwd=cwd)
    if run.exit_code != 0:
        print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
        raise SystemExit(f"bench: {name} exited {run.exit_code}")
    print(f"  {name:<40} {run.wall_s:7.2f} s  {run.max_rss_mb:6.0f} MB max RSS  "
          f"{run.tree_mb:6.0f} MB tree  {run.written:5} files written", flush=True)
    return run


def bare_walk(folder: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WALK, str(folder)], capture_output=True,
                          text=True, check=True)
    wall = time.perf_counter() - started
    count, inner = done.stdout.split()
    print(f"  {'bare scandir+stat walk (child)':<40} {wall:7.2f} s  ({int(count):,} files; "
          f"walk alone {float(inner):.2f} s)", flush=True)
    return wall


class Code(NamedTuple):
    """One checkout whose ``syndicate build`` is measured, with its own config, output
    and state (so each code keeps its own index)."""

    name: str
    repo: Path
    config: Path
    out: Path


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def folder_benchmarks(n: int, cache: Path, work: Path, repeat: int, baseline: Path | None,
                      watch: bool, watch_only: bool = False) -> None:
    corpus = bench.corpus_for(cache, n, 1)
    print(f"\nN = {n:,} (corpus {corpus}; load average {_load()})", flush=True)
    codes = [Code("after (this checkout)", REPO, *_site(work / f"after-{n}", corpus))]
    if baseline is not None:
        codes.insert(0, Code(f"before ({baseline})", baseline.resolve(),
                             *_site(work / f"before-{n}", corpus)))
    if watch_only:
        codes = codes[-1:]
    # Inodes and dentries warm (all a no-change run touches; reading every file's bytes
    # too takes minutes at 1,000,000 here, and on this VM idle pages are reclaimed).
    bare_walk(corpus)
    for code in codes:
        env = dict(os.environ, PYTHONPATH=str(code.repo))
        if not (code.config.parent / "state").is_dir():
            _run(f"{code.name}: cold build", _build_cmd(code.config), env, code.out, work,
                 cwd=code.repo)
        # The first no-change run after a cold build compares with the index (and, on
        # a code with the listing digest, proves and stores it): shown, not counted.
        _run(f"{code.name}: warm-up no-change", _build_cmd(code.config), env, code.out, work,
             cwd=code.repo)
    walks: list[float] = []
    repeat_runs = 0 if watch_only else repeat
    runs: dict[str, list[float]] = {c.name: [] for c in codes}
    for i in range(repeat_runs):
        walks.append(bare_walk(corpus))
        for code in codes:
            env = dict(os.environ, PYTHONPATH=str(code.repo))
            run = _run(f"{code.name}: no-change #{i + 1}", _build_cmd(code.config), env,
                       code.out, work, cwd=code.repo)
            runs[code.name].append(run.wall_s)
    if walks:
        print(f"  median of {repeat}: bare walk {_median(walks):.2f} s", flush=True)
    for code in codes if walks else ():
        walk = _median(walks)
        mid = _median(runs[code.name])
        print(f"  {code.name}: no-change {mid:.2f} s = {mid / walk:.2f}x the bare walk "
              f"(per run: {', '.join(f'{r / w:.2f}x' for r, w in zip(runs[code.name], walks))}; "
              f"target <= 1.5x)", flush=True)
    if watch:
        after = codes[-1]
        watch_latency(after.config, bench.source_files(corpus), after.out, work, repeat)


def _site(where: Path, corpus: Path) -> tuple[Path, Path]:
    where.mkdir(parents=True, exist_ok=True)
    return bench.write_config(where, corpus), where / "out"


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def in_all_feed(files: list[Path], out: Path) -> Path:
    """The newest file (by name) whose article is an item of ``all.atom``: at 1,000,000
    articles (~270 a day) the newest by name is seldom among the 50 newest by time."""
    feed = (out / "all.atom").read_bytes()
    for path in reversed(files[-20_000:]):
        found = re.search(rb'\nwebUrl: "([^"]+)"', path.read_bytes())
        if found and b'href="' + found.group(1) + b'"' in feed:
            return path
    raise SystemExit("bench: no article of all.atom among the newest 20,000 files")


def watch_latency(config: Path, files: list[Path], out: Path, work: Path, repeat: int) -> None:
    edited = in_all_feed(files, out)
    original = edited.read_bytes()
    for debounce in ("0.2", "0.05"):  # the default, and a shorter one
        log = work / f"watch-{debounce}.log"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "syndicate", "watch", "--config", str(config), "--now",
                 NOW, "--debounce", debounce], stderr=err, stdout=subprocess.DEVNULL,
                env=_env(), cwd=REPO)
        sampler = bench.TreeMemorySampler(proc.pid)
        sampler.start()
        try:
            started = time.perf_counter()
            while not log.read_text().count("\nread ") and not log.read_text().startswith(
                    "read "):
                time.sleep(0.05)
                if proc.poll() is not None:
                    raise SystemExit(f"bench: watch exited: {log.read_text()[-2000:]}")
            print(f"  watch (--debounce {debounce}): first build (full walk) after "
                  f"{time.perf_counter() - started:.2f} s", flush=True)
            latencies = []
            for i in range(repeat):
                marker = f"Watched edit {debounce} {i} ".encode()
                edited.write_bytes(original.replace(b'\ntitle: "', b'\ntitle: "' + marker, 1))
                t0 = time.perf_counter()
                while marker not in (out / "all.atom").read_bytes():
                    time.sleep(0.002)
                    if time.perf_counter() - t0 > 120:
                        raise SystemExit(f"bench: edit of {edited} not in all.atom after 120 s")
                latencies.append(time.perf_counter() - t0)
                time.sleep(1.0)  # let the log line land; the next edit is a new burst
            print(f"  watch latency, edit -> all.atom (--debounce {debounce}): "
                  f"{', '.join(f'{x:.3f}' for x in latencies)} s; watcher peak "
                  f"{sampler.peak_kib / 1024:.0f} MB PSS", flush=True)
            lines = [ln for ln in log.read_text().splitlines() if ln.startswith("read ")]
            print(f"    last build line: {lines[-1] if lines else '(none)'}", flush=True)
        finally:
            edited.write_bytes(original)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=120)
            sampler.stop()
            if code != 0:
                print(f"  watch exited {code}", flush=True)
        time.sleep(1.0)
    # The corpus is restored: one more cron run brings the index and output back.
    _run("cron run after the watch (restore)", _build_cmd(config), _env(), out, work)


def s3_benchmarks(n: int, cache: Path, work: Path, threads: int) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    import boto3
    import seaweedfs
    from botocore.config import Config as BotoConfig

    corpus = bench.corpus_for(cache, max(n, 10_000), 1)
    files = bench.source_files(corpus)[:n]
    print(f"\nobject storage: {n:,} articles, SeaweedFS on 127.0.0.1 (load average {_load()})",
          flush=True)
    where = Path(tempfile.mkdtemp(prefix="s3-", dir=work))
    (where / "weed").mkdir()
    server = seaweedfs.start(where / "weed")
    try:
        env = server.env()
        client = boto3.session.Session().client(
            "s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=seaweedfs.REGION,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=BotoConfig(max_pool_connections=threads))
        for bucket in ("bench-src", "bench-out"):
            client.create_bucket(Bucket=bucket)
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda f: client.put_object(
                Bucket="bench-src", Key=f.relative_to(corpus).as_posix(), Body=f.read_bytes()),
                files))
        took = time.perf_counter() - started
        print(f"  upload of the articles ({threads} threads, {n:,} PutObject): {took:.1f} s "
              f"({n / took:,.0f} objects/s; load average {_load()})", flush=True)
        config = where / "s3.toml"
        config.write_text(
            '[site]\ntitle = "Benchmark"\nbase_url = "https://feeds.example.org/"\n'
            '[source]\nurl = "s3://bench-src"\n[selection]\nmin_quality = 50\n'
            '[output]\nurl = "s3://bench-out/feeds"\n'
            f'[state]\nfolder = {json.dumps(str(where / "s3-state"))}\n')
        edited = bench.pick_file_to_edit(files)
        key = edited.relative_to(corpus).as_posix()
        runs = ("cold", "no-change (compares with the index)", "no-change", "no-change",
                "one-change", "no-change (after the change)")
        for i, name in enumerate(runs):
            if name == "one-change":
                data = edited.read_bytes().replace(b'\ntitle: "', b'\ntitle: "Edited ', 1)
                client.put_object(Bucket="bench-src", Key=key, Body=data)
            counts = where / f"s3-{i}.json"
            run_env = dict(env, PYTHONPATH=str(REPO), COUNT_FILE=str(counts))
            _run(f"s3 {name}", [sys.executable, "-c", _COUNTING, "build", "--config",
                                str(config), "--now", NOW, "-q"],
                 run_env, where / "s3-state" / "s3-staging", where)
            seen = json.loads(counts.read_text())
            print(f"    requests: {sum(seen.values()):,} = {dict(sorted(seen.items()))} "
                  f"(load average {_load()})", flush=True)
    finally:
        server.stop()
        shutil.rmtree(where, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--s3-n", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-folder", action="store_true")
    parser.add_argument("--skip-watch", action="store_true")
    parser.add_argument("--watch-only", action="store_true",
                        help="of the folder benchmarks, only the watch latency")
    parser.add_argument("--threads", type=int, default=32,
                        help="upload threads for the object storage corpus (default 32)")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (e.g. /work/baseline) whose no-change build "
                             "is measured in the same loop")
    parser.add_argument("--work", type=Path,
                        help="keep configs, outputs and states here (reused by the next "
                             "run: no second cold build) instead of a temporary folder")
    parser.add_argument("--skip-s3", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "syndicate-bench")
    args = parser.parse_args()
    bench.print_machine(bench.machine_details())
    work = args.work or Path(tempfile.mkdtemp(prefix="syndicate-scaling-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not args.skip_folder:
            folder_benchmarks(args.n, args.cache, work, args.repeat, args.baseline,
                              not args.skip_watch, args.watch_only)
        if not args.skip_s3:
            s3_benchmarks(args.s3_n, args.cache, work, args.threads)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
