"""The house's floors, read from the source: no module imports one of a floor above it, and no cycle.

Every import counts, at module level or inside a function (a function-local import still runs, and
still ties the two modules); only imports under `if TYPE_CHECKING:` do not, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "chalicelib"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}

# The API's pydantic models: each capability's models.py (a console section's own <section>_models.py), their
# shared base, the service's own answers.
API_MODELS = (
    "chalicelib.model_base",
    "chalicelib.endpoints.answers",
    *(m for m in MODULES if m.endswith((".models", "_models"))),
)

# Lowest first. A module may import its own floor and the floors below.
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base: values and plumbing every floor uses",
        (
            "chalicelib.clock",
            "chalicelib.errors",
            "chalicelib.budget",
            "chalicelib.observability",
            "chalicelib.scoring",
            "chalicelib.config",
            "chalicelib.signing",
            "chalicelib.http",
            "chalicelib.safe_http",
        ),
    ),
    (
        "store: the table, mail and page rendering",
        ("chalicelib.store", "chalicelib.storage", "chalicelib.mail", "chalicelib.web"),
    ),
    ("API models: what each operation takes and answers, nothing of the domain", API_MODELS),
    ("domain", ("chalicelib",)),  # everything not named on another floor
    ("endpoints: the HTTP face", ("chalicelib.endpoints",)),
    ("the API document, built from every endpoint, and its route", ("chalicelib.openapi",)),
    ("the router: which module declares each operation (app.py's one door)", ("chalicelib.router",)),
]


def floor_of(module: str) -> int:
    best, best_len = -1, -1
    for number, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = number, len(prefix)
    return best


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, path: Path) -> set[str]:
    """The chalicelib modules this one imports (anywhere but under TYPE_CHECKING)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def resolve(name: str) -> str | None:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        return name or None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(filter(None, (resolve(a.name) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                target = resolve(f"{source}.{alias.name}") or resolve(source)
                if target:
                    found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    found.discard(module)
    return {m for m in found if m.startswith("chalicelib")}


def _graph() -> dict[str, set[str]]:
    """Every module's imports, with those made by name: the router imports each operation's module on
    first use, and OpenAPI every endpoint module and every model an operation names."""
    from chalicelib.endpoints.registry import ModelRef
    from chalicelib.router import ROUTES, load_all

    graph = {m: imports_of(m, p) for m, p in MODULES.items()}
    graph["chalicelib.router"] |= set(ROUTES.values())
    graph["chalicelib.openapi"] |= {m for m in MODULES if m.startswith("chalicelib.endpoints.")}
    for op in load_all().values():
        for kind in [op.body, *op.responses.values()]:
            if isinstance(kind, ModelRef):
                graph["chalicelib.openapi"].add(kind.module)
    return graph


GRAPH = _graph()


def test_every_module_has_a_floor():
    assert all(floor_of(m) >= 0 for m in MODULES)
    assert set(API_MODELS) <= set(MODULES)  # the models floor names modules that exist


def test_no_module_imports_one_on_a_floor_above():
    upward = [
        f"{m} ({FLOORS[floor_of(m)][0]}) imports {t} ({FLOORS[floor_of(t)][0]})"
        for m, targets in sorted(GRAPH.items())
        for t in sorted(targets)
        if floor_of(t) > floor_of(m) and t != "chalicelib"
    ]
    assert upward == []


def test_the_store_imports_no_domain_module():
    store = {m: t for m, t in GRAPH.items() if m.startswith("chalicelib.store")}
    assert {m: sorted(x for x in t if floor_of(x) >= floor_of("chalicelib.orders")) for m, t in store.items()} == {
        m: [] for m in store
    }


def test_no_import_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            connect(module)
    assert cycles == []


def test_the_check_sees_function_local_imports():
    # Guard the guard: the reader finds an import made inside a function body
    assert "chalicelib.openapi" not in GRAPH["chalicelib.endpoints.registry"]
    assert any(
        "chalicelib.sharing.counting" in targets for m, targets in GRAPH.items() if m == "chalicelib.endpoints.sharing"
    )


def test_only_the_app_uses_the_router_and_only_the_router_imports_openapi():
    def importers(target: str) -> set[str]:
        return {m for m, targets in GRAPH.items() if target in targets}

    assert importers("chalicelib.router") == set()  # app.py alone (outside chalicelib) asks it
    assert importers("chalicelib.openapi") == {"chalicelib.router"}
    app = imports_of("app", ROOT / "app.py")
    assert "chalicelib.router" in app and not any(m.startswith("chalicelib.endpoints") for m in app)


def test_auth_stands_on_the_base_and_the_store_only():
    # Sessions, CSRF and the owner and admin credentials sit under every module that checks them (the
    # authorizers, the console, the shops): auth/ imports nothing of the domain but itself.
    auth = {m: t for m, t in GRAPH.items() if m.startswith("chalicelib.auth")}
    assert "chalicelib.auth.sessions" in auth
    above = {
        m: sorted(x for x in t if floor_of(x) >= floor_of("chalicelib.auth") and not x.startswith("chalicelib.auth"))
        for m, t in auth.items()
    }
    assert above == {m: [] for m in auth}
