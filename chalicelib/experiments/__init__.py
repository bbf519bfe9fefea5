"""Experiments on the levers of the funnel: always-valid statistics (stats.py)."""
