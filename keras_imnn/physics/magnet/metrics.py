"""Sign-structure metrics (numpy). Labels are 0 for a positive amplitude, 1 for a negative one.

Training compiles Keras' own ``BinaryAccuracy(threshold=0)`` on the logit (``tasks.magnet_sign``); the physics
package stays free of Keras.
"""
from __future__ import annotations

import numpy as np


def _labels(name: str, labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{name} must be a 1-D array of 0/1 sign labels (1 = negative), got shape {labels.shape}")
    return labels.astype(np.float64)


def _weights(weights: np.ndarray | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n,) or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(f"weights must be ({n},) finite, non-negative and not all zero")
    return weights


def sign_accuracy(sign_true: np.ndarray, sign_pred: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Fraction of correctly predicted signs, weighted by ``weights`` (e.g. |psi|^2) if given."""
    t, p = _labels("sign_true", sign_true), _labels("sign_pred", sign_pred)
    if t.shape != p.shape:
        raise ValueError(f"sign_true and sign_pred differ in shape: {t.shape} vs {p.shape}")
    w = _weights(weights, len(t))
    return float(np.sum(w * (t == p)) / w.sum())


def sign_overlap(sign_true: np.ndarray, sign_pred: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Sum sgn_true * sgn_pred * w / sum w, in [-1, 1] (1 = every sign right).

    With ``weights = |psi|^2`` over the full basis this is the overlap <psi|psi_pred> of the
    ground state with the state that has the true amplitudes and the predicted signs.
    """
    return 2.0 * sign_accuracy(sign_true, sign_pred, weights) - 1.0
