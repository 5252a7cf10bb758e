"""keras_imnn.uncertainty.calibration: fitted on one sample, the std covers ~95 % of fresh errors at 2 std."""
from pathlib import Path

import numpy as np
import pytest

from keras_imnn.uncertainty import calibration as cal


def sample(rng, n, a=3.0, b=0.01):
    var = rng.uniform(0, 1e-4, (n, 2))  # the ensemble's spread, 3x too narrow, plus a floor
    return var, rng.standard_normal((n, 2)) * np.sqrt(a**2 * var + b**2)


def test_regression_calibration_covers_95_percent_of_fresh_errors():
    rng = np.random.default_rng(0)
    fit = cal.fit_regression(*sample(rng, 2000))
    var, err = sample(rng, 5000)
    std = cal.regression_std(var, np.asarray(fit["a"]), np.asarray(fit["b"]))
    assert abs(cal.coverage(err, std) - 0.95) < 0.015
    np.testing.assert_allclose(fit["a"], 3.0, rtol=0.25)
    assert cal.spearman(std, err) > 0.2
    const = cal.fit_regression(*sample(rng, 2000), spread=False)
    assert const["a"] == [0.0, 0.0] and abs(cal.coverage(err, cal.regression_std(var, 0.0, np.asarray(const["b"])))
                                            - 0.95) < 0.02
    np.testing.assert_allclose(cal.reliability(err, std, np.array([0.5, 0.95])), [0.5, 0.95], atol=0.05)


def test_sign_calibration_recovers_the_temperature():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3, 20000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z / 2.0))).astype(float)  # the logits are 2x overconfident
    fit = cal.fit_sign(z, np.zeros_like(z), y, spread=False)
    assert abs(fit["temperature"] - 2.0) < 0.15
    p = cal.sign_probability(z, np.zeros_like(z), fit["temperature"], 0.0)
    assert cal.expected_calibration_error(p, y) < 0.02 < cal.expected_calibration_error(1 / (1 + np.exp(-z)), y)


def test_combined_calibration_covers_errors_either_term_explains():
    """Half the errors scale with the ensemble's spread, half with the distance from the training features:
    the combined std covers 95 % of fresh ones, and far cells whose spread stays small are still covered."""
    def combined_sample(rng, n, far=1.0):
        var, d2 = rng.uniform(0, 1e-4, (n, 1)), rng.uniform(0, far, (n, 1))
        by_distance = rng.random((n, 1)) < 0.5
        err = rng.standard_normal((n, 1)) * np.where(by_distance, 0.01 * np.sqrt(d2), 3 * np.sqrt(var)) + 1e-4
        return var, d2, err

    rng = np.random.default_rng(2)
    var, d2, err = combined_sample(rng, 4000)
    fit, heads_fit = cal.fit_combined(var, d2, err), cal.fit_regression(var, err)
    var, d2, err = combined_sample(rng, 8000)
    assert abs(cal.coverage(err, cal.combined_std(var, d2, fit)) - 0.95) < 0.015
    var, d2, err = combined_sample(rng, 8000, far=10.0)  # farther from the training features than calibrated
    heads = cal.regression_std(var, np.asarray(heads_fit["a"]), np.asarray(heads_fit["b"]))
    assert cal.coverage(err, cal.combined_std(var, d2, fit)) > cal.coverage(err, heads) + 0.05


def test_combined_fit_is_at_least_as_likely_as_either_term_alone():
    """The flagship's calibration cells (its heads' variance, 5-NN distance and error on 640 held-out cells): the
    combined std nests each single-term one, so its likelihood may not be worse than theirs. From one start the
    fit stopped in the heads' local optimum (NLL -4.22 where the distance alone reaches -5.64)."""
    with np.load(Path(__file__).parent / "data" / "flagship_calibration.npz") as f:
        var, d2, err = (f[k].astype(np.float64) for k in ("var", "distance2", "err"))
    nll = cal.gaussian_nll(err, cal.combined_std(var, d2, cal.fit_combined(var, d2, err)))
    for term in (var, np.broadcast_to(d2, var.shape)):
        alone = cal.fit_regression(term, err)
        std = cal.regression_std(term, np.asarray(alone["a"]), np.asarray(alone["b"]))
        assert nll <= cal.gaussian_nll(err, std) + 1e-6


def test_gaussian_nll_is_the_mean_negative_log_density():
    from scipy import stats

    err, std = np.array([[0.0, 0.3], [-1.0, 2.0]]), np.array([[1.0, 0.5], [2.0, 0.1]])
    assert cal.gaussian_nll(err, std) == pytest.approx(-np.mean(stats.norm.logpdf(err, scale=std)))
