"""Periodic ("circular") padding on a torus."""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from keras_imnn.layers.validation import check_spatial_input

Padding = int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]]


def normalize_padding(padding: Padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """``p`` | ``(ph, pw)`` | ``((top, bottom), (left, right))`` → the last form, validated."""
    if isinstance(padding, int):
        pairs = ((padding, padding), (padding, padding))
    elif len(padding) == 2 and all(isinstance(p, int) for p in padding):
        pairs = ((padding[0], padding[0]), (padding[1], padding[1]))
    elif len(padding) == 2 and all(len(p) == 2 for p in padding):
        pairs = (tuple(padding[0]), tuple(padding[1]))
    else:
        raise ValueError(
            f"padding must be an int, (ph, pw) or ((top, bottom), (left, right)); got {padding!r}"
        )
    flat = [int(p) for pair in pairs for p in pair]
    if any(p < 0 for p in flat):
        raise ValueError(f"padding must be non-negative; got {padding!r}")
    return (flat[0], flat[1]), (flat[2], flat[3])


def periodic_pad(x: Any, padding: tuple[tuple[int, int], tuple[int, int]]) -> Any:
    """Wrap ``x`` (batch, H, W, C) on a torus by ``((top, bottom), (left, right))`` pixels.

    Padding larger than the input tiles it, as the lattice is periodic.
    """
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    _, h, w, c = ops.shape(x)  # Python ints where static, tensors where not
    if isinstance(h, int) and isinstance(w, int):
        rows = np.arange(-top, h + bottom) % h
        cols = np.arange(-left, w + right) % w
        index = (rows[:, None] * w + cols[None, :]).reshape(-1)
    else:
        rows = ops.mod(ops.arange(-top, h + bottom), h)
        cols = ops.mod(ops.arange(-left, w + right), w)
        index = ops.reshape(rows[:, None] * w + cols[None, :], (-1,))
    # One gather over the flattened grid copies the data once (two concats would copy it twice).
    padded = ops.take(ops.reshape(x, (-1, h * w, c)), index, axis=1)
    return ops.reshape(padded, (-1, h + top + bottom, w + left + right, c))


@keras.saving.register_keras_serializable(package="keras_imnn")
class PeriodicPadding2D(keras.layers.Layer):
    """Pads a ``(batch, H, W, C)`` tensor periodically, as if it lived on a torus.

    Args:
        padding: ``p``, ``(ph, pw)`` or ``((top, bottom), (left, right))`` pixels. Any size,
            also larger than the input (the input is then tiled).

    Output shape: ``(batch, H + top + bottom, W + left + right, C)``.
    """

    def __init__(self, padding: Padding = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = normalize_padding(padding)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape: tuple) -> None:
        check_spatial_input(input_shape, self.name)

    def call(self, inputs: Any) -> Any:
        return periodic_pad(inputs, self.padding)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        (top, bottom), (left, right) = self.padding
        b, h, w, c = input_shape
        return (b, None if h is None else h + top + bottom, None if w is None else w + left + right, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding}
