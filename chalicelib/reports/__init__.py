"""The owner's reports: the funnel, its CSV and the advocate leaderboard, read from aggregates (service.py),
and what the API answers with them (models.py)."""
