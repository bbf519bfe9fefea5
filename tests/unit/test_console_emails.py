"""The console's emails section: the request and reminder as buyers get them, for an order or a sample, in every
language; the HTML alone under its own strict CSP; test sends capped per hour; the shop's own texts."""

from __future__ import annotations

import email
import email.policy
import html as html_lib
import re
from urllib.parse import urlencode

import pytest

from chalicelib.auth.csrf import csrf_token
from chalicelib.console.emails.preview import Choice, check_address, read_choice
from chalicelib.reviews.channels.email import default_subject
from chalicelib.store import keys
from chalicelib.web.i18n import translate
from chalicelib.web.languages import LANGUAGES
from tests import signers
from tests.unit.test_console import FORM, HTML, Owner, body, element_text
from tests.unit.webhook_support import calls as ddb_calls
from tests.unit.webhook_support import order_item

ITEMS = [{"product_id": "p-mug", "title": "Trail Mug", "quantity": 1, "price": "29.50"}]


class Shop(Owner):
    """A signed-in owner whose storefront sends signed order events."""

    def order(self, order_id: str, customer_id: str = "c-1", items: list | None = None, **data) -> None:
        for kind in ("order.created", "order.fulfilled"):
            self.deliver(signers.generic_event(kind, order_id, customer_id, items=items or ITEMS, **data))

    def page(self, **query):
        return self.get("emails" + ("?" + urlencode(query) if query else ""))

    def item(self, item: str, **query):
        return self.get(f"emails/{item}" + ("?" + urlencode(query) if query else ""))


@pytest.fixture
def shop(api, outbox):
    owner = Shop(api)
    owner.order("o-fr", "c-fr", locale="fr-FR")
    owner.order("o-en", "c-en")
    return owner


def preview_text(page: str) -> str:
    return element_text(page, r'<pre class="email-text"[^>]*>', "</pre>")


def subject(page: str) -> str:
    return element_text(page, r'<dd id="preview-subject">', "</dd>")


def field_error(page: str, field: str) -> str:
    return element_text(page, rf'<p class="field-error" id="{field}-error">', "</p>")


def sent(outbox) -> list[email.message.EmailMessage]:
    if not outbox.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


# --- the page -------------------------------------------------------------------------------------------------------
def test_the_section_is_named_emails_and_may_frame_only_our_own_pages(shop):
    response = shop.page()
    page = body(response)
    assert response.status_code == 200, page[:500]
    assert '/dashboard/emails" aria-current="page">Emails</a>' in page
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert '<iframe class="email-frame" id="email-frame" src="' in page and " sandbox " in page


def test_a_sample_is_the_default_and_says_so(shop):
    page = body(shop.page())
    assert "A sample order (made-up buyer)" in page and "<strong>Sample:</strong>" in page
    assert "Hi Alex," in preview_text(page)
    assert subject(page) == default_subject("en", shop.shop["name"], reminder=False)


def test_the_sample_is_made_of_the_shops_own_products(api, outbox):
    owner = Shop(api)
    page_url = f"https://{owner.shop['domains'][0]}/products/alpine-pack"
    owner.order("o-1", items=[{"product_id": "p-pack", "title": "Alpine Pack", "quantity": 1, "url": page_url}])
    page = body(owner.page())
    assert "who bought Alpine Pack;" in page
    assert "- Alpine Pack" in preview_text(page)
    assert "unnamed item" in body(Shop(api).page())  # a shop without product pages yet


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("which", ["request", "reminder"])
def test_the_sample_previews_in_each_language(shop, language, which):
    response = shop.page(lang=language, email=which)
    page = body(response)
    assert response.status_code == 200, page[:500]
    assert subject(page) == default_subject(language, shop.shop["name"], reminder=which == "reminder")
    assert translate(language, "Write a review: %(url)s", url="").strip() in preview_text(page)
    assert f"{which}.html?" in page and f"lang={language}" in page  # the frame shows the same email


def test_a_french_order_previews_in_french(shop):
    page = body(shop.page(order="o-fr"))
    assert subject(page) == default_subject("fr", shop.shop["name"], reminder=False)
    assert subject(page).startswith("Que pensez-vous de votre commande chez Trail & Summit Outfitters")
    assert "Donner mon avis" in preview_text(page) and "Trail Mug" in preview_text(page)
    assert "in French: order o-fr" in html_lib.unescape(page)
    assert "<dd>c-fr@example.com</dd>" in page


def test_an_order_typed_by_its_id_wins_over_the_list_and_a_language_may_be_chosen(shop):
    page = body(shop.page(order="o-en", order_id="o-fr", lang="de", email="reminder"))
    assert subject(page) == default_subject("de", shop.shop["name"], reminder=True)
    assert "order o-fr" in page


def test_the_list_offers_the_shops_orders(shop):
    page = body(shop.page())
    assert '<option value="o-fr">o-fr' in page and '<option value="o-en">o-en' in page


def test_the_html_alone_is_the_sent_email_under_a_csp_without_script(shop):
    response = shop.item("request.html", order="o-fr")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Content-Language"] == "fr"
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none';") and "script-src" not in csp
    assert "frame-ancestors 'self'" in csp and csp.endswith("sandbox") and "style-src 'none'" in csp
    assert "style-src-attr 'unsafe-inline'" in csp  # the email's own style attributes, nothing more
    page = body(response)
    assert page.startswith("<!doctype html>") and '<html lang="fr">' in page and "Donner mon avis" in page
    assert "<script" not in page


def test_the_text_alone_is_the_text_part(shop):
    response = shop.item("reminder.txt", order="o-en")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    text = body(response)
    assert text.startswith("Hi Mia,") and "A quick reminder" in text and "Write a review: http" in text
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_the_preview_is_what_the_due_work_sends_but_its_links(shop, table, outbox):
    from chalicelib.reviews.requests import send_due
    from tests.unit.review_support import LATER

    previewed = body(shop.item("request.txt", order="o-en"))
    send_due(table, now=LATER)
    [message] = [m for m in sent(outbox) if m["To"] == "c-en@example.com"]
    link = re.compile(r"/(r|u)/[A-Za-z0-9_.-]+")
    assert link.sub("/LINK", previewed) == link.sub("/LINK", text_of(message))
    assert link.findall(previewed) and link.search(previewed).group(0) != link.search(text_of(message)).group(0)


def test_a_previews_links_are_refused_by_every_buyer_page(shop, api, table):
    text = body(shop.item("request.txt", order="o-en"))
    review = re.search(r"/r/([A-Za-z0-9_.-]+)", text).group(1)
    unsubscribe = re.search(r"/u/([A-Za-z0-9_.-]+)", text).group(1)
    before = order_item(table, shop.shop_id, "o-en")
    assert api.request("GET", f"/r/{review}", headers=HTML).status_code == 403
    posted = api.request(
        "POST", "/reviews", {"token": review, "product_id": "p-mug", "rating": 5, "title": "", "body": "Mine now"}
    )
    assert posted.status_code == 403
    assert api.request("POST", f"/r/{review}/later", raw=b"", headers=FORM).status_code == 403
    assert api.request("POST", f"/u/{unsubscribe}", raw=b"List-Unsubscribe=One-Click", headers=FORM).status_code == 403
    assert order_item(table, shop.shop_id, "o-en") == before
    assert table.get(keys.customer_key(shop.shop_id, "c-en")).get("unsubscribed") is None


# --- unknown orders and bad choices --------------------------------------------------------------------------------
def test_an_unknown_order_is_an_error_beside_the_field_not_a_500(shop):
    response = shop.page(order_id="no-such-order")
    assert response.status_code == 404
    page = body(response)
    assert "this shop has no order 'no-such-order'" in field_error(page, "order_id")
    assert 'id="email-frame"' not in page
    assert shop.item("request.html", order="no-such-order").status_code == 404


def test_another_shops_order_is_unknown_here(shop, api):
    other = Shop(api)
    other.order("theirs", "c-9")
    assert shop.page(order="theirs").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [({"lang": "xx"}, "lang"), ({"email": "invoice"}, "email"), ({"order_id": "o" * 129}, "order_id")],
)
def test_a_bad_choice_is_an_error_beside_its_field(shop, query, field):
    response = shop.page(**query)
    assert response.status_code == 400
    assert field_error(body(response), field)


@pytest.mark.parametrize("item", ["invoice.html", "request.pdf", "request", "..%2Fsettings"])
def test_an_unknown_email_page_is_not_found(shop, item):
    assert shop.item(item).status_code == 404


def test_a_bad_choice_on_the_email_alone_is_a_400(shop):
    assert shop.item("request.html", lang="klingon").status_code == 400


# --- test sends ----------------------------------------------------------------------------------------------------
def test_a_test_send_lands_in_the_outbox_marked_test_and_asks_no_order(shop, table, outbox):
    before = order_item(table, shop.shop_id, "o-fr")
    response = shop.post("email-test", {"to": "owner@trail.example", "order": "o-fr", "email": "reminder"})
    assert response.status_code == 303, body(response)
    assert response.headers["Location"].endswith("/dashboard/emails?order=o-fr&email=reminder&sent=1")
    [message] = sent(outbox)
    assert message["To"] == "owner@trail.example"
    assert message["Subject"] == "[Test] " + default_subject("fr", shop.shop["name"], reminder=True)
    assert message["X-Proofloop-Order"] is None and message["X-Proofloop-Test"] == f"{shop.shop_id}/o-fr"
    assert "Donner mon avis" in text_of(message)
    assert order_item(table, shop.shop_id, "o-fr") == before  # not marked as asked, not even its version moved
    review = re.search(r"/r/([A-Za-z0-9_.-]+)", text_of(message)).group(1)
    assert shop.api.request("GET", f"/r/{review}", headers=HTML).status_code == 403
    assert "The test email is on its way" in body(shop.get("emails?order=o-fr&email=reminder&sent=1"))


def test_a_test_of_the_sample_goes_out_too(shop, outbox):
    assert shop.post("email-test", {"to": "me@example.org"}).status_code == 303
    [message] = sent(outbox)
    assert message["Subject"].startswith("[Test] How is your order") and "Hi Alex," in text_of(message)


def test_the_eleventh_test_in_an_hour_is_refused_beside_the_address(shop, table, outbox):
    for n in range(10):
        assert shop.post("email-test", {"to": f"owner+{n}@trail.example"}).status_code == 303
    response = shop.post("email-test", {"to": "owner+10@trail.example"})
    assert response.status_code == 429
    assert "10 test emails an hour at most" in field_error(body(response), "to")
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert 'value="owner+10@trail.example"' in body(response)  # the address is kept
    assert len(sent(outbox)) == 10
    counters = [i for i in table.client.scan(TableName=table.name)["Items"] if i["SK"]["S"].startswith("MAILTRIAL#")]
    assert len(counters) == 1 and counters[0]["sent"]["N"] == "10" and "expires_at" in counters[0]


def test_the_cap_is_per_shop(shop, api, outbox):
    for n in range(10):
        shop.post("email-test", {"to": f"owner+{n}@trail.example"})
    other = Shop(api)
    assert other.post("email-test", {"to": "other@trail.example"}).status_code == 303


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("", "enter the address"),
        ("not-an-address", "one email address"),
        ("a@b.example, c@d.example", "one email address"),
        ("a@b.example\r\nBcc: everyone@example.org", "one email address"),
        ("Owner <owner@trail.example>", "one email address"),
        ("owner@localhost", "one email address"),
        ("x" * 250 + "@trail.example", "one email address"),
    ],
)
def test_a_bad_address_is_an_error_beside_it_and_sends_nothing(shop, outbox, address, problem):
    response = shop.post("email-test", {"to": address})
    assert response.status_code == 422
    assert problem in field_error(body(response), "to")
    assert sent(outbox) == []


def test_a_bad_address_does_not_count_against_the_hour(shop, outbox):
    for _ in range(12):
        shop.post("email-test", {"to": "nope"})
    assert shop.post("email-test", {"to": "owner@trail.example"}).status_code == 303


def test_a_test_of_an_unknown_order_is_an_error_beside_the_order(shop, outbox):
    response = shop.post("email-test", {"to": "owner@trail.example", "order": "ghost"})
    assert response.status_code == 404
    assert "no order 'ghost'" in field_error(body(response), "order_id")
    assert sent(outbox) == []


def test_a_refusal_of_the_mail_service_is_an_error_beside_the_address(shop, monkeypatch, outbox):
    from chalicelib.mail.errors import MailRefused
    from chalicelib.mail.outbox import OutboxMailer

    def refuse(self, message, to):
        raise MailRefused("Email address is not verified.")

    monkeypatch.setattr(OutboxMailer, "send", refuse)
    response = shop.post("email-test", {"to": "owner@trail.example"})
    assert response.status_code == 422
    assert "refused it: Email address is not verified." in field_error(body(response), "to")


# --- the shop's own texts ------------------------------------------------------------------------------------------
TEXTS = {
    "request_subject": "Votre avis sur %(shop)s ? Dites-nous tout",
    "request_intro": "Merci pour votre commande.\r\nUn mot pour les autres clients ?",
    "reminder_subject": "Petit rappel de Trail & Summit",
    "reminder_intro": "",
}


def test_texts_are_saved_as_patch_saves_them_and_the_preview_uses_them(shop):
    response = shop.post("email-texts", {"language": "fr", "order": "o-en", **TEXTS})
    assert response.status_code == 303, body(response)
    assert response.headers["Location"].endswith("/dashboard/emails?order=o-en&lang=fr&saved=1")
    assert shop.profile()["settings"]["email_texts"] == {
        "fr": {
            "request_subject": "Votre avis sur %(shop)s ? Dites-nous tout",
            "request_intro": "Merci pour votre commande. Un mot pour les autres clients ?",
            "reminder_subject": "Petit rappel de Trail & Summit",
            "reminder_intro": "",
        }
    }
    page = body(shop.page(order="o-fr"))
    assert subject(page) == "Votre avis sur %(shop)s ? Dites-nous tout"
    assert "Merci pour votre commande. Un mot pour les autres clients ?" in preview_text(page)
    assert 'value="Petit rappel de Trail &amp; Summit"' in page  # the form shows what is stored
    assert "Your texts in French" in page
    reminder = body(shop.page(order="o-fr", email="reminder"))
    assert subject(reminder) == "Petit rappel de Trail & Summit"
    ours = (
        "A quick reminder: we hope you are enjoying your order from %(shop)s."
        " Would you tell other shoppers what you think?"
    )
    assert translate("fr", ours, shop=shop.shop["name"]) in preview_text(reminder)  # its empty intro is ours
    assert subject(body(shop.page(order="o-en"))) == default_subject("en", shop.shop["name"], reminder=False)


def test_saving_one_language_keeps_the_others_and_emptying_it_brings_ours_back(shop):
    shop.post("email-texts", {"language": "fr", **TEXTS})
    shop.post("email-texts", {"language": "de", "request_subject": "Wie gefällt Ihnen Ihr Einkauf?"})
    assert set(shop.profile()["settings"]["email_texts"]) == {"fr", "de"}
    shop.post("email-texts", {"language": "fr"})
    assert set(shop.profile()["settings"]["email_texts"]) == {"de"}
    assert subject(body(shop.page(lang="fr"))) == default_subject("fr", shop.shop["name"], reminder=False)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("request_subject", "S" * 151, "at most 150 characters"),
        ("reminder_subject", "Line one\nBcc: x@example.org", "one line of text"),
        ("request_intro", "I" * 601, "at most 600 characters"),
        ("reminder_intro", "tab\there", "one line of text"),
    ],
)
def test_bad_texts_are_errors_beside_their_field_and_save_nothing(shop, field, value, problem):
    before = shop.profile()
    response = shop.post("email-texts", {"language": "es", field: value})
    page = body(response)
    assert response.status_code == 422
    assert problem in field_error(page, field)
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    assert "Your texts in Spanish" in page
    assert shop.profile() == before


def test_texts_for_a_language_we_do_not_write_are_refused_inline(shop):
    before = shop.profile()
    response = shop.post("email-texts", {"language": "it", "request_subject": "Ciao"})
    assert response.status_code == 422 and "choose one of" in field_error(body(response), "language")
    assert shop.profile() == before


def test_the_settings_help_points_to_this_section():
    from chalicelib.console.console import SETTING_FIELDS

    language = next(meaning for name, _, _, meaning in SETTING_FIELDS if name == "language")
    assert "the Emails section" in language and "PATCH" not in language


# --- who may ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["email-test", "email-texts"])
def test_a_stale_csrf_token_is_refused_and_sends_and_saves_nothing(shop, outbox, form):
    before = shop.profile()
    fields = {"to": "owner@trail.example", "language": "fr", "request_subject": "Hijacked"}
    response = shop.post(form, fields, csrf=csrf_token("old" + shop.session))
    assert response.status_code == 403
    assert shop.profile() == before and sent(outbox) == []


@pytest.mark.parametrize("form", ["email-test", "email-texts"])
def test_another_shops_session_is_refused(shop, api, outbox, form):
    other = Owner(api)
    before = shop.profile()
    raw = urlencode(
        {"csrf": csrf_token(other.session), "to": "x@trail.example", "language": "fr", "request_subject": "Theirs"}
    ).encode()
    answer = api.request(
        "POST", f"/shops/{shop.shop_id}/dashboard/forms/{form}", raw=raw, headers={**FORM, **other.cookie}
    )
    assert answer.status_code == 401
    assert shop.profile() == before and sent(outbox) == []
    for path in ("emails", "emails/request.html?order=o-fr"):
        page = api.request("GET", f"/shops/{shop.shop_id}/dashboard/{path}", headers={**HTML, **other.cookie})
        assert 'name="api_key"' in body(page) and "Donner" not in body(page)


def test_forms_of_garbage_are_never_a_500(shop):
    for form in ("email-test", "email-texts"):
        for raw in (b"\xff\xfe", b"csrf=" + b"x" * 10, b"=&&==", "to=é&language=é&order=%00".encode()):
            response = shop.api.request(
                "POST", f"/shops/{shop.shop_id}/dashboard/forms/{form}", raw=raw, headers={**FORM, **shop.cookie}
            )
            assert 400 <= response.status_code < 500, (form, raw, response.status_code)
        garbage = urlencode({"csrf": csrf_token(shop.session), "order": "\x00", "lang": "??", "email": "x"})
        response = shop.api.request(
            "POST",
            f"/shops/{shop.shop_id}/dashboard/forms/{form}",
            raw=garbage.encode(),
            headers={**FORM, **shop.cookie},
        )
        assert 400 <= response.status_code < 500, (form, response.status_code)


# --- the domain ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "choice", "problems"),
    [
        (("", "", "", "request"), Choice("", "", "request"), set()),
        (("o-1", "", "fr", "reminder"), Choice("o-1", "fr", "reminder"), set()),
        (("o-1", " o-2 ", "", "request"), Choice("o-2", "", "request"), set()),
        (("o-1", "", "it", "invoice"), Choice("o-1", "", "request"), {"lang", "email"}),
        (("a\nb", "", "", "request"), Choice("", "", "request"), {"order_id"}),
    ],
)
def test_reading_a_choice(given, choice, problems):
    found, errors = read_choice(*given)
    assert found == choice and set(errors) == problems


def test_a_choice_is_its_own_query():
    assert Choice().query() == ""
    assert Choice("o 1&x", "fr", "reminder").query(sent="1") == "?order=o+1%26x&lang=fr&email=reminder&sent=1"


@pytest.mark.parametrize(
    ("address", "good"),
    [
        ("owner@trail.example", True),
        ("first.last+tag@mail.trail-shop.co.uk", True),
        ("o'brien@example.ie", True),
        ("owner@trail", False),
        ("@trail.example", False),
        ("owner@@trail.example", False),
        ("owner@trail.example.", False),
        ("owner @trail.example", False),
        (".owner@trail.example", False),
    ],
)
def test_checking_an_address(address, good):
    assert (check_address(address) is None) == good


def test_ses_refusing_a_recipient_is_a_refusal_the_console_can_show():
    from email.message import EmailMessage

    from moto import mock_aws

    from chalicelib.mail.errors import MailRefused
    from chalicelib.mail.ses import SesMailer

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "shop@unverified.example", "owner@trail.example", "[Test] Hi"
    message.set_content("Hello")
    with mock_aws(), pytest.raises(MailRefused, match="authority to send"):  # SES sandbox: an unverified sender
        SesMailer("us-east-1").send(message, to="owner@trail.example")


# --- what it costs -------------------------------------------------------------------------------------------------
def calls(table, request) -> list[str]:
    """The DynamoDB operations one request makes."""
    with ddb_calls(table.client) as made:
        request()
    return made


def test_each_page_and_form_costs_a_few_calls_whatever_the_shops_size(shop, table, outbox):
    for n in range(30):
        shop.order(f"extra-{n}", f"c-x{n}")
    session = calls(table, lambda: shop.get("settings"))  # the session's own reads, and nothing more
    assert calls(table, lambda: shop.page()) == [*session, "Query", "Query"]  # the orders offered; the sample's
    assert calls(table, lambda: shop.page(order="o-fr")) == [*session, "GetItem", "Query"]  # its order; the list
    assert calls(table, lambda: shop.item("request.html", order="o-fr")) == [*session, "GetItem"]
    sent = calls(table, lambda: shop.post("email-test", {"to": "owner@trail.example", "order": "o-fr"}))
    assert sent == [*session, "GetItem", "UpdateItem"]  # the order; the hour's counter
    offered = re.search(r'<select id="order".*?</select>', body(shop.page()), re.S).group(0)
    assert offered.count("<option ") == 1 + 20  # the sample and a page of orders


def test_the_share_prompt_is_saved_with_the_languages_texts_and_the_others_kept(shop):
    shop.post("email-texts", {"language": "de", "share_prompt": "Erzählen Sie es weiter"})
    response = shop.post("email-texts", {"language": "fr", **TEXTS, "share_prompt": "Partagez  votre\r\navis"})
    assert response.status_code == 303, body(response)
    prompts = shop.profile()["settings"]["share_prompt"]
    assert prompts["fr"] == "Partagez votre avis"  # one line, as the page shows it
    assert prompts["de"] == "Erzählen Sie es weiter" and prompts["en"] == ""
    page = body(shop.page(lang="fr"))
    assert 'id="share_prompt" name="share_prompt" value="Partagez votre avis"' in page
    assert translate("fr", "Share your review with friends") in page  # ours, shown beside it


def test_a_share_prompt_too_long_is_an_error_beside_it_and_saves_nothing(shop):
    before = shop.profile()
    response = shop.post("email-texts", {"language": "es", "share_prompt": "P" * 151})
    page = body(response)
    assert response.status_code == 422
    assert "150" in field_error(page, "share_prompt")
    assert 'id="share_prompt"' in page and 'aria-invalid="true"' in page
    assert shop.profile() == before
