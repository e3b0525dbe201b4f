"""Texts gathered by meaning: what the knowledge-gaps page counts as one question."""

from __future__ import annotations

import numpy as np

DEFAULT_SIMILARITY = 0.6


def group(vectors: np.ndarray, similarity: float = DEFAULT_SIMILARITY) -> list[int]:
    """A group number per L2-normalised vector, in order: each joins the group whose centroid is
    the most similar if at least `similarity` (cosine), else starts one. One pass; the centroid
    (the normalised mean of its members) follows each member added."""
    sums: list[np.ndarray] = []
    centroids = np.empty((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    labels: list[int] = []
    for vector in vectors:
        scores = centroids @ vector if len(sums) else np.empty(0)
        best = int(np.argmax(scores)) if len(scores) else -1
        if best >= 0 and scores[best] >= similarity:
            sums[best] = sums[best] + vector
            centroids[best] = sums[best] / np.linalg.norm(sums[best])
            labels.append(best)
        else:
            sums.append(vector.astype(np.float32))
            centroids = np.vstack([centroids, vector[None, :]])
            labels.append(len(sums) - 1)
    return labels
