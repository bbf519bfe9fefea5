"""First run: while the instance has no shop, /setup takes the admin token and creates the shop, shows the owner
key once and signs the owner in."""

from __future__ import annotations

from chalicelib.endpoints.authorizers import Admin
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.store.table import get_table


def setup_page(request: HttpRequest) -> HttpResponse:
    from chalicelib.console.console import setup_form

    return setup_form(get_table())


def setup(request: HttpRequest, admin: Admin) -> HttpResponse:
    from chalicelib.auth.sessions import new_session
    from chalicelib.console.console import create_first_shop, setup_form
    from chalicelib.console.models import SetupForm
    from chalicelib.web.render import page, page_csp

    form = parse_model(SetupForm, read_form(request))
    shop, api_key, problems = create_first_shop(get_table(), form)
    if shop is None:
        return setup_form(get_table(), 422, form.model_dump(exclude={"admin_token"}), problems)
    _, cookie = new_session(shop)
    response = page(
        "setup_done.html",
        status=201,
        csp=page_csp(scripts=True),
        shop_id=shop.shop_id,
        shop_name=shop.name,
        api_key=api_key,
    )
    response.cookies.append(cookie)
    return response
