"""The functional model class of the zoo: Keras' ``Functional`` that also takes ``(batch, H, W)`` arrays
for a one-channel input in every call, not only in the first.

Keras adds the channel axis of a rank-3 input itself, but ``predict`` (and ``evaluate``, ``fit``) trace a
``tf.function`` with ``reduce_retracing``: after a rank-3 and a rank-4 batch it relaxes to an unknown rank,
on which ``Functional`` then fails ("Cannot take the length of shape with unknown rank"). Adding the axis
before Keras sees the array keeps one rank.
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np


def _is_empty(x: Any) -> bool:
    """An array or tensor with no examples (datasets and generators are left to Keras)."""
    shape = getattr(x, "shape", None)
    return shape is not None and len(shape) > 0 and shape[0] == 0


@keras.saving.register_keras_serializable(package="keras_imnn")
class ZooModel(keras.Model):
    """``keras.Model(inputs, outputs)`` whose ``predict``, ``evaluate`` and ``fit`` read a ``(batch, H, W)``
    array or tensor as ``(batch, H, W, 1)`` when the model's input has one channel. Saved and loaded as a
    functional model (``keras.saving.load_model`` gives a ``ZooModel`` back)."""

    def _with_channel(self, x: Any) -> Any:
        shape = self.inputs[0].shape
        rank = getattr(x, "ndim", None)
        if rank is not None and rank not in (len(shape) - 1, len(shape)):  # Keras' own message spans ten lines
            sizes = ", ".join(name if s is None else str(s) for s, name in zip(shape[1:-1], "HW"))
            raise ValueError(f"{self.name} expects inputs of shape (batch, {sizes}) or (batch, {sizes}, "
                             f"{shape[-1]}); got shape {tuple(x.shape)}")
        if shape[-1] != 1 or getattr(x, "ndim", None) != len(shape) - 1:  # datasets, generators, lists: as given
            return x
        return x[..., None] if isinstance(x, np.ndarray) else keras.ops.expand_dims(x, -1)

    def predict(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Keras' ``predict``; an empty batch ``(0, H, W[, 1])`` gives ``(0, outputs)`` (Keras' own loop fails)."""
        if _is_empty(x):
            return np.zeros((0, *self.output_shape[1:]), np.float32)
        return super().predict(self._with_channel(x), *args, **kwargs)

    def evaluate(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Keras' ``evaluate``; an empty batch is one ValueError (no loss is defined on nothing)."""
        if _is_empty(x):
            raise ValueError(f"cannot evaluate {self.name} on 0 examples: x has shape {tuple(x.shape)}; "
                             "give at least one example")
        return super().evaluate(self._with_channel(x), *args, **kwargs)

    def fit(self, x: Any = None, *args: Any, validation_data: Any = None, **kwargs: Any) -> Any:
        if isinstance(validation_data, tuple) and validation_data:
            validation_data = (self._with_channel(validation_data[0]), *validation_data[1:])
        return super().fit(self._with_channel(x), *args, validation_data=validation_data, **kwargs)
