"""The search space: stacks of periodic convolutions, as keras-tuner hyperparameters ↔ ModelConfig overrides."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import keras_tuner as kt

# The fields a trial sets; everything else (group, head, normalization, ...) comes from the base model.
SEARCHED_FIELDS = ("dilations", "filters", "kernel_size", "residual")


def jsonable(overrides: dict[str, Any]) -> dict[str, Any]:
    """``ModelConfig`` overrides as JSON reads them back (tuples → lists), so the two compare equal."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()}


def searched(config: Any) -> dict[str, Any]:
    """The searched fields of a ``ModelConfig``, as a trial's overrides (JSON types)."""
    return jsonable({name: getattr(config, name) for name in SEARCHED_FIELDS})


def largest_distinct_dilation(height: int, width: int) -> int:
    """Dilations above ``lcm(H, W) // 2`` alias smaller ones on an H×W torus.

    A centred odd kernel has taps at ``{−j·d, …, j·d}``; modulo H and W the taps of ``d`` and of
    ``lcm(H, W) − d`` coincide, so the two periodic convolutions span the same functions.
    """
    return max(1, math.lcm(height, width) // 2)


def distinct_dilations(height: int, width: int, max_dilation: int) -> tuple[int, ...]:
    """The smallest dilation in 1 … ``max_dilation`` of each class that convolves differently on an H×W torus.

    Along an axis of n sites a dilation d puts the kernel's taps at multiples of ``d mod n``, and
    ``−d mod n`` puts them there mirrored; the kernel is learned, so mirroring along either axis
    alone spans the same functions. On 6×4, d = 5 is d = 1 (−1 mod 6, 1 mod 4), which the
    ``lcm`` bound does not catch; on 32×32 every d ≤ 16 is distinct.
    """
    first: dict[tuple[int, int], int] = {}
    for d in range(1, max_dilation + 1):
        first.setdefault((min(d % height, -d % height), min(d % width, -d % width)), d)
    return tuple(sorted(first.values()))


@dataclass(frozen=True)
class SearchSpace:
    """Number of periodic conv layers, one dilation per layer, width, kernel size, residual on/off.

    Attributes:
        max_layers: the stack has 1 … ``max_layers`` convolutions.
        max_dilation: each layer's dilation is an integer in 1 … ``max_dilation``.
        widths: channel counts to choose from (the same for every layer).
        kernel_sizes: odd kernel sizes to choose from.
        lattice: the input's (H, W): bounds ``max_dilation`` by ``lcm(H, W) // 2`` and keeps one
            dilation per class that convolves differently (``distinct_dilations``); None: all of
            1 … ``max_dilation``.
    """

    max_layers: int = 4
    max_dilation: int = 8
    widths: tuple[int, ...] = (16, 32)
    kernel_sizes: tuple[int, ...] = (3, 5)
    lattice: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name in ("max_layers", "max_dilation"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1; got {value!r}")
        object.__setattr__(self, "widths", _positive_ints(self.widths, "widths"))
        object.__setattr__(self, "kernel_sizes", _positive_ints(self.kernel_sizes, "kernel_sizes"))
        if any(k % 2 == 0 for k in self.kernel_sizes):
            raise ValueError(f"kernel_sizes must be odd (a centred periodic kernel); got {self.kernel_sizes}")
        if self.lattice is not None:
            height, width = (int(n) for n in self.lattice)
            object.__setattr__(self, "lattice", (height, width))
            bound = largest_distinct_dilation(height, width)
            if self.max_dilation > bound:
                raise ValueError(
                    f"max_dilation={self.max_dilation} exceeds {bound} = lcm({height}, {width}) // 2: on a "
                    f"periodic {height}×{width} input, dilation d and lcm − d give the same convolution; "
                    f"use max_dilation <= {bound}")

    @property
    def dilation_choices(self) -> tuple[int, ...]:
        """The dilations a layer may take."""
        if self.lattice is None:
            return tuple(range(1, self.max_dilation + 1))
        return distinct_dilations(*self.lattice, self.max_dilation)

    def hyperparameters(self) -> kt.HyperParameters:
        """The keras-tuner space; ``dilation_i`` is active only when the stack has more than i layers,
        so stacks that differ only in unused dilations are one configuration (not re-tried)."""
        hp = kt.HyperParameters()
        hp.Int("num_layers", 1, self.max_layers, default=min(3, self.max_layers))
        choices = list(self.dilation_choices)
        for i in range(self.max_layers):
            with hp.conditional_scope("num_layers", list(range(i + 1, self.max_layers + 1))):
                hp.Choice(f"dilation_{i}", choices, default=choices[min(i, len(choices) - 1)])
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

    def values(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """``ModelConfig`` overrides → the trial's active hyperparameter values (inverse of ``overrides``)."""
        if not self.contains(overrides):
            raise ValueError(f"{overrides} is not a point of the search space {self.to_dict()}")
        dilations = [int(d) for d in overrides["dilations"]]
        return {"num_layers": len(dilations), **{f"dilation_{i}": d for i, d in enumerate(dilations)},
                "filters": int(overrides["filters"]), "kernel_size": int(overrides["kernel_size"]),
                "residual": bool(overrides["residual"])}

    def contains(self, overrides: dict[str, Any]) -> bool:
        """Whether ``overrides`` (as made by ``overrides``) is a point of this space."""
        d, choices = overrides["dilations"], self.dilation_choices
        return (1 <= len(d) <= self.max_layers and all(x in choices for x in d)
                and overrides["filters"] in self.widths and overrides["kernel_size"] in self.kernel_sizes
                and isinstance(overrides["residual"], bool))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _positive_ints(values: Sequence[int], name: str) -> tuple[int, ...]:
    values = tuple(values)
    if not values or any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in values):
        raise ValueError(f"{name} must be a non-empty list of positive ints; got {values!r}")
    return tuple(sorted(set(values)))
