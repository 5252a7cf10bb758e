"""Lattice symmetries that permute sublattices, on ``(batch, L1, L2, k)`` tensors: one channel per site of a cell.

The image groups of ``symmetry.py`` (D4, C2, ...) move cells and keep channels; a kagome rotation also moves
each site to another sublattice and a neighbouring cell. Here every symmetry is the site permutation a
:class:`keras_imnn.lattices.Torus` derives (sites ``(x * L2 + y) * k + s``, the row-major order of the tensor),
applied as one gather: ``LatticeAverage`` averages a wrapped layer over the torus's point group (exact
invariance under every symmetry when the wrapped layer is shift invariant: periodic convolutions, global
pooling), ``RandomLatticePermutation`` maps each training sample by a random symmetry (augmentation).
"""
from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_imnn.lattices import get_lattice
from keras_imnn.layers.validation import check_spatial_input


@functools.lru_cache(maxsize=32)
def _gather_maps(lattice: str, shape: tuple[int, int], which: str) -> np.ndarray:
    """``(G, N)`` int32: row g gathers the image of a flattened tensor, ``image[:, perm[i]] = x[:, i]``, for every
    point element (``which="point"``) or every symmetry (``"all"``) of lattice ``lattice`` on ``shape`` cells."""
    torus = get_lattice(lattice).torus(shape)
    perms = torus.point_elements if which == "point" else torus.symmetries
    return np.argsort(perms, axis=1).astype(np.int32)


def _check_input(shape: tuple, lattice: str, layer_name: str) -> None:
    check_spatial_input(shape, layer_name, channels=get_lattice(lattice).sites_per_cell)
    if shape[1] is None or shape[2] is None:
        raise ValueError(f"{layer_name} needs the lattice size (L1, L2) when built, got shape {tuple(shape)}: its "
                         "symmetries depend on it")


def _permuted(x: Any, maps: np.ndarray) -> Any:
    """``(G * batch, L1, L2, k)``: the images of ``x`` under every gather map, map-major."""
    n = maps.shape[1]
    flat = ops.reshape(x, (-1, n))
    images = ops.take(flat, ops.convert_to_tensor(maps.reshape(-1)), axis=1)  # (batch, G * N)
    images = ops.transpose(ops.reshape(images, (-1, len(maps), n)), (1, 0, 2))
    return ops.reshape(images, (-1, *x.shape[1:]))


@keras.saving.register_keras_serializable(package="keras_imnn")
class LatticeAverage(keras.layers.Wrapper):
    """``y = (1/|P|) sum_p f(p x)`` over the point group P of ``lattice`` on the input's ``L1 x L2`` cells.

    The |P| images run as one batch (|P| forward passes: 12 for kagome C6v on ``L x L``, 2 on rectangles).
    With a shift-invariant wrapped layer, y is invariant under every symmetry of the torus (point element
    times translation).

    Args:
        layer: the wrapped layer, input ``(batch, L1, L2, k)``, output without spatial axes.
        lattice: a name of ``keras_imnn.lattices.LATTICES``; k is its sites per cell.

    Input: ``(batch, L1, L2, k)`` with L1, L2 known when built.
    """

    def __init__(self, layer: keras.layers.Layer, lattice: str = "kagome", **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        get_lattice(lattice)  # an unknown name fails here, naming the known ones
        self.lattice = lattice

    def build(self, input_shape: tuple) -> None:
        _check_input(input_shape, self.lattice, self.name)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        maps = _gather_maps(self.lattice, tuple(inputs.shape[1:3]), "point")
        outputs = self.layer(_permuted(inputs, maps), training=training)
        return ops.mean(ops.reshape(outputs, (len(maps), -1, *outputs.shape[1:])), axis=0)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "lattice": self.lattice}


@keras.saving.register_keras_serializable(package="keras_imnn")
class RandomLatticePermutation(keras.layers.Layer):
    """During training, maps each sample by a random symmetry of ``lattice`` (point element and translation);
    the identity at inference. Augmentation for models that are not invariant.

    Args:
        lattice: a name of ``keras_imnn.lattices.LATTICES``.
        seed: seed of the layer's random generator.

    Input and output: ``(batch, L1, L2, k)``.
    """

    def __init__(self, lattice: str = "kagome", seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        get_lattice(lattice)
        self.lattice = lattice
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape: tuple) -> None:
        _check_input(input_shape, self.lattice, self.name)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        maps = _gather_maps(self.lattice, tuple(inputs.shape[1:3]), "all")
        choice = keras.random.randint((ops.shape(inputs)[0],), 0, len(maps), seed=self.seed_generator)
        index = ops.take(ops.convert_to_tensor(maps), choice, axis=0)  # (batch, N)
        flat = ops.take_along_axis(ops.reshape(inputs, (-1, maps.shape[1])), index, axis=1)
        return ops.reshape(flat, ops.shape(inputs))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "lattice": self.lattice, "seed": self.seed}
