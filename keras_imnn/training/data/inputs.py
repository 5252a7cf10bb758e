"""A user's (x, y) checked against a model and its task before any training or scoring: shapes, labels, and the
model's validity domain (``keras_imnn.domain``: physically invalid inputs refused, unusual ones warned about)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import keras
import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.domain import Domain, warn_out_of_domain
from keras_imnn.models.registry import list_models, model_domain
from keras_imnn.tasks import Task


def input_domain(model: keras.Model) -> Domain | None:
    """The validity domain of a zoo model (or one named after it: runs and fine-tuned copies keep the name) at
    its own input shape; None for a model of your own, whose domain nobody knows."""
    if model.name not in list_models():
        return None
    return model_domain(model.name, tuple(model.input_shape[1:]))


def check_xy(x: Any, y: Any, model: keras.Model, task: Task, n_outputs: int | None = None) -> Arrays:
    """Validate numpy inputs against ``model`` and ``task``; say what is wrong and what is accepted.

    Args:
        x: ``(n, H, W)`` or ``(n, H, W, 1)``; physically invalid values (ε ≤ 0, spins not 0/1, booleans) are a
            ValueError for a zoo model (``input_domain``).
        y: ``(n,)`` or ``(n, k)`` finite labels the task can learn from (``Task.check_y``).
        n_outputs: the width ``y`` must have (None: any).

    Returns:
        ``Arrays`` of float32 ``x`` ``(n, H, W, 1)`` and ``y`` ``(n, k)``.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x must be a real numeric array; got dtype {x.dtype}")
    expected = model.input_shape[1:]
    if x.ndim == len(expected):  # (n, H, W) → (n, H, W, 1), as Keras does
        x = x[..., None]
    if x.ndim != len(expected) + 1 or any(e is not None and e != s for e, s in zip(expected, x.shape[1:])):
        raise ValueError(f"x must have shape (n, {', '.join('any' if e is None else str(e) for e in expected)})"
                         f" for this model; got {x.shape}")
    if len(x) == 0:
        raise ValueError("x holds no samples; need at least 1 (2 with a validation split)")
    if not np.isfinite(x).all():
        raise ValueError(f"x contains {np.count_nonzero(~np.isfinite(x))} NaN or infinite values")
    domain = input_domain(model)
    if domain is not None:
        domain.validate(x)
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"y must be a real numeric array; got dtype {y.dtype}")
    y = y.reshape(len(y), -1) if y.ndim == 1 else y
    if y.ndim != 2 or len(y) != len(x):
        raise ValueError(f"y must have shape (n,) or (n, k) with n = len(x) = {len(x)}; got {y.shape}")
    if n_outputs is not None and y.shape[1] != n_outputs:
        raise ValueError(f"y has {y.shape[1]} column(s) but the model gives {n_outputs} output(s): give y of shape "
                         f"(n, {n_outputs}), or n_outputs={y.shape[1]} for a new head of that width")
    if not np.isfinite(y).all():
        raise ValueError(f"y contains {np.count_nonzero(~np.isfinite(y))} NaN or infinite values")
    return Arrays(x.astype(np.float32), task.check_y(y).astype(np.float32))


def warn_unusual_inputs(model: keras.Model, batches: Iterable[np.ndarray]) -> None:
    """One ``DomainWarning`` if inputs of ``batches`` (already validated) lie outside ``model``'s domain."""
    domain = input_domain(model)
    if domain is None:
        return
    verdicts = [domain.check(x) for x in batches]
    if verdicts:
        warn_out_of_domain(np.concatenate([v[0] for v in verdicts]), [r for v in verdicts for r in v[1]],
                           model.name, stacklevel=4)
