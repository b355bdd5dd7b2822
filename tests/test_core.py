"""The core's shape, as a newcomer relies on it: modules that import without cycles,
one clock, exit codes in the CLI alone, docs that name real modules; incremental keys
that cover exactly what output depends on; the pure decisions and the pool helper."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_build import NOW, build, small_site, snapshot

from syndicate import cli
from syndicate.config import Config, SelectionConfig, Thresholds, WebSubConfig
from syndicate.errors import StorageError
from syndicate.incremental import LastBuild, render_key, selection_key
from syndicate.index import temporary_index
from syndicate.pool import pool_map
from syndicate.refresh import compare

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "syndicate"


def _modules() -> dict[str, Path]:
    found = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        parts = file.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        found[name] = file
    return found


def _module_level_imports(file: Path) -> set[str]:
    """The syndicate modules ``file`` imports when it is imported (imports inside
    functions and ``if TYPE_CHECKING:`` blocks run later or never)."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names.add(inner.module)
                names.update(f"{inner.module}.{a.name}" for a in inner.names)
            elif isinstance(inner, ast.Import):
                names.update(a.name for a in inner.names)
    return names


# --- shape ---------------------------------------------------------------------------

def test_no_module_imports_itself_back_through_a_cycle() -> None:
    modules = _modules()
    graph = {name: {m for m in _module_level_imports(file) if m in modules and m != name}
             for name, file in modules.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_every_module_imports_on_its_own_in_a_fresh_interpreter() -> None:
    names = sorted(n for n in _modules() if n != "syndicate.__main__")
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    for loaded in [m for m in sys.modules if m.startswith('syndicate')]:\n"
            "        del sys.modules[loaded]\n"
            "    importlib.import_module(name)\n")
    run = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True,
                         cwd=REPO, timeout=120, check=False)
    assert run.returncode == 0, run.stderr


def test_the_checker_imports_nothing_from_the_builder() -> None:
    for name, file in _modules().items():
        if name.startswith("syndicate.check"):
            outside = {m for m in _module_level_imports(file) | _all_imports(file)
                       if m.startswith("syndicate") and not m.startswith("syndicate.check")}
            assert outside == set(), name


def _all_imports(file: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_module_is_over_500_lines() -> None:
    # Every module, the checker's included, must stay readable in one sitting.
    long = {name: n for name, file in _modules().items()
            if (n := len(file.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}


def test_exit_codes_are_decided_in_the_cli_alone() -> None:
    for name, file in _modules().items():
        if name != "syndicate.cli":
            assert not re.search(r"\bEXIT_[A-Z]+\s*=", file.read_text(encoding="utf-8")), name


CLOCK_CALLS = {"time.time", "time.time_ns", "time.monotonic", "time.perf_counter",
               "datetime.now", "datetime.utcnow", "datetime.datetime.now",
               "datetime.datetime.utcnow", "date.today", "datetime.date.today"}


def test_the_builder_reads_clocks_in_one_module() -> None:
    # The checker stands apart (it imports nothing of ours): it judges "in the future"
    # by its own clock.
    readers = set()
    for name, file in _modules().items():
        if name.startswith("syndicate.check"):
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            # Calls, and references handed on to be called later (``clock=time.time``).
            if isinstance(node, ast.Attribute) and ast.unparse(node) in CLOCK_CALLS:
                readers.add(name)
    assert readers == {"syndicate.clock"}


def test_architecture_names_only_modules_that_exist() -> None:
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(syndicate/[a-z_/]+\.py|[a-z_]+/[a-z_]+\.py|[a-z_]+\.py)\b",
                           text))
    missing = []
    for ref in named:
        path = ref if ref.startswith("syndicate/") else f"syndicate/{ref}"
        if not (REPO / path).exists() and not list(PACKAGE.rglob(Path(ref).name)):
            missing.append(ref)
    assert len(named) > 20 and missing == []


def test_architecture_contracts_name_real_functions() -> None:
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    modules = _modules()
    checked = 0
    for module, body in re.findall(r"^### (\S+)\n(.*?)(?=^### |\Z)", text, re.MULTILINE | re.DOTALL):
        name = "syndicate." + module.removesuffix(".py").removesuffix("/").replace("/", ".")
        if name not in modules:
            continue
        source = "".join(f.read_text(encoding="utf-8") for n, f in modules.items()
                         if n == name or n.startswith(name + "."))
        for fn in re.findall(r"^- `([A-Za-z_][A-Za-z_0-9.]*)\(", body, re.MULTILINE):
            assert re.search(rf"\b(def|class) {re.escape(fn.split('.')[-1])}\b", source), \
                f"{module}: {fn}"
            checked += 1
    assert checked >= 10


# --- incremental keys ------------------------------------------------------------------

def _rebuilt(config: Config, **changes: object) -> Config:
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def test_a_change_no_renderer_reads_renders_nothing(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    first = build(config)
    assert first.rendered > 0
    before = snapshot(config.output.folder)
    changed = _rebuilt(config, websub=WebSubConfig(hubs=(), timeout_seconds=42.0, retries=7))
    again = build(changed, jobs=1)
    assert again.rendered == 0 and again.written == 0 and again.skipped_render
    assert snapshot(config.output.folder) == before
    assert selection_key(changed) == selection_key(config)
    assert render_key(changed) == render_key(config)


def test_a_change_a_renderer_reads_renders_again(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    build(config)
    retitled = _rebuilt(config, site=dataclasses.replace(config.site, title="Renamed"))
    assert render_key(retitled) != render_key(config)
    assert selection_key(retitled) == selection_key(config)
    result = build(retitled)
    assert result.rendered > 0 and result.written > 0
    assert b"Renamed" in (config.output.folder / "all.atom").read_bytes()
    ttl = _rebuilt(retitled, feeds=dataclasses.replace(retitled.feeds, ttl=5))
    result = build(ttl)
    changed = {o.path for o in result.outputs if o.changed}
    assert changed and all(p.endswith(".rss") for p in changed)  # only RSS carries a ttl


def test_a_selection_change_selects_afresh(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    first = build(config)
    stricter = _rebuilt(config, selection=SelectionConfig(Thresholds(90, 90, 90)))
    assert selection_key(stricter) != selection_key(config)
    assert render_key(stricter) == render_key(config)
    # Every article leaves the feeds: intended here, so the shrink guard is told so.
    result = build(stricter, allow_shrink=True)
    assert not result.skipped_render and result.written > 0
    assert first.selected > 0 and result.selected == 0


def test_last_build_record_round_trips_and_a_bad_one_is_none(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture
                                                            ) -> None:
    from syndicate.incremental import LAST_BUILD
    from syndicate.index import open_index, read_key

    config = small_site(tmp_path)
    build(config)
    key = read_key(config.source.folder, config.source.patterns,
                   config.source.max_file_bytes)
    index = open_index(config.state_folder, key)
    try:
        raw = index.get_meta(LAST_BUILD)
    finally:
        index.close()
    last = LastBuild.from_meta(raw)
    assert last is not None and last.stamps and last.feeds.all
    assert LastBuild.from_meta(last.to_meta()) == last
    assert LastBuild.from_meta({"stamps": 3}) is None
    assert "record of the last build unreadable" in caplog.text


# --- pure decisions ----------------------------------------------------------------------

def test_compare_decides_reuse_verify_parse_and_delete_without_io() -> None:
    found = [("b.md", 10, 5), ("a.md", 3, 1), ("new.md", 1, 1), ("racy.md", 7, 7),
             ("bad\udcffname.md", 1, 1)]
    stored = [("a.md", 3, 1, 0), ("b.md", 10, 4, 0), ("gone.md", 1, 1, 0),
              ("racy.md", 7, 7, 1)]
    changes = compare(found, iter(stored))
    assert changes.found == 5 and changes.reused == 1 and not changes.empty_index
    assert changes.to_parse == ("b.md", "bad\udcffname.md", "new.md")  # raw name to open
    assert changes.to_verify == (("racy.md", 7, 7),)
    assert changes.gone == ("gone.md",)
    assert compare([("a.md", 1, 1)], iter([])).empty_index


# --- the pool ----------------------------------------------------------------------------

def _square(n: int) -> int:
    return n * n


def test_pool_map_keeps_task_order_and_draws_tasks_no_faster_than_taken() -> None:
    drawn = 0

    def tasks() -> Iterator[int]:
        nonlocal drawn
        for n in range(40):
            drawn += 1
            yield n

    results = pool_map(_square, tasks(), workers=2, window=2)
    first = next(results)
    assert first == 0 and drawn <= 2 * 2 + 1  # the window, and the one drawn to refill
    assert [first, *results] == [n * n for n in range(40)]
    assert list(pool_map(_square, range(5), workers=1, window=2)) == [0, 1, 4, 9, 16]


# --- errors ----------------------------------------------------------------------------

def test_an_index_that_cannot_be_created_is_a_storage_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(StorageError):
        temporary_index(not_a_folder, "key")


# --- --now --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["2026-12-06", "2026-12-06T10:00:00", "yesterday",
                                 "2026-13-06T10:00:00Z", "2026-12-06T10:00:00+2"])
def test_an_invalid_now_is_a_one_line_usage_error(tmp_path: Path, bad: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = small_site(tmp_path)
    code = cli.main(["build", "--config", str(config.path), "--now", bad])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1 and "--now" in err
    assert not config.output.folder.exists() or not list(config.output.folder.iterdir())


def test_now_is_the_moment_owed_pings_are_queued_at(tmp_path: Path) -> None:
    config = small_site(tmp_path)
    dead_hub = "http://127.0.0.1:9/hub"  # discard port: nothing listens
    config = _rebuilt(config, websub=WebSubConfig(hubs=(dead_hub,), timeout_seconds=0.5,
                                                  retries=0))
    moment = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    result = build(config, now=moment)
    assert result.ping_failures
    pending = json.loads((config.state_folder / "websub-pending.json").read_bytes())
    assert {p["queued"] for p in pending["pending"]} == {moment.timestamp()}
    assert NOW.tzinfo is UTC


def test_now_reaches_the_build_through_the_cli(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import syndicate.build

    config = small_site(tmp_path)
    seen: list[datetime] = []
    real = syndicate.build.run_build

    def spy(config: Config, options: syndicate.build.BuildOptions) -> object:
        seen.append(options.now)
        return real(config, options)

    monkeypatch.setattr(syndicate.build, "run_build", spy)
    assert cli.main(["build", "--config", str(config.path), "--quiet",
                     "--now", "2026-12-06T11:00:00+01:00"]) == 0
    assert seen == [datetime(2026, 12, 6, 10, 0, tzinfo=UTC)]
