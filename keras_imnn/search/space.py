"""The search space: stacks of periodic convolutions, as keras-tuner hyperparameters ↔ ModelConfig overrides."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import keras_tuner as kt

# The fields a trial sets; everything else (group, head, normalization, ...) comes from the base model.
SEARCHED_FIELDS = ("dilations", "filters", "kernel_size", "residual")


def largest_distinct_dilation(height: int, width: int) -> int:
    """Dilations above ``lcm(H, W) // 2`` alias smaller ones on an H×W torus.

    A centred odd kernel has taps at ``{−j·d, …, j·d}``; modulo H and W the taps of ``d`` and of
    ``lcm(H, W) − d`` coincide, so the two periodic convolutions span the same functions.
    """
    return max(1, math.lcm(height, width) // 2)


@dataclass(frozen=True)
class SearchSpace:
    """Number of periodic conv layers, one dilation per layer, width, kernel size, residual on/off.

    Attributes:
        max_layers: the stack has 1 … ``max_layers`` convolutions.
        max_dilation: each layer's dilation is an integer in 1 … ``max_dilation``.
        widths: channel counts to choose from (the same for every layer).
        kernel_sizes: odd kernel sizes to choose from.
    """

    max_layers: int = 4
    max_dilation: int = 8
    widths: tuple[int, ...] = (16, 32)
    kernel_sizes: tuple[int, ...] = (3, 5)

    def __post_init__(self) -> None:
        for name in ("max_layers", "max_dilation"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1; got {value!r}")
        object.__setattr__(self, "widths", _positive_ints(self.widths, "widths"))
        object.__setattr__(self, "kernel_sizes", _positive_ints(self.kernel_sizes, "kernel_sizes"))
        if any(k % 2 == 0 for k in self.kernel_sizes):
            raise ValueError(f"kernel_sizes must be odd (a centred periodic kernel); got {self.kernel_sizes}")

    def check_input(self, height: int, width: int) -> None:
        """Refuse dilations that only alias smaller ones on an ``height × width`` input."""
        bound = largest_distinct_dilation(height, width)
        if self.max_dilation > bound:
            raise ValueError(
                f"max_dilation={self.max_dilation} exceeds {bound} = lcm({height}, {width}) // 2: on a "
                f"periodic {height}×{width} input, dilation d and lcm − d give the same convolution; "
                f"use max_dilation <= {bound}")

    def hyperparameters(self) -> kt.HyperParameters:
        """The keras-tuner space; ``dilation_i`` is active only when the stack has more than i layers,
        so stacks that differ only in unused dilations are one configuration (not re-tried)."""
        hp = kt.HyperParameters()
        hp.Int("num_layers", 1, self.max_layers, default=min(3, self.max_layers))
        for i in range(self.max_layers):
            with hp.conditional_scope("num_layers", list(range(i + 1, self.max_layers + 1))):
                hp.Int(f"dilation_{i}", 1, self.max_dilation, default=min(i + 1, self.max_dilation))
        hp.Choice("filters", list(self.widths), default=self.widths[0])
        hp.Choice("kernel_size", list(self.kernel_sizes), default=self.kernel_sizes[0])
        hp.Boolean("residual", default=False)
        return hp

    def overrides(self, values: dict[str, Any]) -> dict[str, Any]:
        """A trial's hyperparameter values → ``ModelConfig`` overrides (``SEARCHED_FIELDS``)."""
        n = int(values["num_layers"])
        return {"dilations": [int(values[f"dilation_{i}"]) for i in range(n)],
                "filters": int(values["filters"]), "kernel_size": int(values["kernel_size"]),
                "residual": bool(values["residual"])}

    def contains(self, overrides: dict[str, Any]) -> bool:
        """Whether ``overrides`` (as made by ``overrides``) is a point of this space."""
        d = overrides["dilations"]
        return (1 <= len(d) <= self.max_layers and all(1 <= x <= self.max_dilation for x in d)
                and overrides["filters"] in self.widths and overrides["kernel_size"] in self.kernel_sizes
                and isinstance(overrides["residual"], bool))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _positive_ints(values: Sequence[int], name: str) -> tuple[int, ...]:
    values = tuple(values)
    if not values or any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in values):
        raise ValueError(f"{name} must be a non-empty list of positive ints; got {values!r}")
    return tuple(sorted(set(values)))
