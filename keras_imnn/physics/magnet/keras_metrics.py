"""Keras metrics for sign prediction. Models output one logit for "negative" (label 1).

This is the only magnet module that imports Keras. Pass |psi|^2 as ``sample_weight`` to get
the physics overlap; without weights ``SignOverlap`` is 2 * accuracy - 1.
"""
from __future__ import annotations

import keras
from keras import ops


def sign_accuracy_metric(name: str = "sign_accuracy") -> keras.metrics.Metric:
    """Accuracy of ``logit > 0`` against 0/1 sign labels."""
    return keras.metrics.BinaryAccuracy(name=name, threshold=0.0)


@keras.saving.register_keras_serializable(package="keras_imnn")
class SignOverlap(keras.metrics.Metric):
    """Sum w * sgn_true * sgn_pred / sum w, with sgn = +1 for label 0 and -1 for label 1 and the
    predicted label ``logit > 0``. Inputs: ``y_true`` (batch,) or (batch, 1) 0/1, ``y_pred``
    logits of the same shape, ``sample_weight`` (batch,) e.g. |psi|^2."""

    def __init__(self, name: str = "sign_overlap", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.norm = self.add_variable(shape=(), initializer="zeros", name="norm")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true = ops.reshape(ops.cast(y_true, self.dtype), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred, self.dtype), (-1,))
        agree = 1.0 - 2.0 * ops.abs(y_true - ops.cast(y_pred > 0, self.dtype))
        if sample_weight is None:
            weight = ops.ones_like(agree)
        else:
            weight = ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
        self.total.assign_add(ops.sum(weight * agree))
        self.norm.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.total, self.norm)

    def reset_state(self) -> None:
        self.total.assign(0.0)
        self.norm.assign(0.0)
