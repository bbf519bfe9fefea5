"""What every section of the owner's console shares: its page (nav, CSRF token, the console's script and CSP),
its forms' declaration (POST under /dashboard/forms/, CSRF-checked) and the redirect that ends a form.

Each section beyond the first four lives in its own endpoint module (`SECTION_MODULES` in
chalicelib/dashboard/console.py), which defines `section_page(request, session)`, perhaps `item_page(request,
session)` for the pages below it (GET /shops/{shop_id}/dashboard/{section}/{item}), and declares its forms with
`console_form`; a section's request imports only that module."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.endpoints.authorizers import SESSION_FORM
from chalicelib.endpoints.registry import model, operation

if TYPE_CHECKING:
    from chalicelib.dashboard.service import Session
    from chalicelib.http import HttpRequest, HttpResponse

FormHandler = Callable[["HttpRequest", "Session"], "HttpResponse"]
# The models the console's operations name (registry.model): imported by OpenAPI and a handler that parses one.
MODELS = "chalicelib.dashboard.models"


def back(shop_id: str, cookie: str | None = None, section: str = "", query: str = "") -> HttpResponse:
    """The 303 that ends a form: back to the console (a section of it, with a query)."""
    from chalicelib.config import get_settings
    from chalicelib.http import HttpResponse

    where = f"{get_settings().base_url}/shops/{shop_id}/dashboard" + (f"/{section}" if section else "") + query
    response = HttpResponse(status=303, headers={"Location": where, "Cache-Control": "no-store"})
    if cookie:
        response.cookies.append(cookie)
    return response


def console_form(
    name: str, summary: str, body: str = "DashboardForm", models: str = MODELS, **spec: Any
) -> Callable[[FormHandler], FormHandler]:
    """A console form's operation: POST /shops/{shop_id}/dashboard/forms/<name>, a form only, CSRF-checked by
    the session's authorizer, answered with a redirect (or the page again with the errors beside the fields).
    Under /forms/ because a fixed segment beside {section} would shadow a section in API Gateway.
    `name` may carry path parameters (`reviews/{review_id}/{action}`), declared in `params`; `body` names the
    form's model in the module `models` (a section keeps its own); `responses` adds to the redirect what else
    it may answer (a 429)."""
    return operation(
        "POST",
        f"/shops/{{shop_id}}/dashboard/forms/{name}",
        summary=summary,
        tag="dashboard",
        auth=SESSION_FORM,
        body=model(body, models),
        form=True,
        json_body=False,
        responses={303: "", **spec.pop("responses", {})},
        page=True,
        **spec,
    )


def console_page(
    template: str,
    session: Session,
    section: str,
    status: int = 200,
    policy: dict[str, Any] | None = None,
    **context: Any,
) -> HttpResponse:
    """A section of the console: its nav, the session's CSRF token, and the console's own script; `policy`
    widens its CSP as render.page_csp's parameters say (frames of our own pages, calls to our own API...)."""
    from chalicelib.dashboard.console import SECTIONS
    from chalicelib.storage.s3 import page_sources
    from chalicelib.web.render import page, page_csp

    images, _ = page_sources()  # the reviews' photos, where storage serves them
    csp = page_csp(scripts=True, images=images, **(policy or {}))
    shop = session.shop
    return page(
        template,
        status=status,
        csp=csp,
        shop_id=shop.shop_id,
        shop_name=shop.name,
        csrf=session.csrf,
        sections=SECTIONS,
        section=section,
        **context,
    )
