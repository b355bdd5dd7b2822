"""One ordered, bounded worker-pool map, used by parsing and rendering alike.

:func:`pool_map` is ``map(fn, tasks)``: in this process when one worker is enough,
else in forked worker processes with a bounded window of tasks in flight, results
taken in submission order whatever order workers finish in (so whatever consumes
them — index merge, output accounting — is deterministic, and N processes write the
same bytes as one). Not ``ProcessPoolExecutor.map``: it submits every task at once,
so results the parent has not taken yet pile up (at 100,000 files that was ~100 MB
of parsed rows waiting behind one slow chunk), and the tasks are all built up front.

Workers die with the build that started them (:func:`_worker_init`), and the
parent's heap stays shared with them (:func:`_forked_heap_shared`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")


def worker_count(requested: int) -> int:
    """``--jobs``: 0 means one worker per core."""
    return requested if requested > 0 else (os.cpu_count() or 1)


def pool_map(fn: Callable[[T], R], tasks: Iterable[T], *, workers: int, window: int
             ) -> Iterator[R]:
    """``fn(task)`` for every task, results in task order.

    ``workers <= 1``: a plain lazy ``map`` in this process. Otherwise ``workers``
    forked processes with at most ``workers * window`` tasks submitted and not yet
    taken; the next task is drawn from ``tasks`` only when a result is taken, so a
    lazy ``tasks`` is built no faster than results are consumed. ``fn`` and the tasks
    must be picklable. An exception in ``fn`` is raised here, in order."""
    if workers <= 1:
        yield from map(fn, tasks)
        return
    # Imported only when workers are used: multiprocessing is a sizeable share of the
    # start-up of a build that parses and renders nothing.
    from concurrent.futures import ProcessPoolExecutor

    source = iter(tasks)
    with _forked_heap_shared(), ProcessPoolExecutor(
            max_workers=workers, initializer=_worker_init,
            initargs=(os.getpid(),)) as pool:
        pending: deque[Future[R]] = deque(
            pool.submit(fn, task) for task in islice(source, workers * window))
        while pending:
            result = pending.popleft().result()
            task = next(source, _DONE)
            if task is not _DONE:
                pending.append(pool.submit(fn, task))  # type: ignore[arg-type]
            yield result


_DONE = object()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.25)
        if os.getppid() != parent:
            os._exit(1)


def _worker_init(parent: int) -> None:
    """Make a worker die with the build that started it.

    A killed build (cron timeout, ``kill -9``) must not leave workers behind: on Linux
    the kernel sends them SIGKILL when the parent dies (PR_SET_PDEATHSIG); elsewhere,
    and as a backstop, a thread notices being re-parented and exits.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


@contextlib.contextmanager
def _forked_heap_shared() -> Iterator[None]:
    """Keep the parent's heap shared with the workers forked meanwhile.

    Workers are forked from the parent, whose heap may hold the selection of every
    file (~100 MB at 100,000 files, when rendering). A worker's garbage collector walks
    and writes the header of every tracked object it inherited, so copy-on-write gave
    each worker its own copy of all of it. Frozen objects are never walked: the pages
    stay shared (the parent still frees its own garbage by reference counting
    meanwhile). Workers are forked at the first submit, inside this block."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
