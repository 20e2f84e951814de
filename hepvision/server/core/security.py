"""Passwords, tokens and enrolment codes.

- Passwords: argon2id (argon2-cffi), cost from settings; verification runs against a dummy hash
  for unknown accounts so timing does not reveal which emails exist.
- Tokens are opaque random strings (``hvt_`` therapist access, ``hvd_`` device); the database
  keeps only their HMAC-SHA256 under the secret key, so a leaked table holds no usable token
  and logout / revocation is a row update.
- Enrolment codes: 12 Crockford base32 characters shown as ``XXXX-XXXX-XXXX`` (60 bits),
  case-insensitive, one use, expiring.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

THERAPIST_TOKEN_PREFIX = "hvt_"
DEVICE_TOKEN_PREFIX = "hvd_"
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_CODE_LENGTH = 12


class Security:
    """Hashing and digests under one secret key and one argon2 cost."""

    def __init__(self, secret_key: str, *, time_cost: int, memory_kib: int) -> None:
        self._key = secret_key.encode("utf-8")
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                      parallelism=1)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_password(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; always spends one verification's time."""
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                password_hash is not None)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def digest(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 hex of ``value`` for one ``purpose`` (token, enrolment code)."""
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def new_token(self, prefix: str) -> tuple[str, str]:
        """A fresh token and its digest."""
        token = prefix + secrets.token_urlsafe(32)
        return token, self.digest("token", token)

    def token_digest(self, token: str) -> str:
        return self.digest("token", token)

    def new_enrolment_code(self) -> tuple[str, str]:
        """A fresh enrolment code (display form) and its digest."""
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        shown = "-".join(raw[i:i + 4] for i in range(0, _CODE_LENGTH, 4))
        return shown, self.enrolment_digest(shown)

    def enrolment_digest(self, code: str) -> str:
        return self.digest("enrol", normalise_code(code))


def normalise_code(code: str) -> str:
    """Upper-case, drop separators, and read the usual look-alikes (O->0, I/L->1)."""
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(c for c in code.upper() if c.isalnum()).translate(table)
