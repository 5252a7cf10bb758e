"""``keras_imnn.predict``: every prediction with a calibrated std and its validity domain."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from keras_imnn.domain import warn_out_of_domain
from keras_imnn.models.registry import get_spec, list_models, load, model_domain
from keras_imnn.models.zoo import ModelSpec
from keras_imnn.tasks import get_task
from keras_imnn.uncertainty.calibration import combined_std, regression_std, sign_probability
from keras_imnn.uncertainty.ensemble import member_outputs
from keras_imnn.uncertainty.heads import features_and_outputs, head_outputs
from keras_imnn.uncertainty.shipped import Uncertainty, load_uncertainty


@dataclass(frozen=True)
class Prediction:
    """What a zoo model says about a batch of b inputs, and how far to trust it.

    Attributes:
        mean: ``(b, outputs)`` the prediction, in the model's units (for a name shipped as a deep ensemble,
            the mean of its members): the TM gap-to-midgap ratio (in [0, 2]) for the photonic gap models; the 32
            band edges (ωa/2πc, layout of DESIGN.md "Band edges", ordered) for the edges models; for the
            magnet models the calibrated *probability* (not the logit) that the ground-state amplitude is
            negative.
        std: ``(b, outputs)`` the calibrated standard deviation of the error of ``mean`` (about 95 % of errors
            lie within 2 std on the held-out split; for magnets sqrt(p (1 - p)), the std of the 0/1 label's
            error given a calibrated p). NaN for a model object rather than a zoo name (the shipped calibration
            belongs to the shipped checkpoint, not to a fine-tuned or retrained copy: calibrate your own with
            ``keras_imnn.uncertainty``) and for a name shipped without an ensemble.
        in_domain: ``(b,)`` bool, False where the input is unlike the training data (``keras_imnn.domain``).
        reasons: one string per input, why it is out of domain ("" when in domain).
    """

    mean: np.ndarray
    std: np.ndarray
    in_domain: np.ndarray
    reasons: list[str]

    def __len__(self) -> int:
        return len(self.mean)


def _as_array(x: Any, input_shape: tuple[int | None, ...]) -> np.ndarray:
    """A numpy batch from an array, or from a ``tf.data.Dataset`` of x or (x, y[, weight]) elements, batched
    or not (an element of the model's input ``rank`` without the channel, or with it and channel 1, is one
    input)."""
    if not hasattr(x, "as_numpy_iterator"):
        return np.asarray(x)
    rank = len(input_shape)
    parts = []
    for element in x.as_numpy_iterator():
        item = np.asarray(element[0] if isinstance(element, tuple) else element)
        one = item.ndim == rank - 1 or (item.ndim == rank and item.shape[-1] == 1)
        parts.append(item[None] if one else item)
    if not parts:
        return np.zeros((0, *(n or 1 for n in input_shape)), np.float32)
    return np.concatenate([p if p.ndim > rank else p[..., None] for p in parts])


@functools.lru_cache(maxsize=4)
def _pretrained(name: str, weights_dir: str | None) -> tuple[keras.Model, Uncertainty | None]:
    """The shipped model as (features, outputs) model and its uncertainty (None without)."""
    return features_and_outputs(load(name, weights_dir=weights_dir)), load_uncertainty(name, weights_dir)


def _spec_of(model: keras.Model) -> ModelSpec:
    if model.name not in list_models():
        raise ValueError(f"keras_imnn.predict takes a zoo name or a model named after one (keras_imnn.load and "
                         f"keras_imnn.finetune keep the name); got a model named {model.name!r}. Known names: "
                         f"{', '.join(list_models())}")
    return get_spec(model.name)


def predict(name_or_model: str | keras.Model, x: Any, *, batch_size: int = 256,
            weights_dir: str | os.PathLike | None = None) -> Prediction:
    """Predict ``x`` with a zoo model, with a calibrated std and the validity domain of every input.

    Args:
        name_or_model: a zoo name (its sha256-checked checkpoint, ensemble and calibration are loaded), or
            a ``keras.Model`` named after a zoo name (e.g. from ``keras_imnn.finetune``): its outputs, checked
            against that name's domain, with NaN std.
        x: photonic cells ``(b, 32, 32)`` / ``(b, 32, 32, 1)`` of ε, or spins 0/1 ``(b, Lx, Ly[, 1])``, as a numpy
            array or a ``tf.data.Dataset`` of x or (x, y) elements, batched or not.
        batch_size: inputs per forward pass.
        weights_dir: a folder with ``manifest.json`` (default: ``keras_imnn.models.registry.weights_dirs()``).

    Returns:
        A :class:`Prediction` (units there). An empty batch gives empty arrays.

    Raises:
        ValueError: physically invalid input (ε ≤ 0 or not finite, a boolean or non-numeric array, spins other
            than 0/1, a shape the model cannot take). Valid but unusual inputs are predicted, flagged in
            ``in_domain``/``reasons`` and named in one ``keras_imnn.DomainWarning`` per call.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    spec = get_spec(name_or_model) if isinstance(name_or_model, str) else _spec_of(name_or_model)
    cfg, task = spec.config, get_task(spec.task)
    domain = model_domain(spec.name)
    arr = _as_array(x, cfg.input_shape)
    in_domain, reasons = domain.check(arr)  # invalid input raises here, before any model is built
    warn_out_of_domain(in_domain, reasons, spec.name, stacklevel=3)
    cells = np.asarray(arr, np.float32).reshape(len(arr), *np.shape(arr)[1:3], 1)
    if not isinstance(name_or_model, str):  # any head a fine-tuning gave it: its outputs only
        outputs = np.asarray(name_or_model.predict(cells, batch_size=batch_size, verbose=0), np.float64) \
            if len(cells) else np.zeros((0, name_or_model.outputs[0].shape[-1]))
        return Prediction(task.point_prediction(outputs, cells), np.full_like(outputs, np.nan), in_domain, reasons)
    model, uncertainty = _pretrained(spec.name, None if weights_dir is None else str(weights_dir))
    if len(cells):
        features, outputs = (np.asarray(o, np.float64) for o in model.predict(cells, batch_size=batch_size, verbose=0))
    else:
        features, outputs = np.zeros((0, model.outputs[0].shape[-1])), np.zeros((0, cfg.outputs))
    if uncertainty is None:
        return Prediction(task.point_prediction(outputs, cells), np.full_like(outputs, np.nan), in_domain, reasons)
    calibration = uncertainty.calibration
    if uncertainty.checkpoints:  # a deep ensemble: the members' mean and variance
        runs = np.concatenate([outputs[None], member_outputs(uncertainty.checkpoints, cells, batch_size)]) \
            if len(cells) else outputs[None]
        outputs, var = runs.mean(axis=0), runs.var(axis=0)
    else:
        var = head_outputs(uncertainty.heads, features, cfg).var(axis=0) if len(cells) else np.zeros_like(outputs)
    if calibration["kind"] == "sign":
        p = sign_probability(outputs, var, calibration["temperature"], calibration["variance_weight"])
        return Prediction(p, np.sqrt(p * (1 - p)), in_domain, reasons)
    if calibration["kind"] == "combined":
        std = combined_std(var, uncertainty.novelty.distance2(features), calibration)
    else:
        std = regression_std(var, np.asarray(calibration["a"]), np.asarray(calibration["b"]))
    return Prediction(task.point_prediction(outputs, cells), std, in_domain, reasons)
