"""Feeds of the shop's reviews for other services: Google's product review feed, its report and its URL."""
