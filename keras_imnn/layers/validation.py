"""Input checks: layers refuse shapes they cannot mean, with one line that says what they accept."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops


def check_spatial_input(input_shape: tuple, layer_name: str, channels: int | None = None) -> None:
    """Require a 4-D ``(batch, H, W, C)`` channels-last shape (and ``C == channels`` if given)."""
    if len(input_shape) != 4:
        raise ValueError(
            f"{layer_name} expects inputs of shape (batch, H, W, C) (rank 4, channels last); "
            f"got shape {tuple(input_shape)} (rank {len(input_shape)})."
        )
    if channels is not None and input_shape[-1] is not None and input_shape[-1] != channels:
        raise ValueError(
            f"{layer_name} expects {channels} input channel(s); got shape {tuple(input_shape)} "
            f"with {input_shape[-1]} channels."
        )


def describe_input(shape: Sequence[int | None], square: bool = False) -> str:
    """``(batch, 32, 32, 1)``, ``(batch, H, W, 1)`` or ``(batch, H, H, 1)`` (square lattices only)."""
    h, w, c = shape
    h = "H" if h is None else h
    w = ("H" if square else "W") if w is None else w
    return f"(batch, {h}, {w}, {c})"


def check_model_input(input_shape: Sequence[int | None], expected: Sequence[int | None], square: bool,
                      model_name: str) -> None:
    """One ValueError naming what ``model_name`` accepts, unless ``input_shape`` fits ``expected`` (H, W, C).

    A dimension the model fixes but ``input_shape`` leaves unknown is refused too: TensorFlow traces with
    unknown dimensions after inputs of another shape (``reduce_retracing``), and the convolutions would then
    fold extra channels into the batch instead of failing.
    """
    shape = tuple(input_shape)
    fits = len(shape) == 4 and all(e is None or e == s for e, s in zip(expected, shape[1:]))
    if fits and square and None not in shape[1:3]:
        fits = shape[1] == shape[2]
    if not fits:
        unknown = " (None: unknown when traced; give the data a static shape)" if None in shape[1:] else ""
        error = ValueError(f"{model_name} expects inputs of shape {describe_input(expected, square)}; "
                           f"got {shape}{unknown}")
        error._keras_call_info_injected = True  # the line says it all: Keras would wrap it in the call's arguments
        raise error


@keras.saving.register_keras_serializable(package="keras_imnn")
class CheckedRescaling(keras.layers.Rescaling):
    """``x·scale + offset`` on inputs the model can mean: ``(batch, *shape)``, square if ``square``.

    The first layer of every zoo model. It subclasses ``Rescaling`` so that it stays a pointwise map for
    code that looks for one (the trivial-group twin), and has no weights, so checkpoints saved without
    it load unchanged.

    Args:
        scale, offset: as in ``keras.layers.Rescaling``.
        shape: ``(H, W, C)`` accepted; ``None`` for any size.
        square: require ``H == W`` (models averaged over D4 or C4).
        model_name: the name the error message gives.
    """

    def __init__(self, scale: float, offset: float = 0.0, shape: Sequence[int | None] = (None, None, 1),
                 square: bool = False, model_name: str = "the model", **kwargs: Any) -> None:
        super().__init__(scale, offset, **kwargs)
        self.shape = tuple(shape)
        self.square = bool(square)
        self.model_name = model_name

    def build(self, input_shape: tuple) -> None:
        check_model_input(input_shape, self.shape, self.square, self.model_name)
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        check_model_input(inputs.shape, self.shape, self.square, self.model_name)
        if self.square and None in tuple(inputs.shape)[1:3] and keras.backend.backend() == "tensorflow":
            inputs = _assert_square(inputs, f"{self.model_name} expects inputs of shape "
                                            f"{describe_input(self.shape, True)}")
        return super().call(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "shape": list(self.shape), "square": self.square,
                "model_name": self.model_name}


def _assert_square(x: Any, message: str) -> Any:
    # Only TensorFlow traces with unknown H, W (JAX and torch always see the concrete shape), and keras.ops
    # has no assertion: check the sizes when the graph runs.
    import tensorflow as tf

    with tf.control_dependencies([tf.debugging.assert_equal(tf.shape(x)[1], tf.shape(x)[2], message=message)]):
        return tf.identity(x)


@keras.saving.register_keras_serializable(package="keras_imnn")
class NonFiniteToNaN(keras.layers.Layer):
    """``[inputs, outputs]`` → ``outputs``, with NaN rows for samples whose inputs hold a NaN or ±inf.

    Global max pooling and ReLU can turn a non-finite input into a finite prediction; this makes a bad
    sample's prediction NaN instead, leaving the other samples' unchanged. Weightless.
    """

    def call(self, inputs: Sequence[Any]) -> Any:
        x, y = inputs
        x = ops.reshape(ops.cast(x, y.dtype), (ops.shape(x)[0], -1))
        finite = ops.all(ops.isfinite(x), axis=1, keepdims=True)
        return ops.where(finite, y, ops.full_like(y, float("nan")))

    def compute_output_shape(self, input_shape: Sequence[tuple]) -> tuple:
        return input_shape[1]
