"""The layering of `market` (declared in market/layers.py) holds: no import from a lower
layer to a higher one, no circle of imports, and the pure cores import nothing of `market`."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from market.layers import LAYERS

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        mod = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[mod.removesuffix(".__init__")] = path
    return out


def _imports(mod: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of `known` that `mod` imports (at top level or inside a function alike)."""
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            subs = [f"{base}.{a.name}" for a in node.names]
            # `from pkg import mod` depends on pkg.mod; on pkg itself only for a name it defines
            names = [n for n in subs if n in known] + ([base] if any(n not in known for n in subs) else [])
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != mod:
                found.add(name)
    return found


def graph(package: str = "market") -> dict[str, set[str]]:
    known = _modules(package)
    return {mod: _imports(mod, path, known) for mod, path in known.items()}


def part(mod: str) -> str:
    """`market.orders.services` -> "orders"; `market.db` -> "db"; `market` -> "market"."""
    pieces = mod.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def upward_imports(g: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in g.items() for b in targets
                  if RANK[part(b)] > RANK[part(a)])


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in g:
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = counter[0]; counter[0] += 1; stack.append(root); on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]; counter[0] += 1
                    stack.append(child); on_stack.add(child)
                    work.append((child, iter(sorted(g[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop(); on_stack.discard(member); group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    out.append(sorted(group))
    return out


def test_every_part_of_market_has_a_declared_layer():
    unknown = sorted({part(m) for m in graph()} - set(RANK))
    assert not unknown, f"add these to market/layers.py: {unknown}"


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    violations = upward_imports(graph())
    assert not violations, "imports against the order of market/layers.py:\n" + "\n".join(violations)


def test_the_import_graph_of_market_has_no_circle():
    found = cycles(graph())
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


@pytest.mark.parametrize("core", ["scheduling", "ledger"])
def test_the_pure_cores_import_nothing_of_market(core):
    leaks = sorted(f"{a} -> {b}" for a, path in _modules(core).items()
                   for b in _imports(a, path, _modules("market")))
    assert not leaks, leaks


def test_the_check_sees_a_violating_import(tmp_path):
    """The check is not blind: an import from catalog up to matching is reported."""
    g = graph()
    g["market.catalog.services"] = g["market.catalog.services"] | {"market.matching.services"}
    assert "market.catalog.services -> market.matching.services" in upward_imports(g)
    g["market.matching.services"] = g["market.matching.services"] | {"market.catalog.services"}
    assert any("market.catalog.services" in c and "market.matching.services" in c for c in cycles(g))
