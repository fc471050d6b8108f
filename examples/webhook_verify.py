"""Verify a Hello webhook delivery (Python 3.9+, standard library only).

Usage: webhook_verify.py SECRET < request.json, with the request's headers in the environment
variables HELLO_TIMESTAMP and HELLO_SIGNATURE; exits 0 when the delivery is genuine.
In a web framework, call ``verify`` with the raw body bytes (before any JSON parsing)."""

import hashlib
import hmac
import os
import sys
import time


def verify(secret: str, timestamp: str, signature: str, body: bytes, tolerance: int = 300) -> bool:
    if abs(time.time() - int(timestamp)) > tolerance:  # refuse replays of old deliveries
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(signature, "v1=" + expected.hexdigest())


if __name__ == "__main__":
    ok = verify(
        sys.argv[1],
        os.environ["HELLO_TIMESTAMP"],
        os.environ["HELLO_SIGNATURE"],
        sys.stdin.buffer.read(),
    )
    print("valid" if ok else "invalid")
    sys.exit(0 if ok else 1)
