"""Pseudonyms for students: the store keeps a keyed hash of the number, staff see it masked."""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol


class Pseudonymiser:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def hash(self, number: str) -> str:
        """A stable pseudonym: the same number always maps to the same hex string under one key."""
        return hmac.new(self._key, number.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def mask(number: str) -> str:
        """'+919812343210' -> '+91•••••3210': enough for staff to tell students apart."""
        if len(number) < 8:
            return "•" * len(number)
        return number[:3] + "•" * 5 + number[-4:]


class NumberCipher:
    """The student's number, encrypted for the one thing that needs it: a member of staff's
    reply to an open case. MultiFernet: the first key encrypts, every key decrypts, so a new key
    goes first and the old ones stay until `rotate` has re-encrypted what is stored."""

    def __init__(self, keys: list[str]) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls, settings: NumberKeys) -> NumberCipher:
        return cls(settings.number_keys())

    def encrypt(self, number: str) -> str:
        return self._fernet.encrypt(number.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The number; raises cryptography.fernet.InvalidToken under none of the keys."""
        return self._fernet.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        """The same number encrypted under the first key."""
        return self._fernet.rotate(token.encode()).decode()


class NumberKeys(Protocol):
    def number_keys(self) -> list[str]: ...
