"""Every key of the single table is built in chalicelib/store/keys.py, and its stored shape never changes.

The scan reads the service's source as Python (string constants and the literal parts of f-strings,
docstrings left out) and fails on anything shaped like a key outside keys.py: an upper-case word
followed by "#" (VOTE#, DAY#...), or a word keys.py uses as a whole key value (the SHOP sort key, the
SHOPREDACT and CUSTREDACT index partitions...). A new access pattern adds its builder to keys.py and
its line to the access-pattern list there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "chalicelib" / "store" / "keys.py"
SOURCES = [*sorted(p for p in (ROOT / "chalicelib").rglob("*.py") if p != KEYS), ROOT / "app.py"]

KEY_PREFIX = re.compile(r"\b[A-Z][A-Z0-9]{2,}#")
WORD = re.compile(r"^[A-Z]{3,}$")


def _literals(tree: ast.AST) -> list[ast.Constant]:
    """String constants and f-string literal parts, docstrings excluded."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def _key_words() -> set[str]:
    """The upper-case words keys.py puts in key values: prefixes (SHOP of SHOP#) and whole values (SHOPREDACT)."""
    words = set()
    for node in _literals(ast.parse(KEYS.read_text())):
        words |= set(re.findall(r"\b([A-Z][A-Z0-9]{2,})#", node.value))
        if WORD.match(node.value):
            words.add(node.value)
    return words


def key_shaped(source: str, words: set[str]) -> list[tuple[int, str]]:
    """(line, literal) of every key-shaped literal in a module's source."""
    return [
        (node.lineno, node.value)
        for node in _literals(ast.parse(source))
        if KEY_PREFIX.search(node.value) or node.value in words
    ]


def test_keys_py_names_the_key_words():
    assert {"SHOP", "CUST", "DAY", "VOTE", "DATAREQ", "SHOPREDACT", "CUSTREDACT", "DUE", "PRODREV"} <= _key_words()


@pytest.mark.parametrize(
    "source",
    [
        'k = {"PK": f"VOTE#{shop}#{review}", "SK": "VOTE"}',
        'table.query("SHOPREDACT", index="GSI1")',
        'day = item["SK"][len("DAY#") :]',
        'table.query(f"SHOP#{shop_id}", sk_prefix="CUST#")',
    ],
)
def test_the_scan_finds_a_key_built_by_hand(source):
    assert key_shaped(source, _key_words())


def test_the_scan_leaves_prose_and_expressions_alone():
    source = '"""Erasure puts the customer on CUSTREDACT (SHOP#<shop>/CUST#<cust>)."""\n' + (
        'expression = "SET #s = :pub REMOVE GSI1PK, GSI1SK"\nscope = f"{partition}#{sort}"\n'
    )
    assert key_shaped(source, _key_words()) == []


def test_no_key_is_built_outside_keys_py():
    words = _key_words()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in SOURCES
        for line, value in key_shaped(path.read_text(), words)
    ]
    assert found == [], "build these keys with a function or constant of chalicelib/store/keys.py:\n" + "\n".join(found)


def test_stored_key_strings_are_unchanged():
    """Items already stored are found only by these exact strings."""
    from chalicelib.store import keys

    assert keys.shop_key("s") == {"PK": "SHOP#s", "SK": "SHOP"}
    assert keys.shop_partition("s") == "SHOP#s"
    assert keys.customer_key("s", "c") == {"PK": "SHOP#s", "SK": "CUST#c"}
    assert keys.CUSTOMER_PREFIX == "CUST#"
    assert keys.review_key("s", "r") == {"PK": "SHOP#s", "SK": "REVIEW#r"}
    assert keys.REVIEW_PREFIX == "REVIEW#"
    assert keys.product_key("s", "p") == {"PK": "SHOP#s", "SK": "PRODUCT#p"}
    assert keys.product_stats_key("s", "p") == {"PK": "SHOP#s", "SK": "PRODSTATS#p"}
    assert keys.published_partition("s", "p") == "PRODREV#s#p"
    assert keys.published_keys("s", "p", "r", "t") == {"GSI1PK": "PRODREV#s#p", "GSI1SK": "t#r"}
    assert keys.vote_key("s", "r", "v") == {"PK": "VOTE#s#r#v", "SK": "VOTE"}
    assert keys.data_request_key("s", "q") == {"PK": "SHOP#s", "SK": "DATAREQ#q"}
    assert keys.DATA_REQUEST_PREFIX == "DATAREQ#"
    assert keys.shop_erasure_keys("s") == {"GSI1PK": "SHOPREDACT", "GSI1SK": "s"}
    assert keys.SHOP_ERASURE_PARTITION == "SHOPREDACT"
    assert keys.customer_erasure_keys("s", "c") == {"GSI1PK": "CUSTREDACT", "GSI1SK": "s#c"}
    assert keys.CUSTOMER_ERASURE_PARTITION == "CUSTREDACT"
    assert keys.aggregate_key("s", "2024-05-01", 3) == {"PK": "AGG#s#3", "SK": "DAY#2024-05-01"}
    assert keys.code_stat_key("c", 2, "2024-05-01") == {"PK": "CODESTAT#c#2", "SK": "DAY#2024-05-01"}
    assert keys.day_sort_key("2024-05-01") == "DAY#2024-05-01"
    assert keys.day_of_sort_key("DAY#2024-05-01") == "2024-05-01"
    with pytest.raises(ValueError):
        keys.day_of_sort_key("ORDER#o")
