"""Rendering pages safely, in the reader's language: every value is escaped, every page sends a
Content-Security-Policy and says its language (`<html lang>`, Content-Language)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.http import HttpResponse
from chalicelib.web.languages import DEFAULT_LANGUAGE, LANGUAGES

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# No script runs on our pages unless a page names its own file; styles only from our origin.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def page_csp(
    scripts: bool = False,
    images: str = "",
    connect: str = "",
    own_api: bool = False,
    frames: bool = False,
    styles: str = "",
) -> str:
    """PAGE_CSP widened for one page: our own scripts, more image origins (the photos' storage), where its
    script may send requests (the uploads' POST; `own_api`: our own origin alone), our own pages in frames,
    and more style sources (the hash of a stylesheet a script of ours inserts)."""
    extra = " script-src 'self';" if scripts else ""
    if connect or own_api:
        extra += f" connect-src 'self' {connect};" if connect else " connect-src 'self';"
    if frames:
        extra += " frame-src 'self';"
    csp = PAGE_CSP.replace("default-src 'none';", f"default-src 'none';{extra}")
    if styles:
        csp = csp.replace("style-src 'self';", f"style-src 'self' {styles};")
    return csp.replace("img-src 'self' https: data:", f"img-src 'self' https: data: {images}") if images else csp


# How templates are read, here and by the catalog extraction (tests/unit/test_catalogs.py, scripts/catalogs.py).
I18N_EXTENSION = "jinja2.ext.i18n"
I18N_TRIMMED = True  # a {% trans %} block's line breaks and indentation are not part of its message


@lru_cache(maxsize=len(LANGUAGES))
def environment(language: str = DEFAULT_LANGUAGE) -> Environment:
    """The templates in one language: `{% trans %}` and `_()` read its catalog, `day` and `number` format for it."""
    from functools import partial

    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from chalicelib.web.i18n import format_day, format_number, translations

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[I18N_EXTENSION],
    )
    env.policies["ext.i18n.trimmed"] = I18N_TRIMMED
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["day"] = partial(format_day, language=language)
    env.filters["number"] = partial(format_number, language=language)
    return env


def render(template: str, language: str = DEFAULT_LANGUAGE, **context: Any) -> str:
    from chalicelib.config import get_settings
    from chalicelib.web.i18n import supported

    language = supported(language)
    return (
        environment(language).get_template(template).render(base_url=get_settings().base_url, lang=language, **context)
    )


def page(
    template: str, status: int = 200, csp: str = PAGE_CSP, language: str = DEFAULT_LANGUAGE, **context: Any
) -> HttpResponse:
    from chalicelib.web.i18n import supported

    language = supported(language)
    return HttpResponse(
        status=status,
        body=render(template, language=language, **context),
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Language": language,
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def wants_html(headers: dict[str, str]) -> bool:
    accept = headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def error_page(
    status: int,
    title: str,
    message: str,
    refresh: str | None = None,
    continue_url: str | None = None,
    continue_label: str = "",
    language: str = DEFAULT_LANGUAGE,
) -> HttpResponse:
    """An error page; a 503 asks for a retry (Retry-After) and, given `refresh`, retries by itself."""
    from chalicelib.http import RETRY_AFTER_SECONDS

    response = page(
        "error.html",
        status=status,
        language=language,
        title=title,
        message=message,
        refresh=refresh,
        retry_after=RETRY_AFTER_SECONDS,
        continue_url=continue_url,
        continue_label=continue_label,
    )
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def static_file(name: str) -> tuple[bytes, str] | None:
    """A file of our own static folder (no path tricks), with its content type."""
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
    candidate = (STATIC / name).resolve()
    if candidate.parent != STATIC.resolve() or candidate.suffix not in types or not candidate.is_file():
        return None
    return candidate.read_bytes(), types[candidate.suffix]
