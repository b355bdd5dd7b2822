"""Benchmark ``syndicate check``: whole-command time on many feeds, against baselines.

    .venv/bin/python benchmarks/bench_check.py                  # both issue-13 workloads
    .venv/bin/python benchmarks/bench_check.py --scenario small --runs 9
    .venv/bin/python benchmarks/bench_check.py --baseline /work/baseline   # another checkout
    .venv/bin/python benchmarks/bench_check.py --inprocess --n 5000 --items 50

Workloads (issue 13): "small" is 1,300 feeds of about 1 KB, "big" 1,000 feeds of 50
items; a deterministic mix of Atom, RSS 2.0 and JSON Feed (a third each), one in ten
with a deliberate error. Each run is one ``python -m syndicate check FOLDER --format
json`` call, timed from outside (start-up included). In the same run, on the same
files, and interleaved run by run (so a change in machine load hits every row alike),
the benchmark times the baselines:

- ``--baseline DIR``: the ``syndicate check`` of another checkout (e.g. the commit the
  work started from);
- the floor: ``python -c "import lxml.etree"`` (start-up alone), and a bare lxml parse
  (``json.loads`` for JSON) of every file in one process.

Per command it prints the minimum and median wall time, the minimum CPU time (user +
system, forked workers included), the peak RSS of the largest process (``os.wait4``) and
the ratio of the minimum wall time to this checkout's. The load average is printed
before and after. Children run with a warm bytecode cache (a private
``PYTHONPYCACHEPREFIX``, as an installed package has its ``.pyc`` files), unless
``--cold-bytecode``: then every run compiles every module it imports, as under
``PYTHONDONTWRITEBYTECODE=1`` with no cache. Numbers are printed, never asserted: the
machine may be shared.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from syndicate.check import run_check  # after the path set-up above


def _atom(i: int, items: int) -> str:
    entries = "".join(
        f"<entry><title>Story {i}.{n} &amp; more</title><id>https://e.org/{i}/{n}</id>"
        f"<link href=\"https://e.org/{i}/{n}\"/><updated>2024-03-0{1 + n % 9}T10:00:00Z</updated>"
        f"<summary type=\"html\">&lt;p&gt;Text {n}&lt;/p&gt;</summary></entry>\n"
        for n in range(items))
    bad = "" if i % 10 else "<updated>not a date</updated>"
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Feed {i}</title><id>https://e.org/{i}</id>"
            f'<link rel="self" href="https://e.org/{i}.atom"/>{bad}'
            f"<updated>2024-03-09T10:00:00Z</updated><author><name>Ed</name></author>\n"
            f"{entries}</feed>\n")


def _rss(i: int, items: int) -> str:
    body = "".join(
        f"<item><title>Story {n}</title><link>https://e.org/{i}/{n}</link>"
        f"<description>&lt;p&gt;Text&lt;/p&gt;</description>"
        f"<pubDate>Mon, 04 Mar 2024 10:{n % 60:02d}:00 +0000</pubDate>"
        f"<guid>https://e.org/{i}/{n}</guid></item>\n" for n in range(items))
    bad = "" if i % 10 else "<ttl>soon</ttl>"
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            f'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Feed {i}</title>'
            f"<link>https://e.org/</link><description>d</description>{bad}"
            f'<atom:link rel="self" href="https://e.org/{i}.rss"/>\n{body}</channel></rss>\n')


def _json(i: int, items: int) -> str:
    entries: list[dict[str, str]] = [
        {"id": f"https://e.org/{i}/{n}", "url": f"https://e.org/{i}/{n}",
         "content_html": "<p>Text</p>", "date_published": "2024-03-04T10:00:00Z"}
        for n in range(items)]
    if i % 10 == 0:
        entries[0]["date_published"] = "yesterday"
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": f"Feed {i}",
           "home_page_url": "https://e.org/", "feed_url": f"https://e.org/{i}.json",
           "items": entries}
    return json.dumps(doc, indent=1)


def _opml(i: int, items: int) -> str:
    outlines = "".join(f'<outline text="F{n}" title="F{n}" type="rss" '
                       f'xmlUrl="https://e.org/{n}.rss"/>'
                       for n in range(items))
    return f'<?xml version="1.0"?>\n<opml version="2.0"><head><title>L{i}</title></head>' \
           f"<body>{outlines}</body></opml>\n"


def generate(folder: Path, n: int, items: int, *, opml: bool = False) -> int:
    makers: tuple[tuple[str, Callable[[int, int], str]], ...] = (
        (".atom", _atom), (".rss", _rss), (".json", _json))
    if opml:
        makers += ((".opml", _opml),)
    total = 0
    for i in range(n):
        suffix, make = makers[i % len(makers)]
        sub = folder / f"d{i % 17}"
        sub.mkdir(exist_ok=True)
        data = make(i, items).encode("utf-8")
        (sub / f"feed{i}{suffix}").write_bytes(data)
        total += len(data)
    return total


_BARE_PARSE = """
import os, sys
from lxml import etree
parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
for dirpath, _, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(dirpath, name), "rb") as fh:
            data = fh.read()
        if data[:1] in (b"{", b"["):
            import json
            json.loads(data)
        else:
            etree.fromstring(data, parser)
"""
_OTHER_CHECKOUT = """
import sys
sys.path.insert(0, sys.argv[1])
from syndicate.cli import main
sys.exit(main(["check", "--format", "json", sys.argv[2]]))
"""

SCENARIOS = {"small": (1300, 4), "big": (1000, 50)}
_IMPORT_LXML = "import lxml.etree"


class _Row:
    def __init__(self, label: str, cmd: list[str]) -> None:
        self.label, self.cmd = label, cmd
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.rss_mb = 0.0

    def run(self, env: dict[str, str]) -> None:
        start = time.perf_counter()
        proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
        _, _, usage = os.wait4(proc.pid, 0)
        self.walls.append(time.perf_counter() - start)
        proc.returncode = 0  # reaped above; keeps Popen from waiting again
        # ru_* of this child (and the workers it reaped): CPU summed, RSS the largest.
        self.cpus.append(usage.ru_utime + usage.ru_stime)
        self.rss_mb = max(self.rss_mb, usage.ru_maxrss / 1024)


def _child_env(cold: bool, cache: str) -> dict[str, str]:
    env = dict(os.environ)
    if cold:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _scenario(name: str, n: int, items: int, runs: int, baseline: str | None,
              cold: bool, external: list[str] | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        folder = Path(tmp) / "feeds"
        folder.mkdir()
        size = generate(folder, n, items)
        py = sys.executable
        here = str(Path(__file__).resolve().parents[1])
        rows = [_Row("syndicate check (this checkout)",
                     [py, "-c", _OTHER_CHECKOUT, here, str(folder)])]
        if baseline:
            rows.append(_Row(f"syndicate check ({baseline})",
                             [py, "-c", _OTHER_CHECKOUT, baseline, str(folder)]))
        for spec in external or ():
            # LABEL=COMMAND, {folder} replaced: any other validator timed on the same feeds
            # (e.g. a local copy of the W3C Feed Validator), interleaved like the rest.
            label, _, command = spec.partition("=")
            rows.append(_Row(label, [a.replace("{folder}", str(folder))
                                     for a in shlex.split(command)]))
        rows.append(_Row("floor: python -c 'import lxml.etree'", [py, "-c", _IMPORT_LXML]))
        rows.append(_Row("floor: + lxml/json parse of every file",
                         [py, "-c", _BARE_PARSE, str(folder)]))
        env = _child_env(cold, str(Path(tmp) / "pycache"))
        for row in rows:
            row.run(env)  # untimed warm-up: page cache, and the bytecode cache unless cold
            row.walls.clear()
            row.cpus.clear()
        print(f"{name}: {n} feeds, {items} items each, {size / n / 1024:.2f} KB average, "
              f"{runs} runs each, interleaved; {'cold' if cold else 'warm'} bytecode; "
              f"load average {_load()} before")
        for _ in range(runs):
            for row in rows:
                row.run(env)
        mine = min(rows[0].walls)
        for row in rows:
            best = min(row.walls)
            print(f"  {row.label:<40} wall min {best:6.3f} s, median "
                  f"{statistics.median(row.walls):6.3f} s (x{best / mine:.2f} of this "
                  f"checkout); CPU min {min(row.cpus):6.3f} s; peak RSS {row.rss_mb:.0f} MB")
        print(f"  load average {_load()} after")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _inprocess(n: int, items: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        folder = Path(tmp)
        size = generate(folder, n, items)
        out = io.StringIO()
        start = time.perf_counter()
        code = run_check([str(folder)], output_format="json", strict=False, base_url=None,
                         out=out)
        elapsed = time.perf_counter() - start
        # A second pass under tracemalloc (which slows Python down) for the heap peak.
        tracemalloc.start()
        run_check([str(folder)], output_format="json", strict=False, base_url=None,
                  out=io.StringIO())
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    summary = json.loads(out.getvalue())["summary"]
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"checked {summary['files']} files ({size / 1e6:.1f} MB, {items} items each) "
          f"in {elapsed:.2f} s: {summary['files'] / elapsed:,.0f} files/s, "
          f"{size / 1e6 / elapsed:.1f} MB/s")
    print(f"findings: {summary['errors']} errors, {summary['warnings']} warnings; exit {code}")
    print(f"peak memory: {traced_peak / 1e6:.1f} MB Python heap (tracemalloc, this process "
          f"only: pool workers are not counted), {rss_kib / 1024:.0f} MB max RSS")
    print(f"load average: {os.getloadavg()[0]:.2f} (the machine may be shared)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=(*SCENARIOS, "both"), default="both")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command")
    parser.add_argument("--baseline", metavar="DIR",
                        help="another checkout whose `syndicate check` to time alongside")
    parser.add_argument("--cold-bytecode", action="store_true",
                        help="children compile every module on every run (no .pyc cache)")
    parser.add_argument("--inprocess", action="store_true",
                        help="instead: one in-process run_check (with --n/--items) and its "
                             "Python heap peak")
    parser.add_argument("--n", type=int, default=1000, help="feeds (--inprocess)")
    parser.add_argument("--items", type=int, default=20, help="items per feed (--inprocess)")
    parser.add_argument("--external", action="append", metavar="LABEL=COMMAND",
                        help="also time COMMAND ({folder} = the generated feeds) under LABEL")
    args = parser.parse_args()
    if args.inprocess:
        _inprocess(args.n, args.items)
        return
    for name, (n, items) in SCENARIOS.items():
        if args.scenario in (name, "both"):
            _scenario(name, n, items, args.runs, args.baseline, args.cold_bytecode,
                      args.external)


if __name__ == "__main__":
    main()
