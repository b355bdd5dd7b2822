"""CLI behaviour that belongs to no single command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_closed_pipe_is_not_a_traceback() -> None:
    # `syndicate explain ... | head -1`: the reader takes one line and closes the pipe.
    # Files are repeated so the output outgrows the pipe buffer and a write really fails.
    files = [str(p) for p in sorted((REPO / "articles").glob("*.md"))] * 40
    proc = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "explain", "--config", str(REPO / "config.toml"),
         *files],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert b": selected: " in first or b": filtered: " in first
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 0


def test_python_dash_m_and_console_script_agree() -> None:
    proc = subprocess.run([sys.executable, "-m", "syndicate", "--version"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("syndicate ")
