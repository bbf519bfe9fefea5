"""The console's referral section through HTTP: the program's settings saved through PATCH's code (each error beside
its field, nothing saved), the pools with what is left and a warning to refill, their upload form (pasted codes and a
CSV file, CSRF-checked), the figures, and the owner's own words escaped."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from chalicelib.auth.csrf import csrf_token
from chalicelib.store.shop_settings import ReferralSettings, console_rows
from tests.unit.test_console import FORM, Owner, body

DEFAULTS = {
    "csrf": "",
    "enabled": "on",
    "friend_offer_type": "percent",
    "friend_offer_value": "15",
    "friend_offer_currency": "",
    "friend_offer_minimum_order": "40",
    "advocate_reward_type": "amount",
    "advocate_reward_value": "10",
    "advocate_reward_currency": "usd",
    "codes": "pool",
    "hold_days": "21",
    "new_customers_only": "on",
    "max_rewards_per_month": "5",
    "terms": "One code per new customer.\nNot with other offers.",
}


class Referrer(Owner):
    def section(self, query: str = ""):
        return self.get("referral" + query)

    def save(self, **changes: str):
        fields = {k: v for k, v in {**DEFAULTS, **changes}.items() if k != "csrf" and v is not None}
        return self.post("referral", fields)

    def upload(self, pool: str, codes: str = "", file: bytes | None = None, csrf: str | None = None, name="c.csv"):
        """The pool's upload form as a browser posts it: multipart/form-data, the file input always sent."""
        boundary = "----proofloop" + uuid.uuid4().hex
        parts = [
            ("csrf", None, (csrf if csrf is not None else csrf_token(self.session)).encode()),
            ("codes", None, codes.encode()),
            ("file", name if file is not None else "", file or b""),
        ]
        raw = b""
        for field, filename, content in parts:
            disposition = f'form-data; name="{field}"' + (f'; filename="{filename}"' if filename is not None else "")
            kind = b"Content-Type: text/csv\r\n" if filename is not None else b""
            raw += (
                f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode() + kind + b"\r\n" + content + b"\r\n"
            )
        raw += f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **self.cookie}
        return self.api.request(
            "POST", f"/shops/{self.shop_id}/dashboard/forms/referral-codes/{pool}", raw=raw, headers=headers
        )

    def referral(self) -> dict:
        return self.profile()["settings"]["referral"]

    def overview(self) -> dict:
        return self.api.request("GET", f"/shops/{self.shop_id}/referral", token=self.key).json


@pytest.fixture
def owner(api):
    return Referrer(api)


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page, re.S)
    assert found, page
    return found.group(1)


def test_the_section_shows_every_setting_with_its_meaning_the_pools_and_a_place_for_the_ledger(owner):
    response = owner.section()
    page = body(response)
    assert response.status_code == 200, page[:500]
    assert '/dashboard/referral" aria-current="page">Referral program</a>' in page
    assert "The program: off" in page
    for path, label, kind, meaning in console_rows(ReferralSettings):
        name = "_".join(path)
        if kind == "group":
            assert f"<legend>{escape(label)}</legend>" in page, label
            continue
        assert f'id="{name}"' in page and f'<p class="help" id="{name}-help">' in page, name
        assert escape(meaning) in page, name
    assert 'id="pool-friend"' in page and 'id="pool-advocate"' in page
    assert page.count('enctype="multipart/form-data"') == 2 and page.count('type="file"') == 2
    assert 'id="rewards"' in page  # where the rewards ledger goes
    assert "Friends' claims" in page


def test_saving_goes_through_patch_and_the_api_sees_it_at_once(owner):
    response = owner.save()
    assert response.status_code == 303, body(response)[:500]
    assert response.headers["Location"].endswith("/dashboard/referral?saved=1#program")
    assert owner.referral() == {
        "enabled": True,
        "friend_offer": {"type": "percent", "value": "15", "currency": None, "minimum_order": "40"},
        "advocate_reward": {"type": "amount", "value": "10", "currency": "USD"},  # typed usd, kept as ISO writes it
        "codes": "pool",
        "hold_days": 21,
        "new_customers_only": True,
        "max_rewards_per_month": 5,
        "terms": "One code per new customer.\nNot with other offers.",
    }
    assert owner.overview()["settings"] == owner.referral()
    page = body(owner.section("?saved=1"))
    assert "Saved: the program runs with these settings now." in page and "The program: on" in page
    assert 'id="hold_days" name="hold_days" value="21"' in page
    # Unticking a box turns it off, and the other settings of the shop are untouched
    before = owner.profile()["settings"]
    assert owner.save(new_customers_only=None, enabled=None).status_code == 303
    after = owner.profile()["settings"]
    assert after["referral"]["enabled"] is False and after["referral"]["new_customers_only"] is False
    assert {k: v for k, v in after.items() if k != "referral"} == {k: v for k, v in before.items() if k != "referral"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("friend_offer_value", "150", "a percent is more than 0 and at most 100"),
        ("friend_offer_value", "ten", "should match pattern"),
        ("advocate_reward_currency", "", "an amount needs its currency"),
        ("hold_days", "91", "less than or equal to 90"),
        ("max_rewards_per_month", "lots", "enter a whole number"),
        ("friend_offer_type", "free", "percent"),
        ("terms", "bell\x07", "no control characters"),
    ],
)
def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_saved(owner, field, value, message):
    assert owner.save(hold_days="30").status_code == 303
    before = owner.profile()
    response = owner.save(**{"hold_days": "30", "terms": "Mine.", field: value})
    page = body(response)
    assert response.status_code == 422, page[:300]
    assert message in field_error(page, field)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), page
    assert "Nothing was saved: 1 field needs a change." in page
    assert owner.profile() == before  # the stored settings are unchanged
    # What was typed is on the form again, not what is stored
    if field != "terms":
        assert "Mine.</textarea>" in page


def test_a_stale_csrf_token_saves_and_uploads_nothing(owner):
    before = owner.referral()
    stale = csrf_token("old" + owner.session)
    fields = {k: v for k, v in DEFAULTS.items() if k != "csrf"}
    assert owner.post("referral", fields, csrf=stale).status_code == 403
    assert owner.upload("friend", "CODE-1", csrf=stale).status_code == 403
    assert owner.referral() == before
    assert owner.overview()["pools"]["friend"] == {"available": 0, "handed_out": 0}


def test_the_owners_terms_are_escaped_on_the_page(owner):
    terms = '</textarea><script>alert("x")</script><img src=x onerror=alert(1)>'
    assert owner.save(terms=terms).status_code == 303
    assert owner.referral()["terms"] == terms
    page = body(owner.section())
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;/textarea&gt;&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    # and on a refused form, where the typed text is shown again
    page = body(owner.save(terms=terms, hold_days="-1"))
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_a_csv_file_and_pasted_codes_fill_the_pool_with_what_was_added_already_and_refused(owner):
    csv = b'\xef\xbb\xbfcode\r\nSPRING-01\r\nSPRING-02\r\n"SPRING-03"\r\nbad code!\r\n' + b"X" * 65 + b"\r\n"
    response = owner.upload("friend", "spring-01\nSUMMER-01\n", csv)
    assert response.status_code == 303, body(response)[:500]
    location = response.headers["Location"]
    assert "/dashboard/referral?uploaded=friend&added=4&already=1&refused=2" in location
    assert location.endswith("#pool-friend")
    assert owner.overview()["pools"]["friend"] == {"available": 4, "handed_out": 0}
    page = body(owner.section(location[location.index("?") : location.index("#")]))
    report = re.search(r'<div class="notice" role="status">(.*?)</div>', page, re.S).group(1)
    assert "4 added, 1 already in a pool, 2 lines refused." in report
    assert "The file, line 5: not only A-Z, a-z, 0-9, _ and -" in report
    assert "The file, line 6: longer than 64 characters" in report
    assert re.search(r"<dt>Codes left</dt><dd>4</dd>", page)


def test_a_report_in_the_address_says_only_numbers_and_our_own_words(owner):
    query = "?" + urlencode({"uploaded": "friend", "added": "<b>9</b>", "lines": "file.3.<script>~codes.2.too_long"})
    page = body(owner.section(query))
    assert "0 added" in page and "<b>9" not in page and "<script>" not in page
    assert "The box, line 2: longer than 64 characters" in page and "line 3" not in page


@pytest.mark.parametrize(
    ("codes", "file", "field", "message"),
    [
        ("", None, "codes", "paste codes, one a line, or choose a file"),
        ("  \n ", b"", "codes", "paste codes"),
        ("", b"code\r\n", "file", "no codes in it"),
        ("", "caf\xe9".encode("latin-1"), "file", "not UTF-8 text"),
    ],
)
def test_an_upload_with_nothing_to_add_is_the_page_again_with_the_error_beside_its_field(
    owner, codes, file, field, message
):
    response = owner.upload("advocate", codes, file)
    page = body(response)
    assert response.status_code == 422, page[:300]
    assert message in field_error(page, f"advocate-{field}")
    assert "Nothing was added" in page
    assert owner.overview()["pools"]["advocate"] == {"available": 0, "handed_out": 0}


def test_the_box_keeps_what_was_typed_when_the_file_is_refused(owner):
    page = body(owner.upload("friend", "KEEP-ME-1\nKEEP-ME-2", "\xff".encode("latin-1")))
    assert "KEEP-ME-1\nKEEP-ME-2</textarea>" in page
    assert owner.overview()["pools"]["friend"]["available"] == 0  # neither was added


def test_an_unknown_pool_is_not_found(owner):
    assert owner.upload("partner", "CODE-1").status_code == 404


def test_the_plain_form_without_a_file_works_too(owner):
    fields = urlencode({"csrf": csrf_token(owner.session), "codes": "PLAIN-1\nPLAIN-2"}).encode()
    response = owner.api.request(
        "POST",
        f"/shops/{owner.shop_id}/dashboard/forms/referral-codes/friend",
        raw=fields,
        headers={**FORM, **owner.cookie},
    )
    assert response.status_code == 303 and "added=2" in response.headers["Location"]


def test_a_pool_below_twenty_warns_and_an_empty_one_alerts_while_the_program_is_on(owner):
    page = body(owner.section())
    assert "No codes yet: upload some before you turn the program on." in page
    assert 'role="alert">No codes left' not in page
    assert owner.save().status_code == 303  # the program on, an amount as the advocate's reward
    page = body(owner.section())
    assert page.count('<p class="pool-alert" role="alert">No codes left') == 2
    assert "friends who claim now wait for theirs" in page and "rewards due now wait" in page

    owner.upload("friend", "\n".join(f"F-{n:02}" for n in range(19)))
    page = body(owner.section())
    friend = re.search(r'id="pool-friend".*?</section>', page, re.S).group(0)
    assert "Only 19 codes left (fewer than 20): upload more." in friend and "pool-alert" not in friend

    owner.upload("friend", "F-19")
    friend = re.search(r'id="pool-friend".*?</section>', body(owner.section()), re.S).group(0)
    assert "pool-warning" not in friend and "pool-alert" not in friend
    assert "<dt>Codes left</dt><dd>20</dd>" in friend

    # With no advocate's reward the advocate pool is not used: nothing to warn of
    assert owner.save(advocate_reward_type="none", advocate_reward_currency="").status_code == 303
    advocate = re.search(r'id="pool-advocate".*?</section>', body(owner.section()), re.S).group(0)
    assert "pool-warning" not in advocate and "pool-alert" not in advocate


def test_the_figures_are_the_programs_overview(owner):
    page = body(owner.section())
    figures = re.search(r'aria-labelledby="figures-title">(.*?)</section>', page, re.S).group(1)
    assert "<dt>Friends' claims</dt><dd>0</dd>" in figures
    for state in ("pending", "held", "issued", "void"):
        assert f"<dt>Rewards {state}</dt><dd>0</dd>" in figures


def test_a_multipart_body_of_garbage_is_never_a_500(owner):
    url = f"/shops/{owner.shop_id}/dashboard/forms/referral-codes/friend"
    for content_type, raw in (
        ("multipart/form-data", b"no boundary"),
        ("multipart/form-data; boundary=q", b"--q\r\n\xff\xfe: x\r\n\r\nzz\r\n--q--"),
        ("multipart/form-data; boundary=q", b""),
        ('multipart/form-data; boundary="', b"--\r\n"),
    ):
        response = owner.api.request("POST", url, raw=raw, headers={"Content-Type": content_type, **owner.cookie})
        assert 400 <= response.status_code < 500, (content_type, raw, response.status_code)
