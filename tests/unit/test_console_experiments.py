"""The console's experiments section through HTTP: the list and one experiment's result with the exact counts of a
seeded experiment (the units whose outcome window closed, and beside them what was counted so far), the service's
sentence, the owner's values escaped; start (errors beside their fields, 409 lever_busy), stop and promote through
the API's own code; forms refused without the session's CSRF token."""

from __future__ import annotations

import re
from html import unescape

import pytest

from chalicelib import clock
from chalicelib.auth.csrf import csrf_token
from chalicelib.experiments.assignment import closes
from chalicelib.store import keys
from chalicelib.store.experiments import claim_count_ops, conversion_ops, count_ops, unit_ops
from chalicelib.store.shop_records import get_shop
from chalicelib.store.table import get_table
from tests.unit.experiment_support import outcomes_arrived, windows_closed
from tests.unit.test_console import Owner, body

SCRIPTED = '<script>alert("x")</script> How is your mug?'


class Experimenter(Owner):
    units_made = 0  # each unit counted gets a name of its own

    def start_api(self, **overrides):
        payload = {
            "name": "Subject test",
            "lever": "request_subject",
            "language": "en",
            "variants": [{"key": "a", "value": ""}, {"key": "b", "value": SCRIPTED}],
            **overrides,
        }
        answer = self.api.request("POST", f"/shops/{self.shop_id}/experiments", payload, token=self.key)
        assert answer.status_code == 201, answer.body
        return str(answer.json["experiment_id"])

    def read(self, experiment_id: str) -> dict:
        answer = self.api.request("GET", f"/shops/{self.shop_id}/experiments/{experiment_id}", token=self.key)
        assert answer.status_code == 200, answer.body
        return answer.json

    def listed(self) -> list[dict]:
        return self.api.request("GET", f"/shops/{self.shop_id}/experiments", token=self.key).json["experiments"]

    def count(
        self, experiment_id: str, variant: str, units: int, conversions: int, claims: int = 0, closed: bool = True
    ) -> None:
        """Units, conversions and an offer's claims counted by the store's own operations, as a send's claim, a
        first review and a friend's claim count them: each unit with its item and its outcome window. Closed (the
        default): the start moved back and every window closed, so the counts are final, read and decided on."""
        table = get_table()
        shop = get_shop(table, self.shop_id, consistent=True)
        assert shop is not None
        assigned = {experiment_id: variant}
        for n in range(units):
            self.units_made += 1
            unit, at = f"{variant}-{self.units_made}", clock.iso()
            table.transact(unit_ops(table, self.shop_id, unit, assigned, at, closes(shop, assigned, at)))
            if n < conversions:
                table.transact(conversion_ops(table, self.shop_id, unit, assigned, at))
            if n < claims:
                table.transact(claim_count_ops(table, self.shop_id, assigned, unit, at))
        if closed:
            outcomes_arrived(table, self.shop_id, experiment_id)

    def tally(
        self, experiment_id: str, variant: str, units: int, conversions: int, open_units: int = 0, open_conv: int = 0
    ) -> None:
        """Counts in the hundreds the statistic needs to decide, as the variant's counters hold them (without an
        item a unit, which `count` writes): `units` and `conversions` closed, as the due work's closing adds them,
        and counted so far with `open_units` and `open_conv` more whose windows are still open. The start moved
        back: the counts are read and decided on."""
        table = get_table()
        assigned = {experiment_id: variant}
        for counter, delta in (
            ("units", units + open_units),
            ("conversions", conversions + open_conv),
            ("closed_units", units),
            ("closed_conversions", conversions),
        ):
            table.transact(count_ops(table, self.shop_id, assigned, counter, delta))
        outcomes_arrived(table, self.shop_id, experiment_id)

    def outcome_days(self, experiment_id: str) -> int:
        """The experiment's outcome window as it was stored when it started (not in the API's answer)."""
        return int(get_table().get(keys.experiment_key(self.shop_id, experiment_id), consistent=True)["outcome_days"])

    def start_form(self, csrf: str | None = None, **fields: str):
        form = {
            "name": "From the console",
            "lever": "request_subject",
            "texts_language": "en",
            "value_b": "",
            "value_c": "",
            "value_d": "",
            "alpha": "0.05",
            "max_units_per_variant": "5000",
            **fields,
        }
        return self.post("experiments", form, csrf=csrf)


@pytest.fixture
def owner(api):
    return Experimenter(api)


def located(response) -> str:
    assert response.status_code == 303, response.body
    return str(response.headers["Location"])


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page, re.S)
    assert found, page
    return unescape(found.group(1))


def invalid(page: str, name: str) -> bool:
    tag = re.search(rf'<(?:input|select)[^>]* id="{name}"[^>]*>', page)
    assert tag, page
    return 'aria-invalid="true"' in tag.group(0) and f'aria-describedby="{name}-error' in tag.group(0)


def cells(page: str, variant: str) -> list[str]:
    """The variants table's row of one variant: its cells' text."""
    row = re.search(rf'<tr>\s*<th scope="row">{variant}(?: \(current setting\))?</th>(.*?)</tr>', page, re.S)
    assert row, page
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_the_result_shows_the_exact_counts_the_sentence_and_escaped_values(owner):
    experiment_id = owner.start_api()
    owner.tally(experiment_id, "a", 400, 80)
    owner.tally(experiment_id, "b", 400, 160, open_units=25, open_conv=2)
    answer = owner.read(experiment_id)
    assert answer["decision"] == "better:b"
    b = next(v for v in answer["variants"] if v["key"] == "b")

    page = owner.get(f"experiments/{experiment_id}")
    assert page.status_code == 200
    html = body(page)
    assert cells(html, "A") == [
        "(our own words)",
        "400",
        "80",
        "20.0%",
        "the baseline",
        "",
        "400 orders asked, 80 reviewed",
    ]
    low, high = (f"{b['difference'][k] * 100:+.1f}" for k in ("low", "high"))
    assert cells(html, "B") == [
        SCRIPTED,
        "400",
        "160",
        "40.0%",
        "+20.0",
        f"{low} to {high}",
        "425 orders asked, 162 reviewed",
    ]
    assert float(low) > 0
    # The owner's value is text, never markup.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # The service's own sentence, and the method.
    sentence = re.search(r'<p class="sentence" id="sentence"><strong>(.*?)</strong></p>', html, re.S)
    assert sentence and unescape(sentence.group(1)) == answer["sentence"]
    assert answer["sentence"].startswith("Subject B gets more reviews: between +")
    assert "mSPRT" in html and "alpha 0.05" in html
    # The chart: one interval, its estimate marked, described in words.
    desc = re.search(r'<desc id="chart-desc">(.*?)</desc>', html, re.S)
    assert desc and unescape(desc.group(1)).startswith(f"Variant B: +20.0 points, from {low} to {high}")
    assert html.count("<circle") == 1
    # Promote: the winner is offered first.
    offered = re.findall(r"Promote variant (\w)", html)
    assert offered == ["B", "A"]
    assert "Promote variant B (the better one)" in html


def window_line(page: str) -> str:
    found = re.search(r'<p id="variants-window">(.*?)</p>', page, re.S)
    assert found, page
    return unescape(found.group(1))


def test_the_result_reads_only_units_whose_window_closed_and_shows_what_came_so_far(owner):
    # Given units counted and some converted, none of whose outcome windows has closed yet
    experiment_id = owner.start_api()
    owner.count(experiment_id, "a", 30, 3, closed=False)
    owner.count(experiment_id, "b", 1, 1, closed=False)
    days = owner.outcome_days(experiment_id)
    assert days > 1

    # When the owner reads it: no unit counted in the result yet, every one counted so far beside
    html = body(owner.get(f"experiments/{experiment_id}"))
    a, b = cells(html, "A"), cells(html, "B")
    assert a[1:4] + a[-1:] == ["0", "0", "no unit closed yet", "30 orders asked, 3 reviewed"]
    assert b[1:4] + b[-1:] == ["0", "0", "no unit closed yet", "1 order asked, 1 reviewed"]
    assert headers(html)[-1] == "Counted so far"
    assert window_line(html) == (
        f"The result reads only the orders asked whose outcome window ({days} days from each one) has closed, so "
        "every variant is compared on complete outcomes; the newest are counted once their window closes. The last "
        "column, Counted so far, gives every unit as it came, its outcome complete or not."
    )
    assert owner.read(experiment_id)["decision"] == "running"

    # A day before the windows close, the due work closes none
    table = get_table()
    assert windows_closed(table, days=days - 1) == 0
    assert cells(body(owner.get(f"experiments/{experiment_id}")), "A")[1:3] == ["0", "0"]

    # Then, once they have closed, the result reads them, each with its outcome
    assert windows_closed(table) == 31
    html = body(owner.get(f"experiments/{experiment_id}"))
    assert cells(html, "A")[1:5] + cells(html, "A")[-1:] == [
        "30",
        "3",
        "10.0%",
        "the baseline",
        "30 orders asked, 3 reviewed",
    ]
    b = cells(html, "B")
    assert b[1:5] + b[-1:] == ["1", "1", "100.0%", "+90.0", "1 order asked, 1 reviewed"]
    answer = owner.read(experiment_id)
    assert [(v["units"], v["conversions"]) for v in answer["variants"]] == [(30, 3), (1, 1)]
    assert [v["so_far"] for v in answer["variants"]] == [
        {"units": 30, "conversions": 3},
        {"units": 1, "conversions": 1},
    ]
    # Closing again counts nothing twice
    assert windows_closed(table) == 0
    assert cells(body(owner.get(f"experiments/{experiment_id}")), "A")[1:3] == ["30", "3"]


def test_the_list_shows_running_first_then_newest_with_the_decision_in_words(owner):
    first = owner.start_api(
        name="Delay test",
        lever="request_delay_days",
        language=None,
        variants=[{"key": "a", "value": 7}, {"key": "b", "value": 3}],
    )
    stopped = owner.start_api(name="Old subject test")
    assert (
        owner.api.request("POST", f"/shops/{owner.shop_id}/experiments/{stopped}/stop", token=owner.key).status_code
        == 200
    )
    running = owner.start_api(name="Subject test, again")
    owner.tally(running, "a", 400, 80)
    owner.tally(running, "b", 400, 160)

    html = body(owner.get("experiments"))
    names = [unescape(n) for n in re.findall(r'/dashboard/experiments/ex[0-9a-f]{26}">(.*?)</a>', html)]
    assert names == ["Subject test, again", "Delay test", "Old subject test"]
    rows = re.findall(r"<tr>\s*<td><a[^>]*>.*?</a></td>(.*?)</tr>", html, re.S)
    text = [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows]
    assert text[0][:3] == [
        "The review request's subject, en",
        "Running",
        "Variant B is better than the current setting",
    ]
    assert text[1][:3] == ["The review request's delay (days)", "Running", "Still running: no conclusion yet"]
    assert text[2][:3] == ["The review request's subject, en", "Stopped", "No conclusion when it ended"]
    assert first


def test_start_through_the_form_then_409_lever_busy_beside_the_lever(owner):
    where = located(owner.start_form(value_b="How is your new mug?", value_c="A quick question"))
    experiment_id = where.split("/experiments/")[1].split("?")[0]
    assert where.endswith("?done=started")
    (listed,) = owner.listed()
    assert listed["experiment_id"] == experiment_id
    assert listed["name"] == "From the console" and listed["control"] == "a" and listed["status"] == "running"
    assert [(v["key"], v["value"]) for v in listed["variants"]] == [
        ("a", ""),
        ("b", "How is your new mug?"),
        ("c", "A quick question"),
    ]
    page = body(owner.get(f"experiments/{experiment_id}?done=started"))
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', page, re.S)
    assert notice and unescape(notice.group(1)) == (
        "Started: each unit now gets one variant. What is counted so far grows as units come; the result's counts "
        "grow as each unit's outcome window closes."
    )

    again = owner.start_form(name="Twice", value_b="Another subject")
    assert again.status_code == 409
    html = body(again)
    assert "already" in field_error(html, "lever") and invalid(html, "lever")
    assert 'value="Another subject"' in html  # what was typed stays
    assert len(owner.listed()) == 1


def test_bad_values_are_shown_beside_their_fields_and_start_nothing(owner):
    too_long = owner.start_form(value_b="x" * 151)
    assert too_long.status_code == 422
    assert invalid(body(too_long), "value_b") and field_error(body(too_long), "value_b")
    days = owner.start_form(lever="request_delay_days", value_b="400")
    assert days.status_code == 422 and invalid(body(days), "value_b")
    words = owner.start_form(lever="request_delay_days", value_b="soon")
    assert words.status_code == 422 and field_error(body(words), "value_b") == "A whole number of days."
    nameless = owner.start_form(name="", value_b="Hello")
    assert nameless.status_code == 422 and invalid(body(nameless), "name")
    alpha = owner.start_form(value_b="Hello", alpha="0.5")
    assert alpha.status_code == 422 and invalid(body(alpha), "alpha")
    tongue = owner.start_form(value_b="Hello", texts_language="xx")
    assert tongue.status_code == 422 and invalid(body(tongue), "texts_language")
    nothing = owner.start_form()
    assert nothing.status_code == 422 and invalid(body(nothing), "value_b")
    assert owner.listed() == []


def test_stop_ends_it_and_frees_the_lever(owner):
    experiment_id = owner.start_api()
    owner.count(experiment_id, "b", 10, 3)
    where = located(owner.post(f"experiments/{experiment_id}/stop", {}))
    assert where.endswith(f"/dashboard/experiments/{experiment_id}?done=stopped")
    answer = owner.read(experiment_id)
    assert answer["status"] == "stopped"
    assert [(v["units"], v["conversions"]) for v in answer["variants"]] == [(0, 0), (10, 3)]
    page = body(owner.get(f"experiments/{experiment_id}?done=stopped"))
    assert "Stopped: no new unit joins it" in page and "Promote variant" not in page
    assert cells(page, "A")[-1] == "0 orders asked, 0 reviewed"
    assert cells(page, "B")[1:3] + cells(page, "B")[-1:] == ["10", "3", "10 orders asked, 3 reviewed"]
    # Stopping twice is the page again with the reason.
    assert owner.post(f"experiments/{experiment_id}/stop", {}).status_code == 409
    assert located(owner.start_form(value_b="A new subject"))


def test_promote_sets_the_shop_setting(owner):
    experiment_id = owner.start_api()
    where = located(owner.post(f"experiments/{experiment_id}/promote", {"variant": "b"}))
    assert where.endswith("?done=promoted")
    assert owner.profile()["settings"]["email_texts"]["en"]["request_subject"] == SCRIPTED
    answer = owner.read(experiment_id)
    assert answer["status"] == "promoted" and answer["promoted"] == "b"
    page = body(owner.get(f"experiments/{experiment_id}?done=promoted"))
    assert "Promoted: that variant" in page

    delay = owner.start_api(
        lever="request_delay_days",
        language=None,
        variants=[{"key": "a", "value": owner.profile()["settings"]["review_delay_days"]}, {"key": "b", "value": 3}],
    )
    unknown = owner.post(f"experiments/{delay}/promote", {"variant": "z"})
    assert unknown.status_code == 422
    located(owner.post(f"experiments/{delay}/promote", {"variant": "b"}))
    assert owner.profile()["settings"]["review_delay_days"] == 3


def test_forms_without_the_session_token_change_nothing(owner):
    stale = csrf_token("old" + owner.session)
    assert owner.start_form(csrf=stale, value_b="Hello").status_code == 403
    assert owner.listed() == []
    experiment_id = owner.start_api()
    assert owner.post(f"experiments/{experiment_id}/stop", {}, csrf="").status_code == 403
    assert owner.post(f"experiments/{experiment_id}/promote", {"variant": "b"}, csrf=stale).status_code == 403
    assert owner.read(experiment_id)["status"] == "running"


def test_another_shops_or_a_made_up_experiment_is_not_found(owner, api):
    other = Experimenter(api)
    theirs = other.start_api()
    assert owner.get(f"experiments/{theirs}").status_code == 404
    assert owner.get("experiments/not-an-id").status_code == 404
    assert owner.post(f"experiments/{theirs}/stop", {}).status_code == 404
    assert other.read(theirs)["status"] == "running"


def test_an_offers_variant_reads_as_the_phrase_the_friend_sees():
    from chalicelib.console.experiments import shown_value

    assert shown_value("friend_offer", {"type": "percent", "value": "15", "minimum_order": "0"}) == (
        "15% off your first order"
    )
    shown = shown_value("advocate_reward", {"type": "amount", "value": "5", "currency": "EUR", "minimum_order": "40"})
    assert shown.startswith("€5.00 off your first order") and "40" in shown


def headers(page: str) -> list[str]:
    found = re.search(r'<table class="variants">.*?<thead>(.*?)</thead>', page, re.S)
    assert found, page
    return [unescape(h) for h in re.findall(r'<th scope="col">(.*?)</th>', found.group(1))]


def test_start_an_offer_experiment_through_the_form_with_the_control_not_editable(owner):
    page = body(owner.get("experiments"))
    assert '<option value="friend_offer"' in page and '<option value="share_prompt"' in page
    # Variant A is the current offer, shown as text: there is no field for it.
    assert "The friend&#39;s offer: 10% off your first order" in page and 'id="offer_value_a"' not in page
    where = located(
        owner.start_form(
            lever="friend_offer",
            offer_type_b="amount",
            offer_value_b="5",
            offer_currency_b="usd",
            offer_minimum_b="20",
            offer_type_c="percent",
            offer_value_c="15",
        )
    )
    assert where.endswith("?done=started")
    (listed,) = owner.listed()
    assert listed["lever"] == "friend_offer" and listed["metric"] == "referral_rate" and listed["control"] == "a"
    assert [(v["key"], v["value"]) for v in listed["variants"]] == [
        ("a", {"type": "percent", "value": "10", "minimum_order": "0"}),
        ("b", {"type": "amount", "value": "5", "currency": "USD", "minimum_order": "20"}),
        ("c", {"type": "percent", "value": "15", "minimum_order": "0"}),
    ]
    reward = located(owner.start_form(lever="advocate_reward", offer_value_b="15"))
    assert reward.endswith("?done=started")
    assert [v["value"] for v in owner.listed()[0]["variants"]] == [
        {"type": "percent", "value": "10"},
        {"type": "percent", "value": "15"},
    ]


def test_bad_offer_variants_are_shown_beside_their_fields(owner):
    too_much = owner.start_form(lever="friend_offer", offer_value_b="150")
    assert too_much.status_code == 422
    assert invalid(body(too_much), "offer_value_b") and "100" in field_error(body(too_much), "offer_value_b")
    no_currency = owner.start_form(lever="friend_offer", offer_type_b="amount", offer_value_b="5")
    assert no_currency.status_code == 422 and "currency" in field_error(body(no_currency), "offer_value_b")
    assert 'value="5"' in body(no_currency)  # what was typed stays
    nothing = owner.start_form(lever="advocate_reward")
    assert nothing.status_code == 422 and invalid(body(nothing), "offer_value_b")
    kind = owner.start_form(lever="friend_offer", offer_type_b="free", offer_value_b="5")
    assert kind.status_code == 422 and invalid(body(kind), "offer_type_b")
    assert owner.listed() == []


def test_start_a_share_prompt_experiment_through_the_form_one_per_language(owner):
    where = located(owner.start_form(lever="share_prompt", texts_language="fr", value_b="Partagez votre avis !"))
    assert where.endswith("?done=started")
    (listed,) = owner.listed()
    assert (listed["lever"], listed["language"], listed["metric"]) == ("share_prompt", "fr", "share_rate")
    assert [(v["key"], v["value"]) for v in listed["variants"]] == [("a", ""), ("b", "Partagez votre avis !")]
    busy = owner.start_form(lever="share_prompt", texts_language="fr", value_b="Autre")
    assert busy.status_code == 409 and invalid(body(busy), "lever")
    assert located(owner.start_form(lever="share_prompt", texts_language="de", value_b="Teilen Sie es!"))
    lines = owner.start_form(lever="share_prompt", texts_language="es", value_b="x" * 151)
    assert lines.status_code == 422 and invalid(body(lines), "value_b")
    assert len(owner.listed()) == 2


def test_the_result_pages_words_follow_the_experiments_metric(owner):
    review = owner.start_api()
    prompt = owner.start_api(
        name="Prompt",
        lever="share_prompt",
        variants=[{"key": "a", "value": ""}, {"key": "b", "value": "Tell a friend"}],
    )
    offer = owner.start_api(
        name="Offer",
        lever="friend_offer",
        language=None,
        variants=[
            {"key": "a", "value": {"type": "percent", "value": "10", "minimum_order": "0"}},
            {"key": "b", "value": {"type": "percent", "value": "20", "minimum_order": "0"}},
        ],
    )
    table = get_table()
    table.transact(count_ops(table, owner.shop_id, {offer: "b"}, "reward_value_USD", 12))
    for experiment_id in (review, prompt, offer):
        owner.count(experiment_id, "a", 20, 2)
        owner.count(experiment_id, "b", 20, 4, claims=10 if experiment_id == offer else 0)
    for experiment_id in (review, prompt, offer):  # two more units still in their window: counted so far only
        owner.count(experiment_id, "b", 2, 1, closed=False)

    reviewed = body(owner.get(f"experiments/{review}"))
    assert headers(reviewed)[2:4] == ["Orders asked", "Reviewed"] and "points of the review rate" in reviewed
    assert "Claims" not in headers(reviewed)
    assert cells(reviewed, "B")[1:4] + cells(reviewed, "B")[-1:] == ["20", "4", "20.0%", "22 orders asked, 5 reviewed"]

    shared = body(owner.get(f"experiments/{prompt}"))
    assert headers(shared)[2:4] == ["Reviewers shown the prompt", "Shared"]
    assert "points of the share rate" in shared and "Reviewed" not in shared and "review rate" not in shared
    assert cells(shared, "B")[:4] == ["Tell a friend", "20", "4", "20.0%"]
    assert cells(shared, "B")[-1] == "22 reviewers shown the prompt, 5 shared"
    assert cells(shared, "A")[-1] == "20 reviewers shown the prompt, 2 shared"
    assert window_line(shared).startswith(
        f"The result reads only the reviewers shown the prompt whose outcome window ({owner.outcome_days(prompt)} "
        "days from each one) has closed"
    )
    assert owner.read(prompt)["sentence"].startswith("Prompt B")

    referred = body(owner.get(f"experiments/{offer}"))
    assert headers(referred)[2:4] == ["Friends' visitors", "Referred orders"]
    assert headers(referred)[-4:] == ["Claims", "Claim rate", "Rewards' value", "Counted so far"]
    assert "points of the referral rate" in referred and "Reviewed" not in referred
    assert cells(referred, "B")[:4] == ["20% off your first order", "20", "4", "20.0%"]
    assert cells(referred, "B")[-4:] == ["10", "50.0%", "USD 12", "22 friends' visitors, 5 referred orders"]
    assert cells(referred, "A")[-4:] == ["0", "0.0%", "none", "20 friends' visitors, 2 referred orders"]
    assert window_line(referred).startswith(
        f"The result reads only the friends' visitors whose outcome window ({owner.outcome_days(offer)} days from "
        "each one) has closed"
    )
