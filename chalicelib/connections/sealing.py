"""A store credential sealed at rest: AES-256-GCM under a key derived for this purpose alone.

The key is HKDF-SHA256 of the deployment's signing secret (chalicelib/signing.py `encryption_key`), so it is no
signature's key; every seal takes a fresh 96-bit nonce; the shop and the platform are the associated data, so a
sealed credential copied onto another shop's (or platform's) item does not open.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from chalicelib import errors

PURPOSE = "store-credential"
SCHEME = "aes-256-gcm/hkdf-sha256/v1"  # kept beside the ciphertext: a later scheme can read older items
NONCE_BYTES = 12


def _associated(shop_id: str, platform: str) -> bytes:
    return f"proofloop store credential\n{shop_id}\n{platform}".encode()


def seal(shop_id: str, platform: str, credential: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from chalicelib.signing import encryption_key

    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(credential, separators=(",", ":"), sort_keys=True).encode()
    sealed = AESGCM(encryption_key(PURPOSE)).encrypt(nonce, plain, _associated(shop_id, platform))
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(shop_id: str, platform: str, sealed: str) -> dict[str, Any]:
    """The credential, or NotConfigured when it does not open here (another secret, shop or platform)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from chalicelib.signing import encryption_key

    try:
        raw = base64.b64decode(sealed)
        plain = AESGCM(encryption_key(PURPOSE)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(shop_id, platform)
        )
    except (InvalidTag, ValueError):
        raise errors.NotConfigured(
            "the store credential cannot be opened with this deployment's secret; connect the store again",
            code="credential_unreadable",
        ) from None
    credential: dict[str, Any] = json.loads(plain)
    return credential
