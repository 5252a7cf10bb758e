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


def test_keras_metrics_match_numpy_on_logits():
    from keras_imnn.physics.magnet.keras_metrics import SignOverlap, sign_accuracy_metric

    logits = np.array([-2.0, 0.5, -0.1, 3.0], dtype="float32")  # > 0 means "negative": PRED
    overlap = SignOverlap()
    overlap.update_state(TRUE[:2], logits[:2], sample_weight=WEIGHTS[:2])
    overlap.update_state(TRUE[2:], logits[2:], sample_weight=WEIGHTS[2:])  # accumulates over batches
    assert float(overlap.result()) == pytest.approx(0.4, abs=1e-6)
    overlap.reset_state()
    overlap.update_state(TRUE, logits)
    assert float(overlap.result()) == pytest.approx(0.0, abs=1e-6)
    accuracy = sign_accuracy_metric()
    accuracy.update_state(TRUE.reshape(-1, 1), logits.reshape(-1, 1), sample_weight=WEIGHTS)
    assert float(accuracy.result()) == pytest.approx(0.7, abs=1e-6)
