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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


def _run(name: str, cmd: list[str], env: dict[str, str], out: Path, work: Path) -> bench.Run:
    run = bench.run_build(cmd, env, out, work / f"{name}.log")
    if run.exit_code != 0:
        print((work / f"{name}.log").read_text(errors="replace")[-2000:], file=sys.stderr)
        raise SystemExit(f"bench: {name} exited {run.exit_code}")
    print(f"  {name:<34} {run.wall_s:7.2f} s  {run.max_rss_mb:6.0f} MB max RSS  "
          f"{run.tree_mb:6.0f} MB tree  {run.written:5} files written", flush=True)
    return run


def bare_walk(folder: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WALK, str(folder)], capture_output=True,
                          text=True, check=True)
    wall = time.perf_counter() - started
    count, inner = done.stdout.split()
    print(f"  {'bare scandir+stat walk (child)':<34} {wall:7.2f} s  ({int(count):,} files; "
          f"walk alone {float(inner):.2f} s)", flush=True)
    return wall


def folder_benchmarks(n: int, cache: Path, work: Path, repeat: int) -> None:
    corpus = bench.corpus_for(cache, n, 1)
    files = bench.source_files(corpus)
    config = bench.write_config(work, corpus)
    out = work / "out"
    print(f"\nN = {n:,} (corpus {corpus})", flush=True)
    bench.floor_read(corpus)  # page cache warm: every figure is for files in memory
    _run("cold build (to warm the index)", _build_cmd(config), _env(), out, work)
    ratios = []
    for i in range(repeat):
        walk = bare_walk(corpus)
        run = _run(f"cron no-change run #{i + 1}", _build_cmd(config), _env(), out, work)
        ratios.append(run.wall_s / walk)
    print(f"  no-change / bare walk: {', '.join(f'{r:.2f}x' for r in ratios)} "
          f"(median {sorted(ratios)[len(ratios) // 2]:.2f}x; target <= 1.5x)", flush=True)
    watch_latency(config, files, out, work, repeat)


def watch_latency(config: Path, files: list[Path], out: Path, work: Path, repeat: int) -> None:
    edited = bench.pick_file_to_edit(files)
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


def s3_benchmarks(n: int, cache: Path, work: Path) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    import seaweedfs

    corpus = bench.corpus_for(cache, max(n, 10_000), 1)
    files = bench.source_files(corpus)[:n]
    print(f"\nobject storage: {n:,} articles, SeaweedFS on 127.0.0.1", flush=True)
    (work / "weed").mkdir()
    server = seaweedfs.start(work / "weed")
    try:
        client = seaweedfs.make_client(server)
        for bucket in ("bench-src", "bench-out"):
            client.create_bucket(Bucket=bucket)
        started = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda f: client.put_object(
                Bucket="bench-src", Key=f.relative_to(corpus).as_posix(), Body=f.read_bytes()),
                files))
        print(f"  upload of the articles (16 threads): {time.perf_counter() - started:.1f} s",
              flush=True)
        config = work / "s3.toml"
        config.write_text(
            '[site]\ntitle = "Benchmark"\nbase_url = "https://feeds.example.org/"\n'
            '[source]\nurl = "s3://bench-src"\n[selection]\nmin_quality = 50\n'
            '[output]\nurl = "s3://bench-out/feeds"\n'
            f'[state]\nfolder = {json.dumps(str(work / "s3-state"))}\n')
        edited = bench.pick_file_to_edit(files)
        key = edited.relative_to(corpus).as_posix()
        for name in ("cold", "no-change", "one-change"):
            if name == "one-change":
                data = edited.read_bytes().replace(b'\ntitle: "', b'\ntitle: "Edited ', 1)
                client.put_object(Bucket="bench-src", Key=key, Body=data)
            counts = work / f"s3-{name}.json"
            env = dict(server.env(), PYTHONPATH=str(REPO), COUNT_FILE=str(counts))
            run = _run(f"s3 {name}", [sys.executable, "-c", _COUNTING, "build", "--config",
                                      str(config), "--now", NOW, "-q"],
                       env, work / "s3-state" / "s3-staging", work)
            del run
            print(f"    requests: {json.loads(counts.read_text())}", flush=True)
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--s3-n", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-folder", action="store_true")
    parser.add_argument("--skip-s3", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "syndicate-bench")
    args = parser.parse_args()
    bench.print_machine(bench.machine_details())
    work = Path(tempfile.mkdtemp(prefix="syndicate-scaling-"))
    try:
        if not args.skip_folder:
            folder_benchmarks(args.n, args.cache, work, args.repeat)
        if not args.skip_s3:
            s3_benchmarks(args.s3_n, args.cache, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
