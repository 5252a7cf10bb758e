"""Test metrics of a trained model: regression (band gaps) and sign classification (magnets)."""
from __future__ import annotations

import keras
import numpy as np

from keras_imnn.training.data import Arrays

# "Has a gap" means a predicted gap-to-midgap ratio above this (the definition).
GAP_THRESHOLD = 0.01


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, R² and the accuracy of "has a gap" (prediction > 0.01 vs. true gap > 0)."""
    y_true, y_pred = np.ravel(y_true).astype(np.float64), np.ravel(y_pred).astype(np.float64)
    err = y_pred - y_true
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": float(1.0 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan"),
        "has_gap_accuracy": float(np.mean((y_pred > GAP_THRESHOLD) == (y_true > 0))),
    }


def classification_metrics(sign_true: np.ndarray, logits: np.ndarray,
                           weight: np.ndarray | None = None) -> dict[str, float]:
    """Accuracy and sign overlap (Σ sgn_true·sgn_pred·|ψ|² / Σ|ψ|²) of "negative" logits."""
    from keras_imnn.physics.magnet.metrics import sign_accuracy, sign_overlap

    sign_pred = (np.ravel(logits) > 0).astype(np.int64)
    sign_true = np.ravel(sign_true).astype(np.int64)
    metrics = {"accuracy": float(sign_accuracy(sign_true, sign_pred))}
    if weight is not None:
        metrics["sign_overlap"] = float(sign_overlap(sign_true, sign_pred, weight))
    return metrics


def evaluate_arrays(model: keras.Model, data: Arrays, task: str, batch_size: int = 256) -> dict[str, float]:
    """Predict ``data.x`` and score it against ``data.y`` for ``task``."""
    pred = model.predict(data.x, batch_size=batch_size, verbose=0)
    if task == "regression":
        return regression_metrics(data.y, pred)
    if task == "classification":
        return classification_metrics(data.y, pred, data.weight)
    raise ValueError(f"task must be 'regression' or 'classification'; got {task!r}")
