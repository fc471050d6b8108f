"""Webhook secrets at rest, and the signature of a delivery.

A signing secret must be read back to sign each delivery, so it cannot be stored as a hash like
Hello's other secrets. It is stored encrypted with AES-256-GCM (``cryptography``) under a key
derived with HKDF-SHA256 from ``HELLO_SECRET_KEY``, bound by the associated data to its use: a
copy of the database alone reveals no secret, and rotating the server secret makes the stored
ones unreadable (subscriptions must then be recreated).

Signature: ``Hello-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``, the secret's
UTF-8 bytes as key and ``Hello-Timestamp`` (Unix seconds) as timestamp; ``examples/`` verifies it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from adapters.settings import get_settings

SIGNATURE_VERSION = "v1"
_FORMAT = "g1."


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"hello webhook secrets v1"
    ).derive(secret_key.encode())


def encrypt_secret(secret: str, purpose: str) -> str:
    """``secret`` encrypted for storage; ``purpose`` (e.g. ``webhook_subscription``) must be
    given again to decrypt it, so a value copied to another column does not decrypt."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(get_settings().resolved_secret_key())).encrypt(
        nonce, secret.encode(), purpose.encode()
    )
    return _FORMAT + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(stored: str, purpose: str) -> str:
    if not stored.startswith(_FORMAT):
        raise ValueError("not an encrypted secret")
    raw = base64.urlsafe_b64decode(stored[len(_FORMAT) :])
    plain = AESGCM(_key(get_settings().resolved_secret_key())).decrypt(
        raw[:12], raw[12:], purpose.encode()
    )
    return plain.decode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Hello-Signature`` header of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"
