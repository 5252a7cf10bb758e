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

``GroupAverage(..., orbit_training="sample")`` trains at the cost of one pass (one random element per
example and step) and stays the exact orbit average at inference.

An invariant ``GroupAverage`` over D4 or C4 also takes rectangles when its trunk is size-agnostic
(periodic convolutions, global pooling): the transposed copies are ``W x H`` and run as a second
batch, so f(x) on an ``H x W`` lattice equals f(rot90 x) on the ``W x H`` one.
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
    transposes,
)

__all__ = ["GROUPS", "SQUARE_ONLY", "ORBIT_TRAININGS", "GroupAverage", "GroupElement", "apply_element",
           "check_group_fits", "group_elements", "normalize_group", "orbit_is_translations", "symmetrize_kernel",
           "transposes"]


# How ``GroupAverage`` trains: on the exact orbit average, or on one random element per example.
ORBIT_TRAININGS = ("exact", "sample")


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

    Rectangles under D4 or C4: an invariant wrapper takes any ``H x W`` input, not only squares. The
    elements that transpose give ``W x H`` copies, which run as a second batch (the same |G| forward
    passes in two calls of the wrapped layer), so the wrapped layer must take both ``H x W`` and
    ``W x H`` inputs: a size-agnostic trunk (periodic convolutions, global pooling) does. Then
    ``f(x)`` on ``H x W`` equals ``f(g·x)`` on ``W x H`` for every transposing g (e.g. ``np.rot90``):
    the two orbits are the same set of arrays. On one rectangular lattice this adds no constraint (a
    transposed copy is no configuration of it); it ties the lattice to its 90°-rotated copy. The
    equivariant mode still needs square inputs for D4 and C4. When H and W are unknown while tracing
    (a size-agnostic model traced with relaxed shapes), the two batches are used too.

    ``orbit_training="sample"`` trains at the cost of one pass: in training (``training=True``) each
    example is mapped by one group element g drawn at random per example and step, and the output is
    ``f(g·x)`` (``g⁻¹·f(g·x)`` if equivariant): an unbiased estimate of the orbit-averaged output, but
    not of its loss (for a convex loss, E_g loss(f(g·x)) ≥ loss(E_g f(g·x))), so training minimizes the
    loss of the trunk under point-group augmentation rather than that of the average. Inference
    (``training`` False or None) stays the exact orbit average, so the model stays exactly invariant;
    the weights are the same in either mode. On rectangles under D4 or C4 a sampled step costs two
    passes of the batch (one untransposed, one transposed; each example keeps the one of its g).

    Args:
        layer: the wrapped Keras layer or model, input ``(batch, H, W, C)``.
        group: "d4", "c4" (square inputs, or any H x W if not equivariant), "d2", "c2", or None.
        equivariant: map outputs back with g⁻¹ before averaging (spatial outputs).
        orbit_training: "exact" (train on the orbit average, |G| passes) or "sample" (one random element
            per example in training, 1 pass; 2 on rectangles under D4 or C4).
        seed: seed of the random elements of ``orbit_training="sample"``.
    """

    def __init__(self, layer: keras.layers.Layer, group: str | None = "d4", equivariant: bool = False,
                 orbit_training: str = "exact", seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if orbit_training not in ORBIT_TRAININGS:
            raise ValueError(f"orbit_training must be one of {ORBIT_TRAININGS}; got {orbit_training!r}")
        self.group = normalize_group(group)
        self.equivariant = bool(equivariant)
        self.orbit_training = orbit_training
        self.seed = seed
        # Only a sampling layer draws numbers (its generator state is no weight: checkpoints fit either mode).
        self.seed_generator = keras.random.SeedGenerator(seed) if orbit_training == "sample" else None

    def build(self, input_shape: tuple) -> None:
        from keras_imnn.layers.validation import check_spatial_input

        check_spatial_input(input_shape, self.name)
        self._check_fits(input_shape)
        if not self.layer.built and self._two_batches(input_shape):
            # The wrapped layer sees H x W and W x H copies: build it for any size.
            input_shape = (input_shape[0], None, None, *input_shape[3:])
        super().build(input_shape)

    def _check_fits(self, shape: tuple) -> None:
        """Equivariant outputs must map back onto the input: D4 and C4 need squares there only."""
        if self.equivariant:
            check_group_fits(self.group, shape[1], shape[2], self.name,
                             alternatives=" (or, with equivariant=False, an invariant GroupAverage averages "
                                          f"{self.group!r} over rectangles too)")

    def _two_batches(self, shape: tuple) -> bool:
        """Whether the transposed copies need a batch of their own (H != W, or not known to be equal)."""
        h, w = shape[1], shape[2]
        return transposes(self.group) and not (h is not None and h == w)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        self._check_fits(inputs.shape)
        elements = group_elements(self.group)
        if training and self.orbit_training == "sample":
            return self._sampled_call(inputs, elements)
        if self._two_batches(inputs.shape):
            # The H x W copies, then the W x H ones (identity first in each).
            batches = [[g for g in elements if not g.transpose], [g for g in elements if g.transpose]]
        else:
            batches = [list(elements)]
        batch = ops.shape(inputs)[0]
        parts = []
        for members in batches:
            outputs = self.layer(ops.concatenate([apply_element(inputs, g) for g in members], axis=0),
                                 training=training)
            for i, g in enumerate(members):
                part = outputs[i * batch : (i + 1) * batch]
                parts.append(apply_element(part, g.inverse()) if self.equivariant else part)
        return ops.mean(ops.stack(parts), axis=0)

    def _sampled_call(self, inputs: Any, elements: tuple[GroupElement, ...]) -> Any:
        """``f(g·x)`` (or ``g⁻¹·f(g·x)``) with one random g per example: one pass of the wrapped layer (two
        where the transposed copies need their own batch)."""
        choice = keras.random.randint((ops.shape(inputs)[0],), 0, len(elements), seed=self.seed_generator)
        if not self._two_batches(inputs.shape):
            outputs = self.layer(_take_per_example([apply_element(inputs, g) for g in elements], choice),
                                 training=True)
            if self.equivariant:
                outputs = _take_per_example([apply_element(outputs, g.inverse()) for g in elements], choice)
            return outputs
        # H x W and W x H copies cannot share a batch: one pass of each, every example keeping that of its g.
        # The transposing elements are a coset of the others, so both halves have |G|/2 elements.
        plain = [g for g in elements if not g.transpose]
        turned = [g for g in elements if g.transpose]
        within = ops.take(ops.convert_to_tensor([(plain if not g.transpose else turned).index(g) for g in elements],
                                                dtype="int32"), choice)
        is_turned = ops.take(ops.convert_to_tensor([g.transpose for g in elements]), choice)
        outputs = [self.layer(_take_per_example([apply_element(inputs, g) for g in half], within), training=True)
                   for half in (plain, turned)]
        is_turned = ops.reshape(is_turned, (-1,) + (1,) * (len(outputs[0].shape) - 1))
        return ops.where(is_turned, outputs[1], outputs[0])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "group": self.group, "equivariant": self.equivariant,
                "orbit_training": self.orbit_training, "seed": self.seed}


def _take_per_example(images: list[Any], choice: Any) -> Any:
    """Example i of ``images[choice[i]]``: every image is computed, cheap next to the wrapped layer."""
    stacked = ops.stack(images, axis=1)  # (batch, |G|, ...)
    index = ops.reshape(choice, (-1,) + (1,) * (len(stacked.shape) - 1))
    return ops.take_along_axis(stacked, index, axis=1)[:, 0]
