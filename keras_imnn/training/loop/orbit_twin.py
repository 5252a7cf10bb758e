"""Train an orbit-averaged model at 1/|G| of the cost when orbit averaging does nothing on the data.

If every input's point-group orbit consists of periodic shifts of it (the C4v-symmetric
``photonic_crystals/gapped`` cells), a shift-invariant trunk gives the same output on each orbit
element, so ``GroupAverage`` is the identity on that data. Its "trivial-group twin" (the same
model with each ``GroupAverage`` replaced by the layer it wraps) then computes the same function
with the same weights, and training it follows the same trajectory (checked to 6e-8).
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np

from keras_imnn.groups import orbit_is_translations
from keras_imnn.layers import (
    DilatedBlock,
    GroupAverage,
    InvariantPooling2D,
    PeriodicConv2D,
    RandomLatticeSymmetry,
    SymmetricPeriodicConv2D,
)

# Layers that commute with every periodic shift and point-group element pixel by pixel, and the
# periodic layers that keep a trunk shift-equivariant up to its final invariant pooling.
_POINTWISE = (keras.layers.InputLayer, keras.layers.Rescaling, RandomLatticeSymmetry)
_SHIFT_EQUIVARIANT = (DilatedBlock, PeriodicConv2D, SymmetricPeriodicConv2D)


def _shift_invariant(layer: keras.layers.Layer) -> bool:
    """A Sequential of periodic (shift-equivariant) layers ending in global invariant pooling."""
    if not isinstance(layer, keras.Sequential) or not layer.layers:
        return False
    *body, last = layer.layers
    return isinstance(last, InvariantPooling2D) and all(isinstance(sub, _SHIFT_EQUIVARIANT) for sub in body)


def trivial_group_twin(model: keras.Model, *xs: Any) -> keras.Model | None:
    """The trivial-group twin of ``model`` with its weights, or None where it would differ on ``xs``.

    Applies to functional models whose ``GroupAverage`` layers are invariant (not equivariant),
    wrap a shift-invariant trunk and see the input through pointwise layers only; each array in
    ``xs`` (N, H, W, C) must have orbits of shifts under every such layer's group. A final check
    on a few inputs guards the weight transfer.
    """
    # clone_model rebuilds functional (ZooModel too) and Sequential models only (by name: Keras has no public
    # Functional class).
    if not (isinstance(model, keras.Sequential) or any(c.__name__ == "Functional" for c in type(model).__mro__)):
        return None
    averages = [layer for layer in model.layers if isinstance(layer, GroupAverage)]
    if not averages:
        return None
    for layer in model.layers:
        if isinstance(layer, GroupAverage):
            break
        if not isinstance(layer, _POINTWISE):
            return None
    if any(a.equivariant or not _shift_invariant(a.layer) for a in averages):
        return None
    arrays = [np.asarray(x) for x in xs if x is not None]
    if not arrays or any(not orbit_is_translations(x, a.group) for x in arrays for a in averages):
        return None

    def unwrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        source = layer.layer if isinstance(layer, GroupAverage) else layer
        return source.__class__.from_config(source.get_config())

    twin = keras.models.clone_model(model, clone_function=unwrap)
    twin.set_weights(model.get_weights())
    # Keras trains by each variable's own flag, and the clones' variables were created trainable
    # (a frozen trunk set before building does not reach them): copy the flags, as set_weights copies values.
    for source, clone in zip(model.weights, twin.weights):
        clone.trainable = source.trainable
    probe = arrays[0][:8]
    outputs = [keras.ops.convert_to_numpy(m(probe, training=False)) for m in (twin, model)]
    if not np.allclose(*outputs, atol=1e-5):
        return None
    return twin
