"""Photonic band gaps: regress the gap-to-midgap ratio of bands 1–2 of a 2D photonic crystal's unit cell."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from keras_imnn.tasks.base import Task

if TYPE_CHECKING:
    import keras

# "Has a gap" means a predicted gap-to-midgap ratio above this (the definition).
GAP_THRESHOLD = 0.01
# The gap-to-midgap ratio's bound, 2 (ω2 − ω1) / (ω2 + ω1) < 2.
MAX_RATIO = 2.0


def gap_to_midgap(gap: np.ndarray, midgap: np.ndarray) -> np.ndarray:
    """Δω/ω_mid, 0 where there is no gap."""
    safe = np.where(midgap > 0, midgap, 1.0)
    return np.where(gap > 0, gap / safe, 0.0).astype(np.float32)


def has_gap_accuracy(predicted_ratio: np.ndarray, true_gap: np.ndarray) -> float:
    """Share of "has a gap" answered right: predicted gap-to-midgap ratio > ``GAP_THRESHOLD`` vs. true gap > 0
    (the true ratio or the gap itself: both are > 0 exactly where there is a gap)."""
    return float(np.mean((np.asarray(predicted_ratio) > GAP_THRESHOLD) == (np.asarray(true_gap) > 0)))


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, R² and the accuracy of "has a gap" (prediction > 0.01 vs. true gap > 0)."""
    y_true, y_pred = np.ravel(y_true).astype(np.float64), np.ravel(y_pred).astype(np.float64)
    err = y_pred - y_true
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": float(1.0 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan"),
        "has_gap_accuracy": has_gap_accuracy(y_pred, y_true),
    }


@dataclass(frozen=True)
class PhotonicGap(Task):
    """MSE on the ratio; the target polarization ("tm" or "te") picks the labels."""

    def loss(self) -> keras.losses.Loss:
        import keras

        return keras.losses.MeanSquaredError()

    def metrics(self) -> list[keras.metrics.Metric]:
        import keras

        return [keras.metrics.MeanAbsoluteError(name="mae")]

    def score(self, y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
        return regression_metrics(y_true, y_pred)

    def point_prediction(self, outputs: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The ratio, clipped to [0, 2]: a gap is never negative (a raw output below 0 means no gap), and
        Δω/ω_mid = 2 (ω2 − ω1) / (ω2 + ω1) < 2 for any ω1 ≥ 0 (far outside the domain, e.g. ε = 1e6, the raw
        output runs into the thousands)."""
        return np.clip(outputs, 0.0, MAX_RATIO)

    def labels(self, examples: Mapping[str, np.ndarray], target: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        self.require(examples, (f"{target}_gap", f"{target}_midgap"))
        return gap_to_midgap(np.asarray(examples[f"{target}_gap"]), np.asarray(examples[f"{target}_midgap"])), None


PHOTONIC_GAP = PhotonicGap(
    name="photonic",
    description="photonic band gaps: regression of the TM (or TE) gap-to-midgap ratio of bands 1-2",
    dataset_family="photonic_crystals",
    default_dataset="photonic_crystals/general",
    input_feature="eps",
    summary_metrics=("mae", "r2"),
    objective=("mae", "min"),
    # 400 cells already rank the photonic stacks.
    scarce_n_train=400,
    baselines=(("photonic_cnn", "photonic_cnn", False, {}),
               ("photonic_cnn + aug", "photonic_cnn", True, {}),
               ("photonic_inv", "photonic_inv", False, {}),
               ("photonic_inv_dilated", "photonic_inv_dilated", False, {})),
    targets=("tm", "te"),
    aliases=("regression",),
    intended_use="Screening 2D photonic-crystal unit cells for a TM band gap between bands 1 and 2 without running "
                 "a band solver: the output is the gap-to-midgap ratio Δω/ω_mid (0 without a gap; > 0.01 counts as "
                 "a gap). A fast surrogate and a starting point for fine-tuning on your own cells, not a "
                 "replacement for the solver where a number must be exact.",
)
