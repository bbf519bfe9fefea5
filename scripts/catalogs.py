"""The message catalogs: extract messages (templates and Python) into chalicelib/locales/messages.pot, merge it
into each language's messages.po, and compile those into the .mo files the service reads. The messages are
written in English in the code; English's catalog starts as them, and is where English copy is edited.

    python scripts/catalogs.py extract    # after changing a message: writes the .pot, updates every .po
    python scripts/catalogs.py compile    # what `make` and scripts/package.py run: .po -> .mo (build output)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.web.i18n import DOMAIN, LOCALES, SOURCE_LANGUAGE  # noqa: E402
from chalicelib.web.languages import LANGUAGES  # noqa: E402
from chalicelib.web.render import I18N_EXTENSION, I18N_TRIMMED  # noqa: E402

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

TEMPLATE = LOCALES / f"{DOMAIN}.pot"
METHODS = [
    ("chalicelib/web/templates/**.html", "jinja2"),
    ("chalicelib/web/templates/**.txt", "jinja2"),
    ("chalicelib/**.py", "python"),
]
OPTIONS = {
    "chalicelib/web/templates/**": {
        "extensions": I18N_EXTENSION,
        "trimmed": str(I18N_TRIMMED).lower(),
        "silent": "false",
    }
}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "translate": (2,), "translate_plural": (2, 3)}
PO_WIDTH = 120
HEADER = "# Messages of proofloop's emails and buyer pages ({language}). Update with `make catalogs`.\n"


def catalog_path(language: str, suffix: str = "po") -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


def extract() -> Catalog:
    """Every message of the templates and the Python code, as a fresh template catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="proofloop", charset="utf-8", fuzzy=False)
    _plain_header(catalog, "template")
    found = extract_from_dir(
        str(ROOT), METHODS, OPTIONS, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _plain_header(catalog: Catalog, language: str) -> None:
    """Headers without the placeholders Babel writes (VERSION, EMAIL@ADDRESS, FULL NAME)."""
    catalog.header_comment = HEADER.format(language=language)
    catalog.version = "1"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = ""
    catalog.language_team = ""


def read(path: Path) -> Catalog:
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle)


def write(catalog: Catalog, path: Path) -> None:
    """Write a catalog, unless only its dates would change (a refresh that changed no message touches no file)."""
    from io import BytesIO

    from babel.messages.pofile import write_po

    buffer = BytesIO()
    write_po(buffer, catalog, width=PO_WIDTH, sort_output=True, include_lineno=False, omit_header=False)
    content = buffer.getvalue()

    def undated(text: bytes) -> bytes:
        return re.sub(rb'^"(POT-Creation-Date|PO-Revision-Date): .*$', b"", text, flags=re.MULTILINE)

    if path.exists() and undated(path.read_bytes()) == undated(content):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def update_catalogs() -> None:
    """Write the template, and bring every language's catalog to it (new messages empty, gone ones dropped)."""
    from babel.messages.catalog import Catalog

    template = extract()
    write(template, TEMPLATE)
    for language in LANGUAGES:
        path = catalog_path(language)
        catalog = read(path) if path.exists() else Catalog(locale=language, project="proofloop", fuzzy=False)
        # A fresh copy each: update() adopts the template's new messages themselves, and English fills them in.
        catalog.update(read(TEMPLATE), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _plain_header(catalog, language)
        if language == SOURCE_LANGUAGE:  # the messages as written, until someone edits the English copy here
            for message in catalog:
                if message.id and not any(message.string if isinstance(message.string, tuple) else [message.string]):
                    message.string = message.id
        write(catalog, path)


def compile_catalogs() -> list[Path]:
    """Each language's .po compiled to the .mo the service reads; returns the files written."""
    from babel.messages.mofile import write_mo

    written = []
    for language in LANGUAGES:
        target = catalog_path(language, "mo")
        with target.open("wb") as handle:
            write_mo(handle, read(catalog_path(language)))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("extract", "compile"))
    args = parser.parse_args(argv)
    if args.action == "extract":
        update_catalogs()
        print(f"wrote {TEMPLATE.relative_to(ROOT)} and the catalogs of {', '.join(LANGUAGES)}")
    else:
        print(f"compiled {len(compile_catalogs())} catalogs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
