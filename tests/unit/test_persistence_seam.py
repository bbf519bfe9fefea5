"""The persistence seam, read from the source: every DynamoDB expression and index attribute is spelled in
chalicelib/store/ alone. The domain asks the store for what it means ("publish the review", "claim the due
request"); a string that reads as an update or condition expression, or names an index attribute, anywhere else is
persistence leaking back out."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
STORE = PACKAGE / "store"

# An update expression's clause, a condition's function, or an index attribute by its name
EXPRESSION = re.compile(
    r"^\s*(SET|ADD|REMOVE|DELETE)\s+[#:A-Za-z_]"
    r"|\b(attribute_exists|attribute_not_exists|if_not_exists|begins_with|list_append)\s*\("
    r"|\bGSI[12](PK|SK)\b"
)


def _strings(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def _is_docstring_line(path: Path, line: int) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and first.lineno == line:
                return True
    return False


def test_no_expression_or_index_attribute_outside_the_store():
    leaks = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if STORE in path.parents:
            continue
        for line, text in _strings(path):
            if EXPRESSION.search(text) and not _is_docstring_line(path, line):
                leaks.append(f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}")
    assert leaks == [], "spell these in chalicelib/store/ and ask for them by meaning:\n" + "\n".join(leaks)


def test_the_check_sees_a_leak():
    assert EXPRESSION.search("SET request_status = :s")
    assert EXPRESSION.search("ADD version :one")
    assert EXPRESSION.search("attribute_not_exists(PK)")
    assert EXPRESSION.search("GSI1PK")
    assert not EXPRESSION.search("Set your review delay")
    assert not EXPRESSION.search("settings")
