"""Refit the layers after a sample-trained orbit average on the exact average of the trunk's features.

``GroupAverage(orbit_training="sample")`` trains ``head(trunk(g·x))`` for one random element g, but inference
feeds the head ``mean_g trunk(g·x)``. With a nonlinear head (the photonic models' hidden dense layer) that is
another input wherever the cell has no symmetry: the general photonic flagship, trained so, scored MAE 0.0033
on its own smooth training cells with sampled elements and 0.038 at inference. So after such training the
head is refit on the exact averaged features, the trunk frozen: one forward pass of |G| elements over the
data, then a few seconds of dense layers (``training.loop.train.fit`` does it; ``history.head_refit`` says so).
"""
from __future__ import annotations

import time
from typing import Any

import keras

from keras_imnn.arrays import Arrays
from keras_imnn.layers import GroupAverage
from keras_imnn.layers.validation import NonFiniteToNaN
from keras_imnn.tasks import Task
from keras_imnn.training.settings import TrainSettings


def sampled_average(model: keras.Model) -> GroupAverage | None:
    """The model's ``GroupAverage`` trained with ``orbit_training="sample"`` if trainable layers follow it."""
    averages = [layer for layer in model.layers if isinstance(layer, GroupAverage)]
    if len(averages) != 1 or averages[0].orbit_training != "sample":
        return None
    return averages[0] if any(layer.trainable_weights for layer in _head_layers(model, averages[0])) else None


def _head_layers(model: keras.Model, average: GroupAverage) -> list[keras.layers.Layer]:
    after = model.layers[model.layers.index(average) + 1:]
    # NonFiniteToNaN reads the model's input too (it masks non-finite inputs): no head layer.
    return [layer for layer in after if not isinstance(layer, NonFiniteToNaN)]


def refit_head(model: keras.Model, average: GroupAverage, train: Arrays, validation: Arrays | None, task: Task,
               settings: TrainSettings) -> dict[str, Any]:
    """Train the layers after ``average`` on its exact output (trunk frozen), best validation loss restored
    (and the head as it was, if that was better).

    Returns ``{"epochs": ..., "seconds": ..., "loss_before": ..., "loss_after": ...}`` (validation loss of the
    head on the exact features, or the training loss without validation).
    """
    start = time.perf_counter()
    features = keras.Model(model.inputs, average.output)
    inputs = keras.Input(average.output.shape[1:])
    outputs = inputs
    for layer in _head_layers(model, average):
        outputs = layer(outputs)
    head = keras.Model(inputs, outputs)  # shares its layers, so fitting it updates the model
    head.compile(optimizer=keras.optimizers.Adam(settings.learning_rate), loss=task.loss())
    x_train = features.predict(train.x, batch_size=256, verbose=0)
    val = None if validation is None else (features.predict(validation.x, batch_size=256, verbose=0), validation.y)
    x_check, y_check = val if val is not None else (x_train, train.y)
    before, initial = float(head.evaluate(x_check, y_check, verbose=0)), head.get_weights()
    monitor = "val_loss" if val is not None else "loss"
    callbacks = [keras.callbacks.EarlyStopping(monitor, patience=20, restore_best_weights=True),
                 keras.callbacks.ReduceLROnPlateau(monitor, factor=0.5, patience=8)]
    history = head.fit(x_train, train.y, validation_data=val, epochs=300, batch_size=256, shuffle=True,
                       callbacks=callbacks, verbose=0)
    after = float(head.evaluate(x_check, y_check, verbose=0))
    if after > before:  # the trained head was the better one after all
        head.set_weights(initial)
        after = before
    return {"epochs": len(history.history["loss"]), "seconds": round(time.perf_counter() - start, 1),
            "loss_before": before, "loss_after": after}
