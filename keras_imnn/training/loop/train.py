"""Train a zoo model on a TFDS dataset: Keras ``fit`` with early stopping, deterministic by seed."""
from __future__ import annotations

import datetime
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from keras_imnn.arrays import Arrays
from keras_imnn.atomic import atomic_dir, check_out
from keras_imnn.lattices import LATTICES
from keras_imnn.models.registry import get_spec, load
from keras_imnn.tasks import Task, get_task
from keras_imnn.training.data.task_data import TaskData, load_task_data
from keras_imnn.training.loop.curves import plot_learning_curve
from keras_imnn.training.loop.evaluation import evaluate_arrays
from keras_imnn.training.loop.orbit_head import refit_head, sampled_average
from keras_imnn.training.loop.orbit_twin import trivial_group_twin
from keras_imnn.training.settings import DEFAULTS, TrainSettings


def compile_model(model: keras.Model, task: Task, learning_rate: float = 1e-3) -> keras.Model:
    """Adam with the task's loss and metrics (MSE + MAE; binary cross-entropy on the sign logit + accuracy)."""
    # Keras' "auto" turns XLA off on CPU-only TensorFlow; on 2 cores it trains our models 2× faster.
    # KERAS_IMNN_XLA=0 opts out: compiling costs ~10 s per model, more than tiny models train.
    use_xla = keras.backend.backend() == "tensorflow" and os.environ.get("KERAS_IMNN_XLA", "1") != "0"
    return task.compile(model, learning_rate, jit_compile=True if use_xla else "auto")


class TimeBudget(keras.callbacks.Callback):
    """Stops training at the end of the first epoch that ends more than ``max_minutes`` after training began."""

    def __init__(self, max_minutes: float) -> None:
        super().__init__()
        self.max_seconds = 60 * max_minutes

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if time.monotonic() - self.start > self.max_seconds:
            self.model.stop_training = True


class _OnScoredEpochs:
    """Acts only at the ends of epochs whose logs hold ``monitor``: with ``validation_freq`` > 1 Keras'
    callbacks would warn at every other epoch, and their patience counts scored epochs only."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs and self.monitor in logs:
            super().on_epoch_end(epoch, logs)


class ScoredEarlyStopping(_OnScoredEpochs, keras.callbacks.EarlyStopping):
    """``EarlyStopping`` that skips the epochs without validation."""


class ScoredReduceLROnPlateau(_OnScoredEpochs, keras.callbacks.ReduceLROnPlateau):
    """``ReduceLROnPlateau`` that skips the epochs without validation and ends training at the plateau that
    would cut the rate below 1/2**``max_halvings`` of its start: early stopping counts any gain, however small,
    so without an end training crawls on at a vanishing rate until its budget."""

    def __init__(self, *args: Any, max_halvings: int = 6, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_halvings = max_halvings

    def _rate(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        self.floor = self._rate() * 0.5 ** self.max_halvings

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        if self._rate() < self.floor * (1 - 1e-6):
            self.model.stop_training = True


def training_callbacks(monitor: str, settings: TrainSettings) -> list[keras.callbacks.Callback]:
    """Early stopping on ``monitor`` with the best epoch's weights restored, the time budget and the
    learning-rate schedule of ``settings``.

    Keras' EarlyStopping restores the best weights in ``on_train_end``, so whatever ends training (its
    patience, the budget, the last epoch) leaves the best epoch's weights (tests/test_train_budget.py).
    With ``settings.validate_every`` = k the callbacks see a score every k epochs, so their patience is
    ``ceil(patience / k)`` scores: the same number of epochs.
    """
    every = settings.validate_every if monitor.startswith("val_") else 1
    callbacks = [ScoredEarlyStopping(monitor=monitor, patience=math.ceil(settings.patience / every),
                                     restore_best_weights=True)]
    if settings.max_minutes is not None:
        callbacks.append(TimeBudget(settings.max_minutes))
    if settings.lr_patience is not None:
        callbacks.append(ScoredReduceLROnPlateau(monitor=monitor, factor=0.5,
                                                 patience=math.ceil(settings.lr_patience / every)))
    return callbacks


def check_monitor(monitor: str, task: Task) -> None:
    """Refuse a ``monitor`` the task's fit will not log: Keras would only warn, and neither stop nor restore."""
    watchable = ["loss", *(m.name for m in task.metrics())]
    if monitor not in watchable:
        raise ValueError(f"monitor must be one of {', '.join(watchable)} for the {task.name} task; got {monitor!r}")


def fit(model: keras.Model, train: Any, validation: Any = None, *, task: Task,
        settings: TrainSettings = DEFAULTS) -> keras.callbacks.History:
    """Compile and fit; early stopping (best weights restored) on the validation loss if given, within
    ``settings.max_minutes``, halving the learning rate after ``settings.lr_patience`` epochs without progress.

    ``train``/``validation`` are ``Arrays`` or ``tf.data.Dataset``s of (x, y) batches. Where orbit
    averaging is the identity on the arrays (``orbit_twin``), the trivial-group twin is trained
    instead and its weights copied back: the same model at 1/|G| of the cost
    (``history.trained_with_trivial_group``). After ``orbit_training="sample"`` the layers after the orbit
    average are refit on its exact output (``orbit_head``; ``history.head_refit``): sampled training fits
    them to single elements' features, inference feeds them the average.
    """
    check_monitor(settings.monitor, task)
    keras.utils.set_random_seed(settings.seed)
    compile_model(model, task, settings.learning_rate)
    arrays = [d.x for d in (train, validation) if isinstance(d, Arrays)]
    twin = trivial_group_twin(model, *arrays) if isinstance(train, Arrays) else None
    fitted = compile_model(twin, task, settings.learning_rate) if twin is not None else model
    keras.utils.set_random_seed(settings.seed)  # building the twin drew numbers: same shuffles either way
    callbacks = training_callbacks(("val_" if validation is not None else "") + settings.monitor, settings)
    validation_arrays = validation if isinstance(validation, Arrays) else None
    if isinstance(validation, Arrays):
        validation = (validation.x, validation.y)
    if isinstance(train, Arrays):
        history = fitted.fit(train.x, train.y, validation_data=validation, epochs=settings.epochs,
                             batch_size=settings.batch_size, shuffle=True, callbacks=callbacks,
                             verbose=settings.verbose, validation_freq=settings.validate_every)
    else:
        # A Dataset shuffles itself (or not, as its maker chose); Keras warns on its default shuffle=True.
        history = fitted.fit(train, validation_data=validation, epochs=settings.epochs, callbacks=callbacks,
                             shuffle=False, verbose=settings.verbose, validation_freq=settings.validate_every)
    if twin is not None:
        model.set_weights(twin.get_weights())
    history.trained_with_trivial_group = twin is not None
    average = sampled_average(model) if twin is None and isinstance(train, Arrays) else None
    history.head_refit = None if average is None else refit_head(model, average, train, validation_arrays, task,
                                                                  settings)
    return history


@dataclass
class RunResult:
    """A finished training run: the model, its history and its test metrics."""

    model: keras.Model
    history: dict[str, list[float]]
    metrics: dict[str, float]
    info: dict[str, Any]


def train(name: str, dataset: str | None = None, *, n_train: int | None = None, target: str | None = None,
          data_dir: str | None = None, settings: TrainSettings = DEFAULTS, **kwargs: Any) -> RunResult:
    """Train zoo model ``name`` from scratch on ``n_train`` examples of ``dataset``'s train split.

    Args:
        name: a zoo name.
        dataset: TFDS name of the model's task (default: the model's default dataset).
        n_train: training examples, a random subset fixed by ``settings.seed`` (None: the whole split).
        target: which label of the data (photonic: "tm" or "te" gap-to-midgap ratio; None: the task's first).
        data_dir: TFDS data directory.
        settings: every training option (``TrainSettings``).
        **kwargs: as ``train_on`` (augment, out, model overrides, ...).

    Returns:
        ``RunResult`` with the task's test-split metrics (photonic: MAE, RMSE, R², has-gap accuracy;
        magnet: accuracy, sign overlap).
    """
    spec = get_spec(name)
    dataset = dataset or spec.dataset
    task = get_task(spec.task)
    check_monitor(settings.monitor, task)  # before the data is read
    data = load_task_data(dataset, task=task, data_dir=data_dir, target=target, n_train=n_train, seed=settings.seed,
                          models=[(name, kwargs)])
    return train_on(name, data, settings=settings, info={"dataset": dataset, "target": target}, **kwargs)


def model_overrides(name: str, augment: bool | str, x_shape: Sequence[int], overrides: dict[str, Any]
                    ) -> dict[str, Any]:
    """The overrides ``train_on`` builds zoo model ``name`` with, on inputs of shape ``(b, H, W, C)``: a
    fixed-size model (e.g. ``magnet_dense``, 6x4 by default), or one whose group or augmentation is a lattice's
    own (its site permutations need a fixed ``(L1, L2, k)``), gets the data's ``input_shape``; ``augment``
    adds the group it draws from (a name as given, True the lattice's: D4 on square inputs, D2
    otherwise), unless ``overrides`` name one."""
    out = dict(overrides)
    default = get_spec(name).config.input_shape
    on_sites = out.get("group") in LATTICES or augment in LATTICES
    if "input_shape" not in out and (None not in default or on_sites) and tuple(default) != tuple(x_shape[1:]):
        out["input_shape"] = tuple(int(d) for d in x_shape[1:])
    if augment:
        out.setdefault("augment", augment if isinstance(augment, str) else "d4" if x_shape[1] == x_shape[2] else "d2")
    return out


def train_on(name: str, data: TaskData, *, settings: TrainSettings = DEFAULTS, augment: bool | str = False,
             out: str | Path | None = None, info: dict[str, Any] | None = None,
             initial_weights: str | Path | None = None, **overrides: Any) -> RunResult:
    """Train zoo model ``name`` from scratch on ``data.train`` (early stopping on ``data.validation``); score it on
    ``data.test``. The model must suit the data (``TaskData.check_model``: its task, the lattice's symmetry).

    ``augment`` adds random point-group + shift augmentation (for the non-invariant baselines):
    True takes the lattice's group (D4 on square inputs, D2 otherwise), a group name (e.g. "c2")
    that group; ``out`` receives ``model.keras`` and ``run.json`` (config, command, metrics, history);
    ``initial_weights`` (a weights file of the same architecture, e.g. another checkpoint) starts training
    from those weights instead of a fresh initialization. The record (``info``) has the training's
    wall-clock time, ``wall_minutes``.
    """
    augment = data.check_model(name, overrides, augment)
    spec = get_spec(name)
    if out is not None:
        check_out(out, overwrite=True)  # hours of training must not end in "permission denied"
    overrides = model_overrides(name, augment, data.train.x.shape, overrides)
    keras.utils.set_random_seed(settings.seed)
    model = load(name, weights=initial_weights, **overrides)
    start = time.monotonic()
    history = fit(model, data.train, data.validation, task=data.task, settings=settings)
    wall_minutes = (time.monotonic() - start) / 60
    metrics = evaluate_arrays(model, data.test, data.task)
    record = {
        "model": name, "task": data.task.name, **(info or {}), "n_train": len(data.train), "seed": settings.seed,
        "augment": overrides.get("augment") or False,
        **({"initial_weights": str(initial_weights)} if initial_weights is not None else {}),
        "epochs_run": len(history.history["loss"]),
        "wall_minutes": round(wall_minutes, 2), "trained_with_trivial_group": history.trained_with_trivial_group,
        **({"head_refit": history.head_refit} if history.head_refit is not None else {}),
        "config": spec.config.replace(**overrides).to_dict(), "test_metrics": metrics,
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.date.today().isoformat(),
    }
    if out is not None:
        save_run(out, model, record, history.history)
    return RunResult(model, history.history, metrics, record)


def save_run(out: str | Path, model: keras.Model, info: dict[str, Any],
             history: dict[str, list[float]]) -> Path:
    """Write ``model.keras``, ``run.json`` (``info`` + the loss history) and, given a history, ``learning_curve.png``
    as the folder ``out``.

    The model is saved uncompiled (``inference_copy``), so loading it is silent. The folder is replaced
    as a whole (``atomic_dir``): a kill or an error while saving leaves the previous run, if any, as it was.
    """
    record = {**info, "history": {k: [float(v) for v in vals] for k, vals in history.items()}}
    text = json.dumps(record, indent=2)  # an unserializable record fails before anything is moved
    with atomic_dir(out) as tmp:
        inference_copy(model).save(tmp / "model.keras")
        (tmp / "run.json").write_text(text)
        if any(record["history"].values()):
            plot_learning_curve(record["history"], tmp / "learning_curve.png", title=str(info.get("model", "")))
    return Path(out)


def inference_copy(model: keras.Model) -> keras.Model:
    """An uncompiled copy of ``model`` with its weights and trainable flags, to save.

    A compiled model saves its optimizer state, and Keras warns "Skipping variable loading for optimizer"
    on every load where that state does not match the variables the loaded model compiles for (a frozen
    trunk). A saved run is for prediction and fine-tuning, which compiles afresh.
    """
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy
