"""Name → model: ``list_models``, ``load`` and the pretrained-weights manifest."""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import keras

from keras_imnn.models.builders import build_model
from keras_imnn.models.config import ModelConfig
from keras_imnn.models.zoo import SPECS, ModelSpec

_BY_NAME = {spec.name: spec for spec in SPECS}


def _weights_dir() -> Path:
    """``$KERAS_IMNN_WEIGHTS``, else the checkout's ``weights/`` (source or editable install), else the
    copy a wheel installs under ``<prefix>/share/keras_imnn/weights`` (setup.cfg's data_files)."""
    if "KERAS_IMNN_WEIGHTS" in os.environ:
        return Path(os.environ["KERAS_IMNN_WEIGHTS"])
    checkout = Path(__file__).resolve().parents[2] / "weights"
    installed = Path(sys.prefix) / "share" / "keras_imnn" / "weights"
    return installed if not checkout.is_dir() and installed.is_dir() else checkout


WEIGHTS_DIR = _weights_dir()


def list_models(task: str | None = None) -> list[str]:
    """Registered zoo names, optionally only those of ``task`` ("photonic" or "magnet")."""
    return [s.name for s in SPECS if task is None or s.task == task]


def get_spec(name: str) -> ModelSpec:
    """The zoo entry for ``name``; an unknown name raises a ValueError naming the known ones."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown model {name!r}.{hint} Known models: {', '.join(_BY_NAME)}.")


def manifest(weights_dir: Path | None = None) -> dict[str, Any]:
    """The pretrained-weights manifest (``weights/manifest.json``), ``{}`` if there is none.

    A manifest that is not a JSON object of entries raises one ValueError naming the file.
    """
    path = Path(weights_dir or WEIGHTS_DIR) / "manifest.json"
    if not path.exists():
        return {}
    if not path.is_file():
        raise ValueError(f"manifest {path} is not a file")
    try:
        entries = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"manifest {path} is not valid JSON: {err}") from None
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise ValueError(f"manifest {path} must be a JSON object of {{model name: entry object}}")
    return entries


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file (the manifest's integrity check)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# Config fields a pretrained load may override: the rest change the weights or the function they compute.
# ``augment`` only acts in training (identity at inference), so a pretrained baseline can be fine-tuned with it.
_FREE_FOR_PRETRAINED = frozenset({"augment"})


def config_drift(recorded: dict[str, Any], cfg: ModelConfig) -> list[str]:
    """``"field: was → now"`` for each field of ``cfg`` that differs from a checkpoint's ``recorded`` config.

    Spatial sizes the checkpoint left open (``None``: size-agnostic models) may be set to anything; fields
    ``recorded`` lacks (older manifests) are not compared.
    """
    now = json.loads(json.dumps(cfg.to_dict()))  # tuples → lists, as the manifest holds them
    drift = []
    for key, was in recorded.items():
        if key in _FREE_FOR_PRETRAINED or key not in now:
            continue
        new = now[key]
        if key == "input_shape" and isinstance(was, list) and len(was) == len(new):
            new = [None if w is None and i < 2 else n for i, (w, n) in enumerate(zip(was, new))]
        if new != was:
            drift.append(f"{key}: {was!r} → {now[key]!r}")
    return drift


def _entry(root: Path, name: str) -> tuple[dict[str, Any], Path]:
    """``name``'s manifest entry and its checkpoint file, each fault one error naming the file."""
    path = root / "manifest.json"
    entry = manifest(root).get(name)
    if entry is None:
        raise ValueError(
            f"no pretrained checkpoint for {name!r} yet (looked in {path}); "
            f"use keras_imnn.load({name!r}, pretrained=False) for a freshly initialized model."
        )
    missing = [k for k in ("file", "sha256") if not isinstance(entry.get(k), str) or not entry[k]]
    if missing:
        raise ValueError(f"manifest {path}: entry {name!r} lacks {' and '.join(repr(k) for k in missing)} "
                         f"(a non-empty string each)")
    if not isinstance(entry.get("config", {}), dict):
        raise ValueError(f"manifest {path}: entry {name!r} has a 'config' that is not a JSON object")
    checkpoint = root / entry["file"]
    if not checkpoint.exists():
        raise FileNotFoundError(f"checkpoint {checkpoint} listed in the manifest {path} is missing.")
    if not checkpoint.is_file():
        raise ValueError(f"checkpoint {checkpoint} listed in the manifest {path} is not a file.")
    return entry, checkpoint


def _load_weights(model: keras.Model, name: str, cfg: ModelConfig, weights_dir: Path | None,
                  overrides: dict[str, Any]) -> None:
    root = Path(weights_dir or WEIGHTS_DIR)
    entry, path = _entry(root, name)
    drift = config_drift(entry.get("config", {}), cfg)
    if drift:
        raise ValueError(
            f"checkpoint {path} was trained with another {name!r} config ({'; '.join(drift)}): its weights "
            f"would compute another function. Use pretrained=False, or keras_imnn.finetune to adapt it."
        )
    digest = sha256(path)
    if digest != entry["sha256"]:
        raise ValueError(
            f"checkpoint {path} fails its integrity check: sha256 {digest} != manifest "
            f"{entry['sha256']}. The file was modified or corrupted; restore it from the repository."
        )
    # Keras warns about every layer it skips before it raises; on failure our one error says it all.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except ValueError as err:
            raise ValueError(
                f"checkpoint {path} does not fit {name!r} built with overrides {overrides}: {err}. "
                f"Use pretrained=False, or keras_imnn.finetune to swap the head."
            ) from err
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def load(name: str, pretrained: bool = True, *, weights_dir: Path | None = None,
         **overrides: Any) -> keras.Model:
    """Build the zoo model ``name`` and, if ``pretrained``, load its verified checkpoint.

    Args:
        name: a name from ``list_models()``.
        pretrained: load the checkpoint listed in ``weights/manifest.json`` (sha256-checked).
        weights_dir: where the manifest and checkpoints live (default: the repository's weights/).
        **overrides: ``ModelConfig`` fields, e.g. ``outputs=3``, ``input_shape=(8, 8, 1)``,
            ``group="c4"``. With ``pretrained``, only ``augment`` and the spatial size of a size-agnostic
            model may differ from the config the checkpoint was trained with (the manifest's "config");
            other changes need ``pretrained=False`` (or ``keras_imnn.finetune``, which swaps the head).

    Returns:
        A ``keras.Model``: ``(batch, H, W, 1)`` → ``(batch, outputs)``.
    """
    spec = get_spec(name)
    cfg = spec.config.replace(**overrides)
    model = build_model(cfg, name=name)
    if pretrained:
        _load_weights(model, name, cfg, weights_dir, overrides)
    return model
