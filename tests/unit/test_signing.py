"""Signed tokens: what they carry comes back only untouched, unexpired and for the same purpose."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import clock, errors, signing


def test_signed_payload_round_trips():
    token = signing.sign("review", {"shop": "s1", "order": "o1"}, ttl_seconds=60)
    assert signing.verify("review", token)["order"] == "o1"


def test_altered_payload_is_refused():
    token = signing.sign("review", {"order": "o1"})
    body, mac = token.split(".")
    forged = signing._b64(signing._unb64(body).replace(b"o1", b"o2")) + "." + mac
    with pytest.raises(errors.BadRequest) as caught:
        signing.verify("review", forged)
    assert caught.value.code == "invalid_review"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "e30.AAAA"])
def test_garbage_is_refused_not_crashed(garbage):
    with pytest.raises(errors.BadRequest):
        signing.verify("review", garbage)


def test_token_of_one_purpose_does_not_pass_as_another():
    token = signing.sign("session", {"shop": "s1"})
    with pytest.raises(errors.BadRequest):
        signing.verify("review", token)


def test_expired_token_is_refused(monkeypatch):
    token = signing.sign("review", {"order": "o1"}, ttl_seconds=10)
    monkeypatch.setattr(clock, "now", lambda: datetime.fromtimestamp(10**10, UTC))
    with pytest.raises(errors.BadRequest) as caught:
        signing.verify("review", token)
    assert caught.value.code == "expired_review"


def test_cursor_is_bound_to_its_listing():
    cursor = signing.encode_cursor("SHOP#a#pending", {"PK": "SHOP#a", "SK": "R#1"})
    assert signing.decode_cursor("SHOP#a#pending", cursor) == {"PK": "SHOP#a", "SK": "R#1"}
    with pytest.raises(errors.BadRequest):
        signing.decode_cursor("SHOP#b#pending", cursor)


def test_keyed_hash_is_stable_and_not_the_plain_hash():
    import hashlib

    first = signing.keyed_hash("email", "ana@example.com")
    assert first == signing.keyed_hash("email", "ana@example.com")
    assert first not in hashlib.sha256(b"ana@example.com").hexdigest()
