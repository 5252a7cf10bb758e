"""Architecture configs: one frozen dataclass describes every zoo model (no code per model)."""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

from keras_imnn.lattices import LATTICES

ARCHES = ("cnn", "inv", "dense")
INVARIANCES = ("orbit", "tied")
ORBIT_TRAININGS = ("exact", "sample")  # as keras_imnn.layers.symmetry's (this module stays Keras-free)
# What the last dense layer's outputs become: as they are, or ordered band edges (layers.BandEdges).
HEADS = ("linear", "band_edges")
# The fields only the dense head depends on: a headless model (``include_top=False``) ignores them.
HEAD_FIELDS = frozenset({"head_units", "outputs", "head"})


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to build a zoo model.

    Attributes:
        arch: "cnn" (zero padding, pooled downsampling, flatten, dense — the standard approach),
            "inv" (periodic convs, no downsampling, point-group invariance, global pooling) or
            "dense" (flatten + hidden dense layers).
        input_shape: ``(H, W, 1)``; ``None`` spatial dims make "inv" models size-agnostic.
        outputs: size of the last (linear) dense layer.
        filters, kernel_size, dilations: the conv stack (one conv per dilation).
        group: point group "d4", "c4", "d2", "c2" or None (for "inv" models), or a lattice name of
            ``keras_imnn.lattices.LATTICES`` (e.g. "kagome"): the orbit average over that lattice's point group
            acting on the sites of an ``(L1, L2, k)`` input (``layers.LatticeAverage``; fixed L1, L2). "d4" and
            "c4" need a square input, except for a size-agnostic (``input_shape`` ``(None, None, C)``) "orbit"
            model, which then averages a rectangle over D2 and the rotations that map it onto its 90°-rotated
            copy: its output on an Lx×Ly lattice equals that on the rotated Ly×Lx one
            (``builders.needs_square_input``).
        invariance: "orbit" (average over the group orbit, |G|× cost) or "tied" (symmetric kernels).
        orbit_training: how an "orbit" model trains: "exact" (the orbit average, |G| passes) or "sample"
            (one random group element per example and step, 1 pass); inference is the exact average either way.
        residual, normalization: options of the dilated block.
        pooling: invariant pooling modes ("mean", "max").
        head_units: hidden dense layers before the output layer.
        head: "linear" (the output layer's values) or "band_edges" (``BandEdges``: consistent band edges
            by construction, in the layout of ``keras_imnn.tasks.photonic_edges``; outputs a multiple of 4).
        input_scale, input_offset: the model normalizes raw inputs as ``x·scale + offset``.
        augment: None, or a point group: during training only, each sample is mapped by a random
            element of it and a random periodic shift (for the non-invariant baselines); or a lattice name: a
            random symmetry of that lattice (``layers.RandomLatticePermutation``).
    """

    arch: str
    input_shape: tuple[int | None, int | None, int]
    outputs: int = 1
    filters: int = 32
    kernel_size: int = 3
    dilations: tuple[int, ...] = (1, 1, 1)
    group: str | None = "d4"
    invariance: str = "orbit"
    orbit_training: str = "exact"
    residual: bool = False
    normalization: str | None = None
    pooling: tuple[str, ...] = ("mean",)
    head_units: tuple[int, ...] = ()
    head: str = "linear"
    input_scale: float = 1.0
    input_offset: float = 0.0
    augment: str | None = None

    def __post_init__(self) -> None:
        if self.arch not in ARCHES:
            raise ValueError(f"arch must be one of {ARCHES}; got {self.arch!r}")
        if self.invariance not in INVARIANCES:
            raise ValueError(f"invariance must be one of {INVARIANCES}; got {self.invariance!r}")
        if self.orbit_training not in ORBIT_TRAININGS:
            raise ValueError(f"orbit_training must be one of {ORBIT_TRAININGS}; got {self.orbit_training!r}")
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}; got {self.head!r}")
        if len(self.input_shape) != 3 or not all(
                (s is None and i < 2) or (isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1)
                for i, s in enumerate(self.input_shape)):
            raise ValueError(f"input_shape must be (H, W, C): sizes >= 1 (H and W may be None); "
                             f"got {self.input_shape!r}")
        if not isinstance(self.outputs, int) or self.outputs < 1:
            raise ValueError(f"outputs must be a positive int; got {self.outputs!r}")
        if self.head == "band_edges" and self.outputs % 4:
            raise ValueError(f"a band_edges head needs outputs = 2 polarizations × bands × (min, max), a multiple "
                             f"of 4; got {self.outputs!r}")
        for option in ("group", "augment"):
            lattice = LATTICES.get(getattr(self, option))
            if lattice is not None:
                self._check_lattice_input(option, lattice.name, lattice.sites_per_cell)
        if self.arch != "inv" and None in self.input_shape[:2]:
            raise ValueError(f"a {self.arch!r} model flattens its input and needs a fixed input_shape; "
                             f"got {self.input_shape!r}")

    def _check_lattice_input(self, option: str, lattice: str, sites_per_cell: int) -> None:
        """A lattice's symmetries act on a fixed ``(L1, L2, k)`` input, one channel per site of a cell; its point
        group is averaged over exactly ("orbit", "exact")."""
        if None in self.input_shape[:2] or self.input_shape[2] != sites_per_cell:
            raise ValueError(f"{option}={lattice!r} needs input_shape (L1, L2, {sites_per_cell}) with L1, L2 fixed "
                             f"(one channel per site of a {lattice} cell); got {self.input_shape!r}")
        if option == "group" and (self.invariance, self.orbit_training) != ("orbit", "exact"):
            raise ValueError(f"group={lattice!r} averages over the lattice's point group exactly: it needs "
                             f"invariance 'orbit' and orbit_training 'exact'; got {self.invariance!r}, "
                             f"{self.orbit_training!r}")

    def replace(self, **overrides: Any) -> ModelConfig:
        """A copy with ``overrides``; unknown names raise a ValueError listing the accepted ones."""
        fields = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(f"unknown model option(s) {unknown}; accepted: {sorted(fields)}")
        for key in ("input_shape", "dilations", "pooling", "head_units"):
            if key in overrides and overrides[key] is not None:
                overrides[key] = tuple(overrides[key])
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
