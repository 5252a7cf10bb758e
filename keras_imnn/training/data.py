"""Task data as numpy arrays: from the TFDS datasets, or from a user's .npz file."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TASK_OF_DATASET = {"photonic_crystals": "regression", "frustrated_magnets": "classification"}
TARGETS = ("tm", "te")
# Datasets without a validation split hold out this fraction of train (seeded by the run's seed + 1).
VALIDATION_FRACTION = 0.1


@dataclass
class Arrays:
    """Inputs ``x`` (n, H, W, 1) float32, targets ``y`` (n, 1) float32, optional ``weight`` (n,)
    (|ψ|² for the magnet task: the weight of each state in the sign overlap)."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, index: np.ndarray) -> Arrays:
        return Arrays(self.x[index], self.y[index], None if self.weight is None else self.weight[index])

    def take(self, n: int | None, seed: int = 0) -> Arrays:
        """A random subset of ``n`` examples (all of them if ``n`` is None), fixed by ``seed``."""
        if n is None or n >= len(self):
            return self
        return self.subset(np.sort(np.random.default_rng(seed).choice(len(self), size=n, replace=False)))

    def split(self, fraction: float, seed: int = 0) -> tuple[Arrays, Arrays]:
        """(rest, held out): a random ``fraction`` (at least one example) held out, fixed by ``seed``."""
        order = np.random.default_rng(seed).permutation(len(self))
        n_held = max(1, int(round(fraction * len(self))))
        return self.subset(np.sort(order[n_held:])), self.subset(np.sort(order[:n_held]))


def hold_out_validation(train: Arrays, seed: int) -> tuple[Arrays, Arrays]:
    """(train, validation) for data that ship no validation split."""
    return train.split(VALIDATION_FRACTION, seed + 1)


def task_of(dataset: str) -> str:
    """"regression" or "classification" for a TFDS name like ``photonic_crystals/gapped``."""
    family = dataset.split("/")[0].split(":")[0]
    if family not in TASK_OF_DATASET:
        raise ValueError(f"unknown dataset {dataset!r}; accepted: "
                         f"{', '.join(f'{k}/<config>' for k in TASK_OF_DATASET)}")
    return TASK_OF_DATASET[family]


def gap_to_midgap(gap: np.ndarray, midgap: np.ndarray) -> np.ndarray:
    """Δω/ω_mid, 0 where there is no gap."""
    safe = np.where(midgap > 0, midgap, 1.0)
    return np.where(gap > 0, gap / safe, 0.0).astype(np.float32)


def _require(examples: dict[str, np.ndarray], keys: tuple[str, ...], kind: str) -> None:
    missing = [k for k in keys if k not in examples]
    if missing:
        raise ValueError(f"{kind} data without {', '.join(map(repr, missing))}: the arrays are {sorted(examples)}")


def arrays_from_examples(examples: dict[str, np.ndarray], target: str = "tm") -> Arrays:
    """Build ``Arrays`` from a dict of dataset features (a TFDS batch or a generated .npz)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}; got {target!r}")
    if "eps" in examples:
        _require(examples, (f"{target}_gap", f"{target}_midgap"), "photonic")
        x = np.asarray(examples["eps"], np.float32)
        x = x[..., None] if x.ndim == 3 else x
        y = gap_to_midgap(np.asarray(examples[f"{target}_gap"]), np.asarray(examples[f"{target}_midgap"]))
        return Arrays(x, y.reshape(-1, 1))
    if "spins" in examples:
        _require(examples, ("sign",), "magnet")
        x = np.asarray(examples["spins"], np.float32)
        x = x[..., None] if x.ndim == 3 else x
        y = np.asarray(examples["sign"], np.float32).reshape(-1, 1)
        weight = np.asarray(examples["weight"], np.float32) if "weight" in examples else None
        return Arrays(x, y, weight)
    if "x" in examples and "y" in examples:
        x = np.asarray(examples["x"])
        y = np.asarray(examples["y"])
        return Arrays(x, y.reshape(len(y), -1) if y.ndim == 1 else y)
    raise ValueError(f"cannot find inputs among the keys {sorted(examples)}: expected 'x' and 'y', "
                     f"or a photonic ('eps', 'tm_gap', 'tm_midgap', ...) or magnet ('spins', 'sign') dataset")


def load_split(dataset: str, split: str, n: int | None = None, *, data_dir: str | None = None,
               target: str = "tm") -> Arrays:
    """The first ``n`` examples (all if None) of ``split`` of a TFDS dataset, as arrays.

    The dataset is built locally by its builder (``tfds_builders``) if it is not there yet.
    """
    import tensorflow_datasets as tfds

    import tfds_builders  # noqa: F401  (registers the builders)

    task_of(dataset)
    spec = split if n is None else f"{split}[:{n}]"
    batch = tfds.as_numpy(tfds.load(dataset, split=spec, data_dir=data_dir, batch_size=-1))
    return arrays_from_examples(batch, target)


def load_npz(path: str | Path, target: str = "tm") -> Arrays:
    """Arrays from an .npz with ``x`` and ``y`` (or the output of ``keras-imnn generate``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such data file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; expected an .npz file")
    if not zipfile.is_zipfile(path):  # else np.load tries a .npy or a pickle and fails obscurely
        raise ValueError(f"{path} is not an .npz archive (as numpy.savez writes); it may be truncated")
    with np.load(path) as f:
        return arrays_from_examples({k: f[k] for k in f.files}, target)
