"""Where a run's (train, validation, test) arrays come from: a TFDS dataset, cells from
``keras-imnn generate photonic`` (one .npz), or a folder of split files; shared by the scripts and CLIs."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.groups import shift_symmetries
from keras_imnn.tasks import Task
from keras_imnn.training.data.loading import load_npz

Splits = tuple[Arrays, Arrays, Arrays]
# Generated cells are in the TFDS builder's order: its fixed test split first, then validation.
PHOTONIC_N_TEST, PHOTONIC_N_VALIDATION = 2000, 500
# Datasets without a validation split hold out this fraction of train (seeded by the run's seed + 1).
VALIDATION_FRACTION = 0.1
# Cells per shift_symmetries call in symmetry_free (its FFTs hold about 1 MB per 32×32 cell).
_SYMMETRY_CHUNK = 1024


def hold_out_validation(train: Arrays, seed: int) -> tuple[Arrays, Arrays]:
    """(train, validation) for data that ship no validation split."""
    return train.split(VALIDATION_FRACTION, seed + 1)


def photonic_npz_splits(path: str | Path, n_test: int = PHOTONIC_N_TEST, n_validation: int = PHOTONIC_N_VALIDATION,
                        target: str | None = None, task: Task | None = None) -> Splits:
    """(train, validation, test) of generated cells: the first ``n_test`` test, the next ``n_validation``
    validation, the rest train (``task``'s labels, as ``load_npz``)."""
    data = load_npz(path, target, task)
    if len(data) <= n_test + n_validation:
        raise ValueError(f"{path} holds {len(data)} cells: need more than n_test + n_validation = "
                         f"{n_test + n_validation}")
    idx = list(range(len(data)))
    return (data.subset(idx[n_test + n_validation:]), data.subset(idx[n_test:n_test + n_validation]),
            data.subset(idx[:n_test]))


def symmetry_free_mask(x: np.ndarray, group: str = "d4") -> np.ndarray:
    """``(n,)`` bool: which samples of ``x`` (n, H, W, C) have no point symmetry in ``group``.

    A sample has none when no element of ``group`` but the identity maps it onto a periodic shift of itself
    (``groups.shift_symmetries``, exact on the values): its stabilizer in ``group`` ⋉ periodic shifts holds
    translations at most, so its orbit holds |G| distinct cells up to shifts and orbit averaging (or augmenting
    with the group) is not the identity on it. A cell whose only symmetry is a translation (a supercell) counts
    as symmetry-free.
    """
    x = np.asarray(x)
    return np.concatenate([shift_symmetries(x[i:i + _SYMMETRY_CHUNK], group)[0][:, 1:].sum(axis=1) == 0
                           for i in range(0, len(x), _SYMMETRY_CHUNK)] or [np.zeros(0, bool)])


def symmetry_free(data: Arrays, group: str = "d4") -> Arrays:
    """The examples of ``data`` without point symmetry in ``group`` (``symmetry_free_mask``), in their order."""
    return data.subset(np.flatnonzero(symmetry_free_mask(data.x, group)))


def holds_out_validation(root: Path) -> bool:
    """Whether a split folder's validation comes out of ``train.npz`` (it has no ``validation.npz``)."""
    return not (root / "validation.npz").exists()


def npz_dir_splits(path: str | Path, seed: int = 0, task: Task | None = None) -> Splits:
    """(train, validation, test) from ``path/{train,validation,test}.npz``; without a validation
    file, 10 % of train is held out (as for the TFDS datasets without a validation split)."""
    root = Path(path)
    train, test = load_npz(root / "train.npz", task=task), load_npz(root / "test.npz", task=task)
    if holds_out_validation(root):
        return (*hold_out_validation(train, seed), test)
    return train, load_npz(root / "validation.npz", task=task), test
