"""Sign accuracy and overlap against hand-computed values, numpy and Keras."""
import numpy as np
import pytest

from keras_imnn.physics.magnet.metrics import sign_accuracy, sign_overlap

TRUE = np.array([0, 1, 1, 0])
PRED = np.array([0, 1, 0, 1])
WEIGHTS = np.array([0.4, 0.3, 0.2, 0.1])
# Right on states 0 and 1 (weight 0.7), wrong on 2 and 3 (weight 0.3).


def test_numpy_metrics_by_hand():
    assert sign_accuracy(TRUE, PRED) == pytest.approx(0.5)
    assert sign_accuracy(TRUE, PRED, WEIGHTS) == pytest.approx(0.7)
    assert sign_overlap(TRUE, PRED, WEIGHTS) == pytest.approx(0.7 - 0.3)
    assert sign_overlap(TRUE, 1 - TRUE, WEIGHTS) == pytest.approx(-1.0)


@pytest.mark.parametrize(
    "pred, weights, match",
    [(np.array([0, 1, 2, 0]), None, "0/1"), (PRED[:3], None, "shape"), (PRED, np.array([1.0, np.nan, 0, 0]), "finite")],
)
def test_numpy_metrics_bad_input(pred, weights, match):
    with pytest.raises(ValueError, match=match):
        sign_accuracy(TRUE, pred, weights)
