"""The shop's store connection (owner key): connect with one credential, read it back without it, forget it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.http import HttpRequest, HttpResponse, json_response, parse_json_body
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

NO_STORE = {"Cache-Control": "no-store"}


def put_connection(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.connections.models import ConnectionIn
    from chalicelib.connections.service import connect

    body = parse_json_body(request, ConnectionIn)
    return json_response(connect(get_table(), shop, body), headers=NO_STORE)


def get_connection(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.connections.service import connection

    return json_response(connection(get_table(), shop), headers=NO_STORE)


def delete_connection(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.connections.service import disconnect

    disconnect(get_table(), shop)
    return HttpResponse(status=204)


def post_connection_webhooks(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.connections.service import register

    return json_response(register(get_table(), shop), headers=NO_STORE)
