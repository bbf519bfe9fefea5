"""What every section of the owner's console shares: its page (nav, CSRF token, the console's script and CSP)
and the redirect that ends a form.

A section may live in its own endpoint module (its `Section` in chalicelib/routes.py names it), which defines
`section_page(request, session)`, perhaps `item_page(request, session)` for the pages below it
(GET /shops/{shop_id}/dashboard/{section}/{item}), and the handlers of its forms (each a `console_form` of the route
table: POST under /dashboard/forms/, CSRF-checked); a section's request imports only that module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.http import HttpResponse


def back(shop_id: str, cookie: str | None = None, section: str = "", query: str = "") -> HttpResponse:
    """The 303 that ends a form: back to the console (a section of it, with a query)."""
    from chalicelib.config import get_settings
    from chalicelib.http import HttpResponse

    where = f"{get_settings().base_url}/shops/{shop_id}/dashboard" + (f"/{section}" if section else "") + query
    response = HttpResponse(status=303, headers={"Location": where, "Cache-Control": "no-store"})
    if cookie:
        response.cookies.append(cookie)
    return response


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
    from chalicelib.console.console import SECTIONS
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
