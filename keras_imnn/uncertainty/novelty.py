"""How far a cell lies from the training cells in the trunk's feature space: the k-nearest-neighbour novelty.

The ensemble's spread misses cells unlike any the generator draws (docs/trust.md); the distance to the nearest
training features grows on them. The training features are stored standardized (centred and divided by their
per-feature std over the train split, so that float16 keeps their differences) as float16 in
``weights/<name>/knn_features.npz`` (sha256 in the manifest's ``"uncertainty"``); the study computes the
distances from the same float16 copy that ``predict`` loads.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from keras_imnn.atomic import atomic_path
from keras_imnn.npz import read_npz

#: Neighbours averaged in the distance.
K = 5


class Novelty:
    """Squared mean distance to the ``K`` nearest standardized training features.

    Args:
        features: ``(n, f)`` standardized training features (float16 as stored).
        mean, scale: ``(f,)`` the per-feature mean and std that standardized them.
    """

    def __init__(self, features: np.ndarray, mean: np.ndarray, scale: np.ndarray):
        self.features = np.asarray(features, np.float16)
        self.mean, self.scale = np.asarray(mean, np.float32), np.asarray(scale, np.float32)
        self._tree = cKDTree(self.features.astype(np.float64))

    @classmethod
    def fit(cls, train: np.ndarray) -> Novelty:
        """From raw training features ``(n, f)``."""
        train = np.asarray(train, np.float64)
        mean, std = train.mean(axis=0), train.std(axis=0)
        # A feature constant over the train split (a dead ReLU unit) is measured in units of the average std:
        # dividing by ~0 would make any query that activates it 1e20 away and swamp every other distance.
        scale = np.where(std > 1e-6 * std.max(), std, max(float(std.mean()), 1e-12))
        return cls((train - mean) / scale, mean, scale)

    def distance2(self, features: np.ndarray) -> np.ndarray:
        """``(b, 1)`` squared mean distance of ``features`` ``(b, f)`` to their ``K`` nearest training features."""
        if not len(features):
            return np.zeros((0, 1))
        standardized = (np.asarray(features, np.float64) - self.mean) / self.scale
        distance, _ = self._tree.query(standardized, k=min(K, len(self.features)))
        return np.square(np.reshape(distance, (len(features), -1)).mean(axis=1))[:, None]

    def save(self, path: str | os.PathLike) -> None:
        """As ``.npz`` of ``features`` (float16), ``mean`` and ``scale`` (written atomically)."""
        with atomic_path(Path(path)) as tmp:
            np.savez(tmp, features=self.features, mean=self.mean, scale=self.scale)

    @classmethod
    def read(cls, path: str | os.PathLike) -> Novelty:
        arrays = read_npz(path, ("features", "mean", "scale"),
                          made_by="keras_imnn.uncertainty.novelty.Novelty.save")
        return cls(arrays["features"], arrays["mean"], arrays["scale"])
