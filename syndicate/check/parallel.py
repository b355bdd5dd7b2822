"""An ordered parallel map for many small, independent jobs: forked workers plus the
calling process itself, sharing one queue of chunks.

Why not multiprocessing: its import and pool start-up cost tens of milliseconds (a
quarter of a 1,300-file check), and its parent only waits while the workers work. Here
the parent checks chunks too, so on 2 cores one fork doubles the speed.

How: chunk numbers are written up front, 4 bytes each, into one pipe; every process
reads 4 bytes at a time (pipe reads and writes this small are atomic), so whoever is
free takes the next chunk. A worker keeps its results and sends them all, pickled, when
the queue is empty; the parent places every result by chunk number, so the output is in
input order whoever did the work. A worker that dies (or sends garbage) costs only
time: the parent does every chunk it did not receive itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

J = TypeVar("J")
R = TypeVar("R")

_UNIT = 4  # bytes per chunk number in the queue pipe
# 4 KiB of chunk numbers: a pipe holds at least one page even when the user's pipe
# budget is spent (pipe-user-pages-soft), so writing them all never blocks.
_MAX_CHUNKS = 1024


def cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def ordered_map(func: Callable[[J], R], jobs: Sequence[J], *, workers: int,
                chunk: int) -> list[R]:
    """``[func(j) for j in jobs]``, computed by this process and ``workers - 1`` forks.

    Serial when ``workers < 2``, on platforms without ``fork``, or when there are too few
    jobs for two chunks.
    """
    chunk = max(1, chunk, -(-len(jobs) // _MAX_CHUNKS))
    count = -(-len(jobs) // chunk)
    workers = min(workers, count)
    if workers < 2 or not hasattr(os, "fork") or sys.platform != "linux":
        return [func(j) for j in jobs]
    import pickle  # only for parallel runs

    done: dict[int, list[R]] = {}
    queue_r, queue_w = os.pipe()
    numbers = memoryview(b"".join(i.to_bytes(_UNIT, "little") for i in range(count)))
    while numbers:
        numbers = numbers[os.write(queue_w, numbers):]
    os.close(queue_w)  # EOF once the numbers are taken: workers stop by themselves
    children: list[tuple[int, int]] = []  # (pid, read end of its result pipe)
    finished = False
    try:
        for _ in range(workers - 1):
            res_r, res_w = os.pipe()
            try:
                pid = os.fork()
            except OSError:
                os.close(res_r)
                os.close(res_w)
                break  # fewer helpers; the parent does the rest
            if pid == 0:  # pragma: no cover (runs in the child; its results are checked)
                _child(func, jobs, chunk, queue_r, res_w, [r for _, r in children] + [res_r])
            os.close(res_w)
            children.append((pid, res_r))
        _work(func, jobs, chunk, queue_r, done)
        for pid, res_r in children:
            payload = _read_all(res_r)
            try:
                received = pickle.loads(payload) if payload else {}
            except Exception:  # noqa: BLE001 - a broken worker: redo its chunks below
                received = {}
            if isinstance(received, dict):
                done.update(received)
        finished = True
    finally:
        os.close(queue_r)
        for pid, res_r in children:
            if not finished:  # an exception here (Ctrl-C): the workers' results are moot
                import signal

                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(OSError):
                os.close(res_r)
            os.waitpid(pid, 0)
    out: list[R] = []
    for i in range(count):
        part = done.get(i)
        if part is None or len(part) != len(jobs[i * chunk:(i + 1) * chunk]):
            part = [func(j) for j in jobs[i * chunk:(i + 1) * chunk]]  # a worker died
        out.extend(part)
    return out


def _work(func: Callable[[J], R], jobs: Sequence[J], chunk: int, queue_r: int,
          done: dict[int, list[R]]) -> None:
    while len(raw := os.read(queue_r, _UNIT)) == _UNIT:
        i = int.from_bytes(raw, "little")
        done[i] = [func(j) for j in jobs[i * chunk:(i + 1) * chunk]]


def _child(func: Callable[[J], R], jobs: Sequence[J], chunk: int, queue_r: int,
           res_w: int, inherited: list[int]) -> None:  # pragma: no cover (in the child)
    code = 70
    try:
        for fd in inherited:  # the other workers' pipes: not ours to hold open
            os.close(fd)
        import pickle

        done: dict[int, list[R]] = {}
        _work(func, jobs, chunk, queue_r, done)
        payload = memoryview(pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))
        while payload:
            payload = payload[os.write(res_w, payload):]
        code = 0
    except BaseException:  # noqa: BLE001 - never unwind into the parent's code
        code = 70  # the parent redoes this worker's chunks
    finally:
        os._exit(code)  # no atexit handlers, no flushing the parent's buffers


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, 1 << 20):
        parts.append(chunk)
    return b"".join(parts)
