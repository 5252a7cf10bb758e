"""Name → model: ``list_models``, ``load``, ``presets`` and the pretrained-weights manifest."""
from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import os
import site
import sys
import sysconfig
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

import keras

from keras_imnn.atomic import read_json
from keras_imnn.domain import Domain, dataset_domain
from keras_imnn.layers import receptive_field
from keras_imnn.models.builders import build_model, feature_width
from keras_imnn.models.config import HEAD_FIELDS, ModelConfig
from keras_imnn.models.zoo import SPECS, ModelSpec
from keras_imnn.tasks import get_task

_BY_NAME = {spec.name: spec for spec in SPECS}


def weights_dirs() -> list[Path]:
    """Where pretrained checkpoints are looked for, in order.

    ``$KERAS_IMNN_WEIGHTS`` alone when it is set. Else the checkout's ``weights/`` (source or editable install),
    then the ``share/keras_imnn/weights`` a wheel installs (setup.cfg's data_files) under ``sys.prefix``, under
    sysconfig's data path (``/usr/local`` for Debian's system Python) and under ``site.USER_BASE``
    (``pip install --user``).
    """
    if "KERAS_IMNN_WEIGHTS" in os.environ:
        return [Path(os.environ["KERAS_IMNN_WEIGHTS"])]
    checkout = Path(__file__).resolve().parents[2] / "weights"
    prefixes = (sys.prefix, sysconfig.get_path("data"), site.getuserbase())
    return list(dict.fromkeys([checkout, *(Path(p) / "share" / "keras_imnn" / "weights" for p in prefixes)]))


def _weights_dir() -> Path:
    """The first of ``weights_dirs()`` that holds a manifest.json, else the first (where new checkpoints go)."""
    dirs = weights_dirs()
    return next((d for d in dirs if (d / "manifest.json").exists()), dirs[0])


WEIGHTS_DIR = _weights_dir()


def list_models(task: str | None = None) -> list[str]:
    """Registered zoo names, optionally only those of ``task`` (a name of ``keras_imnn.tasks.TASKS``)."""
    name = None if task is None else get_task(task).name  # an unknown task: one error listing the known
    return [s.name for s in SPECS if name is None or s.task == name]


def get_spec(name: str) -> ModelSpec:
    """The zoo entry for ``name``; an unknown name raises a ValueError naming the known ones."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown model {name!r}.{hint} Known models: {', '.join(_BY_NAME)}.")


def manifest(weights_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """The pretrained-weights manifest (``manifest.json`` in ``weights_dir``, default: the first of
    ``weights_dirs()`` that has one), ``{}`` if there is none.

    A manifest that is not a JSON object of entries raises one ValueError naming the file.
    """
    path = Path(weights_dir or _weights_dir()) / "manifest.json"
    if not path.exists():
        return {}
    if not path.is_file():
        raise ValueError(f"manifest {path} is not a file")
    entries = read_json(path)
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise ValueError(f"manifest {path} must be a JSON object of {{model name: entry object}}")
    return entries


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file (the manifest's integrity check)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# Config fields a pretrained load may override: the rest change the weights or the function they compute.
# ``augment`` and ``orbit_training`` act only in training (the exact orbit average and no augmentation at inference),
# so a pretrained model can be fine-tuned with them.
_FREE_FOR_PRETRAINED = frozenset({"augment", "orbit_training"})


def config_drift(recorded: dict[str, Any], cfg: ModelConfig, ignore: Collection[str] = ()) -> list[str]:
    """``"field: was → now"`` for each field of ``cfg`` that differs from a checkpoint's ``recorded`` config.

    Spatial sizes the checkpoint left open (``None``: size-agnostic models) may be set to anything. A field
    ``recorded`` lacks was added to ``ModelConfig`` after the checkpoint was made, which was therefore built
    with its default; an entry without any config (older manifests) and the fields ``ignore`` names are not
    compared.
    """
    if not recorded:
        return []
    now = json.loads(json.dumps(cfg.to_dict()))  # tuples → lists, as the manifest holds them
    defaults = json.loads(json.dumps({f.name: f.default for f in dataclasses.fields(ModelConfig)
                                      if f.default is not dataclasses.MISSING}))
    drift = []
    for key, new in now.items():
        if key in _FREE_FOR_PRETRAINED or key in ignore or (key not in recorded and key not in defaults):
            continue
        was = recorded.get(key, defaults.get(key))
        if key == "input_shape" and isinstance(was, list) and len(was) == len(new):
            new = [None if w is None and i < 2 else n for i, (w, n) in enumerate(zip(was, new))]
        if new != was:
            drift.append(f"{key}: {was!r} → {now[key]!r}")
    return drift


_FRESH = "use weights=None (pretrained=False) for a freshly initialized model"


def check_sha256(path: Path, expected: str) -> None:
    """Refuse a file listed in the manifest whose content is not the one recorded there."""
    digest = sha256(path)
    if digest != expected:
        raise ValueError(
            f"checkpoint {path} fails its integrity check: sha256 {digest} != manifest "
            f"{expected}. The file was modified or corrupted; restore it from the repository."
        )


def pretrained_entry(name: str, weights_dir: str | os.PathLike | None = None) -> tuple[dict[str, Any], Path]:
    """``name``'s manifest entry and the folder its file paths are relative to (checked as by ``load``)."""
    entry, checkpoint = _entry(name, weights_dir)
    return entry, checkpoint.parents[len(Path(entry["file"]).parts) - 1]


def _entry(name: str, weights_dir: str | os.PathLike | None) -> tuple[dict[str, Any], Path]:
    """``name``'s manifest entry and its checkpoint file, each fault one error naming the file (or, without a
    manifest, every folder searched)."""
    dirs = [Path(weights_dir)] if weights_dir else weights_dirs()
    root = next((d for d in dirs if (d / "manifest.json").exists()), None)
    if root is None:
        source = " ($KERAS_IMNN_WEIGHTS)" if not weights_dir and "KERAS_IMNN_WEIGHTS" in os.environ else ""
        raise ValueError(f"no pretrained checkpoint for {name!r}: no manifest.json in {', '.join(map(str, dirs))}"
                         f"{source}. Point $KERAS_IMNN_WEIGHTS at a folder holding one, or {_FRESH}.")
    path = root / "manifest.json"
    entry = manifest(root).get(name)
    if entry is None:
        raise ValueError(f"no pretrained checkpoint for {name!r} yet (looked in {path}); {_FRESH}.")
    missing = [k for k in ("file", "sha256") if not isinstance(entry.get(k), str) or not entry[k]]
    if missing:
        raise ValueError(f"manifest {path}: entry {name!r} lacks {' and '.join(repr(k) for k in missing)} "
                         f"(a non-empty string each)")
    if not isinstance(entry.get("config", {}), dict):
        raise ValueError(f"manifest {path}: entry {name!r} has a 'config' that is not a JSON object")
    checkpoint = root / entry["file"]
    # A checkpoint is a file of the weights folder: an absolute path or ../ would load whatever file it names.
    # Checked on the names (normpath), not resolve(): a checkpoint may be a symlink into a cache.
    if Path(entry["file"]).is_absolute() or Path(os.path.normpath(root)) not in Path(
            os.path.normpath(checkpoint)).parents:
        raise ValueError(f"manifest {path}: entry {name!r} has file {entry['file']!r} outside the weights folder "
                         f"{root}; accepted: a path relative to it, such as {name}/model.weights.h5")
    if not checkpoint.exists():
        raise FileNotFoundError(f"checkpoint {checkpoint} listed in the manifest {path} is missing.")
    if not checkpoint.is_file():
        raise ValueError(f"checkpoint {checkpoint} listed in the manifest {path} is not a file.")
    return entry, checkpoint


def _load_into(model: keras.Model, path: Path, name: str, include_top: bool, overrides: dict[str, Any]) -> None:
    """``model.load_weights(path)``, a misfit one error naming the file and the way out."""
    # Keras warns about every layer it skips before it raises; on failure our one error says it all.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except (ValueError, OSError) as err:  # OSError: not an HDF5 file
            raise ValueError(
                f"checkpoint {path} does not fit {name!r} built with overrides {overrides}"
                f"{'' if include_top else ' and include_top=False'}: {err}. "
                f"Use weights=None (pretrained=False), or keras_imnn.finetune to swap the head."
            ) from err
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _load_pretrained(model: keras.Model, name: str, cfg: ModelConfig, include_top: bool,
                     weights_dir: str | os.PathLike | None, overrides: dict[str, Any]) -> None:
    entry, path = _entry(name, weights_dir)
    # A headless model has no head: the head's fields cannot make the trunk's weights compute another function.
    drift = config_drift(entry.get("config", {}), cfg, ignore=() if include_top else HEAD_FIELDS)
    if drift:
        raise ValueError(
            f"checkpoint {path} was trained with another {name!r} config ({'; '.join(drift)}): its weights "
            f"would compute another function. Use weights=None (pretrained=False), or keras_imnn.finetune to "
            f"adapt it."
        )
    check_sha256(path, entry["sha256"])
    _load_into(model, path, name, include_top, overrides)


class _DefaultWeights(str):
    """The default ``weights="pretrained"``, told apart from an explicit one to catch a contradicting
    ``pretrained=``."""


_PRETRAINED = _DefaultWeights("pretrained")
_WEIGHTS_ACCEPTED = "weights= takes 'pretrained', None or the path of a .weights.h5 file"


def _weights_choice(weights: Any, pretrained: bool | None) -> str | Path | None:
    """``"pretrained"``, None or a file, from ``weights`` and the older spelling ``pretrained`` (True ≡
    ``weights="pretrained"``, False ≡ ``weights=None``)."""
    if pretrained is not None:
        implied = "pretrained" if pretrained else None
        if weights is not _PRETRAINED and weights != implied:
            raise ValueError(f"weights={weights!r} contradicts pretrained={pretrained!r}; pass weights= alone "
                             f"({_WEIGHTS_ACCEPTED})")
        return implied
    if weights is None or weights == "pretrained":
        return None if weights is None else "pretrained"
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"{_WEIGHTS_ACCEPTED}; got {weights!r}")
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} {'is a folder' if path.is_dir() else 'does not exist'}; "
                                f"{_WEIGHTS_ACCEPTED}")
    return path


def load(name: str, *, weights: str | os.PathLike | None = _PRETRAINED, include_top: bool = True,
         pretrained: bool | None = None, weights_dir: str | os.PathLike | None = None,
         **overrides: Any) -> keras.Model:
    """Build the zoo model ``name`` (keras.applications' conventions) and load its weights.

    Args:
        name: a name from ``list_models()``.
        weights: "pretrained" (the checkpoint listed in ``manifest.json``, sha256-checked), None (freshly
            initialized) or the path of a weights file of your own (e.g. from ``model.save_weights``).
        include_top: False drops the dense head: the model returns the trunk's features ``(batch, features)``
            (``presets()[name]["features"]`` wide): for the "inv" models the group-averaged pooled channels,
            exactly invariant to periodic shifts and the point group; for the baselines the flattened trunk,
            not invariant. Checkpoints of the full model load into it (their head is ignored).
        pretrained: the older spelling of ``weights``: True ≡ "pretrained", False ≡ None.
        weights_dir: a folder holding ``manifest.json`` and the checkpoints (default: ``weights_dirs()``).
        **overrides: ``ModelConfig`` fields, e.g. ``outputs=3``, ``input_shape=(8, 8, 1)``,
            ``group="c4"``. With pretrained weights, only ``augment``, ``orbit_training``, the spatial size of a
            size-agnostic model and (with ``include_top=False``) the head's fields may differ from the config the
            checkpoint was trained with (the manifest's "config"); other changes need ``weights=None`` (or
            ``keras_imnn.finetune``, which swaps the head).

    Returns:
        A ``keras.Model``: ``(batch, H, W, 1)`` → ``(batch, outputs)``, or ``(batch, features)`` without the top.
        With the top it comes compiled for its task (as keras-hub's tasks): Adam, the task's loss and metrics
        (photonic gap: MSE + MAE; band edges: relative absolute error + MAE; magnet sign: binary cross-entropy
        on the logit + accuracy), so ``fit``/``evaluate`` take the TFDS ``as_supervised`` pairs as they are;
        ``compile`` again for other settings. Without the top it is uncompiled (features have no loss).
        A sample with a NaN or infinite input gets NaN outputs; an input of a shape the model cannot take is
        refused with one ValueError.
    """
    spec = get_spec(name)
    choice = _weights_choice(weights, pretrained)
    cfg = spec.config.replace(**overrides)
    model = build_model(cfg, name=name, include_top=include_top)
    if choice == "pretrained":
        _load_pretrained(model, name, cfg, include_top, weights_dir, overrides)
    elif choice is not None:
        _load_into(model, choice, name, include_top, overrides)
    return get_task(spec.task).compile(model) if include_top else model


def model_domain(name: str, input_shape: tuple[int | None, ...] | None = None) -> Domain:
    """The validity domain of zoo model ``name``: its training data's, at its point group and input size
    (``input_shape`` ``(H, W, C)`` of a copy built with another size; default the zoo config's)."""
    spec = get_spec(name)
    domains = [dataset_domain(d, input_shape=input_shape or spec.config.input_shape, group=spec.config.group)
               for d in (spec.dataset, *spec.also_trained_on)]
    return functools.reduce(lambda a, b: a.union(b), domains)


def receptive_field_of(spec: ModelSpec) -> str:
    """Receptive field of a zoo model, in pixels, as printed in tables."""
    cfg = spec.config
    if cfg.arch != "inv":
        return "whole input (flatten + dense)"
    rf = receptive_field(cfg.kernel_size, cfg.dilations)
    return f"{rf}×{rf}"


def presets(task: str | None = None) -> dict[str, dict[str, Any]]:
    """What each zoo model is and how its checkpoint did (keras-hub's preset metadata, with the manifest's).

    Per name: ``task``, ``description``, ``params`` (full model), ``features`` (width of ``include_top=False``),
    ``invariance`` (the point group of an "inv" model, with periodic shifts; None for the baselines),
    ``receptive_field``, ``dataset`` (the default one, which the checkpoint was trained on), ``validity_domain``
    (which inputs it accepts and which it was trained on: ``keras_imnn.domain``), ``pretrained``, and from the
    manifest ``dataset_version`` and ``test_metrics`` (None without a checkpoint).
    """
    trained = manifest()
    out = {}
    for name in list_models(task):
        spec, entry = _BY_NAME[name], trained.get(name, {})
        cfg = spec.config
        out[name] = {
            "task": spec.task,
            "description": spec.description,
            "params": build_model(cfg, name=name).count_params(),
            "features": feature_width(cfg),
            "invariance": (cfg.group or "none") if cfg.arch == "inv" else None,
            "receptive_field": receptive_field_of(spec),
            "dataset": spec.dataset,
            "validity_domain": model_domain(name).describe(),
            "pretrained": name in trained,
            "dataset_version": entry.get("dataset_version"),
            "test_metrics": entry.get("test_metrics"),
        }
    return out
