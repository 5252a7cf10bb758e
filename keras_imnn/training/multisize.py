"""One model trained on several lattice sizes at once: every batch holds configurations of one size.

A fully convolutional, invariantly pooled model (``magnet_inv``, ``magnet_inv_dilated``: input ``(None, None, 1)``)
takes any ``Lx x Ly``, but a batch is one tensor, so the sizes cannot share a batch. ``SizeBatches`` cuts each
size's examples into batches of that size alone and spreads every size's batches evenly over the epoch (they
alternate, in proportion to each size's share), reshuffled every epoch; every example is seen once per epoch.
``size_splits`` makes the data (each size's ground state by exact diagonalization and its ε-split, as
``keras-imnn generate magnet``) and ``fit_sizes`` trains a zoo model on them with ``training.loop.train.fit``.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.training.settings import DEFAULTS, TrainSettings

Shape = tuple[int, int]


class SizeBatches:
    """Same-size batches of several sizes' examples, interleaved, as a ``tf.data.Dataset`` for ``fit``.

    Args:
        parts: one ``Arrays`` per size (``x`` ``(n_i, H_i, W_i, C)``, ``y`` ``(n_i, k)``); C and k shared.
        batch_size: the most examples per batch (a size's last batch may hold fewer).
        shuffle: draw a new order of each size's examples and of the batches every epoch (seeded by ``seed``
            and the epoch); False: every epoch the same order (for validation).
        seed: the seed of the first epoch's order.

    Iterating yields one epoch's ``(x, y)`` batches; each iteration is the next epoch.
    """

    def __init__(self, parts: Sequence[Arrays], batch_size: int, shuffle: bool = True, seed: int = 0) -> None:
        if not parts or any(len(p) == 0 for p in parts):
            raise ValueError(f"SizeBatches needs at least one size and examples of every size; got sizes of "
                             f"{[len(p) for p in parts]} examples")
        if len({(p.x.shape[-1], p.y.shape[1:]) for p in parts}) > 1:
            raise ValueError("every size's examples must have the same channels and targets; got x shapes "
                             f"{[p.x.shape for p in parts]} and y shapes {[p.y.shape for p in parts]}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}")
        self.parts, self.batch_size, self.shuffle, self.seed = list(parts), int(batch_size), shuffle, seed
        self.epoch = 0

    def __len__(self) -> int:
        """Batches per epoch."""
        return sum(math.ceil(len(p) / self.batch_size) for p in self.parts)

    def plan(self, epoch: int) -> list[tuple[int, np.ndarray]]:
        """Epoch ``epoch``'s batches as (size index, indices into that size's examples), in order.

        Size i's ``n_i`` batches sit at the fractions ``(j + u_i) / n_i`` of the epoch (``u_i`` uniform in [0, 1)),
        so the sizes alternate through the whole epoch rather than one size after another.
        """
        rng = np.random.default_rng([self.seed, epoch]) if self.shuffle else None
        batches, positions = [], []
        for i, part in enumerate(self.parts):
            order = rng.permutation(len(part)) if rng is not None else np.arange(len(part))
            chunks = np.array_split(order, math.ceil(len(part) / self.batch_size))
            offset = rng.random() if rng is not None else 0.5
            batches += [(i, np.sort(chunk)) for chunk in chunks]
            positions += [(j + offset) / len(chunks) for j in range(len(chunks))]
        return [batches[k] for k in np.argsort(positions, kind="stable")]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        epoch, self.epoch = self.epoch, self.epoch + 1
        for i, index in self.plan(epoch):
            yield self.parts[i].x[index], self.parts[i].y[index]

    def dataset(self) -> Any:
        """A ``tf.data.Dataset`` of the batches whose every iteration (a Keras epoch) is the next epoch.

        The spatial dimensions are declared unknown: Keras' own ``PyDataset`` infers a fixed input shape from the
        first two batches, which breaks on the third size.
        """
        import tensorflow as tf

        x, y = self.parts[0].x, self.parts[0].y
        signature = (tf.TensorSpec((None, None, None, x.shape[-1]), tf.as_dtype(x.dtype)),
                     tf.TensorSpec((None, *y.shape[1:]), tf.as_dtype(y.dtype)))
        dataset = tf.data.Dataset.from_generator(self.__iter__, output_signature=signature)
        # A known length: Keras then counts steps per epoch and does not warn that the input "ran out of data".
        return dataset.apply(tf.data.experimental.assert_cardinality(len(self))).prefetch(2)


def size_splits(lattice: str, shapes: Sequence[Shape], j2: float, *, n_train: int = 10_000, test_size: int = 2000,
                split_seed: int = 0, cache_dir: str | Path | None = None) -> dict[Shape, Any]:
    """Each shape's ground state (exact diagonalization, all real sectors) and its split, cached in ``cache_dir``.

    ``n_train`` states drawn ∝ |ψ|² without replacement (at most half of the Sz = 0 basis: the ε-protocol of the
    datasets with ε = n_train / D), 10 % of them held out for validation, ``test_size`` uniform states of the rest
    (fewer where the rest is smaller). Returns ``{shape: generalization.ScanPoint}`` (train, validation, test
    ``Arrays`` and the ground state's ``meta``, with ``invariance_violation``: the largest |ψ|² weight whose sign a
    translation or an element of the lattice's point group flips, which no invariant model can get right).
    """
    from keras_imnn.physics.magnet.lattices import make_lattice
    from keras_imnn.training.experiments.generalization import scan_point

    out = {}
    for shape in shapes:
        shape = (int(shape[0]), int(shape[1]))
        n_sites = make_lattice(lattice, shape).n_sites
        n_states = math.comb(n_sites, n_sites // 2)
        n = min(n_train, n_states // 2)
        out[shape] = scan_point(lattice, shape, j2, train_fraction=n / n_states, test_size=min(test_size, n_states - n),
                                split_seed=split_seed, cache_dir=cache_dir)
    return out


def fit_sizes(model: keras.Model | str, train: Mapping[Shape, Arrays], validation: Mapping[Shape, Arrays] | None = None,
              *, settings: TrainSettings = DEFAULTS, task: str = "magnet", **overrides: Any
              ) -> tuple[keras.Model, keras.callbacks.History]:
    """Train one model on the examples of several sizes, a batch of one size at a time (``SizeBatches``).

    Args:
        model: a Keras model that takes every size (``(None, None, C)`` input), or a zoo name: built fresh
            (``keras_imnn.load(name, weights=None, **overrides)``), seeded by ``settings.seed``.
        train: ``{(Lx, Ly): Arrays}``, the examples of each size.
        validation: the same for early stopping (None: it watches the training loss).
        settings: epochs, batch size (per batch, of one size), learning rate, patience, seed, time budget.
        task: the task whose loss and metrics it compiles.

    Returns:
        The trained model (the best epoch's weights) and Keras' ``History``.
    """
    from keras_imnn.models.registry import load
    from keras_imnn.tasks import get_task
    from keras_imnn.training.loop.train import fit

    if isinstance(model, str):
        keras.utils.set_random_seed(settings.seed)
        model = load(model, weights=None, **overrides)
    fixed = [d for d in model.inputs[0].shape[1:3] if d is not None]
    if fixed and len({p.x.shape[1:3] for p in train.values()}) > 1:
        raise ValueError(f"{model.name} takes inputs of one size ({tuple(model.inputs[0].shape[1:])}); training on "
                         "several sizes needs a fully convolutional model with (None, None, C) input, e.g. "
                         "magnet_inv_dilated")
    batches = SizeBatches(list(train.values()), settings.batch_size, seed=settings.seed)
    held = SizeBatches(list(validation.values()), settings.batch_size, shuffle=False) if validation else None
    history = fit(model, batches.dataset(), held.dataset() if held else None, task=get_task(task), settings=settings)
    return model, history
