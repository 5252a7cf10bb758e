"""The (x, y[, weight]) numpy arrays a task reads its data into and every training, evaluation and comparison
run works on (numpy only: tasks, training and search import it)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Arrays:
    """Inputs ``x`` (n, H, W, 1) float32, targets ``y`` (n, k) float32, optional ``weight`` (n,)
    (|ψ|² for the magnet task: the weight of each state in the sign overlap)."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, index: np.ndarray) -> Arrays:
        return Arrays(self.x[index], self.y[index], None if self.weight is None else self.weight[index])

    def take(self, n: int | None, seed: int = 0) -> Arrays:
        """A random subset of ``n`` examples (all of them if ``n`` is None), fixed by ``seed``."""
        if n is None or n >= len(self):
            return self
        return self.subset(np.sort(np.random.default_rng(seed).choice(len(self), size=n, replace=False)))

    @classmethod
    def concatenate(cls, parts: list[Arrays]) -> Arrays:
        """One set of the examples of ``parts``, in order (all with a ``weight`` or none)."""
        weights = [p.weight for p in parts]
        if any(w is None for w in weights) and not all(w is None for w in weights):
            raise ValueError("cannot concatenate examples with and without weights")
        return cls(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]),
                   None if weights[0] is None else np.concatenate(weights))

    def split(self, fraction: float, seed: int = 0) -> tuple[Arrays, Arrays]:
        """(rest, held out): a random ``fraction`` (at least one example) held out, fixed by ``seed``."""
        order = np.random.default_rng(seed).permutation(len(self))
        n_held = max(1, int(round(fraction * len(self))))
        return self.subset(np.sort(order[n_held:])), self.subset(np.sort(order[:n_held]))
