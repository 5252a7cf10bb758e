"""Test metrics of a trained model: its task's score of the predictions."""
from __future__ import annotations

import keras

from keras_imnn.tasks import Task, get_task
from keras_imnn.training.arrays import Arrays


def evaluate_arrays(model: keras.Model, data: Arrays, task: str | Task, batch_size: int = 256) -> dict[str, float]:
    """Predict ``data.x`` and score it against ``data.y`` for ``task`` (a Task or its name)."""
    pred = model.predict(data.x, batch_size=batch_size, verbose=0)
    return get_task(task).score(data.y, pred, data.weight)
