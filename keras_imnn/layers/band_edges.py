"""Band edges that are physically consistent by construction (the band-edge models' output map), and the
relative error they train on."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="keras_imnn")
class BandEdges(keras.layers.Layer):
    """Free values ``(batch, P·n·2)`` → ordered band edges ``(batch, P·n·2)``, in the same layout:
    per polarization p, [b1 min, b1 max, b2 min, …, bn max] (``reshape(batch, P, n, 2)``).

    Per polarization, with ``s(z) = scale·softplus(z) ≥ 0``, the free pair of band b is ``(a_b, w_b)``::

        min_1 = s(a_1)                        max_1 = min_1 + s(w_1)
        min_{b+1} = min_b + s(a_{b+1})        max_{b+1} = max(max_b, min_{b+1}) + s(w_{b+1})

    Why the order holds: every ``s`` is ≥ 0, so min_1 ≥ 0, min_{b+1} ≥ min_b, max_1 ≥ min_1, and
    max_{b+1} is at least both max_b and min_{b+1}. It holds in floating point too, not only in exact
    arithmetic: rounding is monotone, so ``fl(x + y) ≥ x`` for ``y ≥ 0`` and ``fl(max(x, y)) ≥ x, y``.
    Hence every gap max(0, min_{b+1} − max_b) and midgap is well defined for any weights and any
    finite input (±inf saturates: softplus(−inf) = 0; a NaN stays NaN). Unlike clipping max_{b+1} to
    max_b, each w_b always gets a gradient; bands that overlap (no gap) share a top via max(·).

    Args:
        polarizations: P, the number of independent orderings (2: TM, then TE).
        scale: the frequency unit of one softplus step; 0.1 puts an untrained model's edges
            (≈ 0.07·b) in the range of ωa/2πc of bands 1–8.

    Weightless: saving it adds no variables.
    """

    def __init__(self, polarizations: int = 2, scale: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(polarizations, int) or polarizations < 1:
            raise ValueError(f"polarizations must be a positive int; got {polarizations!r}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0; got {scale!r}")
        self.polarizations = polarizations
        self.scale = float(scale)

    def build(self, input_shape: tuple) -> None:
        width = input_shape[-1]
        if len(input_shape) != 2 or width is None or width % (2 * self.polarizations):
            raise ValueError(f"{self.name} expects inputs (batch, k) with k a multiple of "
                             f"{2 * self.polarizations} (polarizations × bands × min/max); got {tuple(input_shape)}")

    def call(self, inputs: Any) -> Any:
        n_bands = inputs.shape[-1] // (2 * self.polarizations)
        z = ops.reshape(inputs, (-1, self.polarizations, n_bands, 2))
        step = self.scale * ops.softplus(z)
        # A loop, not ops.cumsum: a parallel scan may sum in another order, and the floating-point
        # guarantee above needs each edge computed from the one before it.
        mins, maxes = [step[..., 0, 0]], [step[..., 0, 0] + step[..., 0, 1]]
        for b in range(1, n_bands):
            mins.append(mins[-1] + step[..., b, 0])
            maxes.append(ops.maximum(maxes[-1], mins[-1]) + step[..., b, 1])
        edges = ops.stack([ops.stack(mins, axis=-1), ops.stack(maxes, axis=-1)], axis=-1)
        return ops.reshape(edges, (-1, self.polarizations * n_bands * 2))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "polarizations": self.polarizations, "scale": self.scale}


@keras.saving.register_keras_serializable(package="keras_imnn")
class RelativeAbsoluteError(keras.losses.Loss):
    """Mean of ``|y_pred − y_true| / (|y_true| + floor)``: the relative error band edges are judged by, kept
    finite where an edge is 0 (band 1 starts at ω = 0 at Γ), where it weighs as an edge of ``floor``.
    ``weights`` ``(k,)``: a weighted mean over the k outputs instead (say, the edges of one gap weigh most)."""

    def __init__(self, floor: float = 0.01, weights: Sequence[float] | None = None,
                 name: str = "relative_absolute_error", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.floor = float(floor)
        if weights is not None and (np.ndim(weights) != 1 or not np.all(np.isfinite(weights))
                                    or np.any(np.asarray(weights) < 0) or not np.sum(weights) > 0):
            raise ValueError(f"weights must be one finite non-negative weight per output, not all 0; got {weights!r}")
        self.weights = None if weights is None else [float(w) for w in weights]

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true = ops.cast(y_true, y_pred.dtype)
        relative = ops.abs(y_pred - y_true) / (ops.abs(y_true) + self.floor)
        if self.weights is None:
            return ops.mean(relative, axis=-1)
        weights = ops.convert_to_tensor(np.asarray(self.weights) / np.sum(self.weights), y_pred.dtype)
        return ops.sum(relative * weights, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "floor": self.floor, "weights": self.weights}
