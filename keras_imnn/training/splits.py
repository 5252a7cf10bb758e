"""Where a run's (train, validation, test) arrays come from: a TFDS dataset, cells from
``keras-imnn generate photonic`` (one .npz), or a folder of split files; shared by the scripts and CLIs."""
from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.atomic import read_json
from keras_imnn.cli_options import positive_int
from keras_imnn.groups import shift_symmetries
from keras_imnn.tasks import TARGET_CHOICES, Task
from keras_imnn.tasks.photonic_gap import PHOTONIC_GAP
from keras_imnn.training.data import load_npz, load_split

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
                        target: str | None = None, task: str | Task | None = None) -> Splits:
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


def symmetry_free_splits(splits: Splits, group: str = "d4") -> tuple[Splits, str]:
    """``(train, validation, test)`` each restricted to its examples without point symmetry in ``group``, and a
    line saying how many remain. The splits are filtered as made (the fixed test split first, as
    ``photonic_npz_splits``), so the test cells stay the same cells whatever is filtered."""
    kept = tuple(symmetry_free(part, group) for part in splits)
    counts = ", ".join(f"{name} {len(k)} of {len(part)}"
                       for name, k, part in zip(("train", "validation", "test"), kept, splits))
    return kept, f"cells without {group.upper()} point symmetry only: {counts}"


def _holds_out_validation(root: Path) -> bool:
    """Whether a split folder's validation comes out of ``train.npz`` (it has no ``validation.npz``)."""
    return not (root / "validation.npz").exists()


def npz_dir_splits(path: str | Path, seed: int = 0, task: str | Task | None = None) -> Splits:
    """(train, validation, test) from ``path/{train,validation,test}.npz``; without a validation
    file, 10 % of train is held out (as for the TFDS datasets without a validation split)."""
    root = Path(path)
    train, test = load_npz(root / "train.npz", task=task), load_npz(root / "test.npz", task=task)
    if _holds_out_validation(root):
        return (*hold_out_validation(train, seed), test)
    return train, load_npz(root / "validation.npz", task=task), test


def load_task_splits(dataset: str, *, data_dir: str | None, target: str | None,
                     n_train: int | None, seed: int, task: str | Task | None = None) -> Splits:
    """(train subset, validation, test) of a TFDS dataset (``task``'s labels, as ``load_split``); without a
    validation split 10 % of train is held out."""
    train = load_split(dataset, "train", data_dir=data_dir, target=target, task=task)
    held_out = ""
    try:
        validation = load_split(dataset, "validation", data_dir=data_dir, target=target, task=task)
    except ValueError:
        train, validation = hold_out_validation(train, seed)
        held_out = " after 10 % are held out for validation"
    test = load_split(dataset, "test", data_dir=data_dir, target=target, task=task)
    if n_train is not None and n_train > len(train):  # training on fewer than asked would go unnoticed
        raise ValueError(f"n_train {n_train} exceeds the {len(train)} training examples of {dataset}{held_out}; "
                         f"give n_train <= {len(train)}, or leave it out for all of them")
    return train.take(n_train, seed), validation, test


def task_splits(dataset: str, *, npz: str | None = None, npz_dir: str | None = None, data_dir: str | None = None,
                target: str | None = None, n_test: int = PHOTONIC_N_TEST, n_validation: int | None = None,
                seed: int = 0, task: str | Task | None = None,
                extra_train_npz: Sequence[str] = ()) -> tuple[Splits, str]:
    """The whole (train, validation, test) of one source, and a short description of it.

    Args:
        dataset: TFDS name, used when neither ``npz`` nor ``npz_dir`` is given.
        npz: photonic cells from ``keras-imnn generate photonic`` (test = the first ``n_test``).
        npz_dir: a folder of ``train.npz`` / ``test.npz`` (/ ``validation.npz``).
        target: which label of generated data (photonic: "tm" or "te"; None: the task's first).
        n_validation: at most this many validation examples (a random subset fixed by ``seed``);
            None: 500 generated cells, or the whole validation split.
        seed: fixes the validation hold-out where the source has none, and the subset.
        task: whose labels to read where tasks share the data (the model's; None: the data's first task).
        extra_train_npz: more generated photonic cells, all of them added to ``train`` (another config's or
            seed's: validation and test stay the source's).
    """
    if extra_train_npz:
        (train, validation, test), source = task_splits(dataset, npz=npz, npz_dir=npz_dir, data_dir=data_dir,
                                                        target=target, n_test=n_test, n_validation=n_validation,
                                                        seed=seed, task=task)
        extra = [load_npz(path, target, task) for path in extra_train_npz]
        source += "; train also " + ", ".join(f"all {len(e)} cells of {Path(p).name}"
                                              for e, p in zip(extra, extra_train_npz))
        return (Arrays.concatenate([train, *extra]), validation, test), source
    if npz and npz_dir:
        raise ValueError("give npz (generated photonic cells) or npz_dir (split files), not both")
    if npz:
        n_validation = n_validation or PHOTONIC_N_VALIDATION
        splits = photonic_npz_splits(npz, n_test, n_validation, target, task)
        n_seen = n_test + n_validation
        last = n_seen + len(splits[0]) - 1
        label = (target or PHOTONIC_GAP.targets[0]).upper()
        return splits, (f"{Path(npz).name}: cells 0..{last} from `keras-imnn generate photonic`, "
                        f"{label} labels; test = cells 0..{n_test - 1}, validation = {n_test}..{n_seen - 1}, "
                        f"train = {n_seen}..{last}")
    if npz_dir:
        (train, validation, test), source = npz_dir_splits(npz_dir, seed, task), f"{Path(npz_dir).name}/ split files"
        if _holds_out_validation(Path(npz_dir)):
            source += f" (validation: 10 % of train.npz held out, seed {seed})"
    else:
        (train, validation, test), source = load_task_splits(dataset, data_dir=data_dir, target=target,
                                                             n_train=None, seed=seed, task=task), dataset
    return (train, validation.take(n_validation, seed), test), source


def source_lattice(dataset: str | None, *, npz: str | None = None, npz_dir: str | Path | None = None,
                   data_dir: str | None = None) -> tuple[str, tuple[int, int]] | None:
    """The magnet lattice ``(name, (Lx, Ly))`` of a source, as ``task_splits`` takes it, where its data say:
    ``npz_dir``'s metadata.json (``keras-imnn generate magnet``), or the TFDS dataset's metadata (its config's
    before the dataset is built); else None (photonic cells, plain split files)."""
    if npz:
        return None
    if npz_dir:
        meta = read_json(Path(npz_dir) / "metadata.json", {})
    else:
        import tensorflow_datasets as tfds

        import tfds_builders  # noqa: F401  (registers the builders)

        builder = tfds.builder(dataset, data_dir=data_dir)
        config = builder.builder_config
        meta = {"lattice": getattr(config, "lattice", None), "shape": getattr(config, "shape", None),
                **(builder.info.metadata or {})}
    if not meta.get("lattice") or not meta.get("shape"):
        return None
    return meta["lattice"], tuple(meta["shape"])


def check_lattice(name: str, lattice: tuple[str, tuple[int, int]] | None,
                  overrides: Mapping[str, Any] | None = None) -> None:
    """Refuse, before training, an invariant zoo model ``name`` (with ``overrides``) whose point group does not
    map the data's ``lattice`` (``source_lattice``) onto itself: nothing in training knows the lattice, so it
    would learn a wrong invariance silently (D2 or D4 on the triangular lattice, which keeps only C2)."""
    from keras_imnn.models.registry import get_spec
    from keras_imnn.physics.magnet.lattices import check_group_preserves

    config = get_spec(name).config
    if lattice is not None and config.arch == "inv":
        try:
            check_group_preserves((overrides or {}).get("group", config.group), *lattice, where=name)
        except ValueError as err:
            raise ValueError(f"{err} (choose one with --group; group= in Python)") from None


def lattice_augment(augment: bool | str, lattice: tuple[str, tuple[int, int]] | None, where: str) -> bool | str:
    """The group an augmented (non-invariant) model draws from on the data's ``lattice`` (``source_lattice``):
    True takes the largest group that maps the lattice's bonds onto themselves and keeps its grid's shape (D4
    on a square grid, D2 on a rectangle, C2 on the triangular lattice, whose mirrors turn one diagonal into the
    other); a group name must map the bonds onto themselves (else ValueError). Without a lattice (photonic
    cells) ``augment`` is returned as given."""
    from keras_imnn.groups import GROUPS
    from keras_imnn.physics.magnet.lattices import check_group_preserves, preserving_groups

    if not augment or lattice is None:
        return augment
    if isinstance(augment, str):
        check_group_preserves(augment, *lattice, where=f"{where} augmentation")
        return augment
    name, shape = lattice
    keep_shape = [g for g in preserving_groups(name, shape)
                  if shape[0] == shape[1] or not any(e.transpose for e in GROUPS[g])]
    return keep_shape[-1]  # smallest first


def add_split_arguments(parser: argparse.ArgumentParser, n_validation: int | None = None) -> None:
    """``--dataset | --npz | --npz-dir``, ``--data-dir``, ``--target``, ``--n-test``, ``--n-validation``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", help="TFDS name (default: the model's or task's default dataset)")
    source.add_argument("--npz", help="photonic cells from `keras-imnn generate photonic` "
                        "(test = the first --n-test cells, validation = the next --n-validation)")
    source.add_argument("--npz-dir", help="a folder of train.npz / test.npz (/ validation.npz)")
    parser.add_argument("--data-dir", help="TFDS data directory (default: ~/tensorflow_datasets)")
    parser.add_argument("--target", choices=TARGET_CHOICES,
                        help="which label of the data: the photonic gap-to-midgap ratio in this polarization "
                             "(default: tm)")
    parser.add_argument("--extra-train-npz", nargs="+", default=(), metavar="NPZ",
                        help="more photonic cells from `keras-imnn generate photonic`, all added to train (e.g. "
                             "another config's; validation and test stay the source's)")
    parser.add_argument("--n-test", type=positive_int, default=PHOTONIC_N_TEST, help="--npz only: test cells")
    parser.add_argument("--n-validation", type=positive_int, default=n_validation,
                        help=f"at most this many validation examples (default: "
                             f"{n_validation or f'{PHOTONIC_N_VALIDATION} generated cells, or the whole split'})")


def splits_from_args(args: argparse.Namespace, dataset: str, seed: int = 0,
                     task: str | Task | None = None) -> tuple[Splits, str]:
    """``task_splits`` for the arguments of ``add_split_arguments`` (``dataset``: the default)."""
    return task_splits(args.dataset or dataset, npz=args.npz, npz_dir=args.npz_dir, data_dir=args.data_dir,
                       target=args.target, n_test=args.n_test, n_validation=args.n_validation, seed=seed,
                       task=task, extra_train_npz=args.extra_train_npz)
