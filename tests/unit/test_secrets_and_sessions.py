"""Nothing runs open: development secrets only for a local run, sessions that end, a derived key per use."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import errors, signing
from chalicelib.config import DEV_ADMIN_TOKEN, DEV_SIGNING_SECRET, get_settings, reset_settings
from chalicelib.errors import NotConfigured
from chalicelib.store import keys
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SECRETS = ("PROOFLOOP_ADMIN_TOKEN", "PROOFLOOP_SIGNING_SECRET")


@pytest.fixture
def environment(monkeypatch):
    """Change the environment, then read the settings again; the next test starts from its own."""

    def change(*, deployed: str | None = None, stage: str = "dev", secrets: dict[str, str] | None = None) -> None:
        for name in SECRETS:
            monkeypatch.delenv(name, raising=False)
        for name, value in (secrets or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PROOFLOOP_STAGE", stage)
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
        if deployed:
            monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", deployed)
        reset_settings()
        get_settings()  # read now: chalice.test puts the dev stage's own variables back on every call

    yield change
    reset_settings()


def _sign_in(api: Any, shop_id: str, key: str) -> str:
    response = api.request(
        "POST", f"/shops/{shop_id}/dashboard/session", raw=urlencode({"api_key": key}).encode(), headers=FORM
    )
    assert response.status_code == 303, response.body
    header = response.headers["Set-Cookie"]
    return (header[0] if isinstance(header, list) else header).split(";", 1)[0]


def signed_in(page: Any) -> bool:
    """The dashboard itself (its forms carry a CSRF token), not the sign-in form the same address shows otherwise."""
    body = page.body.decode()
    return page.status_code == 200 and 'name="csrf"' in body and 'name="api_key"' not in body


def signed_out(page: Any) -> bool:
    body = page.body.decode()
    return page.status_code == 200 and 'name="api_key"' in body and 'name="csrf"' not in body


def _dashboard(api: Any, shop_id: str, cookie: str) -> Any:
    return api.request("GET", f"/shops/{shop_id}/dashboard", headers={"Cookie": cookie})


def _csrf(page: Any) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.body.decode())
    assert match, page.body[:300]
    return match.group(1)


def _sign_out(api: Any, shop_id: str, cookie: str) -> Any:
    csrf = _csrf(_dashboard(api, shop_id, cookie))
    return api.request(
        "POST", f"/shops/{shop_id}/dashboard/logout", raw=f"csrf={csrf}".encode(), headers={**FORM, "Cookie": cookie}
    )


# --- development secrets exist only for a local run ----------------------------------------------------
@pytest.mark.parametrize("stage", ["dev", "test", "local", "staging", "prod"])
def test_a_deployed_function_has_no_development_secrets_whatever_its_stage(environment, stage):
    # Given a deployed function of any stage with neither secret set
    environment(deployed="proofloop-" + stage, stage=stage)
    settings = get_settings()
    # Then it has no admin token and no signing secret, and is not a dev run
    assert settings.admin_token == "" and settings.signing_secret == ""
    assert settings.deployed and not settings.is_dev
    with pytest.raises(NotConfigured):
        settings.require_admin_token()
    with pytest.raises(NotConfigured):
        settings.require_signing_secret()


def test_a_deployed_dev_stage_refuses_the_dev_admin_token_and_stores_nothing(api, table, environment):
    # Given `chalice deploy --stage dev` without its secrets
    environment(deployed="proofloop-dev", stage="dev")
    body = shop_body()
    # When someone sends the public development token to the admin routes
    created = api.request("POST", "/shops", body, token=DEV_ADMIN_TOKEN)
    due = api.request("POST", "/admin/run-due", token=DEV_ADMIN_TOKEN)
    # Then both are refused with a clear JSON answer, not a trace, and no shop exists
    for response in (created, due):
        assert response.status_code == 503
        assert response.json["error"]["code"] == "not_configured"
    assert table.get(keys.shop_key(body["shop_id"])) is None


def test_a_deployed_function_set_to_the_published_dev_values_has_no_secrets(api, table, environment):
    # Given a deployed function whose operator copied the development values into its environment
    environment(
        deployed="proofloop-dev",
        secrets={"PROOFLOOP_ADMIN_TOKEN": DEV_ADMIN_TOKEN, "PROOFLOOP_SIGNING_SECRET": DEV_SIGNING_SECRET},
    )
    # Then they count as unset
    assert get_settings().admin_token == "" and get_settings().signing_secret == ""
    assert api.request("POST", "/shops", shop_body(), token=DEV_ADMIN_TOKEN).status_code == 503


def test_a_deployed_function_with_its_own_secrets_accepts_only_its_own_admin_token(api, environment):
    own = {"PROOFLOOP_ADMIN_TOKEN": "deployed-admin-token-0123456789", "PROOFLOOP_SIGNING_SECRET": "s" * 40}
    environment(deployed="proofloop-dev", secrets=own)
    assert api.request("POST", "/shops", shop_body(), token=DEV_ADMIN_TOKEN).status_code == 401
    assert api.request("POST", "/shops", shop_body(), token=own["PROOFLOOP_ADMIN_TOKEN"]).status_code == 201


@pytest.mark.parametrize(
    ("execution_env", "deployed"),
    [
        ("AWS_Lambda_python3.11 aws-chalice/1.34.0", True),  # Lambda's runtime, with Chalice's suffix
        ("AWS_Lambda_python3.11", True),
        ("AWS_Lambda aws-chalice/1.34.0", False),  # what Chalice itself writes when nothing was set
        ("", False),
    ],
)
def test_lambdas_execution_env_tells_a_deployed_function_but_chalices_placeholder_does_not(
    environment, monkeypatch, execution_env, deployed
):
    monkeypatch.setenv("AWS_EXECUTION_ENV", execution_env)
    environment()
    assert get_settings().deployed is deployed


def test_a_deployed_function_without_a_signing_secret_refuses_to_sign_or_verify(environment):
    # Given a link signed while the secret was set
    link = signing.sign("review", {"s": "shop-1", "o": "o-1", "p": ["p-1"]}, ttl_seconds=60)
    # When the function runs deployed without it
    environment(deployed="proofloop-dev", secrets={"PROOFLOOP_ADMIN_TOKEN": "deployed-admin-token-0123456789"})
    # Then nothing is signed, verified or hashed, and nothing falls back to a development secret
    attempts = [
        lambda: signing.sign("review", {"s": "shop-1"}),
        lambda: signing.verify("review", link),
        lambda: signing.encode_cursor("SHOP#a", {"PK": "SHOP#a", "SK": "R#1"}),
        lambda: signing.keyed_hash("email", "ana@example.com"),
        lambda: signing.mac("csrf", "a-session"),
    ]
    for attempt in attempts:
        with pytest.raises(NotConfigured) as caught:
            attempt()
        assert caught.value.status == 503 and caught.value.code == "not_configured"


def test_a_signed_link_to_a_deployed_function_without_its_secret_is_503_not_configured(api, environment):
    from chalicelib.reviews.tokens import review_token

    link = review_token("shop-1", "o-1", ["p-1"])
    environment(deployed="proofloop-dev", secrets={"PROOFLOOP_ADMIN_TOKEN": "deployed-admin-token-0123456789"})
    response = api.request("GET", f"/r/{link}", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "not_configured"


def test_a_local_run_works_with_the_development_defaults(api, environment):
    # Given a local run (no Lambda variables) of the dev stage with no secrets set
    environment(stage="dev")
    settings = get_settings()
    assert settings.admin_token == DEV_ADMIN_TOKEN and settings.signing_secret == DEV_SIGNING_SECRET
    assert settings.is_dev and not settings.deployed
    # Then the development token opens the admin routes and links are signed and verified
    body = shop_body()
    assert api.request("POST", "/shops", body, token=DEV_ADMIN_TOKEN).status_code == 201
    assert signing.verify("review", signing.sign("review", {"o": "o-1"}))["o"] == "o-1"


def test_a_local_run_of_the_prod_stage_has_no_development_defaults(environment):
    environment(stage="prod")
    assert get_settings().admin_token == "" and get_settings().signing_secret == ""
    assert get_settings().is_dev  # a local run all the same: loopback receivers stay allowed


# --- sessions end on sign-out and on key rotation -------------------------------------------------------
def test_a_session_cookie_copied_before_sign_out_is_refused_after_it(api):
    # Given a signed-in owner whose cookie was copied
    body, key = api.create_shop()
    shop_id = body["shop_id"]
    cookie = _sign_in(api, shop_id, key)
    copied = cookie
    assert signed_in(_dashboard(api, shop_id, copied))
    # When the owner signs out
    assert _sign_out(api, shop_id, cookie).status_code == 303
    # Then the copy opens nothing: the page is the sign-in form, and a form post is refused
    page = _dashboard(api, shop_id, copied)
    assert signed_out(page)
    forged_post = api.request(
        "POST",
        f"/shops/{shop_id}/dashboard/forms/reviews/rv_x/reject",
        raw=f"csrf={signing.mac('csrf', copied.split('=', 1)[1])}".encode(),
        headers={**FORM, "Cookie": copied},
    )
    assert forged_post.status_code == 401


def test_signing_in_again_after_sign_out_opens_a_new_session(api):
    body, key = api.create_shop()
    shop_id = body["shop_id"]
    _sign_out(api, shop_id, _sign_in(api, shop_id, key))
    assert signed_in(_dashboard(api, shop_id, _sign_in(api, shop_id, key)))


def test_sign_out_ends_the_owners_sessions_on_every_device(api):
    # One owner key per shop, so one owner: signing out on one device signs out the others too.
    body, key = api.create_shop()
    shop_id = body["shop_id"]
    laptop, phone = _sign_in(api, shop_id, key), _sign_in(api, shop_id, key)
    _sign_out(api, shop_id, phone)
    assert signed_out(_dashboard(api, shop_id, laptop))


def test_a_session_is_refused_after_the_owner_key_is_rotated(api):
    # Given a signed-in owner
    body, key = api.create_shop()
    shop_id = body["shop_id"]
    cookie = _sign_in(api, shop_id, key)
    # When the key is rotated (say, because it leaked)
    rotated = api.request("POST", f"/shops/{shop_id}/api-key", token=key)
    assert rotated.status_code == 200
    # Then the session begun with the old key has ended, and the new key signs in
    assert signed_out(_dashboard(api, shop_id, cookie))
    assert signed_in(_dashboard(api, shop_id, _sign_in(api, shop_id, rotated.json["api_key"])))


def test_an_owner_edit_racing_a_sign_out_does_not_bring_its_sessions_back(api, table):
    from chalicelib.shops import service as shops
    from chalicelib.shops.models import ShopUpdate
    from chalicelib.store.shop_records import end_sessions, get_shop

    # Given an edit that read the shop before a sign-out ended its sessions
    body, _ = api.create_shop()
    stale = get_shop(table, body["shop_id"])
    assert stale is not None
    end_sessions(table, body["shop_id"])
    # When the edit is written
    shops.update_shop(table, stale, ShopUpdate(name="Renamed"))
    # Then the sign-out still holds
    after = get_shop(table, body["shop_id"], consistent=True)
    assert after is not None and after.name == "Renamed" and after.session_generation == 1


def test_a_dashboard_request_reads_the_shop_once(api, table, monkeypatch):
    # Given a signed-in owner, and a count of the reads that fetch the shop item
    body, key = api.create_shop()
    shop_id = body["shop_id"]
    cookie = _sign_in(api, shop_id, key)
    shop_key = keys.shop_key(shop_id)
    reads: list[str] = []
    client = table.client
    get_item, batch_get_item = client.get_item, client.batch_get_item

    def counting_get(**kwargs: Any) -> Any:
        if kwargs["Key"]["PK"]["S"] == shop_key["PK"] and kwargs["Key"]["SK"]["S"] == shop_key["SK"]:
            reads.append("GetItem" + (" consistent" if kwargs.get("ConsistentRead") else ""))
        return get_item(**kwargs)

    def counting_batch(**kwargs: Any) -> Any:
        for request in kwargs["RequestItems"].values():
            if any(k["PK"]["S"] == shop_key["PK"] and k["SK"]["S"] == shop_key["SK"] for k in request["Keys"]):
                reads.append("BatchGetItem")
        return batch_get_item(**kwargs)

    monkeypatch.setattr(client, "get_item", counting_get)
    monkeypatch.setattr(client, "batch_get_item", counting_batch)
    # When the dashboard is shown
    assert signed_in(_dashboard(api, shop_id, cookie))
    # Then the shop was read once, consistently: the session check's read serves the page as well
    assert reads == ["GetItem consistent"]


# --- a derived key for every use -----------------------------------------------------------------------
def test_the_csrf_token_is_not_an_hmac_under_the_raw_signing_secret(api):
    from chalicelib.auth.csrf import csrf_token

    body, key = api.create_shop()
    cookie = _sign_in(api, body["shop_id"], key)
    session = cookie.split("=", 1)[1]
    csrf = _csrf(_dashboard(api, body["shop_id"], cookie))
    raw_secret = get_settings().signing_secret.encode()
    assert csrf == csrf_token(session) == signing.mac("csrf", session)
    assert csrf != hmac.new(raw_secret, f"csrf|{session}".encode(), hashlib.sha256).hexdigest()
    assert csrf != hmac.new(raw_secret, session.encode(), hashlib.sha256).hexdigest()


def test_each_use_of_the_secret_has_its_own_key():
    message = "same-input"
    derived = {purpose: signing.mac(purpose, message) for purpose in ("csrf", "session", "review", "cursor", "email")}
    assert len(set(derived.values())) == len(derived)


def test_the_signing_secret_is_read_only_to_derive_keys():
    # Settings hold it and signing derives from it; every other module asks signing for a purpose's key.
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "chalicelib"
    readers = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if re.search(r"\.(require_)?signing_secret\b", p.read_text())
    )
    assert readers == ["config.py", "signing.py"]


def test_the_configured_admin_token_opens_admin_routes_in_a_local_run(api):
    assert api.request("POST", "/shops", shop_body(), token=ADMIN_TOKEN).status_code == 201


def test_an_expired_session_is_refused(api, table, monkeypatch):
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.auth.sessions import open_session

    body, key = api.create_shop()
    token = _sign_in(api, body["shop_id"], key).split("=", 1)[1]
    later = clock.now() + timedelta(hours=13)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(errors.Unauthorized):
        open_session(table, body["shop_id"], token)
