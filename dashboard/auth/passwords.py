"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10


class WeakPassword(ValueError):
    """A password refused by the policy; the message says why."""


# Set only by the test suite (tests/conftest.py): its hundreds of sign-ins would otherwise spend minutes
# in argon2. Hashes keep their parameters, so a hash made either way verifies either way.
CHEAP_TEST_HASHING_ENV = "VITALS_INSECURE_TEST_HASHING"


def _hasher() -> PasswordHasher:
    # A new hasher per call: it is cheap and keeps no module-level state.
    if os.environ.get(CHEAP_TEST_HASHING_ENV) == "1":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise WeakPassword("a password may not start or end with a space")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher().hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. An unknown user is checked against a dummy hash so that a
    wrong user name and a wrong password take the same time."""
    hasher = _hasher()
    target = stored_hash or _DUMMY
    try:
        ok = hasher.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


# A fixed hash of a random string: verifying against it costs what a real verification costs.
_DUMMY = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$Fs3nv0VwZQ2dw4oDBnI6ZC6Ls6+uyjZzQv2xQzFOwa4"
