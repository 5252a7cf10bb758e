"""One-call fine-tuning of a (pretrained) zoo model on a user's few hundred samples."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, replace
from typing import Any

import keras
import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.layers.validation import NonFiniteToNaN
from keras_imnn.models.registry import load
from keras_imnn.tasks import Task
from keras_imnn.training.data.inputs import check_xy, warn_unusual_inputs
from keras_imnn.training.loop.evaluation import evaluate_arrays
from keras_imnn.training.loop.model_task import resolve_task, task_of_model
from keras_imnn.training.loop.train import fit
from keras_imnn.training.settings import DEFAULTS, FINETUNE_DEFAULTS, TrainSettings

FREEZE = ("trunk", "none")
#: The most batches a tf.data.Dataset of unknown size may yield: fine-tuning is for small data, and the label
#: check reads every batch once (100 000 batches of 32 cells are ~13 GB of float32 ε, hours of training a pass).
MAX_DATASET_BATCHES = 100_000


def _is_head(layer: keras.layers.Layer) -> bool:
    return layer.name == "output" or layer.name.startswith("head_")


def replace_head(model: keras.Model, n_outputs: int) -> keras.Model:
    """The same trunk with a fresh linear ``output`` layer of ``n_outputs`` units (NaN for non-finite inputs);
    on a headless model (``load(..., include_top=False)``) the new layer goes on its features."""
    has_head = any(layer.name == "output" for layer in model.layers)
    # A headless zoo model ends in its NaN guard: the new head goes on the features the guard receives.
    features = model.get_layer("output").input if has_head else model.get_layer("non_finite_to_nan").input[1]
    outputs = keras.layers.Dense(n_outputs, name="output")(features)
    outputs = NonFiniteToNaN(name="non_finite_to_nan")([model.inputs[0], outputs])
    return keras.Model(model.inputs, outputs, name=model.name)


def finetune(name_or_model: str | keras.Model, x: Any, y: Any = None, *, task: str | Task | None = None,
             n_outputs: int | None = None, freeze: str = "trunk", validation_split: float = 0.2,
             validation_data: Any = None, settings: TrainSettings | None = None,
             **options: Any) -> tuple[keras.Model, keras.callbacks.History]:
    """Fine-tune a pretrained zoo model (or any Keras model) on your data in one call.

    Args:
        name_or_model: a zoo name (its pretrained checkpoint is loaded) or a ``keras.Model``.
        x: inputs ``(n, H, W)`` or ``(n, H, W, 1)`` (numpy), or a ``tf.data.Dataset`` of
            ``(x, y)`` batches (then ``y`` is None).
        y: targets ``(n,)`` or ``(n, k)``; 0/1 for the magnet sign task.
        task: None (the model's: a zoo model, or a model named after one, knows its task), or a task
            name ("photonic": MSE; "magnet": binary cross-entropy on a logit; older aliases
            "regression" and "classification"), which must agree with the model's.
        n_outputs: output size; defaults to ``y``'s width. A size different from the model's
            replaces the output layer with a fresh one.
        freeze: "trunk" (train only the dense head) or "none" (train everything).
        validation_split: fraction of numpy data held out (seeded) for early stopping.
        validation_data: or an explicit ``(x, y)`` / ``tf.data.Dataset`` for validation.
        settings: the training (``TrainSettings``; default: ``DEFAULTS`` with ``FINETUNE_DEFAULTS``, 100 epochs
            and patience 10); its seed also fixes the validation split.
        **options: fields of ``TrainSettings`` to change in ``settings`` (``epochs=20``, ``monitor="mae"``, ...).

    Returns:
        ``(model, history)``: the fitted ``keras.Model`` (best validation weights) and its history;
        ``history.validation_metrics`` holds the task's metrics on numpy validation data ({} otherwise).

    Raises:
        ValueError: before any training, for inputs a zoo model cannot mean (ε ≤ 0, spins other than 0/1,
            boolean cells: ``keras_imnn.domain``), labels that do not fit (NaN, not one per example, another width
            than ``n_outputs``, not 0/1 for the sign task), the same for every batch of a ``tf.data.Dataset``, and an
            infinite dataset. Valid but unusual inputs train, with one ``DomainWarning``.
    """
    if freeze not in FREEZE:
        raise ValueError(f"freeze must be one of {FREEZE}; got {freeze!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1); got {validation_split}")
    known = {f.name for f in fields(TrainSettings)}
    if set(options) - known:
        raise TypeError(f"finetune() got unknown options {sorted(set(options) - known)}: the training options are "
                        f"the fields of TrainSettings: {sorted(known)}")
    settings = replace(settings or replace(DEFAULTS, **FINETUNE_DEFAULTS), **options)
    label = name_or_model if isinstance(name_or_model, str) else f"model {name_or_model.name!r}"
    task = resolve_task(task_of_model(name_or_model), task, label)
    model = load(name_or_model) if isinstance(name_or_model, str) else name_or_model

    if n_outputs is not None and (not isinstance(n_outputs, (int, np.integer)) or n_outputs < 1):
        raise ValueError(f"n_outputs must be a positive integer (or None: y's width); got {n_outputs!r}")

    is_dataset = hasattr(x, "element_spec")
    if is_dataset:
        if y is not None:
            raise ValueError("pass y=None with a tf.data.Dataset: it must yield (x, y) batches")
        width = n_outputs or model.output_shape[-1]
        train, validation = x, validation_data
        warn_unusual_inputs(model, _checked_batches(x, model, task, width, "x"))
        if hasattr(validation, "element_spec"):
            warn_unusual_inputs(model, _checked_batches(validation, model, task, width, "validation_data"))
        elif validation is not None:
            validation = check_xy(*_pair(validation), model, task, width)
    else:
        data = check_xy(x, y, model, task, n_outputs)
        width = n_outputs or data.y.shape[1]
        warn_unusual_inputs(model, [data.x])
        if validation_data is not None:
            train, validation = data, check_xy(*_pair(validation_data), model, task, width)
        elif validation_split > 0:
            train, validation = data.split(validation_split, settings.seed)
            if len(train) == 0:
                raise ValueError(f"validation_split={validation_split} of {len(data)} samples leaves none for "
                                 "training: need at least 2 samples (one for validation, one for training); "
                                 "give more samples, a smaller validation_split, or validation_split=0")
        else:
            train, validation = data, None
    if width != model.output_shape[-1]:
        model = replace_head(model, width)
    for layer in model.layers:
        layer.trainable = freeze == "none" or _is_head(layer)
    history = fit(model, train, validation, task=task, settings=settings)
    history.validation_metrics = evaluate_arrays(model, validation, task) if isinstance(validation, Arrays) else {}
    return model, history


def _pair(validation_data: Any) -> tuple[Any, Any]:
    """``validation_data`` as (x, y); anything else is one ValueError (not a misread positional argument)."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        got = f"{type(validation_data).__name__} of {len(validation_data)}" if isinstance(
            validation_data, (tuple, list)) else type(validation_data).__name__
        raise ValueError(f"validation_data must be an (x, y) pair or a tf.data.Dataset of (x, y) batches; got {got}")
    return validation_data[0], validation_data[1]


def _checked_batches(dataset: Any, model: keras.Model, task: Task, width: int, what: str) -> Iterator[np.ndarray]:
    """Each batch's x, after ``check_xy`` of the batch (the checks numpy data get); an infinite dataset, or one
    of unknown size past ``MAX_DATASET_BATCHES`` batches, is refused: an epoch would never end."""
    import tensorflow as tf

    if int(dataset.cardinality()) == tf.data.INFINITE_CARDINALITY:
        raise ValueError(f"{what} is an infinite tf.data.Dataset (e.g. .repeat()): an epoch would never end; "
                         "pass a finite one (drop .repeat(), or .take(n_batches))")
    n_batches = 0
    for n_batches, batch in enumerate(dataset.as_numpy_iterator(), 1):
        if n_batches > MAX_DATASET_BATCHES:
            raise ValueError(f"{what} yields more than {MAX_DATASET_BATCHES} batches (or never ends): too much to "
                             "fine-tune on; bound it with .take(n_batches)")
        if not isinstance(batch, tuple) or len(batch) not in (2, 3):
            raise ValueError(f"{what} must yield (x, y) or (x, y, weight) batches; got {type(batch).__name__}"
                             f"{f' of {len(batch)} elements' if isinstance(batch, tuple) else ''}")
        yield check_xy(batch[0], batch[1], model, task, width).x
    if n_batches == 0:
        raise ValueError(f"{what} is an empty tf.data.Dataset: nothing to fine-tune on")
