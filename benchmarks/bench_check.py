"""Benchmark ``syndicate check``: files per second and peak memory on 1,000 feeds.

    .venv/bin/python benchmarks/bench_check.py              # 1,000 feeds, 20 items each
    .venv/bin/python benchmarks/bench_check.py --n 5000 --items 50

Generates a deterministic mix of Atom, RSS, JSON Feed and OPML documents (about one in
ten with a deliberate error) in a temporary folder, then checks the folder the way the
CLI does (discovery, reading, checking, JSON report) in this process, one core.
Numbers are printed, never asserted: the machine may be shared.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
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


def generate(folder: Path, n: int, items: int) -> int:
    makers = ((".atom", _atom), (".rss", _rss), (".json", _json), (".opml", _opml))
    total = 0
    for i in range(n):
        suffix, make = makers[i % len(makers)]
        sub = folder / f"d{i % 17}"
        sub.mkdir(exist_ok=True)
        data = make(i, items).encode("utf-8")
        (sub / f"feed{i}{suffix}").write_bytes(data)
        total += len(data)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="feeds to generate")
    parser.add_argument("--items", type=int, default=20, help="items per feed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        folder = Path(tmp)
        size = generate(folder, args.n, args.items)
        out = io.StringIO()
        start = time.perf_counter()
        verdict = run_check([str(folder)], output_format="json", strict=False,
                            base_url=None, out=out)
        elapsed = time.perf_counter() - start
        # A second pass under tracemalloc (which slows Python down) for the heap peak.
        tracemalloc.start()
        run_check([str(folder)], output_format="json", strict=False, base_url=None,
                  out=io.StringIO())
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    summary = json.loads(out.getvalue())["summary"]
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"checked {summary['files']} files ({size / 1e6:.1f} MB, {args.items} items each) "
          f"in {elapsed:.2f} s: {summary['files'] / elapsed:,.0f} files/s, "
          f"{size / 1e6 / elapsed:.1f} MB/s")
    print(f"findings: {summary['errors']} errors, {summary['warnings']} warnings; "
          f"verdict {verdict.value}")
    print(f"peak memory: {traced_peak / 1e6:.1f} MB Python heap (tracemalloc), "
          f"{rss_kib / 1024:.0f} MB max RSS of the process")
    print(f"load average: {os.getloadavg()[0]:.2f} (the machine may be shared)")


if __name__ == "__main__":
    main()
