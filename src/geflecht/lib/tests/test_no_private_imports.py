"""An app uses another app through its public names only.

A name that starts with an underscore is the module's own business: it may change
without notice, and a caller elsewhere then breaks or, worse, keeps a copy of a rule
that has moved on. This test reads every module's imports and fails when one app
imports another app's private name (``from geflecht.network.reach import _helper``) or
reaches for one through a module (``event_queries._helper``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import geflecht

ROOT = Path(geflecht.__file__).parent


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _offences(path: Path) -> list[str]:
    rel = path.relative_to(ROOT)
    own = rel.parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    other_modules: dict[str, str] = {}  # local name -> app of an imported module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geflecht."):
            app = _app(node.module or "")
            for alias in node.names:
                if app != own and alias.name.startswith("_"):
                    found.append(f"{rel}:{node.lineno} imports {node.module}.{alias.name}")
                if app != own:
                    other_modules[alias.asname or alias.name] = app
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in other_modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr != "_meta"  # a model's _meta is Django's public API
        ):
            found.append(f"{rel}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_app_imports_another_apps_private_names():
    offences = [
        o
        for path in sorted(ROOT.rglob("*.py"))
        if not {"tests", "migrations", "conftest.py"} & set(path.parts)
        for o in _offences(path)
    ]
    assert not offences, "private names used across apps:\n" + "\n".join(offences)
