"""The owner's dashboard: sessions, CSRF tokens and the page's chart data (service.py), and what its forms
send (models.py)."""
