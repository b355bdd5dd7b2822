"""Agreement of `syndicate check` with another validator's verdicts, feed by feed.

The W3C Feed Validation Service is not on PyPI; to measure against it, run a local copy
through a small adapter that prints one JSON line per file,
``{"path": "<path as given>", "error": true|false}``, and name it with --reference
(see benchmarks/README.md, "Agreement with the W3C Feed Validator", for the adapter we
used). Only the error/no-error verdict is compared: warnings and notices do not count,
on either side.

    .venv/bin/python benchmarks/w3c_agreement.py CASES --reference "python3 run_ref.py {files}"

Paths are given to both sides relative to CASES (the W3C validator compares self links
with the location it was told, so absolute paths would distort its verdicts).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]


class Verdict(NamedTuple):
    error: bool
    detail: str  # what made it an error (codes or message classes), for the listing


def _files(cases: Path) -> list[str]:
    return sorted(str(p.relative_to(cases)) for p in cases.rglob("*")
                  if p.is_file() and not p.name.startswith("."))


def ours(cases: Path, files: list[str]) -> dict[str, Verdict]:
    proc = subprocess.run(
        [sys.executable, "-m", "syndicate", "check", "--format", "json", *files],
        cwd=cases, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    report = json.loads(proc.stdout)
    return {f["path"]: Verdict(bool(f["errors"]),
                               ",".join(sorted({e["code"] for e in f["errors"]})))
            for f in report["files"]}


def reference(cases: Path, files: list[str], command: str) -> dict[str, Verdict]:
    args = [a for part in shlex.split(command)
            for a in (files if part == "{files}" else [part])]
    proc = subprocess.run(args, cwd=cases, capture_output=True, text=True, check=False)
    verdicts: dict[str, Verdict] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            if "error" in row:  # a row without a verdict (the validator crashed) is skipped
                verdicts[row["path"]] = Verdict(bool(row["error"]),
                                                ",".join(row.get("errors", ())))
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", type=Path, help="folder of feeds (searched recursively)")
    parser.add_argument("--reference", required=True, metavar="COMMAND",
                        help="command printing one JSON verdict line per file; "
                             "{files} is replaced by the relative paths")
    args = parser.parse_args()
    cases = args.cases.resolve()
    files = _files(cases)
    mine, theirs = ours(cases, files), reference(cases, files, args.reference)
    judged = [f for f in files if f in theirs and f in mine]
    differ = [f for f in judged if mine[f].error != theirs[f].error]
    folders: Counter[str] = Counter(f.split(os.sep)[0] for f in judged)
    wrong: Counter[str] = Counter(f.split(os.sep)[0] for f in differ)
    share = 100 * (len(judged) - len(differ)) / max(1, len(judged))
    print(f"{len(judged)} feeds judged by both ({len(files) - len(judged)} not), "
          f"{len(judged) - len(differ)} agree ({share:.2f}%), {len(differ)} differ")
    for folder in sorted(folders):
        print(f"  {folder}: {folders[folder]} feeds, {wrong[folder]} differ")
    for f in differ:
        print(f"  differ: {f}: reference {'error' if theirs[f].error else 'no error'} "
              f"{theirs[f].detail}; syndicate {'error ' + mine[f].detail if mine[f].error else 'no error'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
