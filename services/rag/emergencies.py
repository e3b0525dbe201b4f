"""What a question resembles among the emergency descriptions of `collegebot.emergency`: the
sense of meaning that catches an emergency the rules' words miss ("my friend won't wake up").

The question is embedded as written (folded and lower-cased, idioms blanked; the query-embedding
cache makes a repeat free) and compared with the descriptions, embedded once the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from collegebot import emergency
from services.rag.embedder import DIMENSIONS, MiniLM

log = logging.getLogger("collegebot.rag")


def read_as_written(text: str) -> str:
    """Folded and lower-cased, typos of an emergency's words spelled out, and idioms that use
    an emergency's words blanked ("that presentation was fire" is read as "that presentation"),
    as the rules read it."""
    return emergency.without_idioms(text)


class EmergencySense:
    def __init__(self, model: MiniLM, cache_dir: Path | None = None) -> None:
        """`cache_dir`: where the descriptions' vectors are kept between starts (embedding the
        several hundred of them is seconds of every start); unwritable or None, not kept."""
        self.model = model
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._bank: tuple[np.ndarray, list[str], np.ndarray] | None = None

    def _vectors(self, normalise: Callable[[str], str]) -> tuple[np.ndarray, list[str], np.ndarray]:
        with self._lock:
            if self._bank is None:
                texts, kinds, calm = emergency.examples()
                vectors = self._embedded([normalise(t) for t in texts + calm])
                self._bank = (vectors[: len(texts)], kinds, vectors[len(texts) :])
            return self._bank

    def _embedded(self, texts: list[str]) -> np.ndarray:
        """`texts` embedded, from the cache file when one was written for exactly these texts
        by exactly this model (its name is their digest, so nothing stale is ever read)."""
        digest = hashlib.sha256(self.model.fingerprint.encode())
        digest.update("\0".join(texts).encode())
        name = f"emergency-vectors-{digest.hexdigest()[:32]}.npy"
        path = self.cache_dir / name if self.cache_dir is not None else None
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                vectors = np.load(path)
                if vectors.shape == (len(texts), DIMENSIONS):
                    return vectors
        vectors = self.model.embed(texts)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                with open(partial, "wb") as out:
                    np.save(out, vectors)
                os.replace(partial, path)
            except OSError as e:  # a read-only state directory: embedded at every start
                log.info("emergency vectors not kept (%s)", type(e).__name__)
        return vectors

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
