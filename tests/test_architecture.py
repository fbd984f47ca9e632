"""The import graph of ``assistant/``: layers flow one way, no cycles, one module per SDK.

Layers (docs/architecture.md, STYLE.md): data types and errors -> settings -> parts ->
the service facade -> front ends. A module may import its own layer or those below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "assistant"
LAYERS: dict[str, int] = {
    # 0: plain data, errors, generic helpers
    "types": 0, "errors": 0, "cache": 0,
    # 1: configuration and the project's data folders
    "settings": 1, "resources": 1,
    # 2: the parts
    "sources": 2, "text": 2, "embed": 2, "store": 2, "store_layout": 2, "lexical": 2, "retrieve": 2,
    "attribution": 2, "speech_phrases": 2, "speech_names": 2, "speech_cache": 2, "dates": 2, "conversation": 2, "prompts": 2, "ingest": 2,
    "briefing": 2, "briefing_llm": 2, "saved_briefings": 2, "answer": 2, "render": 2, "sides": 2,
    "speech_lexicon": 2,
    "store_faults": 2, "transfer": 2,
    "netguard": 2, "httpguard": 2, "limits": 2, "integrity": 2, "feedback": 2, "formats": 2,
    "parsing": 2,
    # 3: the facade that wires the parts
    "service": 3,
    # 4: front ends and what sits on the facade
    "cli": 4, "cli_console": 4, "cli_eval": 4, "web": 4, "webview": 4, "api": 4, "api_schema": 4,
    "uploads": 4, "evaluate": 4,
    "langchain_retriever": 4, "eval_attribution": 4, "eval_summhay": 4, "watch": 4, "slack": 4, "slackbot": 4, "slackdraft": 4, "__main__": 4,
}  # fmt: skip
SDKS = {  # a third-party SDK lives in exactly one module
    "chromadb": {"assistant.store"},
    "gradio": {"assistant.web"},
    "langchain_openai": {"assistant.answer.chat"},
    "langchain_ollama": {"assistant.answer.chat"},
    "slack_bolt": {"assistant.slack"},
    "slack_sdk": {"assistant.slack"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    return skip


def imports(path: Path, root: Path = ROOT, typing: bool = True) -> set[str]:
    """Every module ``path`` imports: at the top, in functions, and (with ``typing``) in
    ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    skip = set() if typing else _type_checking_only(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], base]).strip(".")
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # submodules imported by name
    return out


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {  # everything imported, for the layer rule
    name: {m for m in imports(path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}
RUNTIME = {  # what runs (no TYPE_CHECKING imports), for the cycle rule
    name: {m for m in imports(path, typing=False) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    if top not in LAYERS:
        pytest.fail(f"{module} has no layer: add '{top}' to LAYERS in tests/test_architecture.py")
    return LAYERS[top]


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        if name != "assistant":
            layer(name)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "assistant"))
def test_no_module_imports_a_layer_above_it(module: str) -> None:
    above = sorted(m for m in GRAPH[module] if m != "assistant" and layer(m) > layer(module))
    assert above == [], f"{module} (layer {layer(module)}) imports {above}"


def test_the_import_graph_has_no_cycle() -> None:
    done: set[str] = set()
    path: list[str] = []

    def visit(m: str) -> None:
        if m in path:
            pytest.fail("import cycle: " + " -> ".join([*path[path.index(m) :], m]))
        if m in done:
            return
        path.append(m)
        for n in sorted(RUNTIME[m]):
            visit(n)
        path.pop()
        done.add(m)

    for m in sorted(RUNTIME):
        visit(m)


@pytest.mark.parametrize("sdk", sorted(SDKS))
def test_each_sdk_is_imported_by_one_module(sdk: str) -> None:
    users = {
        name
        for name, path in MODULES.items()
        if any(m == sdk or m.startswith(sdk + ".") for m in imports(path))
    }
    assert users <= SDKS[sdk], f"{sdk} is imported by {sorted(users - SDKS[sdk])}"


def test_answerers_take_no_any_typed_assistant() -> None:
    for name, path in MODULES.items():
        if name.startswith("assistant.answer"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            args = [a for f in ast.walk(tree) if isinstance(f, ast.arguments) for a in f.args]
            assert not [a.arg for a in args if a.arg == "assistant"], name


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "assistant" / "sub"
    pkg.mkdir(parents=True)
    (pkg / "mod.py").write_text(
        "from . import sibling\nfrom ..service import Assistant\n"
        "def f():\n    import assistant.cli\n"
        "if TYPE_CHECKING:\n    from assistant.web import x\n",
        encoding="utf-8",
    )
    assert imports(pkg / "mod.py", tmp_path) >= {
        "assistant.sub.sibling",
        "assistant.service",
        "assistant.service.Assistant",
        "assistant.cli",
        "assistant.web",
    }
    assert "assistant.web" not in imports(pkg / "mod.py", tmp_path, typing=False)
