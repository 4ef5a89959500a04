"""Architecture figures: imports inside functions, import cycles and the largest modules of the product code.

    .venv/bin/python bench/imports.py [--verbose] [ROOT]

ROOT defaults to this checkout; pass another checkout (e.g. an exported main) to compare. Product code is
``opsconsole``, ``sync`` and ``reconciliation`` without migrations. An import inside a function is any
``import`` / ``from ... import`` in a function body, except under ``if TYPE_CHECKING:``. Cycles are the
strongly connected components (more than one module) of grimp's import graph, which counts every import,
those inside functions included — the graph import-linter checks.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import os
import sys
from pathlib import Path

PACKAGES = ("opsconsole", "sync", "reconciliation")


def product_files(root: Path) -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def imports_inside_functions(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    class Visitor(ast.NodeVisitor):
        depth = 0

        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for child in node.orelse:
                    self.visit(child)
            else:
                self.generic_visit(node)

        def _function(self, node: ast.AST) -> None:
            self.depth += 1
            self.generic_visit(node)
            self.depth -= 1

        visit_FunctionDef = visit_AsyncFunctionDef = _function

        def _import(self, node: ast.Import | ast.ImportFrom) -> None:
            if self.depth:
                found.append((node.lineno, ast.unparse(node)))

        visit_Import = visit_ImportFrom = _import

    Visitor().visit(ast.parse(path.read_text()))
    return found


def import_cycles(root: Path) -> list[list[str]]:
    sys.path.insert(0, str(root))
    os.chdir(root)
    import grimp

    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    modules = {m for m in graph.modules if ".migrations" not in m}
    edges = {m: [n for n in graph.find_modules_directly_imported_by(m) if n in modules] for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = itertools.count()
    sys.setrecursionlimit(10_000)

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = next(counter)
        stack.append(module)
        on_stack.add(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            components.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return sorted((c for c in components if len(c) > 1), key=len, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--verbose", action="store_true", help="list each import inside a function")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    files = product_files(root)

    inner = [(path, line, text) for path in files for line, text in imports_inside_functions(path)]
    print(f"imports inside functions (product code, no migrations, no TYPE_CHECKING blocks): {len(inner)}")
    if args.verbose:
        for path, line, text in inner:
            print(f"  {path.relative_to(root)}:{line}: {text}")
    cycles = import_cycles(root)
    print(
        f"import cycles (strongly connected components of more than one module): {len(cycles)}, "
        f"modules in them: {sum(len(c) for c in cycles)}"
    )
    for cycle in cycles:
        print(f"  {len(cycle)} modules: {', '.join(cycle)}")
    print("five largest product modules (lines):")
    sizes = sorted(((len(p.read_text().splitlines()), p) for p in files), key=lambda t: (-t[0], str(t[1])))
    for lines, path in sizes[:5]:
        print(f"  {lines:5d} {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
