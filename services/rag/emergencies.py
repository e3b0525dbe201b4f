"""What a question resembles among the emergency descriptions of `collegebot.emergency`: the
sense of meaning that catches an emergency the rules' words miss ("my friend won't wake up").

The question is embedded as written (folded and lower-cased; the query-embedding cache makes a
repeat free) and compared with the descriptions, embedded once the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from collegebot import emergency
from services.rag.embedder import MiniLM


def read_as_written(text: str) -> str:
    return emergency.normalise(text).strip()


class EmergencySense:
    def __init__(self, model: MiniLM) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._bank: tuple[np.ndarray, list[str], np.ndarray] | None = None

    def _vectors(self, normalise: Callable[[str], str]) -> tuple[np.ndarray, list[str], np.ndarray]:
        with self._lock:
            if self._bank is None:
                texts, kinds, calm = emergency.examples()
                self._bank = (
                    self.model.embed([normalise(t) for t in texts]),
                    kinds,
                    self.model.embed([normalise(t) for t in calm]),
                )
            return self._bank

    def read(
        self,
        vector: np.ndarray,
        normalise: Callable[[str], str],
        message: str = "",
        context: str = "",
    ) -> tuple[str, float]:
        """The kind of emergency a question's (normalised, unit) embedding reads like, or "",
        and its best similarity to an emergency description; `message` may be one sentence of
        `context`, the whole."""
        bank, kinds, calm = self._vectors(normalise)
        near, calm_near = emergency.closeness(
            (bank @ vector).tolist(), kinds, (calm @ vector).tolist()
        )
        return emergency.semantic_kind(near, calm_near, message, context)
