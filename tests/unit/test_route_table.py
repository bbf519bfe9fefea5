"""The route table (chalicelib/routes.py) is the one declaration of every operation: each entry names a handler
that exists where it says, the app serves exactly the table, and nothing is declared twice."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections import Counter
from importlib import import_module
from pathlib import Path

import pytest

from chalicelib.endpoints.authorizers import AUTHORIZERS
from chalicelib.routes import SECTIONS, TABLE, ModelRef

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("route", TABLE, ids=lambda route: route.name)
def test_every_entry_names_a_handler_defined_in_its_module(route):
    # Given an entry of the table, when its module is imported
    handler = getattr(import_module(route.module), route.name, None)
    # Then the function of its name is there, defined in that module (not borrowed from another)
    assert callable(handler), f"{route.module} has no function {route.name}"
    assert handler.__module__ == route.module
    # And it takes what its auth establishes: (request) when public, (request, proof) behind an authorizer
    assert len(inspect.signature(handler).parameters) == (1 if route.auth is None else 2)


@pytest.mark.parametrize("route", TABLE, ids=lambda route: route.name)
def test_every_entry_names_a_known_authorizer_and_models_that_exist(route):
    assert route.auth is None or route.auth in AUTHORIZERS
    for kind in [route.body, *route.responses.values()]:
        if isinstance(kind, ModelRef):
            assert isinstance(kind.resolve(), type), kind


def test_the_app_serves_exactly_the_table():
    import app

    # Every view of the app, by path and method, with the name Chalice knows it by
    served = {
        (path, method, entry.view_name) for path, methods in app.app.routes.items() for method, entry in methods.items()
    }
    assert served == {(route.path, route.method, route.name) for route in TABLE}


def test_nothing_is_declared_twice():
    assert [name for name, n in Counter(route.name for route in TABLE).items() if n > 1] == []
    assert [where for where, n in Counter((route.method, route.path) for route in TABLE).items() if n > 1] == []
    assert [name for name, n in Counter(section.name for section in SECTIONS).items() if n > 1] == []


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.module], ids=lambda section: section.name)
def test_a_section_with_its_own_module_is_drawn_by_it(section):
    assert callable(getattr(import_module(section.module), "section_page", None))


def test_reading_the_table_imports_no_endpoint_and_no_model():
    # Given a fresh interpreter, when it reads the table (as app.py does on every cold start)
    done = subprocess.run(
        [sys.executable, "-c", "import sys, json, chalicelib.routes; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    modules = json.loads(done.stdout)
    # Then no endpoint module, no model and no pydantic was loaded for it
    assert [m for m in modules if m.startswith("chalicelib.endpoints") or m.endswith("models")] == []
    assert "pydantic" not in modules
