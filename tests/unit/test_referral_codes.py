"""Referral code pools: the owner fills them over HTTP, and each code is handed to one holder, once.

Uploads go through the API (POST /shops/{id}/referral/codes/{pool}, GET /shops/{id}/referral); the hand-out is
`claim_code`, which the friend's claim and the advocate's reward call. The server tier runs the concurrent claims
on DynamoDB Local too (tests/integration/test_referral_codes_on_dynamodb_local.py).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.referrals import POOLS
from chalicelib.referrals.codes import CodeSource, PoolSource, code_source
from chalicelib.referrals.pools import AVAILABLE_METRICS, LOW_CODES, MAX_CODES, claim_code
from chalicelib.store import keys
from chalicelib.store.shop_records import Shop
from tests.conftest import ADMIN_TOKEN


class Serialized:
    """moto's client taking one call at a time. moto is not safe to drive from several threads (a transaction
    copies and may restore the whole table), while DynamoDB runs each call atomically: with a lock around each
    call, claimants still interleave between their reads and their conditional writes, which is the race."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return found(*args, **kwargs)

        return call


@pytest.fixture
def owner(api, table, monkeypatch):
    """A shop, its owner key, and the helpers of this file; the table's client taking one call at a time."""
    monkeypatch.setattr(table, "client", Serialized(table.client))
    body, key = api.create_shop()
    return Owner(api, table, body["shop_id"], key)


class Owner:
    def __init__(self, api: Any, table: Any, shop_id: str, key: str) -> None:
        self.api, self.table, self.shop_id, self.key = api, table, shop_id, key

    def upload(self, pool: str, text: str | bytes, media_type: str = "text/csv", key: str | None = None) -> Any:
        raw = text.encode() if isinstance(text, str) else text
        headers = {"Content-Type": media_type} if media_type else {}
        return self.api.request(
            "POST", f"/shops/{self.shop_id}/referral/codes/{pool}", raw=raw, headers=headers, token=key or self.key
        )

    def program(self) -> dict[str, Any]:
        response = self.api.request("GET", f"/shops/{self.shop_id}/referral", token=self.key)
        assert response.status_code == 200, response.body
        return dict(response.json)

    def pools(self) -> dict[str, Any]:
        return dict(self.program()["pools"])

    def claim(self, pool: str, holder: str) -> str | None:
        return claim_code(self.table, self.shop_id, pool, holder)


def codes_text(count: int, prefix: str = "FRIEND", header: bool = False) -> str:
    lines = (["code"] if header else []) + [f"{prefix}-{n:05d}" for n in range(count)]
    return "\n".join(lines) + "\n"


# --- uploads ------------------------------------------------------------------------------------------


def test_a_csv_with_its_header_fills_the_pool(owner):
    # Given a CSV export of codes with its header line
    text = "code\r\nWELCOME-A1\r\nWELCOME-A2\r\nWELCOME_A3\r\n"
    # When the owner uploads it to the friend pool
    response = owner.upload("friend", text)
    # Then every code is added and available; the header is no code
    assert response.status_code == 200, response.body
    assert response.json == {"added": 3, "already": 0, "rejected": [], "available": 3}
    assert response.headers["Cache-Control"] == "no-store"
    assert owner.pools() == {"friend": {"available": 3, "handed_out": 0}, "advocate": {"available": 0, "handed_out": 0}}


def test_a_plain_list_fills_the_advocate_pool(owner):
    # Given a plain list without a header, quoted cells, spaces and blank lines
    text = 'THANKS10\n\n  THANKS11  \n"THANKS12"\n\n'
    # When it is uploaded as text/plain
    response = owner.upload("advocate", text, media_type="text/plain")
    # Then its three codes are in the advocate pool only
    assert response.json == {"added": 3, "already": 0, "rejected": [], "available": 3}
    assert owner.pools()["advocate"] == {"available": 3, "handed_out": 0}
    assert owner.pools()["friend"] == {"available": 0, "handed_out": 0}


def test_bad_lines_are_refused_with_their_line_numbers_and_the_rest_is_added(owner):
    # Given a file with a header, good codes, and lines that are no codes
    lines = ["code", "GOOD-1", "has space", "", "X" * 65, "caf\u00e9", "GOOD-2", "a;b", "Y" * 64, "code"]
    # When it is uploaded
    response = owner.upload("friend", "\n".join(lines))
    # Then each bad line is named by its number (the header is line 1, blank lines count), the good ones added;
    # `code` below the first line is a code like any other
    assert response.status_code == 200
    assert response.json["rejected"] == [
        {"line": 3, "reason": "invalid_characters"},
        {"line": 5, "reason": "too_long"},
        {"line": 6, "reason": "invalid_characters"},
        {"line": 8, "reason": "invalid_characters"},
    ]
    assert (response.json["added"], response.json["already"], response.json["available"]) == (4, 0, 4)


def test_a_code_in_either_pool_is_already_there_whatever_its_case(owner):
    # Given codes in the friend pool
    assert owner.upload("friend", "SPRING-A\nSPRING-B\n").json["added"] == 2
    # When the same codes, in another case, go to the advocate pool with a new one, one of them twice
    response = owner.upload("advocate", "spring-a\nSpring-B\nSUMMER-C\nsummer-c\n")
    # Then only the new one is added, once; the rest is `already`, and no code is in two pools
    assert response.json == {"added": 1, "already": 3, "rejected": [], "available": 1}
    assert owner.pools() == {"friend": {"available": 2, "handed_out": 0}, "advocate": {"available": 1, "handed_out": 0}}
    # And the same file again changes nothing
    again = owner.upload("friend", "SPRING-A\nSPRING-B\n")
    assert again.json == {"added": 0, "already": 2, "rejected": [], "available": 2}
    # And a code keeps the case it was first uploaded with
    assert owner.table.get(keys.referral_code_key(owner.shop_id, "spring-b"))["code"] == "SPRING-B"


def test_more_than_ten_thousand_codes_are_refused_and_nothing_is_stored(owner):
    # Given 10,001 codes (with a header, which is no code)
    text = codes_text(MAX_CODES + 1, header=True)
    # When they are uploaded
    response = owner.upload("friend", text)
    # Then the request is refused as too large, and no code was added
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_many_codes"
    assert owner.pools()["friend"] == {"available": 0, "handed_out": 0}
    assert owner.table.get(keys.referral_code_key(owner.shop_id, "FRIEND-00000")) is None


def test_a_body_larger_than_ten_thousand_long_codes_is_refused(owner):
    response = owner.upload("friend", ("Z" * 64 + "\n") * 16_200)  # over a MiB
    assert response.status_code == 413


def test_many_codes_are_written_shard_by_shard_and_counted_exactly(owner):
    # Given a file large enough for the shards to be written side by side, some codes already there
    assert owner.upload("friend", "BULK-00007\nBULK-00100\n").json["added"] == 2
    # When it is uploaded
    response = owner.upload("friend", codes_text(260, prefix="BULK"))
    # Then every code not there yet is added once, and the counters are exact
    assert response.json == {"added": 258, "already": 2, "rejected": [], "available": 260}
    assert owner.pools()["friend"] == {"available": 260, "handed_out": 0}


@pytest.mark.parametrize(
    ("pool", "raw", "media_type", "status", "code"),
    [
        ("friends", "ABC\n", "text/csv", 404, "unknown_pool"),
        ("FRIEND", "ABC\n", "text/csv", 404, "unknown_pool"),
        ("friend", '{"codes": ["ABC"]}', "application/json", 415, "unsupported_media_type"),
        ("friend", "ABC\n", "", 415, "unsupported_media_type"),
        ("friend", "code\n\n", "text/csv", 422, "no_codes"),
        ("friend", "", "text/plain", 422, "no_codes"),
        ("friend", b"\xff\xfeA\x00", "text/csv", 400, "invalid_encoding"),
    ],
)
def test_a_wrong_pool_or_body_is_a_clear_json_error(owner, pool, raw, media_type, status, code):
    response = owner.upload(pool, raw, media_type=media_type)
    assert response.status_code == status, response.body
    assert response.json["error"]["code"] == code
    assert owner.pools() == {pool: {"available": 0, "handed_out": 0} for pool in POOLS}


def test_the_pools_are_the_owners_alone(owner, api):
    # Given another shop and its owner key
    _, other_key = api.create_shop()
    path = f"/shops/{owner.shop_id}/referral"
    # Then without a key the routes answer 401, with another shop's key 403 (or the admin's token, 401), as every
    # owner route does, and nothing is added
    assert owner.upload("friend", "ABC\n", key="plk_made-up").status_code == 401
    assert (
        api.request("POST", f"{path}/codes/friend", raw=b"ABC\n", headers={"Content-Type": "text/csv"}).status_code
        == 401
    )
    assert owner.upload("friend", "ABC\n", key=other_key).status_code == 403
    assert owner.upload("friend", "ABC\n", key=ADMIN_TOKEN).status_code == 401
    assert api.request("GET", path).status_code == 401
    assert api.request("GET", path, token=other_key).status_code == 403
    assert owner.pools()["friend"] == {"available": 0, "handed_out": 0}


# --- the program's overview ---------------------------------------------------------------------------


def test_the_overview_answers_settings_pools_rewards_and_claims(owner):
    # Given a shop without referral settings and a code in each pool
    owner.upload("friend", "F-1\nF-2\n")
    owner.upload("advocate", "A-1\n")
    owner.claim("friend", "friend-holder")
    # When the owner reads the program
    program = owner.program()
    # Then the settings are the program's defaults (off), the pools counted, and no reward or friend's claim yet
    assert program["settings"]["enabled"] is False and program["settings"]["hold_days"] == 14
    del program["settings"]
    assert program == {
        "pools": {"friend": {"available": 1, "handed_out": 1}, "advocate": {"available": 1, "handed_out": 0}},
        "rewards": {"pending": 0, "held": 0, "issued": 0, "void": 0},
        "claims": 0,
    }


def test_the_overview_answers_the_shops_referral_settings(owner):
    # Given an owner who turned the program on with a friend's offer
    referral = {"enabled": True, "friend_offer": {"type": "amount", "value": "5", "currency": "EUR"}}
    changed = owner.api.request(
        "PATCH", f"/shops/{owner.shop_id}", {"settings": {"referral": referral}}, token=owner.key
    )
    assert changed.status_code == 200, changed.body
    # Then the overview answers the settings as the shop's profile does
    profile = owner.api.request("GET", f"/shops/{owner.shop_id}", token=owner.key).json
    assert owner.program()["settings"] == profile["settings"]["referral"]
    assert owner.program()["settings"]["friend_offer"]["currency"] == "EUR"


# --- handing codes out --------------------------------------------------------------------------------


def test_a_claim_hands_out_a_code_once_and_the_same_holder_gets_it_again(owner):
    # Given a friend pool of two codes
    owner.upload("friend", "Welcome-1\nWelcome-2\n")
    # When one holder claims twice and another once
    first = owner.claim("friend", "holder-a")
    again = owner.claim("friend", "holder-a")
    other = owner.claim("friend", "holder-b")
    # Then the first holder gets the same code both times, as uploaded (case kept), the other the other code
    assert first == again
    assert {first, other} == {"Welcome-1", "Welcome-2"}
    # And the counters moved once per holder
    assert owner.pools()["friend"] == {"available": 0, "handed_out": 2}
    # And the code records its holder and is off the pool's index
    item = owner.table.get(keys.referral_code_key(owner.shop_id, first))
    assert (item["state"], item["holder"]) == ("handed_out", "holder-a")
    assert keys.GSI1PK not in item and keys.GSI1SK not in item


def test_an_empty_pool_answers_none_and_a_refill_is_handed_out(owner):
    # Given an empty friend pool and a code in the advocate pool
    owner.upload("advocate", "REWARD-1\n")
    # When a holder claims a friend code, the pool has none to give
    assert owner.claim("friend", "holder-a") is None
    assert owner.pools()["friend"] == {"available": 0, "handed_out": 0}
    # And once the pool is refilled the same claim gets a code; the advocate pool is untouched
    owner.upload("friend", "FRIEND-1\n")
    assert owner.claim("friend", "holder-a") == "FRIEND-1"
    assert owner.claim("friend", "holder-b") is None
    assert owner.pools() == {"friend": {"available": 0, "handed_out": 1}, "advocate": {"available": 1, "handed_out": 0}}


def test_a_handed_out_code_uploaded_again_is_already_there(owner):
    owner.upload("friend", "ONCE-ONLY\n")
    assert owner.claim("friend", "holder-a") == "ONCE-ONLY"
    response = owner.upload("friend", "once-only\n")
    assert response.json == {"added": 0, "already": 1, "rejected": [], "available": 0}
    assert owner.claim("friend", "holder-b") is None


def test_the_holder_and_the_pool_are_checked(owner):
    with pytest.raises(ValueError):
        owner.claim("friend", "")
    with pytest.raises(ValueError):
        owner.claim("friend", "h" * 257)
    from chalicelib import errors

    with pytest.raises(errors.NotFound):
        owner.claim("friends", "holder-a")


def test_twenty_concurrent_claims_on_ten_codes_hand_out_each_code_once(owner):
    # Given a pool of 10 codes
    owner.upload("friend", codes_text(10, prefix="RACE"))
    barrier = threading.Barrier(20)

    def claim(n: int) -> str | None:
        barrier.wait()
        return owner.claim("friend", f"friend-{n}")

    # When 20 distinct holders claim at the same moment
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(claim, range(20)))
    # Then exactly 10 got a code, each code went to one of them, and 10 got none
    handed = [code for code in answers if code is not None]
    assert len(handed) == 10 and len(set(handed)) == 10
    assert answers.count(None) == 10
    assert owner.pools()["friend"] == {"available": 0, "handed_out": 10}
    # And each code names the one holder that has it
    holders = {owner.table.get(keys.referral_code_key(owner.shop_id, code))["holder"] for code in handed}
    assert holders == {f"friend-{n}" for n, code in enumerate(answers) if code is not None}


def test_one_holder_claiming_twice_at_once_gets_one_code(owner):
    owner.upload("friend", codes_text(5, prefix="TWICE"))
    barrier = threading.Barrier(6)

    def claim(_: int) -> str | None:
        barrier.wait()
        return owner.claim("friend", "same-holder")

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(claim, range(6)))
    assert len(set(answers)) == 1 and answers[0] is not None
    assert owner.pools()["friend"] == {"available": 4, "handed_out": 1}


# --- the provider interface, the metric and the alarm -------------------------------------------------


def test_the_pool_is_a_code_source(owner):
    owner.upload("friend", "SOURCE-1\n")
    shop = Shop.from_item(owner.table.get(keys.shop_key(owner.shop_id)))
    source: CodeSource = code_source(owner.table)
    assert isinstance(source, PoolSource) and source.name == "pool"
    assert source.claim(shop, "friend", "holder-a") == "SOURCE-1"
    assert source.claim(shop, "friend", "holder-a") == "SOURCE-1"
    assert source.claim(shop, "friend", "holder-b") is None


@pytest.fixture
def metrics():
    from chalicelib.observability import metrics

    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def test_each_change_emits_the_pools_available_codes(owner, metrics):
    from chalicelib.referrals.pools import add_codes

    # When codes are added and one is handed out (in-process: the HTTP layer flushes its metrics)
    add_codes(owner.table, owner.shop_id, "friend", codes_text(3))
    owner.claim("friend", "holder-a")
    add_codes(owner.table, owner.shop_id, "advocate", codes_text(LOW_CODES, prefix="ADV"))
    # Then each pool's metric has its available count after each change
    assert metrics.metric_set[AVAILABLE_METRICS["friend"]]["Value"] == [3.0, 2.0]
    assert metrics.metric_set[AVAILABLE_METRICS["advocate"]]["Value"] == [float(LOW_CODES)]


def test_the_packaged_template_alarms_when_a_pool_runs_low():
    from tests.unit.test_package_template import BASE, merge_template

    # Given the merged template
    alarm = merge_template(BASE)["Resources"]["ReferralCodesLowAlarm"]["Properties"]
    # Then one alarm takes the lowest of the pools' available codes and goes off below the threshold
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    watched = {m["MetricStat"]["Metric"]["MetricName"] for m in metrics.values() if "MetricStat" in m}
    assert watched == set(AVAILABLE_METRICS.values())
    assert all(
        m["MetricStat"]["Stat"] == "Minimum"
        and m["MetricStat"]["Metric"]["Namespace"] == "Proofloop"
        and m["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "service", "Value": "proofloop"}]
        for m in metrics.values()
        if "MetricStat" in m
    )
    [returned] = [m for m in metrics.values() if m.get("ReturnData", True)]
    assert returned["Expression"].startswith("MIN(")
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (LOW_CODES, "LessThanThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}]


def test_the_route_table_offers_the_pools_the_domain_has(api):
    from chalicelib.routes import REFERRAL_POOLS

    assert REFERRAL_POOLS == POOLS
    spec = api.request("GET", "/openapi.json").json
    upload = spec["paths"]["/shops/{shop_id}/referral/codes/{pool}"]["post"]
    pool = next(p for p in upload["parameters"] if p["name"] == "pool")
    assert pool["schema"]["enum"] == list(POOLS)
    assert {"200", "401", "403", "404", "413", "415", "422"} <= set(upload["responses"])
    assert "200" in spec["paths"]["/shops/{shop_id}/referral"]["get"]["responses"]
