"""CLI behaviour that belongs to no single command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_closed_pipe_is_not_a_traceback() -> None:
    # `syndicate explain ... | head -1`: head exits after one line and the pipe closes.
    files = " ".join(str(p) for p in sorted((REPO / "articles").glob("*.md")))
    proc = subprocess.run(
        ["bash", "-c", f"'{sys.executable}' -m syndicate explain --config "
                       f"'{REPO / 'config.toml'}' {files} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert proc.returncode == 0


def test_python_dash_m_and_console_script_agree() -> None:
    proc = subprocess.run([sys.executable, "-m", "syndicate", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.startswith("syndicate ")
