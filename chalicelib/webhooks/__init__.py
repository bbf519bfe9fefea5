"""Storefront webhooks: one adapter per platform, each producing the normalized events."""
