"""The repository keeps its promises: two Quick start commands, CI runs the test one,
and every configuration key is documented."""

from __future__ import annotations

import re
import runpy
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def quickstart() -> list[str]:
    module = runpy.run_path(str(REPO / ".ci" / "quickstart.py"))
    commands: list[str] = module["quickstart_commands"]((REPO / "README.md").read_text("utf-8"))
    return commands


def test_readme_quick_start_holds_exactly_two_commands() -> None:
    install, test = quickstart()
    assert "syndicate build" in install and "pip install" in install
    assert "pytest" in test and "[test]" in test
    # A fresh machine has only Python: both commands make their own virtualenv.
    assert install.startswith("python3 -m venv") and test.startswith("python3 -m venv")


def test_ci_runs_the_readme_test_command_fresh_and_the_linters() -> None:
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    assert "quickstart.py test" in ci
    assert "set -uo pipefail" in ci  # stages go on after a failure...
    assert 'failed+=("$name")' in ci and "exit 1" in ci  # ...and CI fails at the end
    # The copy without ../shared, in a private folder, with the newest releases.
    assert "mktemp -d" in ci and "pip install --upgrade" in ci
    assert ".venv/bin/ruff check ." in ci and ".venv/bin/mypy --strict syndicate" in ci
    assert "git diff --exit-code" in ci


def test_every_dependency_has_a_tested_range() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert {"test", "dev", "s3"} <= set(extras)
    requirements = project["dependencies"] + [r for extra in extras.values() for r in extra]
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+>=[0-9.]+,<[0-9.]+", requirement), requirement


def _keys(table: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            keys += _keys(value, name + ".")
        else:
            keys.append(name)
    return keys


def test_every_key_of_the_shipped_config_is_documented_in_readme() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    config = tomllib.loads((REPO / "config.toml").read_text("utf-8"))
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", readme))
    missing = [k for k in _keys(config) if k not in documented]
    assert not missing, f"README lacks configuration keys: {missing}"
