"""Argon2id password hashing. The cost (passes, memory, lanes) is configuration
(PASSWORD_HASH_*; the defaults are RFC 9106's second recommended option); every hash records
its own parameters, so verifying never depends on the current ones."""
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, lanes: int) -> tuple[PasswordHasher, str]:
    """The hasher for these parameters and a fixed hash made with them: it is verified against
    when the email is unknown, so that timing does not reveal whether an account exists."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes)
    return hasher, hasher.hash("not-a-real-password")


def _current() -> tuple[PasswordHasher, str]:
    config = current_app.config
    return _hasher(config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"],
                   config["PASSWORD_HASH_PARALLELISM"])


def hash_password(password: str) -> str:
    return _current()[0].hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    hasher, dummy = _current()
    try:
        return hasher.verify(stored_hash or dummy, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
