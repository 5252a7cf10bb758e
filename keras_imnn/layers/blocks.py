"""Dilated blocks: stacks of periodic convolutions that see many scales at once."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_imnn.layers.conv import PeriodicConv2D, SymmetricPeriodicConv2D
from keras_imnn.layers.symmetry import normalize_group

NORMALIZATIONS = ("batch", "layer", None)


def receptive_field(kernel_size: int, dilations: Sequence[int]) -> int:
    """Receptive field in pixels of a stack of stride-1 convolutions: 1 + Σ (k − 1)·d."""
    return 1 + sum((kernel_size - 1) * d for d in dilations)


@keras.saving.register_keras_serializable(package="keras_imnn")
class DilatedBlock(keras.layers.Layer):
    """A stack of ``PeriodicConv2D`` layers with the given dilations, e.g. ``[1, 2, 3]``.

    Each step is conv → (normalization) → activation, plus the input when ``residual`` (a 1×1
    periodic projection matches channels where needed). Every step commutes with periodic shifts;
    with ``tied_group`` set, the kernels are G-symmetric and the block commutes with G as well.
    The receptive field is ``1 + Σ (kernel_size − 1)·d`` (``receptive_field``): choose dilations
    so that it covers the unit cell, e.g. ``[1, 2, 4, 8]`` → 31 pixels for kernel 3.

    Args:
        filters: channels of every conv.
        dilations: one dilation per conv layer.
        kernel_size: odd kernel size (default 3).
        activation: Keras activation (default "relu").
        residual: add skip connections.
        normalization: "batch", "layer" (over channels, per pixel) or None.
        tied_group: None for free kernels, or "d4"/"c4"/"d2"/"c2" for symmetric (tied) kernels.

    Input ``(batch, H, W, C)`` → output ``(batch, H, W, filters)``.
    """

    def __init__(
        self,
        filters: int = 32,
        dilations: Sequence[int] = (1, 2, 3),
        kernel_size: int = 3,
        activation: Any = "relu",
        residual: bool = False,
        normalization: str | None = None,
        tied_group: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not dilations or any(not isinstance(d, int) or d < 1 for d in dilations):
            raise ValueError(f"dilations must be a non-empty list of positive ints; got {dilations!r}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}; got {normalization!r}")
        self.filters = filters
        self.dilations = tuple(dilations)
        self.kernel_size = kernel_size
        self.activation = keras.activations.get(activation)
        self.residual = residual
        self.normalization = normalization
        self.tied_group = None if tied_group is None else normalize_group(tied_group)
        self.convs = [self._conv(kernel_size, d, f"conv_d{d}_{i}") for i, d in enumerate(self.dilations)]
        self.norms = [self._norm(i) for i in range(len(self.dilations))] if normalization else []
        self.projection = None

    def _conv(self, kernel_size: int, dilation: int, name: str) -> PeriodicConv2D:
        if self.tied_group is None:
            return PeriodicConv2D(self.filters, kernel_size, dilation_rate=dilation, name=name)
        return SymmetricPeriodicConv2D(self.filters, kernel_size, dilation_rate=dilation,
                                       group=self.tied_group, name=name)

    def _norm(self, i: int) -> keras.layers.Layer:
        if self.normalization == "batch":
            return keras.layers.BatchNormalization(name=f"batch_norm_{i}")
        return keras.layers.LayerNormalization(axis=-1, name=f"layer_norm_{i}")

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.kernel_size, self.dilations)

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        if self.residual and shape[-1] != self.filters:
            self.projection = self._conv(1, 1, "projection")
            self.projection.build(shape)
        for i, conv in enumerate(self.convs):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            if self.norms:
                self.norms[i].build(shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = inputs
        for i, conv in enumerate(self.convs):
            y = conv(x)
            if self.norms:
                y = self.norms[i](y, training=training)
            y = self.activation(y)
            if self.residual:
                skip = self.projection(x) if (i == 0 and self.projection is not None) else x
                y = y + skip
            x = y
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "dilations": list(self.dilations),
            "kernel_size": self.kernel_size,
            "activation": keras.activations.serialize(self.activation),
            "residual": self.residual,
            "normalization": self.normalization,
            "tied_group": self.tied_group,
        }
