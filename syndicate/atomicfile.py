"""Replace one file atomically: readers (and a crash) see the old bytes or the new ones.

For files outside the output folder (the --report JSON, state files). Published feeds go
through :mod:`syndicate.publish`, which adds path confinement and change detection.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(file: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``file``, fsync it, then rename it over
    ``file``. On any error the temporary file is removed and the old file is untouched."""
    folder = file.parent if str(file.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, file)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
