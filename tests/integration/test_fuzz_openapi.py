"""Fuzzing every route of /openapi.json with schemathesis against the real server on DynamoDB Local.

No generated request may get a 5xx, and every answer must be one the document describes: its status,
its content type and, for JSON, its schema. The fuzzer is handed real identifiers (a shop, reviews, a
share code, signed links, a dashboard session) as one choice among generated values, so it reaches the
code behind the lookups instead of stopping at 404s. Generated webhook bodies are signed by
`fuzz_hooks.py`, so they reach the platform adapters. FUZZ_ARGS adds schemathesis options to each run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.reviews.tokens import review_token, unsubscribe_token
from tests.conftest import ADMIN_TOKEN
from tests.integration.support import deliver

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SEED = "20261123"
ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "chalicelib" / "web" / "static"
REAL_VALUE_SHARE = 0.7  # how often a real identifier is used instead of a generated one


def _order(live: Any, shop: dict[str, Any], order_id: str, customer_id: str, product_id: str) -> None:
    item = {"product_id": product_id, "title": "Trail Mug", "quantity": 1, "price": "29.50"}
    deliver(live, shop, "order.created", order_id, customer_id, items=[item])


def _review(live: Any, shop_id: str, order_id: str, product_id: str, rating: int) -> dict[str, Any]:
    response = live.request(
        "POST",
        "/reviews",
        {
            "token": review_token(shop_id, order_id, [product_id]),
            "product_id": product_id,
            "rating": rating,
            "title": "",
            "body": "Keeps coffee hot all morning." if rating >= 4 else "The lid leaks.",
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def store(live: Any, new_shop: Any) -> dict[str, Any]:
    """A shop with a published review and its share code, a pending review, signed links and a session."""
    shop, owner_key = new_shop()
    shop_id = shop["shop_id"]
    _order(live, shop, "fz-1", "fz-happy", "p-100")
    _order(live, shop, "fz-2", "fz-unhappy", "p-200")
    _order(live, shop, "fz-3", "fz-quiet", "p-100")  # not reviewed yet: its link opens the form
    happy = _review(live, shop_id, "fz-1", "p-100", 5)
    unhappy = _review(live, shop_id, "fz-2", "p-200", 1)
    sign_in = live.session.post(
        f"{live.url}/shops/{shop_id}/dashboard/session",
        data={"api_key": owner_key},
        allow_redirects=False,
    )
    assert sign_in.status_code == 303, sign_in.text
    cookie = sign_in.headers["Set-Cookie"].split(";", 1)[0]
    dashboard = live.session.get(f"{live.url}/shops/{shop_id}/dashboard", headers={"Cookie": cookie})
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', dashboard.text)
    assert csrf, dashboard.text[:500]
    return {
        "shop_id": shop_id,
        "webhook_secret": shop["webhook_secret"],
        "domain": shop["domains"][0],
        "owner_key": owner_key,
        "cookie": cookie,
        "csrf": [csrf.group(1)],
        "review_ids": [happy["review_id"], unhappy["review_id"]],
        "codes": [happy["share"]["code"]],
        "customers": ["fz-happy", "fz-unhappy", "fz-quiet"],
        "products": ["p-100", "p-200"],
        "review_tokens": [review_token(shop_id, "fz-3", ["p-100"]), review_token(shop_id, "fz-1", ["p-100"])],
        "unsubscribe_tokens": [unsubscribe_token(shop_id, "fz-quiet")],
        "assets": sorted(p.name for p in STATIC.iterdir()),
    }


def _toml(value: Any) -> str:
    """A TOML value: strings and lists of strings are written as JSON writes them, which TOML reads alike."""
    return json.dumps(value)


def _config(store: dict[str, Any], token: str, path: Path) -> Path:
    """Schemathesis' configuration: the bearer token, the shop, and real identifiers per operation."""
    real = {
        "review_ids": (
            "path.review_id",
            ["publish_review", "reject_review", "reply_review", "vote_review", "hide_photo", "show_photo"],
        ),
        "codes": ("path.code", ["follow_share_link", "head_share_link", "share_card", "share_to_channel"]),
        "customers": ("path.customer_id", ["customer_data"]),
        "products": ("path.product_id", ["product_reviews"]),
        "review_tokens": ("path.token", ["review_form", "request_photo_upload", "review_photo_states"]),
        "unsubscribe_tokens": ("path.token", ["unsubscribe_page", "unsubscribe"]),
        "assets": ("path.name", ["asset"]),
        # The settings and secret forms keep to their CSRF refusal here: with a real token they would move the
        # shop's domains and secret away from what the webhook fuzzing signs with (unit tests send them garbage).
        "csrf": ("body.csrf", ["dashboard_sign_out", "dashboard_test_event"]),
    }
    lines = [
        f"headers = {{ Authorization = {_toml('Bearer ' + token)} }}",
        "",
        "[parameters]",
        f'"path.shop_id" = {_toml(store["shop_id"])}',
        "",
    ]
    for name in real:
        lines += [f"[dictionaries.{name}]", f"values = {_toml(store[name])}", ""]
    for name, (parameter, operations) in real.items():
        lines += [
            "[[operations]]",
            f"include-operation-id = {_toml(operations)}",
            f'parameters = {{ "{parameter}" = {{ dictionary = "{name}", probability = {REAL_VALUE_SHARE} }} }}',
            "",
        ]
    lines += [
        "[[operations]]",
        'include-operation-id = ["submit_review"]',
        "[operations.parameters]",
        f'"body.token" = {{ dictionary = "review_tokens", probability = {REAL_VALUE_SHARE} }}',
        f'"body.product_id" = {{ dictionary = "products", probability = {REAL_VALUE_SHARE} }}',
        "",
        "[[operations]]",  # the dashboard's pages and forms, signed in
        'include-operation-id-regex = "^dashboard"',
        f"headers = {{ Authorization = {_toml('Bearer ' + token)}, Cookie = {_toml(store['cookie'])} }}",
        "",
        "[[operations]]",
        'include-operation-id = ["dashboard_moderate"]',
        "[operations.parameters]",
        f'"path.review_id" = {{ dictionary = "review_ids", probability = {REAL_VALUE_SHARE} }}',
        f'"body.csrf" = {{ dictionary = "csrf", probability = {REAL_VALUE_SHARE} }}',
        "",
        "[[operations]]",  # bulk moderation past its CSRF check, so its parsing and the bulk itself are reached
        'include-operation-id = ["dashboard_bulk_moderate"]',
        "[operations.parameters]",
        f'"body.csrf" = {{ dictionary = "csrf", probability = {REAL_VALUE_SHARE} }}',
        "",
    ]
    path.write_text("\n".join(lines))
    return path


def _fuzz(live: Any, store: dict[str, Any], config: Path, examples: int, *filters: str) -> Any:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.integration.fuzz_hooks",  # signs generated webhook bodies
        "FUZZ_WEBHOOK_SECRET": store["webhook_secret"],
        "FUZZ_SHOP_DOMAIN": store["domain"],
    }
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{live.url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            str(examples),
            "--workers",
            "2",
            "--no-color",
            "--seed",
            SEED,
            *filters,
            *os.environ.get("FUZZ_DEBUG", "").split(),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
        cwd=ROOT,
    )


def _assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    tail = result.stdout[-6000:]

    assert result.returncode == 0, tail
    generated = re.search(r"(\d+) generated, (\d+) passed", tail)
    assert generated and generated.group(1) == generated.group(2) and int(generated.group(1)) > 0, tail


def test_every_route_answers_generated_requests_as_documented(live, store, tmp_path):
    # Rotating the key would lock the rest of the run out, so it has its own run below.
    owner = _config(store, store["owner_key"], tmp_path / "owner.toml")
    # Registering a webhook endpoint resolves its host name: with a real shop the fuzzer's made-up hosts
    # would be looked up off this machine, so that route is fuzzed on a shop that does not exist.
    _assert_clean(
        _fuzz(
            live,
            store,
            owner,
            12,
            "--exclude-operation-id",
            "rotate_api_key",
            "--exclude-operation-id",
            "put_webhook_endpoint",
        )
    )
    elsewhere = _config({**store, "shop_id": "no-such-shop"}, store["owner_key"], tmp_path / "elsewhere.toml")
    _assert_clean(_fuzz(live, store, elsewhere, 12, "--include-operation-id", "put_webhook_endpoint"))


def test_admin_routes_and_key_rotation_answer_as_documented(live, store, tmp_path):
    admin = _config(store, ADMIN_TOKEN, tmp_path / "admin.toml")
    _assert_clean(
        _fuzz(live, store, admin, 12, "--include-operation-id", "create_shop", "--include-operation-id", "run_due")
    )
    owner = _config(store, store["owner_key"], tmp_path / "owner.toml")
    _assert_clean(_fuzz(live, store, owner, 6, "--include-operation-id", "rotate_api_key"))
