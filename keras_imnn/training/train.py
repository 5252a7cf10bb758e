"""Train a zoo model on a TFDS dataset: Keras ``fit`` with early stopping, deterministic by seed."""
from __future__ import annotations

import datetime
import json
import math
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from keras_imnn.atomic import atomic_dir
from keras_imnn.models.registry import get_spec, load
from keras_imnn.training.data import Arrays, task_of
from keras_imnn.training.evaluation import evaluate_arrays
from keras_imnn.training.orbit_twin import trivial_group_twin
from keras_imnn.training.splits import load_task_splits

TASK_OF_MODEL = {"photonic": "regression", "magnet": "classification"}


def compile_model(model: keras.Model, task: str, learning_rate: float = 1e-3) -> keras.Model:
    """Adam + MSE (regression) or binary cross-entropy on the "negative sign" logit."""
    if task == "regression":
        loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.MeanAbsoluteError(name="mae")]
    elif task == "classification":
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
        metrics = [keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")]
    else:
        raise ValueError(f"task must be 'regression' or 'classification'; got {task!r}")
    # Keras' "auto" turns XLA off on CPU-only TensorFlow; on 2 cores it trains our models 2× faster.
    # KERAS_IMNN_XLA=0 opts out: compiling costs ~10 s per model, more than tiny models train.
    use_xla = keras.backend.backend() == "tensorflow" and os.environ.get("KERAS_IMNN_XLA", "1") != "0"
    jit = True if use_xla else "auto"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics, jit_compile=jit)
    return model


def check_fit_options(epochs: int, batch_size: int, learning_rate: float, patience: int) -> None:
    """Refuse options that would fail obscurely inside Keras or train nothing (a NaN learning rate
    "trains" a NaN model)."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1; got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a finite number > 0; got {learning_rate}")
    if patience < 0:
        raise ValueError(f"patience must be >= 0; got {patience}")


def fit(model: keras.Model, train: Any, validation: Any = None, *, task: str, epochs: int = 200,
        batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 20, seed: int = 0,
        verbose: Any = "auto") -> keras.callbacks.History:
    """Compile and fit; early stopping (best weights restored) on the validation loss if given.

    ``train``/``validation`` are ``Arrays`` or ``tf.data.Dataset``s of (x, y) batches. Where orbit
    averaging is the identity on the arrays (``orbit_twin``), the trivial-group twin is trained
    instead and its weights copied back: the same model at 1/|G| of the cost
    (``history.trained_with_trivial_group``).
    """
    check_fit_options(epochs, batch_size, learning_rate, patience)
    keras.utils.set_random_seed(seed)
    compile_model(model, task, learning_rate)
    arrays = [d.x for d in (train, validation) if isinstance(d, Arrays)]
    twin = trivial_group_twin(model, *arrays) if isinstance(train, Arrays) else None
    fitted = compile_model(twin, task, learning_rate) if twin is not None else model
    keras.utils.set_random_seed(seed)  # building the twin drew numbers: same shuffles either way
    monitor = "val_loss" if validation is not None else "loss"
    callbacks = [keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True)]
    if isinstance(validation, Arrays):
        validation = (validation.x, validation.y)
    if isinstance(train, Arrays):
        history = fitted.fit(train.x, train.y, validation_data=validation, epochs=epochs,
                             batch_size=batch_size, shuffle=True, callbacks=callbacks, verbose=verbose)
    else:
        # A Dataset shuffles itself (or not, as its maker chose); Keras warns on its default shuffle=True.
        history = fitted.fit(train, validation_data=validation, epochs=epochs, callbacks=callbacks,
                             shuffle=False, verbose=verbose)
    if twin is not None:
        model.set_weights(twin.get_weights())
    history.trained_with_trivial_group = twin is not None
    return history


@dataclass
class RunResult:
    """A finished training run: the model, its history and its test metrics."""

    model: keras.Model
    history: dict[str, list[float]]
    metrics: dict[str, float]
    info: dict[str, Any]


def train(name: str, dataset: str | None = None, *, n_train: int | None = None, seed: int = 0,
          target: str = "tm", data_dir: str | None = None, **kwargs: Any) -> RunResult:
    """Train zoo model ``name`` from scratch on ``n_train`` examples of ``dataset``'s train split.

    Args:
        name: a zoo name.
        dataset: TFDS name (default: the model's default dataset).
        n_train: training examples, a random subset fixed by ``seed`` (None: the whole split).
        target: photonic target polarization, "tm" or "te" (gap-to-midgap ratio of bands 1–2).
        data_dir: TFDS data directory.
        **kwargs: as ``train_on`` (epochs, batch_size, augment, out, model overrides, ...).

    Returns:
        ``RunResult`` with test-split metrics (regression: MAE, RMSE, R², has-gap accuracy;
        classification: accuracy, sign overlap).
    """
    dataset = dataset or get_spec(name).dataset
    splits = load_task_splits(dataset, data_dir=data_dir, target=target, n_train=n_train, seed=seed)
    return train_on(name, *splits, task=task_of(dataset), seed=seed,
                    info={"dataset": dataset, "target": target}, **kwargs)


def model_overrides(augment: bool | str, x_shape: Sequence[int], overrides: dict[str, Any]) -> dict[str, Any]:
    """The overrides ``train_on`` builds the model with, on inputs of shape ``(b, H, W, C)``: ``augment``
    adds the group it draws from (a name as given, True the lattice's: D4 on square inputs, D2
    otherwise), unless ``overrides`` name one."""
    if not augment:
        return dict(overrides)
    group = augment if isinstance(augment, str) else "d4" if x_shape[1] == x_shape[2] else "d2"
    return {"augment": group, **overrides}


def train_on(name: str, train_data: Arrays, val_data: Arrays | None, test_data: Arrays, *, task: str,
             seed: int = 0, epochs: int = 200, batch_size: int = 32, learning_rate: float = 1e-3,
             patience: int = 20, augment: bool | str = False, out: str | Path | None = None,
             verbose: Any = "auto", info: dict[str, Any] | None = None, **overrides: Any) -> RunResult:
    """Train zoo model ``name`` from scratch on arrays already loaded; score it on ``test_data``.

    ``augment`` adds random point-group + shift augmentation (for the non-invariant baselines):
    True takes the lattice's group (D4 on square inputs, D2 otherwise), a group name (e.g. "c2")
    that group; ``out`` receives ``model.keras`` and ``run.json`` (config, command, metrics, history).
    """
    spec = get_spec(name)
    if TASK_OF_MODEL[spec.task] != task:
        raise ValueError(f"{name!r} is a {spec.task} model and cannot learn a {task} task")
    check_fit_options(epochs, batch_size, learning_rate, patience)
    if out is not None:
        check_out(out, overwrite=True)  # hours of training must not end in "permission denied"
    overrides = model_overrides(augment, train_data.x.shape, overrides)
    keras.utils.set_random_seed(seed)
    model = load(name, pretrained=False, **overrides)
    history = fit(model, train_data, val_data, task=task, epochs=epochs, batch_size=batch_size,
                  learning_rate=learning_rate, patience=patience, seed=seed, verbose=verbose)
    metrics = evaluate_arrays(model, test_data, task)
    record = {
        "model": name, **(info or {}), "n_train": len(train_data), "seed": seed,
        "augment": overrides.get("augment") or False, "epochs_run": len(history.history["loss"]),
        "trained_with_trivial_group": history.trained_with_trivial_group,
        "config": spec.config.replace(**overrides).to_dict(), "test_metrics": metrics,
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.date.today().isoformat(),
    }
    if out is not None:
        save_run(out, model, record, history.history)
    return RunResult(model, history.history, metrics, record)


def check_out(out: str | Path, overwrite: bool = False) -> None:
    """Refuse, before any work, an output folder ``save_run`` would fail to write or would replace.

    ``out`` may exist only as an empty folder unless ``overwrite``. Writability is tried, not read
    from permission bits (root ignores those): a temporary folder is made where ``save_run`` will
    make its own, in the nearest folder that exists.
    """
    out = Path(out)
    if out.exists() and not overwrite and not (out.is_dir() and not any(out.iterdir())):
        raise FileExistsError(f"{out} already exists; choose another output folder, or overwrite it "
                              f"(--overwrite replaces the whole folder)")
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(f"cannot write {out}: {parent} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(dir=parent))
    except OSError as err:
        raise PermissionError(f"cannot write {out}: {parent} is not writable ({err.strerror})") from err


def save_run(out: str | Path, model: keras.Model, info: dict[str, Any],
             history: dict[str, list[float]]) -> Path:
    """Write ``model.keras`` and ``run.json`` (``info`` + the loss history) as the folder ``out``.

    The folder is replaced as a whole (``atomic_dir``): a kill or an error while saving leaves the
    previous run, if any, as it was.
    """
    record = {**info, "history": {k: [float(v) for v in vals] for k, vals in history.items()}}
    text = json.dumps(record, indent=2)  # an unserializable record fails before anything is moved
    with atomic_dir(out) as tmp:
        model.save(tmp / "model.keras")
        (tmp / "run.json").write_text(text)
    return Path(out)
