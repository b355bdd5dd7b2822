"""The benchmark's synthetic corpus generator, for tests that need realistic folders.

benchmarks/ is a folder of scripts, not a package, so the file itself is loaded (once).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_generator() -> ModuleType:
    if "gen_corpus" in sys.modules:
        return sys.modules["gen_corpus"]
    spec = importlib.util.spec_from_file_location("gen_corpus",
                                                  REPO / "benchmarks" / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_corpus"] = module
    spec.loader.exec_module(module)
    return module
