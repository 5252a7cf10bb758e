"""Invariant pooling: reductions over the whole lattice, unchanged by any shift or point-group map."""
from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_imnn.layers.validation import check_spatial_input

_REDUCERS = {"mean": ops.mean, "max": ops.max}


@keras.saving.register_keras_serializable(package="keras_imnn")
class InvariantPooling2D(keras.layers.Layer):
    """Global pooling over H and W: ``(batch, H, W, C)`` → ``(batch, len(modes)·C)``.

    Any permutation of lattice sites (periodic shifts, rotations, reflections) leaves the result
    unchanged, so it turns shift/point-group *equivariant* features into *invariant* ones.

    Args:
        modes: reductions to concatenate, from "mean" and "max" (default: ("mean",)).
    """

    def __init__(self, modes: str | tuple[str, ...] | list[str] = ("mean",), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        modes = (modes,) if isinstance(modes, str) else tuple(modes)
        unknown = [m for m in modes if m not in _REDUCERS]
        if not modes or unknown:
            raise ValueError(f"modes must be a non-empty subset of {sorted(_REDUCERS)}; got {modes!r}")
        self.modes = modes
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape: tuple) -> None:
        check_spatial_input(input_shape, self.name)

    def call(self, inputs: Any) -> Any:
        pooled = [_REDUCERS[m](inputs, axis=(1, 2)) for m in self.modes]
        return pooled[0] if len(pooled) == 1 else ops.concatenate(pooled, axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        c = input_shape[-1]
        return (input_shape[0], None if c is None else c * len(self.modes))

    def get_config(self) -> dict:
        return {**super().get_config(), "modes": list(self.modes)}
