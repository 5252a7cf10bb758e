"""Train / test splits of a ground state's basis (the protocol of Westerhout et al. 2020).

- ``train``: a fraction epsilon of all basis states, drawn without replacement with probability
  proportional to |psi|^2 (successive draws, renormalized after each; numpy's
  ``Generator.choice(replace=False, p=...)``).
- ``test``: ``test_size`` states drawn uniformly without replacement from the states not in
  ``train``.
- ``full``: every state.
"""
from __future__ import annotations

import numpy as np


def split_indices(
    weights: np.ndarray, train_fraction: float = 0.05, test_size: int = 5000, seed: int = 0
) -> dict[str, np.ndarray]:
    """Indices into the basis for each split.

    Args:
        weights: ``(D,)`` |psi|^2 (any positive scale), finite and >= 0.
        train_fraction: epsilon in (0, 1); the train split has ``round(epsilon * D)`` states.
        test_size: number of test states, at most the number left after ``train``.
        seed: seed of ``numpy.random.default_rng``; the same seed gives the same splits.

    Returns:
        ``{"train": (n_train,), "test": (test_size,), "full": (D,)}`` int64 index arrays,
        ``train`` and ``test`` sorted and disjoint.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1 or not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("weights must be a 1-D array of finite, non-negative |psi|^2 values")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    n_states = len(weights)
    n_train = int(round(train_fraction * n_states))
    if not 0 < n_train <= np.count_nonzero(weights):
        raise ValueError(
            f"train_fraction {train_fraction} gives {n_train} train states, but there are "
            f"{np.count_nonzero(weights)} states with non-zero weight out of {n_states}"
        )
    if not 0 <= test_size <= n_states - n_train:
        raise ValueError(f"test_size must be in [0, {n_states - n_train}] (states left after train), got {test_size}")
    rng = np.random.default_rng(seed)
    train = rng.choice(n_states, size=n_train, replace=False, p=weights / weights.sum())
    rest = np.setdiff1d(np.arange(n_states), train, assume_unique=True)
    test = rng.choice(rest, size=test_size, replace=False)
    return {"train": np.sort(train), "test": np.sort(test), "full": np.arange(n_states)}
