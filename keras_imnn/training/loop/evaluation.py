"""Test metrics of a trained model: its task's score of the predictions."""
from __future__ import annotations

import keras
import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.tasks import Task


def evaluate_arrays(model: keras.Model, data: Arrays, task: Task, batch_size: int = 256) -> dict[str, float]:
    """Predict ``data.x`` and score it against ``data.y`` for ``task``."""
    pred = model.predict(data.x, batch_size=batch_size, verbose=0)
    return task.score(data.y, pred, data.weight)


def evaluate_by_group(model: keras.Model, data: Arrays, task: Task, labels: np.ndarray,
                      batch_size: int = 256) -> dict[str, dict[str, float]]:
    """``task``'s metrics on each group of ``data``: {label: metrics of the examples with that label}.

    ``labels`` holds one group label per example (e.g. the family of each photonic cell); groups come in
    sorted order. ``data.x`` is predicted once for all groups.
    """
    labels = np.asarray(labels)
    if labels.shape != (len(data),):
        raise ValueError(f"labels must hold one group label per example, shape ({len(data)},); got {labels.shape}")
    pred = model.predict(data.x, batch_size=batch_size, verbose=0)
    scores = {}
    for label in np.unique(labels):
        group = data.subset(labels == label)
        scores[str(label)] = task.score(group.y, pred[labels == label], group.weight)
    return scores
