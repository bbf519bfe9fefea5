"""The referral program's owner routes: fill a code pool, the program's overview, and the advocates' rewards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

CODE_TYPES = ("text/csv", "text/plain", "application/csv")


def upload_referral_codes(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.referrals.pools import MAX_UPLOAD_BYTES, add_codes, check_pool

    pool = request.path_params.get("pool", "")
    check_pool(pool)
    if request.media_type not in CODE_TYPES:
        raise errors.UnsupportedMediaType("send the codes as text/csv or text/plain, one a line")
    if len(request.body) > MAX_UPLOAD_BYTES:
        raise errors.PayloadTooLarge(
            f"send at most {MAX_UPLOAD_BYTES // 1024} KiB a request (10,000 codes)", code="too_many_codes"
        )
    try:
        text = request.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise errors.BadRequest("the codes are not UTF-8", code="invalid_encoding") from None
    upload = add_codes(get_table(), shop.shop_id, pool, text)
    return json_response(upload.as_dict(), headers={"Cache-Control": "no-store"})


def referral_program(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.referrals.program import overview

    return json_response(overview(get_table(), shop.shop_id), headers={"Cache-Control": "no-store"})


def list_rewards(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.endpoints.registry import page_limit
    from chalicelib.referrals.rewards import list_rewards as listing

    page = listing(
        get_table(), shop.shop_id, request.query.get("status"), request.query.get("cursor"), page_limit(request, 25)
    )
    return json_response(page, headers={"Cache-Control": "no-store"})


def decide_reward(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.referrals.rewards import decide

    reward = decide(get_table(), shop, request.path_params.get("reward_id", ""), request.path_params.get("action", ""))
    return json_response(reward, headers={"Cache-Control": "no-store"})
