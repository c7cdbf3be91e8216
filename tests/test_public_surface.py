from __future__ import annotations

import ast
from pathlib import Path

import kb

PUBLIC = [
    "DEFAULT_LIMIT",
    "PLACEHOLDERS",
    "SIGNAL_KINDS",
    "Catalog",
    "Component",
    "Condition",
    "DataPlane",
    "Entry",
    "Example",
    "Exclusion",
    "FixStep",
    "KBError",
    "Language",
    "language_of",
    "Level",
    "LoadResult",
    "Problem",
    "Reference",
    "Runbook",
    "RunbookKind",
    "Settings",
    "Severity",
    "Signature",
    "SignalKind",
    "Step",
    "UnknownRunbookError",
    "UsageError",
    "__version__",
    "Confidence",
    "Entity",
    "Evidence",
    "Library",
    "MatchReport",
    "Result",
    "Signal",
    "bundled_runbooks_dir",
    "default_library",
    "extract_signals",
    "match",
    "open_library",
    "open_index",
    "load_runbooks",
    "runbook_schema",
    "content_hash",
    "paste_text",
    "reference_table",
    "runbook_markdown",
    "search_runbooks",
    "Range",
    "Release",
    "VersionView",
    "for_release",
    "parse_range",
    "parse_release",
]

KB = Path(kb.__file__).parent
# Modules that take data and return data: no files, sockets, processes or environment.
PURE = {
    "catalog",
    "checks",
    "errors",
    "istio_api",
    "markdown",
    "model",
    "patterns",
    "render",
    "export",
    "schema",
    "vocabulary",
    "yamldoc",
    "documents",
    "entities",
    "matcher",
    "rank",
    "term",
    "calibration",
    "glossary",
    "versions",
    "language",
    *(f"signals.{p.stem}" for p in (KB / "signals").glob("*.py")),
}
# Modules allowed to touch files, streams and the environment.
# `offline` only packages data, but it imports kb.search (for its constants and stemmer).
# facts and crd_schemas read the Istio data shipped in kb/data (like reference), once, cached.
# `holdout` builds libraries for `kb eval --holdout-sources`.
EDGE = {"__init__", "__main__", "cli", "loader", "settings", "library", "search", "evaluate", "reference", "inputs",
        "offline", "holdout", "facts", "crd_schemas"}  # fmt: skip
EDGE_IMPORTS = {"os", "sys", "subprocess", "socket", "shutil", "pickle", "tempfile", "kb.loader", "kb.cli",
                "kb.settings", "kb.library", "kb.search", "kb.evaluate"}  # fmt: skip
IO_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "getenv"}
# Each third-party library lives behind one module.
LIBRARY_HOMES = {
    "yaml": {"yamldoc"},
    "re2": {"patterns"},
    "pydantic": {"model", "loader"},
    "markdown_it": {"markdown"},
    "whoosh": {"search"},
    "jieba": {"search"},
    "fastapi": set(),
    "rich": {"term"},
    "shtab": {"cli"},
    "jsonschema": {"crd_schemas"},
}


def source(module: str) -> str:
    return (KB / f"{module.replace('.', '/')}.py").read_text(encoding="utf-8")


def modules() -> set[str]:
    return {p.relative_to(KB).with_suffix("").as_posix().replace("/", ".") for p in KB.rglob("*.py")}


def imports_of(module: str) -> set[str]:
    """Modules imported at run time (imports under `if TYPE_CHECKING:` are for annotations only)."""
    tree = ast.parse(source(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_public_surface_is_pinned() -> None:
    assert sorted(kb.__all__) == sorted(PUBLIC)
    assert all(hasattr(kb, name) for name in kb.__all__)


def calls_of(module: str) -> set[str]:
    tree = ast.parse(source(module))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "")
    return names


def test_every_module_is_classified() -> None:
    assert modules() == PURE | EDGE | {"signals.__init__"}


def test_pure_core_touches_no_edge() -> None:
    for module in sorted(PURE):
        assert not imports_of(module) & EDGE_IMPORTS, module
        assert not calls_of(module) & IO_CALLS, module


def test_each_library_behind_one_module() -> None:
    for library, homes in LIBRARY_HOMES.items():
        users = {m for m in modules() if any(i.split(".")[0] == library for i in imports_of(m))}
        assert users <= homes, (library, users - homes)
