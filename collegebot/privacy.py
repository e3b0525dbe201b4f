"""Pseudonyms for students: the store keeps a keyed hash of the number, staff see it masked."""

from __future__ import annotations

import hashlib
import hmac


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
