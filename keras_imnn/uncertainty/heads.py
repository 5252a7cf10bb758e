"""Ensembles of heads on a pretrained trunk: the members behind each zoo name's uncertainty.

A member is the dense head of a zoo model (``head_units`` ReLU layers and the output layer, then the
weightless ``BandEdges`` of an edges model), trained from its own random initialization on its own bootstrap
resample of the training cells' features, which the frozen trunk computes once (``include_top=False`` features:
exactly invariant for the "inv" models). The members' spread on a cell stands in for a deep ensemble's
(Lakshminarayanan et al. 2017) at a few KB per member; ``calibration`` maps it to the std of the error.

Members are saved as ``.npz`` files of their kernels and biases (``kernel_0``, ``bias_0``, …) under
``weights/<name>/`` and listed, with their sha256, in the manifest entry's ``"uncertainty"``
(``keras_imnn.uncertainty.shipped`` loads them).
"""
from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from keras_imnn.atomic import atomic_path
from keras_imnn.layers import BandEdges
from keras_imnn.models.config import ModelConfig

Head = list[tuple[np.ndarray, np.ndarray]]  # (kernel, bias) per dense layer


def features_and_outputs(model: keras.Model) -> keras.Model:
    """``model`` with two outputs: the features its dense head reads ``(b, features)`` and its outputs."""
    first = "head_0" if any(layer.name == "head_0" for layer in model.layers) else "output"
    return keras.Model(model.inputs, [model.get_layer(first).input, model.outputs[0]])


def _head_model(cfg: ModelConfig, width: int) -> keras.Model:
    inputs = keras.Input((width,))
    x = inputs
    for units in cfg.head_units:
        x = keras.layers.Dense(units, activation="relu")(x)
    x = keras.layers.Dense(cfg.outputs)(x)
    if cfg.head == "band_edges":
        x = BandEdges()(x)
    return keras.Model(inputs, x)


def train_heads(features: np.ndarray, y: np.ndarray, cfg: ModelConfig, loss: keras.losses.Loss, *,
                members: int = 5, seed: int = 0, epochs: int = 150, batch_size: int = 128) -> list[Head]:
    """``members`` heads, each on its own bootstrap resample of ``(features (n, f), y (n, outputs))``.

    Member i is seeded ``seed + i`` (initialization, resample, shuffling) and keeps its weights of the best
    epoch on its out-of-bag rows (early stopping, patience 15).
    """
    heads = []
    for i in range(members):
        keras.utils.set_random_seed(seed + i)
        rng = np.random.default_rng(seed + i)
        bag = rng.integers(0, len(features), len(features))
        out_of_bag = np.setdiff1d(np.arange(len(features)), bag)
        model = _head_model(cfg, features.shape[1])
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
        stop = keras.callbacks.EarlyStopping(patience=15, restore_best_weights=True)
        model.fit(features[bag], y[bag], validation_data=(features[out_of_bag], y[out_of_bag]), epochs=epochs,
                  batch_size=batch_size, callbacks=[stop], verbose=0)
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        heads.append([tuple(np.asarray(w, np.float32) for w in layer.get_weights()) for layer in dense])
    return heads


def head_outputs(heads: list[Head], features: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """``(members, b, outputs)``: every member's outputs on ``features`` ``(b, f)``."""
    out = []
    for head in heads:
        x = np.asarray(features, np.float32)
        for i, (kernel, bias) in enumerate(head):
            x = x @ kernel + bias
            if i < len(head) - 1:
                x = np.maximum(x, 0.0)
        out.append(keras.ops.convert_to_numpy(BandEdges()(x)) if cfg.head == "band_edges" and len(x) else x)
    return np.stack(out).astype(np.float64)


def save_head(path: str | os.PathLike, head: Head) -> None:
    """One member as ``.npz`` (written atomically)."""
    with atomic_path(Path(path)) as tmp:
        np.savez(tmp, **{f"{kind}_{i}": w for i, layer in enumerate(head)
                         for kind, w in zip(("kernel", "bias"), layer)})
