"""Which module serves each operation, so that a request imports its own module and nothing else.

app.py's views hand each request to `dispatch(name, request)`. The module the route table (chalicelib/routes.py)
names for `name` is imported then, on the first request that needs it: a click on a share link loads the sharing
endpoints, not the dashboard, the reports or the pydantic models of the owner's API (a cold start pays for every
module it imports). OpenAPI imports them all (chalicelib/openapi.py).

The layers, each importing only those below it: app.py, this router, chalicelib/openapi.py, the
endpoint modules (chalicelib/endpoints/), their registry and authorizers, the domain.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from chalicelib.endpoints.registry import OPERATIONS, Operation, operation_of, run
from chalicelib.routes import TABLE

if TYPE_CHECKING:
    from chalicelib.http import HttpRequest, HttpResponse

# operation name -> the module that serves it
ROUTES: dict[str, str] = {route.name: route.module for route in TABLE}


def load(name: str) -> Operation:
    """The operation `name`, its module imported if no request needed it before."""
    return OPERATIONS.get(name) or operation_of(getattr(import_module(ROUTES[name]), name))


def load_all() -> dict[str, Operation]:
    """Every operation: the registry, with every module of the table imported."""
    for name in ROUTES:
        load(name)
    return OPERATIONS


def dispatch(name: str, request: HttpRequest) -> HttpResponse:
    """Run the operation `name` on one request: its authorizer, its handler, its errors as answers."""
    return run(load(name), request)
