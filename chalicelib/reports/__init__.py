"""The owner's reports: the funnel, its CSV and the advocate leaderboard, read from aggregates (service.py)."""
