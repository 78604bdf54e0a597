"""Draws docs/architecture.md's picture from the code: the layers of import-linter's contract in
pyproject.toml, and the imports between apps that grimp (import-linter's own graph) finds today.

    .venv/bin/python docs/architecture_diagram.py        # prints the Mermaid block

tests/test_architecture.py keeps the block in docs/architecture.md equal to this output."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "layers"


def layers() -> list[list[str]]:
    """The layers of the contract, top first, each a list of its (independent) modules."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == CONTRACT)
    return [[m.strip() for m in layer.split("|")] for layer in contract["layers"]]


def app_edges(apps: list[str]) -> set[tuple[str, str]]:
    """(importer, imported) between the apps, from every module- and function-level import."""
    import grimp

    sys.path.insert(0, str(ROOT / "src"))
    graph = grimp.build_graph("zhengqi", cache_dir=None)

    def app_of(module: str) -> str | None:
        return next((a for a in apps if module == a or module.startswith(a + ".")), None)

    edges = set()
    for module in graph.modules:
        importer = app_of(module)
        for imported in graph.find_modules_directly_imported_by(module):
            target = app_of(imported)
            if importer and target and importer != target:
                edges.add((importer, target))
    return edges


def mermaid() -> str:
    stack = layers()
    apps = [m for layer in stack for m in layer]
    name = {m: m.removeprefix("zhengqi.") for m in apps}
    lines = ["```mermaid", "flowchart TB"]
    for k, layer in enumerate(stack):
        lines.append(f'  subgraph L{k}["{" | ".join(name[m] for m in layer)}"]')
        lines.extend(f"    {name[m]}" for m in layer)
        lines.append("  end")
    for k in range(len(stack) - 1):
        lines.append(f"  L{k} ~~~ L{k + 1}")
    # Everyone uses the bottom layers and the top layer uses everyone: only the imports between
    # the domain apps are drawn.
    common = {m for layer in stack[-3:] for m in layer} | set(stack[0])
    for a, b in sorted(app_edges(apps)):
        if a not in common and b not in common:
            lines.append(f"  {name[a]} --> {name[b]}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
