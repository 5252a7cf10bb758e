"""Random lattice symmetries as data augmentation, for the baselines that are not invariant."""
from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_imnn.groups import check_group_fits, group_elements, normalize_group
from keras_imnn.layers.symmetry import apply_element


@keras.saving.register_keras_serializable(package="keras_imnn")
class RandomLatticeSymmetry(keras.layers.Layer):
    """During training, maps each sample by a random point-group element and periodic shift.

    The invariant models do not need it (they are exactly invariant); it gives the ``*_cnn``
    baselines the same symmetry information through the data. Identity at inference.

    Args:
        group: point group to sample from ("d4", "c4", "d2", "c2" or None).
        shift: also apply a uniformly random periodic shift.
        seed: seed of the layer's random generator.

    Input and output: ``(batch, H, W, C)``.
    """

    def __init__(self, group: str | None = "d4", shift: bool = True, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group = normalize_group(group)
        self.shift = shift
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape: tuple) -> None:
        check_group_fits(self.group, input_shape[1], input_shape[2], self.name)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        batch = ops.shape(inputs)[0]
        elements = group_elements(self.group)
        # Every element for every sample, then pick one per sample: cheap at lattice sizes.
        images = ops.stack([apply_element(inputs, g) for g in elements], axis=1)
        choice = keras.random.randint((batch,), 0, len(elements), seed=self.seed_generator)
        x = ops.take_along_axis(images, ops.reshape(choice, (-1, 1, 1, 1, 1)), axis=1)[:, 0]
        if self.shift:
            x = self._random_shift(x)
        return x

    def _random_shift(self, x: Any) -> Any:
        _, h, w, c = ops.shape(x)
        offsets = keras.random.randint((ops.shape(x)[0], 2), 0, 1 << 30, seed=self.seed_generator)
        rows = ops.mod(ops.arange(h)[None, :] + offsets[:, :1], h)  # (batch, H)
        cols = ops.mod(ops.arange(w)[None, :] + offsets[:, 1:], w)  # (batch, W)
        index = ops.reshape(rows[:, :, None] * w + cols[:, None, :], (-1, h * w, 1))
        flat = ops.take_along_axis(ops.reshape(x, (-1, h * w, c)), index, axis=1)
        return ops.reshape(flat, (-1, h, w, c))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "group": self.group, "shift": self.shift, "seed": self.seed}
