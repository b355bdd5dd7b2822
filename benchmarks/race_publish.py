"""Two processes publish into one fresh output folder at the same instant, many times.

    .venv/bin/python benchmarks/race_publish.py --rounds 300

What two render workers do on a build into a new output folder, without the rest of
the build around it, so the race in creating ``topics/`` and ``providers/`` shows in
seconds rather than hours of soak (``soak_build.py``). Prints how many publishes
failed, and why; exits 1 if any did. Run it from an older checkout (``PYTHONPATH``)
to see the failure the fix in ``publish._folder`` removed: about one round in ten
raised ``FileExistsError`` there. Standard library only (plus syndicate).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from multiprocessing.synchronize import Barrier
from pathlib import Path

from syndicate.publish import write_many


def publish(root: str, start: Barrier, n: int, results: mp.Queue[str | None]) -> None:
    start.wait()  # both processes leave the barrier together, as forked workers do
    try:
        write_many(Path(root), [(f"topics/t{n}.atom", b"<feed/>"),
                                (f"providers/p{n}.atom", b"<feed/>")])
        results.put(None)
    except OSError as exc:
        results.put(f"{type(exc).__name__}: {exc.strerror or exc}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    ctx = mp.get_context("fork")
    failures: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="syndicate-race-") as tmp:
        for number in range(args.rounds):
            root = Path(tmp) / f"out-{number}"
            root.mkdir()  # the output folder exists; its feed folders do not yet
            start, results = ctx.Barrier(2), ctx.Queue()
            procs = [ctx.Process(target=publish, args=(str(root), start, n, results))
                     for n in range(2)]
            for proc in procs:
                proc.start()
            for _ in procs:
                try:
                    failure = results.get(timeout=60)
                except queue.Empty:
                    failure = "no answer within 60 s"
                if failure is not None:
                    failures[failure] += 1
            for proc in procs:
                proc.join()
            shutil.rmtree(root)
    print(f"{args.rounds} rounds, {2 * args.rounds} publishes, {sum(failures.values())} failed"
          + "".join(f"\n  {count} x {why}" for why, count in failures.most_common()))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
