"""Print one of the two commands of README's Quick start block: `install` or `test`.

.ci/run executes the `test` one, so CI always runs exactly what the README tells a
user to run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def quickstart_commands(text: str) -> list[str]:
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.DOTALL | re.MULTILINE)
    if section is None:
        raise SystemExit("README.md has no '## Quick start' section")
    block = re.search(r"^```(?:sh|bash|console)?\n(.*?)^```", section.group(1), re.DOTALL | re.MULTILINE)
    if block is None:
        raise SystemExit("README.md Quick start has no code block")
    return [line.strip() for line in block.group(1).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def main() -> None:
    commands = quickstart_commands(README.read_text(encoding="utf-8"))
    if len(commands) != 2:
        raise SystemExit(f"README.md Quick start must hold exactly two commands, "
                         f"found {len(commands)}")
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which not in ("install", "test"):
        raise SystemExit("usage: quickstart.py install|test")
    print(commands[0] if which == "install" else commands[1])


if __name__ == "__main__":
    main()
