"""Point groups of the square and rectangular lattice, and two ways to be exactly invariant.

A group element acts on the two spatial axes of a ``(batch, H, W, C)`` tensor (or of a
``(kh, kw, c_in, c_out)`` kernel) as "transpose first (optional), then flip rows and/or columns".
Pixel index i maps to n − 1 − i under a flip: a reflection about the cell centre, which together
with the periodic shifts generates the lattice's full symmetry group.

The two constructions (see ``GroupAverage`` and ``SymmetricPeriodicConv2D``):

==================  ===========================  =============================================
construction        cost                         expressive power
==================  ===========================  =============================================
orbit averaging     |G| forward passes (8× for   any trunk; the invariant function is the
(``GroupAverage``)  D4), same parameter count    group average of an unconstrained network
tied kernels        one pass, parameters shrink  every kernel is itself G-symmetric (D4, 3×3:
(``Symmetric...``)  (3 free taps of 9 for D4)    centre/edge/corner taps only), so features are
                                                 G-scalars: cannot sense orientation in between
==================  ===========================  =============================================
"""
from __future__ import annotations

from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops


class GroupElement(NamedTuple):
    """Transpose the two spatial axes (if ``transpose``), then flip rows / columns."""

    transpose: bool
    flip_rows: bool
    flip_cols: bool

    def inverse(self) -> GroupElement:
        # Undoing "transpose, then flip" is "flip, then transpose" = "transpose, then swapped flips".
        if self.transpose:
            return GroupElement(True, self.flip_cols, self.flip_rows)
        return self


_E, _T = False, True
GROUPS: dict[str, tuple[GroupElement, ...]] = {
    "trivial": (GroupElement(_E, _E, _E),),
    # rotation by 180°
    "c2": (GroupElement(_E, _E, _E), GroupElement(_E, _T, _T)),
    # mirrors along both axes and their product (the rectangular lattice's point group)
    "d2": tuple(GroupElement(_E, r, c) for r in (_E, _T) for c in (_E, _T)),
    # 0°, 90°, 180°, 270° (np.rot90 is transpose-then-flip-rows)
    "c4": (
        GroupElement(_E, _E, _E),
        GroupElement(_T, _T, _E),
        GroupElement(_E, _T, _T),
        GroupElement(_T, _E, _T),
    ),
    "d4": tuple(GroupElement(t, r, c) for t in (_E, _T) for r in (_E, _T) for c in (_E, _T)),
}
SQUARE_ONLY = frozenset({"c4", "d4"})


def normalize_group(group: str | None) -> str:
    """Canonical group name; ``None`` means the trivial group."""
    name = "trivial" if group is None else str(group).lower()
    if name not in GROUPS:
        raise ValueError(f"unknown symmetry group {group!r}; accepted: {sorted(GROUPS)} or None")
    return name


def group_elements(group: str | None) -> tuple[GroupElement, ...]:
    """The elements of ``group`` ("d4", "c4", "d2", "c2", "trivial"/None), identity first."""
    return GROUPS[normalize_group(group)]


def check_group_fits(group: str, height: int | None, width: int | None, where: str) -> None:
    """D4 and C4 map the lattice to itself only if it is square."""
    if group in SQUARE_ONLY and height is not None and width is not None and height != width:
        raise ValueError(
            f"{where}: group {group!r} needs a square input (H == W) but got H={height}, W={width}; "
            f"use 'd2' or 'c2' for rectangular lattices."
        )


def apply_element(x: Any, g: GroupElement, axes: tuple[int, int] = (1, 2)) -> Any:
    """Apply ``g`` to the two spatial ``axes`` of ``x`` (default: those of (batch, H, W, C))."""
    if g.transpose:
        perm = list(range(len(x.shape)))
        perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
        x = ops.transpose(x, perm)
    if g.flip_rows:
        x = ops.flip(x, axis=axes[0])
    if g.flip_cols:
        x = ops.flip(x, axis=axes[1])
    return x


def symmetrize_kernel(kernel: Any, group: str | None) -> Any:
    """Average a ``(kh, kw, c_in, c_out)`` kernel over the group orbit → a G-symmetric kernel."""
    elements = group_elements(group)
    total = apply_element(kernel, elements[0], (0, 1))
    for g in elements[1:]:
        total = ops.add(total, apply_element(kernel, g, (0, 1)))
    return ops.divide(total, len(elements))


def orbit_is_translations(x: np.ndarray, group: str | None) -> bool:
    """True if, for every sample of ``x`` (N, H, W, C), each group image equals a periodic shift.

    Then a shift-invariant trunk gives the same output on every orbit element, so orbit averaging
    is the identity on ``x`` and a trivial-group model computes the same function at 1/|G| cost.
    Exact (array equality after the best circular shift, found by FFT cross-correlation).
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, H, W, C); got shape {x.shape}")
    spectrum = np.fft.rfft2(x, axes=(1, 2))
    for g in group_elements(group)[1:]:
        if g.transpose and x.shape[1] != x.shape[2]:
            return False
        gx = np.asarray(apply_element(x, g))  # numpy in, numpy out: keras.ops run eagerly
        corr = np.fft.irfft2(spectrum * np.conj(np.fft.rfft2(gx, axes=(1, 2))), s=x.shape[1:3],
                             axes=(1, 2)).sum(axis=-1)
        best = corr.reshape(len(x), -1).argmax(axis=1)
        for sample, shift in zip(range(len(x)), best):
            dy, dx = np.unravel_index(shift, x.shape[1:3])
            if not np.array_equal(np.roll(gx[sample], (dy, dx), axis=(0, 1)), x[sample]):
                return False
    return True


@keras.saving.register_keras_serializable(package="keras_imnn")
class GroupAverage(keras.layers.Wrapper):
    """Exact invariance by averaging a wrapped layer over the group orbit of its input.

    ``y = (1/|G|) Σ_g f(g·x)`` for ``invariant`` wrapped layers whose output has no spatial axes
    (e.g. a trunk ending in global pooling), or ``y = (1/|G|) Σ_g g⁻¹·f(g·x)`` with
    ``equivariant=True`` for a wrapped layer that returns ``(batch, H, W, C)`` maps.

    The |G| transformed copies run as one batch of size |G|·batch (cost: |G| forward passes).

    Args:
        layer: the wrapped Keras layer or model, input ``(batch, H, W, C)``.
        group: "d4", "c4" (square inputs only), "d2", "c2", or None.
        equivariant: map outputs back with g⁻¹ before averaging (spatial outputs).
    """

    def __init__(self, layer: keras.layers.Layer, group: str | None = "d4", equivariant: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        self.group = normalize_group(group)
        self.equivariant = bool(equivariant)

    def build(self, input_shape: tuple) -> None:
        from keras_imnn.layers.validation import check_spatial_input

        check_spatial_input(input_shape, self.name)
        check_group_fits(self.group, input_shape[1], input_shape[2], self.name)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        check_group_fits(self.group, inputs.shape[1], inputs.shape[2], self.name)
        elements = group_elements(self.group)
        batch = ops.shape(inputs)[0]
        stacked = ops.concatenate([apply_element(inputs, g) for g in elements], axis=0)
        outputs = self.layer(stacked, training=training)
        parts = [outputs[i * batch : (i + 1) * batch] for i in range(len(elements))]
        if self.equivariant:
            parts = [apply_element(p, g.inverse()) for p, g in zip(parts, elements)]
        return ops.mean(ops.stack(parts), axis=0)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "group": self.group, "equivariant": self.equivariant}
