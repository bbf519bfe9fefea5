"""A shop's connection to its store's own API (Shopify's GraphQL Admin API, WooCommerce's REST API).

The owner pastes one credential; it is checked against the store (the store is the shop's, the credential is
accepted, which scopes it carries), then kept sealed (`sealing.py`) and never shown again. Webhook registration,
metafields and store-made codes build on it later.
"""
