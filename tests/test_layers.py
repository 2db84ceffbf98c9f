"""Import rules, read from the source with ast: which package may import which, and no cycles.

Two tables say what must stay true; extend them as the layers are drawn:
- FORBIDDEN: package -> packages it must never import. Every import in its files counts
  (FORBIDDEN_REACH), wherever it stands: a lazy import is a dependency all the same.
- ACYCLIC: packages whose modules must not import each other in a loop (cycles() works on
  any set of first-party packages). CYCLE_REACH says which imports close a loop: those that
  run when a module loads; functions' lazy imports and TYPE_CHECKING blocks are left out.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("bot", "handlers", "storage", "scheduler", "faq", "sandbox")


@dataclass(frozen=True)
class Reach:
    """Which import statements of a file a rule sees."""

    in_functions: bool  # lazy imports inside a function body
    type_checking: bool  # imports under ``if TYPE_CHECKING:``


ON_LOAD = Reach(in_functions=False, type_checking=False)  # what runs when the module loads
EVERYWHERE = Reach(in_functions=True, type_checking=True)  # every import statement

# The composition root: builds the application, wires handlers, jobs and message kinds, and
# may import anything; nothing imports it.
TOP = frozenset({"bot.app", "bot.__main__", "bot.runner"})

SERVICE_FORBIDDEN = TOP | {"handlers", "scheduler", "telegram", "bot.context"}

# Keys and values are dotted prefixes: "bot.app" is that module, "handlers" the whole package,
# "telegram" the third-party library.
FORBIDDEN: dict[str, frozenset[str]] = {
    # A tool of its own: the bot plugs into it (bot/runner.py), never the other way.
    "sandbox": frozenset({"bot", "handlers", "storage", "scheduler", "faq"}),
    # Telegram adapters: they use services and storage, and are wired by bot/app.py.
    "handlers": TOP,
    # Timed jobs and the outbox: they know message kinds, not how handlers draw them.
    "scheduler": TOP | {"handlers"},
    # The database: below the services and everything that talks to Telegram.
    # Pure rules (bot.support.rules) are below it; the services that use it are above.
    "storage": TOP
    | {"handlers", "scheduler", "faq", "telegram", "bot.context", "bot.data", "bot.notify"}
    | {"bot.support.service", "bot.support.staff", "bot.support.sla"}
    | {"bot.support.relay", "bot.support.texts"}
    | {"bot.review", "bot.fulfilment", "bot.application.service", "bot.privacy"}
    | {"bot.reports"},
    "faq": TOP | {"handlers", "scheduler"},
    # Capability services: rules, use cases and the message kinds they queue; no Telegram,
    # not even the typed handler context. Those narrowed so far take repositories and the
    # settings values they use, never the process-wide bot.data.BotData.
    "bot.application": SERVICE_FORBIDDEN | {"bot.data"},
    "bot.privacy": SERVICE_FORBIDDEN,
    "bot.support": SERVICE_FORBIDDEN,
    "bot.review": SERVICE_FORBIDDEN | {"bot.data"},
    "bot.fulfilment": SERVICE_FORBIDDEN | {"bot.data"},
    "bot.reports": SERVICE_FORBIDDEN,
}
FORBIDDEN_REACH = EVERYWHERE
# The whole tree: no two modules import each other, even lazily or for type checking only.
ACYCLIC: tuple[str, ...] = FIRST_PARTY
CYCLE_REACH = EVERYWHERE


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the given top-level packages."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(body: list[ast.stmt], reach: Reach) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements in ``body`` and in the blocks inside it, as far as ``reach`` goes."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not reach.in_functions:
            continue
        if isinstance(node, ast.If) and _is_type_checking(node) and not reach.type_checking:
            yield from _import_nodes(node.orelse, reach)
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if not isinstance(inner, list):
                continue
            stmts = [s for s in inner if isinstance(s, ast.stmt)]
            for child in inner:  # except handlers and match cases hold statements
                if isinstance(child, ast.excepthandler | ast.match_case):
                    stmts.extend(child.body)
            yield from _import_nodes(stmts, reach)


def imported_names(module: str, path: Path, reach: Reach) -> set[str]:
    """Every dotted name the module imports (``from a.b import c`` gives a.b.c)."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in _import_nodes(tree.body, reach):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:  # relative: from the module's own package, up level - 1 more
            package = module.split(".") if is_package else module.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        names.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return names


def _resolve(name: str, known: dict[str, Path]) -> str:
    """The longest known module that ``name`` lies in (a.b.function -> a.b), else ''."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def import_graph(
    root: Path, packages: Iterable[str], reach: Reach = ON_LOAD
) -> dict[str, set[str]]:
    """Module -> the first-party modules it imports, among the modules of ``packages``."""
    found = modules(root, packages)
    graph: dict[str, set[str]] = {}
    for module, path in found.items():
        targets = set()
        for name in imported_names(module, path, reach):
            target = _resolve(name, found)
            if target and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other in a loop (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def forbidden_imports(root: Path, package: str, forbidden: Iterable[str]) -> list[str]:
    """``module -> imported`` for every import from ``package`` (a dotted prefix) into a
    forbidden one (dotted prefixes too: a package, a module, or a third-party library)."""
    banned = tuple(forbidden)
    top = package.split(".")[0]
    known = modules(root, {p.split(".")[0] for p in banned if (root / p.split(".")[0]).is_dir()})
    return sorted(
        {
            f"{module} -> {_resolve(name, known) or name}"
            for module, path in modules(root, [top]).items()
            if _within(module, [package])
            for name in imported_names(module, path, FORBIDDEN_REACH)
            if _within(_resolve(name, known) or name, banned)
        }
    )


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_above_it(package: str) -> None:
    assert forbidden_imports(ROOT, package, FORBIDDEN[package]) == []


@pytest.mark.parametrize("package", ACYCLIC)
def test_no_import_cycle_inside(package: str) -> None:
    assert cycles(import_graph(ROOT, [package], CYCLE_REACH)) == []


def test_no_import_cycle_across_the_whole_tree() -> None:
    assert cycles(import_graph(ROOT, FIRST_PARTY, CYCLE_REACH)) == []


def test_nothing_imports_the_composition_root() -> None:
    graph = import_graph(ROOT, FIRST_PARTY, EVERYWHERE)
    assert (
        sorted(
            f"{module} -> {target}"
            for module, targets in graph.items()
            if module not in TOP
            for target in targets & TOP
        )
        == []
    )


SERVICES = (
    "bot.support",
    "bot.review",
    "bot.fulfilment",
    "bot.reports",
    "bot.application",
    "bot.privacy",
)


def test_the_services_load_without_telegram() -> None:
    """Not even through a module they import: a service runs in a job, a CLI or a test alone."""
    names = sorted(m for m in modules(ROOT, ["bot"]) if _within(m, SERVICES))
    probe = (
        f"import importlib, sys\nfor name in {names!r}:\n    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] == 'telegram'}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


# ----- the checker itself, on a small made-up tree ---------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_circle_is_found_through_relative_and_absolute_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": "from app.b import thing\n",
            "app/b.py": "from . import c\n",
            "app/c.py": "import app.a\n",
            "app/d.py": "from app.a import thing\n",
        },
    )
    assert cycles(import_graph(root, ["app"])) == [["app.a", "app.b", "app.c"]]


def test_type_checking_and_lazy_imports_close_a_circle_only_within_reach(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": "from app import b\n",
            "app/b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from app.a import A\n"
                "def later():\n    from app import a\n"
            ),
        },
    )
    assert cycles(import_graph(root, ["app"], ON_LOAD)) == []
    assert cycles(import_graph(root, ["app"], EVERYWHERE)) == [["app.a", "app.b"]]


def test_a_lazy_import_into_a_forbidden_package_is_still_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tool/__init__.py": "",
            "tool/page.py": "def load():\n    from core.data import rows\n    return rows\n",
            "core/__init__.py": "",
            "core/data.py": "rows = []\n",
        },
    )
    assert forbidden_imports(root, "tool", ["core"]) == ["tool.page -> core.data"]


def test_an_upward_import_and_a_cross_layer_circle_fail_the_rules(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/app.py": "from adapters import views\n",
            "core/context.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from jobs.outbox import Sender\n"
            ),
            "core/rules.py": "import telegram\n",
            "jobs/__init__.py": "",
            "jobs/outbox.py": "def send():\n    from adapters.views import card\n",
            "adapters/__init__.py": "",
            "adapters/views.py": "from core.context import Data\n",
        },
    )
    assert forbidden_imports(root, "jobs", ["adapters", "core.app"]) == [
        "jobs.outbox -> adapters.views"
    ]
    assert forbidden_imports(root, "core.rules", ["telegram", "adapters"]) == [
        "core.rules -> telegram"
    ]
    assert forbidden_imports(root, "adapters", ["core.app"]) == []
    everywhere = import_graph(root, ["core", "jobs", "adapters"], EVERYWHERE)
    assert cycles(everywhere) == [["adapters.views", "core.context", "jobs.outbox"]]
    assert cycles(import_graph(root, ["core", "jobs", "adapters"], ON_LOAD)) == []
