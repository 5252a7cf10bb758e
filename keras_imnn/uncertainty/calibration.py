"""From an ensemble's spread to a calibrated standard deviation of the error, and how to score it.

numpy/scipy only. Three kinds:

* regression (gap ratio, band edges), per output k: ``std_k = sqrt(a_k² var_k + b_k²)``, with var_k the
  ensemble's variance, (a, b) fitted by Gaussian likelihood on a held-out split and then scaled so that a
  fraction ``COVERAGE`` of the held-out errors lie within ``2 std`` (the errors are heavier-tailed than a
  Gaussian, so the likelihood fit alone covers less). ``a = 0`` is the constant-std baseline.
* combined (photonic): ``std_k = sqrt(a_k² var_k + c_k² d² + b_k²)``, d² the squared distance to the nearest
  training features (``novelty``), fitted and scaled as above: whichever flags a cell, the ensemble's spread or
  its distance from the training cells, widens its std. (On the study's OOD cells this covered more than the
  larger of the two separately calibrated stds at the same test coverage: docs/trust.md.)
* sign (magnets): the probability of "negative" ``p = sigmoid(z / sqrt(T² + c var))`` from the shipped
  model's logit z and the members' logit variance (temperature scaling, Guo et al. 2017, with MacKay's
  moderation by the ensemble's variance), fitted by log loss; the std of the 0/1 label's error is then
  ``sqrt(p (1 - p))``.
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


def _nll(p: np.ndarray, terms: list[np.ndarray], means: list[float], rms: float, err: np.ndarray) -> float:
    """Gaussian NLL of ``err`` (n,) under ``std² = Σ (p_i rms)² term_i / mean_i + (p_-1 rms)²``."""
    s2 = sum((q * rms) ** 2 * t / m for q, t, m in zip(p, terms, means)) + (p[-1] * rms) ** 2 + 1e-30
    return float(np.mean(np.log(s2) + err**2 / s2))


def _fit_terms(terms: list[np.ndarray], err: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per output, the coefficients ``(len(terms), k)`` and floor ``(k,)`` of ``std² = Σ coef_i² term_i + b²``,
    fitted by Gaussian likelihood on held-out ``terms`` and ``err`` (each ``(n, k)``), then scaled so that a
    fraction ``COVERAGE`` of the held-out errors lie within 2 std."""
    coefs, floors = np.zeros((len(terms), err.shape[1])), np.zeros(err.shape[1])
    for k, e in enumerate(err.T):
        ts = [t[:, k] for t in terms]
        rms = max(float(np.sqrt(np.mean(e**2))), 1e-12)  # every parameter in units of the RMS error …
        means = [max(float(np.mean(t)), 1e-30) for t in ts]  # … per unit of its term's mean

        # Nelder-Mead from each corner as well as the middle: the likelihood has a local optimum per dominant term.
        starts = [np.array([1.0] * len(ts) + [0.5])] + [np.array([1.0 if j == i else 0.01 for j in range(len(ts))]
                                                                 + [0.1]) for i in range(len(ts))]
        best = min((optimize.minimize(_nll, x0, args=(ts, means, rms, e), method="Nelder-Mead",
                                      options={"xatol": 1e-4, "fatol": 1e-8, "maxiter": 2000 * (len(ts) + 1)})
                    for x0 in starts), key=lambda result: result.fun)
        coefs[:, k] = [abs(q) * rms / np.sqrt(m) for q, m in zip(best.x, means)]
        floors[k] = abs(best.x[-1]) * rms
        std = np.sqrt(sum(c**2 * t for c, t in zip(coefs[:, k], ts)) + floors[k] ** 2)
        # Scale so that COVERAGE of the held-out |errors| lie within 2 std.
        factor = np.quantile(np.abs(e) / np.maximum(std, 1e-30), COVERAGE) / 2.0
        coefs[:, k] *= factor
        floors[k] *= factor
    return coefs, floors


def fit_regression(var: np.ndarray, err: np.ndarray, *, spread: bool = True) -> dict[str, Any]:
    """Per output, (a, b) of :func:`regression_std` on held-out ensemble variances and errors, both ``(n, k)``.

    ``spread=False`` fits the constant-std baseline (a = 0). Returns ``{"kind": "regression", "a": [k], "b": [k]}``.
    """
    var, err = np.asarray(var, np.float64), np.asarray(err, np.float64)
    coefs, b = _fit_terms([var] if spread else [], err)
    return {"kind": "regression", "a": coefs[0].tolist() if spread else [0.0] * err.shape[1], "b": b.tolist()}


def combined_std(var: np.ndarray, distance2: np.ndarray, calibration: dict[str, Any]) -> np.ndarray:
    """``(n, k)`` std from the ensemble variance ``(n, k)`` and the squared k-NN distance ``(n, 1)``."""
    a, c, b = (np.asarray(calibration[p]) for p in "acb")
    return np.sqrt(np.square(a) * var + np.square(c) * distance2 + np.square(b))


def fit_combined(var: np.ndarray, distance2: np.ndarray, err: np.ndarray) -> dict[str, Any]:
    """(a, c, b) of :func:`combined_std` on held-out variances and errors ``(n, k)`` and distances ``(n, 1)``.

    Returns ``{"kind": "combined", "a": [k], "c": [k], "b": [k]}``.
    """
    var, err = np.asarray(var, np.float64), np.asarray(err, np.float64)
    coefs, b = _fit_terms([var, np.broadcast_to(np.asarray(distance2, np.float64), var.shape)], err)
    return {"kind": "combined", "a": coefs[0].tolist(), "c": coefs[1].tolist(), "b": b.tolist()}


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


def gaussian_nll(err: np.ndarray, std: np.ndarray) -> float:
    """Mean Gaussian negative log-likelihood of the errors under std, per entry (lower is better)."""
    return float(np.mean(0.5 * np.log(2 * np.pi * std**2) + err**2 / (2 * std**2)))


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
