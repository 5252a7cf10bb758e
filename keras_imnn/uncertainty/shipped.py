"""What a zoo name ships for its uncertainty: the manifest entry's ``"uncertainty"`` block, its files checked."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from keras_imnn.models.registry import check_sha256, load, pretrained_entry
from keras_imnn.npz import read_npz
from keras_imnn.uncertainty.heads import Head
from keras_imnn.uncertainty.novelty import Novelty


@dataclass(frozen=True)
class Uncertainty:
    """A name's shipped uncertainty.

    Attributes:
        heads: head members on the frozen trunk (``keras_imnn.uncertainty.heads``); empty for a deep ensemble.
        checkpoints: the deep ensemble's members beyond the shipped checkpoint, as loaded models
            (``keras_imnn.uncertainty.ensemble``); empty for a head ensemble.
        calibration: how the spread (and the k-NN distance) become the std (``keras_imnn.uncertainty.calibration``).
        novelty: the k-NN novelty of the training features, or None.
    """

    heads: list[Head]
    checkpoints: list[keras.Model]
    calibration: dict[str, Any]
    novelty: Novelty | None


def _checked(root: Path, listed: dict[str, str], what: str) -> Path:
    path = root / listed["file"]
    if not path.is_file():
        raise FileNotFoundError(f"{what} {path} listed in the manifest in {root} is missing")
    check_sha256(path, listed["sha256"])
    return path


def load_uncertainty(name: str, weights_dir: str | os.PathLike | None = None) -> Uncertainty | None:
    """``name``'s members, calibration and k-NN novelty, every file sha256-checked against the manifest; None if
    the name ships no uncertainty."""
    entry, root = pretrained_entry(name, weights_dir)
    block = entry.get("uncertainty")
    if block is None:
        return None
    heads = []
    for member in block.get("members", []):
        arrays = read_npz(_checked(root, member, "ensemble member"), made_by="keras_imnn.uncertainty.heads.save_head")
        heads.append([(arrays[f"kernel_{i}"], arrays[f"bias_{i}"]) for i in range(len(arrays) // 2)])
    checkpoints = [load(name, weights=_checked(root, member, "ensemble checkpoint"))
                   for member in block.get("checkpoints", [])]
    novelty = Novelty.read(_checked(root, block["knn"], "k-NN feature file")) if "knn" in block else None
    return Uncertainty(heads, checkpoints, block["calibration"], novelty)
