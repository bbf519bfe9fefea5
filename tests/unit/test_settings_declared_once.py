"""Each shop setting is declared once, in chalicelib/store/shop_settings.py: the API model and the console's
settings form are built from its fields, and no other module declares a setting again."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from chalicelib.console.console import SETTING_FIELDS
from chalicelib.console.models import SettingsForm
from chalicelib.shops import models
from chalicelib.store import shop_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = [spec.name for spec in dataclasses.fields(shop_settings.ShopSettings)]
# The modules that declared settings before they were declared once.
DERIVED = ("chalicelib/shops/models.py", "chalicelib/console/models.py", "chalicelib/console/console.py")
# Another form's own field of the same name: the first-run form asks the new shop's time zone, sent as the setting.
OTHER_FORMS = {("SetupForm", "timezone")}


def test_the_api_model_has_exactly_the_records_settings_in_order():
    assert list(models.ShopSettings.model_fields) == SETTINGS


def test_each_group_of_the_api_model_has_exactly_its_records_settings():
    def pairs(record: type, model: type) -> list[tuple[str, list[str], list[str]]]:
        found = [(record.__name__, [f.name for f in dataclasses.fields(record)], list(model.model_fields))]
        defaults = record()
        for spec in dataclasses.fields(record):
            if dataclasses.is_dataclass(getattr(defaults, spec.name)):
                found += pairs(type(getattr(defaults, spec.name)), model.model_fields[spec.name].annotation)
        return found

    for name, declared, derived in pairs(shop_settings.ShopSettings, models.ShopSettings):
        assert derived == declared, name


def test_the_console_shows_exactly_the_settings_declared_with_a_console_label():
    labelled = [spec.name for spec in dataclasses.fields(shop_settings.ShopSettings) if spec.metadata["console"]]
    assert [name for name, _, _, _ in SETTING_FIELDS] == labelled
    assert list(SettingsForm.model_fields) == ["csrf", "name", "domains", *labelled]


def test_the_console_labels_and_help_are_the_records():
    for name, label, _, meaning in SETTING_FIELDS:
        console = shop_settings.ShopSettings.__dataclass_fields__[name].metadata["console"]
        assert (label, meaning) == (console.label, console.help)


def test_no_other_module_declares_a_setting_as_a_field_or_a_table_of_fields():
    for path in DERIVED:
        tree = ast.parse((ROOT / path).read_text())
        fields = {
            (cls.name, n.target.id)
            for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef)
            for n in cls.body
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
        }
        assert {name for cls, name in fields - OTHER_FORMS}.isdisjoint(SETTINGS), path
        # A row of a hand-written table names a setting as the first string of a tuple.
        rows = [
            n for n in ast.walk(tree) if isinstance(n, ast.Tuple) and n.elts and isinstance(n.elts[0], ast.Constant)
        ]
        assert not {r.elts[0].value for r in rows} & set(SETTINGS), path
