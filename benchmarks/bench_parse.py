"""Per-file cost of reading one article record, in microseconds.

    python benchmarks/bench_parse.py [--n 2000] [--seed 7] [--repeat 7]

For the real corpus (``../shared/corpus``, when present) and a generated corpus, in
this one process, files already in memory:

- ``csafe``: PyYAML's C loader on the front matter alone (the build's "parse floor");
- ``full``: ``parse_article(..., fast=False)``: bounded libyaml path + normalisation;
- ``fast``: ``parse_article(...)``: the subset reader (falling back when unsure);
- ``fast load``: ``frontmatter.load`` alone (no normalisation).

Each figure is the best of ``--repeat`` runs (the machine is shared: the minimum is
the least disturbed), also shown as a ratio to ``csafe`` measured the same way.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syndicate import articles, frontmatter
from syndicate.articles import parse_article
from syndicate.yamlread import MAX_YAML_DEPTH, MAX_YAML_NODES

CORPUS = REPO.parent / "shared" / "corpus"


def _front_matter(data: bytes) -> bytes:
    """The YAML between the opening and closing ``---`` lines (as benchmarks/bench.py)."""
    start = data.find(b"\n") + 1
    end = data.find(b"\n---", start - 1)
    return data[start:end + 1] if end >= 0 else data[start:]


def _csafe(data: bytes) -> Any:
    try:
        return yaml.load(_front_matter(data), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None


def _fast_load(data: bytes) -> Any:
    doc = articles._front_matter(data, "x")
    if isinstance(doc, tuple):
        return frontmatter.load(doc[0], articles._PLAIN, first_line=doc[1],
                                max_nodes=MAX_YAML_NODES, max_depth=MAX_YAML_DEPTH)
    return None


def _best(fn: Callable[[bytes], Any], datas: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for data in datas:
            fn(data)
        best = min(best, time.perf_counter() - started)
    return best / len(datas) * 1e6


def _generated(n: int, seed: int) -> list[bytes]:
    spec = importlib.util.spec_from_file_location("gen_corpus", REPO / "benchmarks" / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_corpus"] = module
    spec.loader.exec_module(module)
    return [data for _, data in module.iter_records(n, seed, 0.001)]


def report(name: str, datas: list[bytes], repeat: int) -> None:
    hits = sum(_fast_load(data) is not None for data in datas)
    print(f"{name}: {len(datas)} files, fast path taken for {hits} "
          f"({hits / len(datas):.1%})")
    runs = {
        "csafe": lambda d: _csafe(d),
        "full": lambda d: parse_article(d, "x", fast=False),
        "fast": lambda d: parse_article(d, "x"),
        "fast load": _fast_load,
    }
    base = 0.0
    for label, fn in runs.items():
        micros = _best(fn, datas, repeat)
        base = base or micros
        print(f"  {label:<10} {micros:7.1f} us/file  {micros / base:5.2f}x csafe")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="generated files")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if CORPUS.is_dir():
        report("real corpus", [p.read_bytes() for p in sorted(CORPUS.rglob("*.md"))],
               args.repeat)
    else:
        print(f"real corpus: {CORPUS} not here; skipped")
    report(f"generated (n={args.n}, seed={args.seed})", _generated(args.n, args.seed),
           args.repeat)


if __name__ == "__main__":
    main()
