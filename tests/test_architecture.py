"""The architecture stays as docs/architecture.md draws it: no cycle between apps, views and API
handlers without ORM queries, the picture equal to the code, type-checker silences explained."""

from __future__ import annotations

import graphlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "zhengqi"


def _diagram_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("architecture_diagram", ROOT / "docs" / "architecture_diagram.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_apps_import_each_other_without_a_cycle() -> None:
    diagram = _diagram_module()
    apps = [m for layer in diagram.layers() for m in layer]
    graph: dict[str, set[str]] = {a: set() for a in apps}
    for a, b in diagram.app_edges(apps):
        graph[a].add(b)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the apps in the cycle


def test_the_picture_in_docs_is_drawn_from_the_code() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert _diagram_module().mermaid() in page, "regenerate: .venv/bin/python docs/architecture_diagram.py"


def _handlers() -> list[Path]:
    return sorted(
        p
        for p in SRC.rglob("*.py")
        if re.search(r"(^|_)(views|api)\.py$", p.name) and "engine" not in p.parts and p.parent != SRC
    )


def test_views_and_api_handlers_query_through_selectors_and_services() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _handlers()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if ".objects." in line
    ]
    assert len(_handlers()) > 20
    assert not found, found


# Where str.isdigit() is right: counting digits, a credit code's checked characters, a pid we wrote,
# a password's rule. Anywhere else it guards an int() that "²" or "①" would crash (isdigit is true
# for them; int refuses them): a typed whole number is read by web.forms.parse_int.
ISDIGIT_ALLOWED = {
    "src/zhengqi/web/forms.py",
    "src/zhengqi/engine/rules/language.py",
    "src/zhengqi/customers/validators.py",
    "src/zhengqi/scoring/models.py",
    "src/zhengqi/accounts/passwords.py",
}


def test_typed_whole_numbers_are_read_by_parse_int() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in (ROOT / "src").rglob("*.py")
        if str(p.relative_to(ROOT)) not in ISDIGIT_ALLOWED
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if ".isdigit()" in line
    ]
    assert not found, found


def test_type_checker_silences_are_few_and_explained() -> None:
    silences = [
        (f"{p.relative_to(ROOT)}:{n}", line)
        for folder in ("src", "config", "bench")
        for p in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "# type: ignore" in line
    ]
    assert len(silences) <= 60, len(silences)
    unexplained = [where for where, line in silences if not re.search(r"# type: ignore\[[^\]]+\]\s+#\s*\S", line)]
    assert not unexplained, unexplained


def test_api_modules_do_not_import_page_modules() -> None:
    """A page and its API twin share selectors and services, never each other's module."""
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _handlers()
        if re.search(r"(^|_)api\.py$", p.name)
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"\s*from \S*views import|\s*import \S*views\b", line)
    ]
    assert not found, found
