"""Referral code pools on the real server and DynamoDB Local: its transactions and conditions are the real ones,
and concurrent claims really run side by side (moto's unit version serializes each call)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib.referrals.pools import MAX_CODES, claim_code
from chalicelib.store import keys


def _upload(live, shop_id: str, key: str, pool: str, text: str):
    return live.request(
        "POST",
        f"/shops/{shop_id}/referral/codes/{pool}",
        data=text.encode(),
        headers={"Content-Type": "text/csv"},
        token=key,
    )


def _pools(live, shop_id: str, key: str) -> dict:
    response = live.request("GET", f"/shops/{shop_id}/referral", token=key)
    assert response.status_code == 200, response.text
    return response.json()["pools"]


def test_twenty_concurrent_claims_on_a_pool_of_ten_hand_out_each_code_once(live, new_shop, db):
    # Given a friend pool of 10 codes, uploaded over HTTP
    shop, key = new_shop()
    shop_id = shop["shop_id"]
    text = "code\n" + "\n".join(f"Race-{n:02d}" for n in range(10)) + "\n"
    assert _upload(live, shop_id, key, "friend", text).json()["available"] == 10
    barrier = threading.Barrier(20)

    def claim(n: int) -> str | None:
        barrier.wait()
        return claim_code(db, shop_id, "friend", f"friend-{n}")

    # When 20 distinct holders claim at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(claim, range(20)))
    # Then exactly 10 codes went out, each to one holder, and 10 claims found the pool empty
    handed = [code for code in answers if code is not None]
    assert sorted(handed) == [f"Race-{n:02d}" for n in range(10)]
    assert answers.count(None) == 10
    assert _pools(live, shop_id, key)["friend"] == {"available": 0, "handed_out": 10}
    for n, code in enumerate(answers):
        if code is not None:
            assert db.get(keys.referral_code_key(shop_id, code), consistent=True)["holder"] == f"friend-{n}"
            # And a holder claiming again gets its code again
            assert claim_code(db, shop_id, "friend", f"friend-{n}") == code


def test_ten_thousand_codes_in_one_request_are_each_stored_once(live, new_shop, db):
    # Given 10,000 codes, 100 of them in the advocate pool already in another case
    shop, key = new_shop()
    shop_id = shop["shop_id"]
    codes = [f"BULK-{n:05d}" for n in range(MAX_CODES)]
    assert _upload(live, shop_id, key, "advocate", "\n".join(c.lower() for c in codes[:100])).json()["added"] == 100
    # When the whole file is uploaded to the friend pool
    response = _upload(live, shop_id, key, "friend", "code\n" + "\n".join(codes) + "\n")
    # Then the others are added once, and the counters say so
    assert response.status_code == 200, response.text
    assert response.json() == {"added": MAX_CODES - 100, "already": 100, "rejected": [], "available": MAX_CODES - 100}
    assert _pools(live, shop_id, key) == {
        "friend": {"available": MAX_CODES - 100, "handed_out": 0},
        "advocate": {"available": 100, "handed_out": 0},
    }
