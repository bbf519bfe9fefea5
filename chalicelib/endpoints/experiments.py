"""The owner's experiments: start one on a lever, list them, read one with its decision, stop it, promote a variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.http import HttpRequest, HttpResponse, json_response, parse_json_body
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

NO_STORE = {"Cache-Control": "no-store"}


def _experiment_id(request: HttpRequest) -> str:
    import re

    from chalicelib import errors
    from chalicelib.experiments.models import EXPERIMENT_ID_PATTERN

    experiment_id = request.path_params.get("experiment_id", "")
    if not re.match(EXPERIMENT_ID_PATTERN, experiment_id):
        raise errors.NotFound(f"no experiment {experiment_id!r}", code="experiment_not_found")
    return experiment_id


def create_experiment(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.experiments.models import ExperimentCreate
    from chalicelib.experiments.service import create

    body = parse_json_body(request, ExperimentCreate)
    return json_response({"experiment_id": create(get_table(), shop.shop_id, body)}, status=201, headers=NO_STORE)


def list_experiments(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.endpoints.registry import page_limit
    from chalicelib.experiments.service import listing

    page = listing(get_table(), shop.shop_id, request.query.get("cursor"), page_limit(request, 25))
    return json_response(page, headers=NO_STORE)


def get_experiment(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.experiments.service import get

    return json_response(get(get_table(), shop.shop_id, _experiment_id(request)), headers=NO_STORE)


def stop_experiment(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.experiments.service import stop

    return json_response(stop(get_table(), shop.shop_id, _experiment_id(request)), headers=NO_STORE)


def promote_experiment(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.experiments.models import PromoteIn
    from chalicelib.experiments.service import promote

    body = parse_json_body(request, PromoteIn)
    answer = promote(get_table(), shop.shop_id, _experiment_id(request), body.variant)
    return json_response(answer, headers=NO_STORE)
