"""The single-table key schema and every access pattern it serves.

Table: PK (S), SK (S); GSI1 (GSI1PK, GSI1SK) is overloaded and sparse; TTL attribute
``expires_at`` (epoch seconds). No request path ever scans.

Access patterns (who asks -> the one call that answers):
  1. Create a shop, unique by id           -> TransactWriteItems, Put SHOP#<shop>/SHOP if not exists
  2. Read a shop (webhooks, owner routes)  -> GetItem SHOP#<shop>/SHOP
  3. Owner key -> shop                     -> GetItem APIKEY#<sha256>/APIKEY (BatchGet with 2)
  4. Storefront domain -> shop (Shopify
     webhooks name the shop by domain;
     a domain belongs to one shop)         -> GetItem DOMAIN#<host>/DOMAIN, Put if not exists
  5. Replace a shop's domains/settings     -> TransactWriteItems (shop update + domain puts/deletes)
"""

from __future__ import annotations

PK = "PK"
SK = "SK"
GSI1 = "GSI1"
GSI1PK = "GSI1PK"
GSI1SK = "GSI1SK"
TTL_ATTRIBUTE = "expires_at"


def shop_key(shop_id: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}", SK: "SHOP"}


def api_key_key(key_hash: str) -> dict[str, str]:
    return {PK: f"APIKEY#{key_hash}", SK: "APIKEY"}


def domain_key(host: str) -> dict[str, str]:
    return {PK: f"DOMAIN#{host.lower()}", SK: "DOMAIN"}
