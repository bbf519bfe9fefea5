"""Server-rendered pages and emails: Jinja2 templates with autoescaping, and security headers."""
