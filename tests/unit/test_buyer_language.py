"""The buyer's language: read from each platform's order, used for their emails and pages, else the shop's."""

from __future__ import annotations

import json
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import clock
from chalicelib.webhooks import shopify, standard, woocommerce
from chalicelib.webhooks.events import OrderEvent
from tests import signers
from tests.unit.review_support import LATER, ReviewShop, html_part, review_token, text_part
from tests.unit.sharing_support import CHROME
from tests.unit.webhook_support import ShopifyStore, order_item

SHOP = "Trail & Summit Outfitters"
HTML = {"Accept": "text/html"}


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def snapshot_language(events: Any) -> str | None:
    [order] = [e for e in events if isinstance(e, OrderEvent)]
    assert order.snapshot is not None
    return order.snapshot.language


def shopify_order(**changes: Any) -> dict[str, Any]:
    return {**signers.fixture("shopify_order.json"), **changes}


def woo_order(meta: list[dict[str, Any]] | None = None, country: Any = "DE") -> dict[str, Any]:
    body = signers.fixture("woocommerce_order.json")
    body["billing"] = {**body["billing"], "country": country}
    body["meta_data"] = [*body["meta_data"], *(meta or [])]
    return body


# --- each platform names the language ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("locale", "language"),
    [("fr", "fr"), ("fr-CA", "fr"), ("pt-BR", "pt"), ("de_AT", "de"), ("en-US", "en"), ("ES", "es")],
)
def test_shopify_customer_locale_names_the_language(locale, language):
    events = shopify.to_events("orders/create", shopify_order(customer_locale=locale), "shop.example")
    assert snapshot_language(events) == language


@pytest.mark.parametrize("locale", ["it", "ja-JP", "", None, 42, "fr<script>", "f", "fr-" + "x" * 40, ["fr"]])
def test_shopify_unknown_or_garbage_locale_is_no_language_and_no_error(locale):
    events = shopify.to_events("orders/create", shopify_order(customer_locale=locale), "shop.example")
    assert snapshot_language(events) is None


@pytest.mark.parametrize("key", ["wpml_language", "_wpml_language", "pll_language", "locale"])
def test_woocommerce_language_plugins_meta_comes_before_the_billing_country(key):
    body = woo_order(meta=[{"id": 1, "key": key, "value": "es_ES"}], country="DE")
    assert snapshot_language(woocommerce.to_events("order.created", body)) == "es"


@pytest.mark.parametrize(("country", "language"), [("DE", "de"), ("fr", "fr"), ("BR", "pt"), ("MX", "es")])
def test_woocommerce_billing_country_names_the_language_when_no_plugin_does(country, language):
    body = woo_order(meta=[{"id": 1, "key": "wpml_language", "value": "xx"}], country=country)
    assert snapshot_language(woocommerce.to_events("order.created", body)) == language


@pytest.mark.parametrize("country", ["JP", "", None, "Germany", 49, "CH"])
def test_woocommerce_other_countries_name_no_language(country):
    assert snapshot_language(woocommerce.to_events("order.created", woo_order(country=country))) is None


@pytest.mark.parametrize(("locale", "language"), [("pt_BR", "pt"), ("de", "de"), ("zz-ZZ", None), ("<b>", None)])
def test_generic_order_locale(locale, language):
    body = signers.generic_event("order.created", "o-1", locale=locale)
    assert snapshot_language(standard.to_events(body)) == language


def test_a_shopify_order_stores_its_buyers_language(api, table):
    # Given a Shopify shop, when an order checked out in Canadian French arrives
    store = ShopifyStore(api)
    body = shopify_order(customer_locale="fr-CA")
    assert store.send("orders/create", body).status_code == 200
    # Then the order and its customer keep the language
    assert order_item(table, store.shop_id, str(body["id"]))["language"] == "fr"


# --- emails -------------------------------------------------------------------------------------------------
def test_a_french_order_gets_a_french_email(api, outbox):
    # Given an English-speaking shop and a French order, fulfilled
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order(locale="fr-FR")
    # When its request is due
    assert shop.run_due() == 1
    [message] = shop.emails()
    # Then subject, HTML and text are French, and the email says so
    assert message["Content-Language"] == "fr"
    assert subject(message) == f"Que pensez-vous de votre commande chez {SHOP}\u00a0?"  # French spacing: no break
    html, text = html_part(message), text_part(message)
    assert '<html lang="fr">' in html and "Bonjour Mia," in html and "Donner mon avis</a>" in html
    assert "Nous espérons que votre commande chez Trail &amp; Summit Outfitters vous plaît." in html
    assert (
        text.startswith("Bonjour Mia,")
        and "Donner mon avis\u00a0: http" in text
        and "Pas encore arrivée\u00a0?" in text
    )
    assert "Write a review" not in html + text


def test_the_french_reminder_is_french_too(api, outbox):
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order(locale="fr")
    shop.run_due()
    assert shop.run_due(LATER + timedelta(days=8)) == 1
    reminder = shop.emails()[-1]
    assert subject(reminder) == f"Rappel\u00a0: que pensez-vous de votre commande chez {SHOP}\u00a0?"
    assert "Petit rappel\u00a0: nous espérons" in text_part(reminder)


@pytest.mark.parametrize("locale", ["it-IT", "klingon", "<script>", ""])
def test_an_unknown_locale_falls_back_to_the_shops_language(api, outbox, locale):
    # Given a German-speaking shop, and an order whose locale is none of ours
    shop = ReviewShop(api, outbox, language="de")
    shop.fulfilled_order(locale=locale)
    shop.run_due()
    [message] = shop.emails()
    # Then the buyer gets the shop's language
    assert message["Content-Language"] == "de"
    assert subject(message) == f"Wie gefällt dir deine Bestellung bei {SHOP}?"
    assert "Bewertung schreiben: http" in text_part(message)


def test_an_order_without_a_locale_gets_the_shops_default_english(api, outbox):
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    shop.run_due()
    [message] = shop.emails()
    assert message["Content-Language"] == "en" and subject(message) == f"How is your order from {SHOP}?"


def test_the_shops_own_subject_and_intro_for_a_language_replace_ours(api, outbox):
    # Given a shop that wrote its own French subject and intro (with markup, which is only text)
    texts = {
        "fr": {"request_subject": "Votre avis compte pour nous", "request_intro": "<b>Merci</b> de votre confiance !"}
    }
    shop = ReviewShop(api, outbox, email_texts=texts)
    shop.fulfilled_order("o-fr", "c-fr", locale="fr")
    shop.fulfilled_order("o-es", "c-es", locale="es")
    # When the requests go out
    assert shop.run_due() == 2
    by_language = {m["Content-Language"]: m for m in shop.emails()}
    french, spanish = by_language["fr"], by_language["es"]
    # Then the French one has the shop's words, escaped in HTML, and the rest of ours
    assert subject(french) == "Votre avis compte pour nous"
    assert "&lt;b&gt;Merci&lt;/b&gt; de votre confiance !" in html_part(french)
    assert "<b>Merci</b> de votre confiance !" in text_part(french) and "Donner mon avis" in text_part(french)
    assert "Nous espérons" not in text_part(french)
    # And the Spanish one, which the shop wrote nothing for, is ours
    assert subject(spanish) == f"¿Qué tal tu pedido de {SHOP}?"
    # The reminder, which the shop did not write, is ours in French
    shop.run_due(LATER + timedelta(days=8))
    reminders = [m for m in shop.emails() if m["Content-Language"] == "fr"][1:]
    assert [subject(m) for m in reminders] == [f"Rappel\u00a0: que pensez-vous de votre commande chez {SHOP}\u00a0?"]


# --- pages --------------------------------------------------------------------------------------------------
def french_buyer(api: Any, outbox: Any) -> tuple[ReviewShop, str]:
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order(locale="fr")
    shop.run_due()
    return shop, review_token(shop.emails()[0])


def test_a_french_order_gets_a_french_review_form(api, outbox):
    # Given a French buyer's review link
    _, token = french_buyer(api, outbox)
    # When they open it
    page = api.request("GET", f"/r/{token}", headers=HTML)
    body = page.body.decode()
    # Then the form is French and says so
    assert page.status_code == 200 and page.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in body
    assert "Qu'en avez-vous pensé, Mia\u00a0?" in body
    assert "Votre note" in body and "Envoyer mon avis" in body and "5 étoiles sur 5" in body
    assert "1 étoile sur 5" in body and "Send review" not in body


def test_the_thank_you_page_and_a_reviewed_item_speak_french_with_a_french_date(api, outbox):
    _, token = french_buyer(api, outbox)
    form = f"token={token}&product_id=p-mug&rating=5&title=Super&body=Tr%C3%A8s+bien."
    thanks = api.request(
        "POST", "/reviews", raw=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert thanks.status_code == 201 and thanks.headers["Content-Language"] == "fr"
    assert (
        "Merci pour votre avis\u00a0!" in thanks.body.decode()
        and "Partagez votre avis avec vos amis" in thanks.body.decode()
    )
    # The form again: the reviewed item says when, as French writes a day
    body = api.request("GET", f"/r/{token}", headers=HTML).body.decode()
    assert (
        "Merci, vous avez donné votre avis le " in body
        and f" {clock.now().year}\u00a0: 5 étoiles sur 5, «\u00a0Super\u00a0»." in body
    )


def test_a_french_advocates_share_pages_and_prefilled_post_are_french(api, outbox):
    # Given a French buyer's happy review and its share offer
    _, token = french_buyer(api, outbox)
    review = {"token": token, "product_id": "p-mug", "rating": 5, "title": "", "body": "Très beau mug."}
    share = api.request("POST", "/reviews", review).json["share"]
    path = share["channels"]["copy"].split("8000", 1)[1]
    # When they open the copy-link page, and share to X
    page = api.request("GET", path, headers={**HTML, "User-Agent": CHROME})
    post = api.request("GET", path.replace("/copy", "/x"), headers={"User-Agent": CHROME})
    # Then both speak French
    assert page.headers["Content-Language"] == "fr" and "Votre lien de partage" in page.body.decode()
    text = parse_qs(urlsplit(post.headers["Location"]).query)["text"][0]
    assert text == "J'ai donné ★★★★★ à Trail Mug\u00a0: «\u00a0Très beau mug.\u00a0»"


def test_the_postpone_page_is_french_with_a_french_date(api, outbox):
    _, token = french_buyer(api, outbox)
    page = api.request("GET", f"/r/{token}/later", headers=HTML)
    assert page.headers["Content-Language"] == "fr" and "Me redemander dans 7 jours" in page.body.decode()
    done = api.request(
        "POST", f"/r/{token}/later", raw=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert done.headers["Content-Language"] == "fr"
    assert "vous reposera la question sur votre commande le " in done.body.decode()


def test_the_unsubscribe_page_is_in_the_customers_language(api, outbox):
    shop, _ = french_buyer(api, outbox)
    link = next(line for line in text_part(shop.emails()[0]).splitlines() if "/u/" in line).split(" : ")[-1]
    page = api.request("GET", link.split("8000", 1)[1], headers=HTML)
    assert (
        page.headers["Content-Language"] == "fr" and "Ne plus recevoir d'e-mails d'avis de Trail" in page.body.decode()
    )


def test_a_customers_latest_order_names_their_language(api, outbox, table):
    # Given a customer who ordered in French, then in Spanish (and then once naming no language)
    shop = ReviewShop(api, outbox)
    shop.deliver("order.created", "o-1", locale="fr")
    shop.deliver("order.created", "o-2", locale="es")
    shop.deliver("order.created", "o-3")
    # Then each order keeps its own, and the customer the latest one named
    from chalicelib.store import keys

    assert [order_item(table, shop.shop_id, o).get("language") for o in ("o-1", "o-2", "o-3")] == ["fr", "es", None]
    assert table.get(keys.customer_key(shop.shop_id, "c-1"))["language"] == "es"


def test_a_broken_link_answers_in_the_browsers_language(api):
    page = api.request("GET", "/r/not-a-token", headers={**HTML, "Accept-Language": "de-CH, de;q=0.9, en;q=0.5"})
    body = page.body.decode()
    assert page.status_code == 403 and page.headers["Content-Language"] == "de" and '<html lang="de">' in body
    assert "Dieser Link ist ungültig" in body and "aus deiner E-Mail" in body


def test_a_broken_link_in_a_language_of_none_of_ours_is_english(api):
    page = api.request("GET", "/r/not-a-token", headers={**HTML, "Accept-Language": "ja, it;q=0.8"})
    assert page.headers["Content-Language"] == "en" and "This link is not valid" in page.body.decode()


# --- settings -----------------------------------------------------------------------------------------------
def test_the_shop_language_and_email_texts_are_settings(api):
    body, key = api.create_shop()
    texts = {"pt": {"request_subject": "Conte para nós!", "reminder_intro": "Só um lembrete."}}
    changed = api.request(
        "PATCH", f"/shops/{body['shop_id']}", {"settings": {"language": "pt", "email_texts": texts}}, token=key
    )
    assert changed.status_code == 200, changed.body
    assert changed.json["settings"]["language"] == "pt"
    assert changed.json["settings"]["email_texts"] == {
        "pt": {
            "request_subject": "Conte para nós!",
            "request_intro": "",
            "reminder_subject": "",
            "reminder_intro": "Só um lembrete.",
        }
    }


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"language": "it"}, "language"),
        ({"email_texts": {"it": {"request_subject": "Ciao"}}}, "email_texts.it.[key]"),
        (
            {"email_texts": {"fr": {"request_subject": "Bonjour\nBcc: x@example.com"}}},
            "email_texts.fr.request_subject",
        ),
        ({"email_texts": {"fr": {"request_subject": "x" * 151}}}, "email_texts.fr.request_subject"),
        ({"email_texts": {"fr": {"request_intro": "x" * 601}}}, "email_texts.fr.request_intro"),
        ({"email_texts": {"fr": {"footer": "x"}}}, "email_texts.fr.footer"),
    ],
)
def test_bad_language_settings_are_refused_beside_the_field(api, settings, field):
    body, key = api.create_shop()
    response = api.request("PATCH", f"/shops/{body['shop_id']}", {"settings": settings}, token=key)
    assert response.status_code == 422
    assert field in json.dumps(response.json), response.json
