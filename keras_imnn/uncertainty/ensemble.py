"""Deep ensembles (Lakshminarayanan et al. 2017): whole checkpoints of one zoo name, each trained with its own seed.

Member 0 is the name's shipped checkpoint; the others are weights files of the same architecture under
``weights/<name>/``, listed with their sha256 as ``"checkpoints"`` in the manifest entry's ``"uncertainty"``. The
prediction is the members' mean and their variance the spread that ``calibration`` turns into a std: unlike heads
on one frozen trunk, independently trained trunks disagree where the training data are thin.
"""
from __future__ import annotations

import keras
import numpy as np


def member_outputs(members: list[keras.Model], x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``(members, b, outputs)``: every member's raw outputs on ``x`` ``(b, H, W, 1)``."""
    return np.stack([np.asarray(m.predict(x, batch_size=batch_size, verbose=0), np.float64) for m in members])


def averaged(members: list[keras.Model], name: str) -> keras.Model:
    """One Keras model whose output is the members' mean (their raw outputs averaged), e.g. to evaluate the
    ensemble's prediction with a task's metrics."""
    inputs = keras.Input(members[0].inputs[0].shape[1:])
    return keras.Model(inputs, keras.layers.Average()([m(inputs) for m in members]), name=name)
