"""Who may see a record is decided in one place (lib.visibility); a test keeps it there.

The rule was once written in six copies, and the copies that only knew "private" showed
team records to the whole company. This test reads the source of every module and fails
when a visibility value ("private", "team", "company") is compared or filtered on outside
the modules that are allowed to: the rule itself, the models' constraints, and the few
writers that decide which row (the shared one or a user's own) a write goes to. Code that
asks "may this user see it" calls lib.visibility (visible_q, visible_to, can_see, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import geflecht

ROOT = Path(geflecht.__file__).parent
VALUES = {"private", "team", "company"}

#: Modules that may name visibility values, and why. Anything else asks lib.visibility.
ALLOWED = {
    "lib/visibility.py": "the rule itself",
    "lib/models.py": "the choices",
    # Storage scope: one shared row per pair and one own row per owner; which row a write
    # goes to (or a merge, an erasure, a hand-over moves) is not a question of who sees it.
    "network/actions.py": "which relationship row a write goes to",
    "network/snapshot.py": "the snapshot's owner key per row (SQL)",
    "people/actions.py": "merging rows of different scopes",
    "network/merge.py": "merging ties of different scopes",
    "importers/load.py": "which rows an import reuses or creates",
    "privacy/actions.py": "erasure recomputes the pairs it leaves",
    "privacy/leaving.py": "a removed user's own records are erased or handed over",
    # Debts: these read the company-wide rows on purpose (derived evidence, place names,
    # introductions), to be moved behind a named helper of lib.visibility.
    "intros/actions.py": "an introduction's new tie follows the target's scope",
    "skills/queries.py": "the expert index keeps each person's scope in an array",
    "skills/actions.py": "evidence is derived from company-wide interactions only",
    "projects/evidence.py": "evidence is derived from company-wide projects only",
    "events/actions.py": "fair imports reuse company-wide firms only",
    "network/queries.py": "which of a user's rows of one pair is theirs",
    "network/reach.py": "'us' are the colleagues everyone sees, the same for every reader",
    "people/queries.py": "the search index keeps each person's scope in an array",
    "privacy/queries.py": "only the owner of a private contact may erase it",
}


def _named_values(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and node.value in VALUES:
        return True
    if isinstance(node, ast.Attribute) and node.attr in {"PRIVATE", "TEAM", "COMPANY"}:
        return isinstance(node.value, ast.Name) and node.value.id == "Visibility"
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(_named_values(e) for e in node.elts)
    return False


def _mentions_visibility(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "visibility")
        or (isinstance(n, ast.Name) and "visibility" in n.id)
        for n in ast.walk(node)
    )


def findings(tree: ast.AST) -> list[int]:
    """Lines that compare or filter on a visibility value."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_named_values(s) for s in sides) and any(_mentions_visibility(s) for s in sides):
                lines.append(node.lineno)
        elif isinstance(node, ast.keyword) and node.arg and "visibility" in node.arg:
            if _named_values(node.value):
                lines.append(node.value.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if "visibility =" in text or "visibility in (" in text:
                lines.append(node.lineno)
    return lines


def test_visibility_is_decided_only_by_the_one_rule():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or rel.startswith("demo/"):
            continue  # tests and the demo's seeding name values on purpose
        if rel in ALLOWED or rel.endswith("models.py"):
            continue  # constraints and clean() of the models name their own values
        tree = ast.parse(path.read_text(), filename=rel)
        offenders += [f"{rel}:{line}" for line in findings(tree)]
    assert not offenders, (
        "Decide visibility through lib.visibility (visible_q, visible_to, can_see), "
        f"not by comparing values: {offenders}"
    )


def test_the_check_finds_a_private_only_filter():
    # The copy that caused the team leak: it must be caught.
    source = (
        "def shown(user):\n"
        "    return ~Q(person__visibility='private') | Q(person__owner=user)\n"
        "def mine(rel):\n"
        "    return rel.visibility == Visibility.PRIVATE\n"
        "SQL = \"SELECT 1 FROM p WHERE p.visibility = 'company'\"\n"
    )
    assert sorted(findings(ast.parse(source))) == [2, 4, 5]


def test_every_allowed_module_still_exists():
    assert all((ROOT / rel).exists() for rel in ALLOWED)
