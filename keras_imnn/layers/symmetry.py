"""The lattice point groups on tensors, and two ways to be exactly invariant.

The groups (:mod:`keras_imnn.groups`, numpy data shared with the physics) act on the two spatial
axes of a ``(batch, H, W, C)`` tensor (or of a ``(kh, kw, c_in, c_out)`` kernel) as "transpose
first (optional), then flip rows and/or columns": with the periodic shifts they generate the
lattice's full symmetry group.

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

from typing import Any

import keras
from keras import ops

# Re-exported: the layers and models import the group data from here.
from keras_imnn.groups import (
    GROUPS,
    SQUARE_ONLY,
    GroupElement,
    check_group_fits,
    group_elements,
    normalize_group,
    orbit_is_translations,
    transform,
)

__all__ = ["GROUPS", "SQUARE_ONLY", "GroupAverage", "GroupElement", "apply_element", "check_group_fits",
           "group_elements", "normalize_group", "orbit_is_translations", "symmetrize_kernel"]


def apply_element(x: Any, g: GroupElement, axes: tuple[int, int] = (1, 2)) -> Any:
    """Apply ``g`` to the two spatial ``axes`` of tensor ``x`` (default: those of (batch, H, W, C))."""
    return transform(x, g, axes, xp=ops)


def symmetrize_kernel(kernel: Any, group: str | None) -> Any:
    """Average a ``(kh, kw, c_in, c_out)`` kernel over the group orbit → a G-symmetric kernel."""
    elements = group_elements(group)
    total = apply_element(kernel, elements[0], (0, 1))
    for g in elements[1:]:
        total = ops.add(total, apply_element(kernel, g, (0, 1)))
    return ops.divide(total, len(elements))


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
