"""Server-rendered pages and emails: Jinja2 templates with autoescaping, and security headers."""


def N_(message: str) -> str:
    """Mark a message for the catalogs (scripts/catalogs.py) where it is defined; it is translated where shown.
    Here, not in i18n.py, so that marking a message loads no gettext (the click and the webhooks mark some)."""
    return message
