"""Every message of the templates and the code is translated in every language's catalog, and the committed
template catalog (messages.pot) is what the sources say today."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _load_catalogs_script() -> Any:
    spec = importlib.util.spec_from_file_location("proofloop_catalogs", ROOT / "scripts" / "catalogs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogs = _load_catalogs_script()


@pytest.fixture(scope="module")
def extracted() -> Any:
    return catalogs.extract()


def _ids(catalog: Any) -> set[Any]:
    return {message.id for message in catalog if message.id}


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_committed_template_has_every_message_of_the_sources_and_no_other(extracted):
    committed = catalogs.read(catalogs.TEMPLATE)
    # `make catalogs` (scripts/catalogs.py extract) brings it up to date
    assert _ids(committed) == _ids(extracted)


def test_the_extraction_finds_the_buyers_messages(extracted):
    ids = _ids(extracted)
    # templates, {% trans %} blocks (trimmed), plurals, and Python's translate() and N_() calls
    assert "Your review" in ids and "Thank you for your review!" in ids
    assert ("%(num)s star out of 5", "%(num)s stars out of 5") in ids
    assert "How is your order from %(shop)s?" in ids and "Text message" in ids and "Please try again" in ids


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_every_message_is_translated_in_every_catalog(extracted, language):
    catalog = catalogs.read(catalogs.catalog_path(language))
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = catalog.get(message.id)
        forms = found.string if found is not None and isinstance(found.string, tuple) else (found and found.string,)
        if (
            found is None
            or found.fuzzy
            or not all(forms)
            or len(forms) != (catalog.num_plurals if found.pluralizable else 1)
        ):
            missing.append(message.id)
    assert missing == []


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_message(language):
    catalog = catalogs.read(catalogs.catalog_path(language))
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(_placeholders(i) for i in ids))
        for string in strings:
            # A plural form may say the number in words ("une étoile"), never a placeholder the code does not fill
            if not _placeholders(string) <= expected or (
                not message.pluralizable and _placeholders(string) != expected
            ):
                wrong.append((message.id, string))
    assert wrong == []


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_no_catalog_keeps_messages_the_sources_no_longer_have(extracted, language):
    catalog = catalogs.read(catalogs.catalog_path(language))
    assert _ids(catalog) == _ids(extracted) and not catalog.obsolete


def test_a_missing_translation_fails_the_check(extracted, tmp_path, monkeypatch):
    # Given a catalog that lost one translation
    from babel.messages.catalog import Catalog

    broken = Catalog(locale="fr")
    for message in catalogs.read(catalogs.catalog_path("fr")):
        if message.id and message.id != "Your review":
            broken.add(message.id, message.string)
    path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    catalogs.write(broken, path)
    monkeypatch.setattr(catalogs, "catalog_path", lambda language, suffix="po": path)
    # Then the completeness check names it
    with pytest.raises(AssertionError, match="Your review"):
        test_every_message_is_translated_in_every_catalog(extracted, "fr")


def test_the_compiled_catalogs_are_what_the_service_reads():
    from chalicelib.web.i18n import translate

    assert translate("fr", "Your review") == "Votre avis"
    assert (
        translate("de", "How is your order from %(shop)s?", shop="Nord") == "Wie gefällt dir deine Bestellung bei Nord?"
    )
    assert translate("en", "Your review") == "Your review"
