"""From an ensemble's spread to a calibrated standard deviation of the error, and how to score it.

numpy/scipy only. Two kinds, one per kind of target:

* regression (gap ratio, band edges), per output k: ``std_k = sqrt(a_k² var_k + b_k²)``, with var_k the
  ensemble's variance, (a, b) fitted by Gaussian likelihood on a held-out split and then scaled so that a
  fraction ``COVERAGE`` of the held-out errors lie within ``2 std`` (the errors are heavier-tailed than a
  Gaussian, so the likelihood fit alone covers less). ``a = 0`` is the constant-std baseline.
* sign (magnets): the probability of "negative" ``p = sigmoid(z / sqrt(T² + c var))`` from the shipped
  model's logit z and the members' logit variance (temperature scaling, Guo et al. 2017, with MacKay's
  moderation by the ensemble's variance), fitted by log loss; the std of the 0/1 label's error is then
  ``sqrt(p (1 - p))``.
* combined (photonic): ``std_k = s_k max(std_heads_k, std_knn_k)``, each term a regression std as above (the
  k-NN term from the squared feature distance of ``novelty``), ``s`` rescaled to the same held-out coverage:
  whichever flags a cell, the ensemble's spread or its distance from the training cells, widens its std.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, special, stats

#: The held-out share of |error| that 2 std must cover.
COVERAGE = 0.95


def regression_std(var: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(n, k)`` std of the error from the ensemble variance ``(n, k)`` and per-output ``a``, ``b`` ``(k,)``."""
    return np.sqrt(np.square(a) * var + np.square(b))


def fit_regression(var: np.ndarray, err: np.ndarray, *, spread: bool = True) -> dict[str, Any]:
    """Per output, (a, b) of :func:`regression_std` on held-out ensemble variances and errors, both ``(n, k)``.

    ``spread=False`` fits the constant-std baseline (a = 0). Returns ``{"kind": "regression", "a": [k], "b": [k]}``.
    """
    var, err = np.asarray(var, np.float64), np.asarray(err, np.float64)
    a_out, b_out = [], []

    def nll(p: np.ndarray, v: np.ndarray, e: np.ndarray, scale: float) -> float:
        s2 = (p[0] ** 2 if spread else 0.0) * v + (p[1] * scale) ** 2 + 1e-30
        return float(np.mean(np.log(s2) + e**2 / s2))

    for v, e in zip(var.T, err.T):
        scale = max(float(np.sqrt(np.mean(e**2))), 1e-12)  # b is fitted in units of the RMS error
        best = optimize.minimize(nll, np.array([1.0, 0.5]), args=(v, e, scale), method="Nelder-Mead",
                                 options={"xatol": 1e-4, "fatol": 1e-8})
        a, b = (abs(best.x[0]) if spread else 0.0), abs(best.x[1]) * scale
        std = regression_std(v, a, b)
        # Scale so that COVERAGE of the held-out |errors| lie within 2 std.
        factor = float(_coverage_factor(std[:, None], e[:, None])[0])
        a_out.append(a * factor)
        b_out.append(b * factor)
    return {"kind": "regression", "a": a_out, "b": b_out}


def _coverage_factor(std: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Per output ``(k,)``: the factor on ``std`` ``(n, k)`` that puts COVERAGE of ``|err|`` within 2 std."""
    return np.quantile(np.abs(err) / np.maximum(std, 1e-30), COVERAGE, axis=0) / 2.0


def combined_std(var: np.ndarray, distance2: np.ndarray, calibration: dict[str, Any]) -> np.ndarray:
    """``(n, k)`` std from the ensemble variance ``(n, k)`` and the squared k-NN distance ``(n, 1)``."""
    heads, knn = calibration["heads"], calibration["knn"]
    return np.asarray(calibration["scale"]) * np.maximum(
        regression_std(var, np.asarray(heads["a"]), np.asarray(heads["b"])),
        regression_std(np.broadcast_to(distance2, np.shape(var)), np.asarray(knn["a"]), np.asarray(knn["b"])))


def fit_combined(var: np.ndarray, distance2: np.ndarray, err: np.ndarray) -> dict[str, Any]:
    """:func:`combined_std`'s calibration on held-out variances and errors ``(n, k)`` and distances ``(n, 1)``.

    Returns ``{"kind": "combined", "heads": {a, b}, "knn": {a, b}, "scale": [k]}``.
    """
    calibration = {"kind": "combined", "heads": fit_regression(var, err),
                   "knn": fit_regression(np.broadcast_to(distance2, np.shape(var)), err), "scale": 1.0}
    calibration["scale"] = _coverage_factor(combined_std(var, distance2, calibration), err).tolist()
    return calibration


def sign_probability(z: np.ndarray, var: np.ndarray, temperature: float, variance_weight: float) -> np.ndarray:
    """Probability of "negative" from logits ``z`` and the members' logit variance, both ``(n, 1)``."""
    return special.expit(np.asarray(z) / np.sqrt(temperature**2 + variance_weight * np.asarray(var)))


def fit_sign(z: np.ndarray, var: np.ndarray, y: np.ndarray, *, spread: bool = True) -> dict[str, Any]:
    """(T, c) of :func:`sign_probability` by log loss on held-out logits, variances and 0/1 labels.

    ``spread=False`` is temperature scaling alone (c = 0)."""
    z, var, y = (np.ravel(np.asarray(a, np.float64)) for a in (z, var, y))

    def loss(p: np.ndarray) -> float:
        prob = np.clip(sign_probability(z, var, abs(p[0]) + 1e-3, p[1] ** 2 if spread else 0.0), 1e-12, 1 - 1e-12)
        return float(-np.mean(y * np.log(prob) + (1 - y) * np.log1p(-prob)))

    best = optimize.minimize(loss, np.array([1.0, 0.5]), method="Nelder-Mead")
    return {"kind": "sign", "temperature": abs(float(best.x[0])) + 1e-3,
            "variance_weight": float(best.x[1] ** 2) if spread else 0.0}


def coverage(err: np.ndarray, std: np.ndarray, k: float = 2.0) -> float:
    """Share of |error| ≤ k·std over all entries."""
    return float(np.mean(np.abs(err) <= k * std))


def reliability(err: np.ndarray, std: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Observed coverage of the central Gaussian intervals of each ``nominal`` probability."""
    ratio = np.abs(np.ravel(err)) / np.maximum(np.ravel(std), 1e-30)
    half_widths = stats.norm.ppf(0.5 + np.asarray(nominal) / 2)
    return np.array([np.mean(ratio <= w) for w in half_widths])


def spearman(std: np.ndarray, err: np.ndarray) -> float:
    """Spearman rank correlation of std and |error| (per entry): whether a larger std flags a larger error."""
    if np.ptp(std) == 0:  # a constant std ranks nothing
        return float("nan")
    return float(stats.spearmanr(np.ravel(std), np.abs(np.ravel(err))).statistic)


def expected_calibration_error(prob: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """ECE of probabilities of a 0/1 label: the |confidence − accuracy| gap averaged over equal-width bins."""
    prob, y = np.ravel(prob), np.ravel(y)
    which = np.minimum((prob * bins).astype(int), bins - 1)
    return float(sum(abs(prob[which == i].mean() - y[which == i].mean()) * np.mean(which == i)
                     for i in range(bins) if np.any(which == i)))
