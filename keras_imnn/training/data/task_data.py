"""The data of a run as one object: (train, validation, test) with their task, lattice and source, made by one
loader (``load_task_data``) from a TFDS dataset, generated cells (one .npz) or a folder of split files."""
from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from keras_imnn.arrays import Arrays
from keras_imnn.atomic import read_json
from keras_imnn.cli_options import positive_int
from keras_imnn.tasks import TARGET_CHOICES, Task, task_of_dataset
from keras_imnn.training.data.loading import load_npz, load_split
from keras_imnn.training.data.splits import (
    PHOTONIC_N_TEST,
    PHOTONIC_N_VALIDATION,
    hold_out_validation,
    holds_out_validation,
    npz_dir_splits,
    photonic_npz_splits,
    symmetry_free,
)

#: A magnet lattice as data record it: (name in ``keras_imnn.lattices.LATTICES``, (L1, L2) cells).
LatticeShape = tuple[str, tuple[int, int]]


@dataclass(frozen=True)
class TaskData:
    """Splits that know what they are.

    Attributes:
        train, validation, test: ``Arrays``; ``validation`` None trains without early-stopping data.
        task: whose labels the arrays hold (``train_on`` refuses a model of another task).
        lattice: the magnet lattice the examples live on, where the data record it (None: photonic cells,
            plain split files); ``train_on`` refuses an invariant model whose group does not map it onto itself.
        source: one line saying where the splits came from (run records, comparison folders).
    """

    train: Arrays
    validation: Arrays | None
    test: Arrays
    task: Task
    lattice: LatticeShape | None = None
    source: str = ""

    def with_train(self, train: Arrays) -> TaskData:
        """The same data with another training set (a subset, more cells)."""
        return replace(self, train=train)

    def symmetry_free(self, group: str = "d4") -> TaskData:
        """Each split restricted to its examples without point symmetry in ``group`` (``splits.symmetry_free``),
        the counts added to ``source``. The splits are filtered as made (the fixed test split first), so the test
        cells stay the same cells whatever is filtered."""
        parts = {"train": self.train, "validation": self.validation, "test": self.test}
        kept = {name: None if part is None else symmetry_free(part, group) for name, part in parts.items()}
        counts = ", ".join(f"{name} {len(kept[name])} of {len(part)}" for name, part in parts.items()
                           if part is not None)
        return replace(self, **kept,
                       source=f"{self.source}; cells without {group.upper()} point symmetry only: {counts}")

    def check_model(self, name: str, overrides: Mapping[str, Any] | None = None,
                    augment: bool | str = False) -> bool | str:
        """Refuse zoo model ``name`` (with ``overrides``) on these data (``check_model``); return the group its
        augmentation draws from (``lattice_augment``)."""
        check_model(name, self.task, self.lattice, overrides, where=self.source)
        return lattice_augment(augment, self.lattice, name)


def check_model(name: str, task: Task, lattice: LatticeShape | None, overrides: Mapping[str, Any] | None = None,
                where: str = "") -> None:
    """Refuse zoo model ``name`` (with ``overrides``) on data of ``task`` on ``lattice`` (``where``: the data's
    source) before any training: a model of another task, or an invariant model whose point group does not map
    the lattice onto itself, would learn nothing or a wrong invariance silently (D2 or D4 on the triangular
    lattice, which keeps only C2). A lattice's own group (e.g. "kagome") needs data that record that lattice."""
    from keras_imnn.groups import GROUPS
    from keras_imnn.lattices import LATTICES
    from keras_imnn.models.registry import get_spec
    from keras_imnn.physics.magnet.lattices import check_group_preserves

    spec = get_spec(name)
    if spec.task != task.name:
        raise ValueError(f"{name!r} is a {spec.task} model and {where or 'the data'} holds {task.name} data: "
                         f"train it on {spec.task} data")
    group = (overrides or {}).get("group", spec.config.group)
    if lattice is None and group in LATTICES and spec.config.arch == "inv":
        raise ValueError(f"{name}: group {group!r} is the {group} lattice's point group acting on its sites, and these "
                         "data record no lattice (photonic cells or plain arrays): choose one of "
                         f"{', '.join(GROUPS)}")
    if lattice is not None and spec.config.arch == "inv":
        try:
            check_group_preserves(group, *lattice, where=name)
        except ValueError as err:
            raise ValueError(f"{err} (choose one with --group; group= in Python)") from None


def lattice_augment(augment: bool | str, lattice: LatticeShape | None, where: str) -> bool | str:
    """The group an augmented (non-invariant) model draws from on the data's ``lattice``: True takes the largest
    group that maps the lattice's bonds onto themselves and keeps its grid's shape (D4 on a square grid, D2 on a
    rectangle, C2 on the triangular lattice, whose mirrors turn one diagonal into the other); a group name must map
    the bonds onto themselves (else ValueError). Without a lattice (photonic cells) ``augment`` is returned as
    given."""
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


def source_lattice(dataset: str | None, *, npz: str | None = None, npz_dir: str | Path | None = None,
                   data_dir: str | None = None) -> LatticeShape | None:
    """The magnet lattice ``(name, (Lx, Ly))`` of a source, where its data say: ``npz_dir``'s metadata.json
    (``keras-imnn generate magnet``), or the TFDS dataset's metadata (its config's before the dataset is built);
    else None (photonic cells, plain split files)."""
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


def load_task_data(dataset: str, *, task: Task | None = None, npz: str | None = None, npz_dir: str | None = None,
                   data_dir: str | None = None, target: str | None = None, n_train: int | None = None,
                   n_test: int = PHOTONIC_N_TEST, n_validation: int | None = None, seed: int = 0,
                   extra_train_npz: Sequence[str] = (),
                   models: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> TaskData:
    """The whole (train, validation, test) of one source with its task, lattice and a line describing it.

    Args:
        dataset: TFDS name; it also names the data's task family where ``npz`` or ``npz_dir`` is given.
        task: whose labels to read where tasks share the data (the model's; None: the dataset's first task).
        npz: photonic cells from ``keras-imnn generate photonic`` (test = the first ``n_test``, validation the
            next ``n_validation``, the rest train: the TFDS builder's order).
        npz_dir: a folder of ``train.npz`` / ``test.npz`` (/ ``validation.npz``; without it 10 % of train are
            held out, seeded by ``seed``).
        target: which label of generated data (photonic: "tm" or "te"; None: the task's first).
        n_train: a random subset of train of this size fixed by ``seed`` (None: all of it).
        n_validation: at most this many validation examples (a random subset fixed by ``seed``);
            None: 500 generated cells, or the whole validation split.
        extra_train_npz: more generated photonic cells, all added to train (validation and test stay the source's).
        models: zoo models ``(name, overrides)`` checked against the data's task and lattice (``check_model``)
            before any example is read (or a TFDS dataset built): ``train_on`` checks again, after hours of
            training for the last of several.
    """
    if npz and npz_dir:
        raise ValueError("give npz (generated photonic cells) or npz_dir (split files), not both")
    data_task, held_out = task_of_dataset(dataset, task), ""
    if task is not None and data_task is not task:  # refused before the data are read (or built)
        raise ValueError(f"{dataset} holds {data_task.name} data, not {task.name} data: give a "
                         f"{task.dataset_family} dataset (e.g. {task.default_dataset})")
    task = data_task
    lattice = source_lattice(dataset, npz=npz, npz_dir=npz_dir, data_dir=data_dir)
    for name, overrides in models:
        check_model(name, task, lattice, overrides, where=str(npz or npz_dir or dataset))
    if npz:
        n_validation = n_validation or PHOTONIC_N_VALIDATION
        train, validation, test = photonic_npz_splits(npz, n_test, n_validation, target, task)
        n_seen = n_test + n_validation
        last = n_seen + len(train) - 1
        label = f"{(target or task.targets[0]).upper()} labels" if task.targets else f"{task.name} labels"
        source = (f"{Path(npz).name}: cells 0..{last} from `keras-imnn generate photonic`, {label}; "
                  f"test = cells 0..{n_test - 1}, validation = {n_test}..{n_seen - 1}, train = {n_seen}..{last}")
    elif npz_dir:
        (train, validation, test), source = npz_dir_splits(npz_dir, seed, task), f"{Path(npz_dir).name}/ split files"
        if holds_out_validation(Path(npz_dir)):
            source += f" (validation: 10 % of train.npz held out, seed {seed})"
    else:
        train, source = load_split(dataset, "train", data_dir=data_dir, target=target, task=task), dataset
        try:
            validation = load_split(dataset, "validation", data_dir=data_dir, target=target, task=task)
        except ValueError:
            train, validation = hold_out_validation(train, seed)
            held_out = " after 10 % are held out for validation"
        test = load_split(dataset, "test", data_dir=data_dir, target=target, task=task)
    if n_train is not None and n_train > len(train):  # training on fewer than asked would go unnoticed
        raise ValueError(f"n_train {n_train} exceeds the {len(train)} training examples of {source}{held_out}; "
                         f"give n_train <= {len(train)}, or leave it out for all of them")
    if extra_train_npz:
        extra = [load_npz(path, target, task) for path in extra_train_npz]
        source += "; train also " + ", ".join(f"all {len(e)} cells of {Path(p).name}"
                                              for e, p in zip(extra, extra_train_npz))
        train = Arrays.concatenate([train, *extra])
    return TaskData(train.take(n_train, seed), validation.take(n_validation, seed), test, task, lattice, source)


def add_data_options(parser: argparse.ArgumentParser, n_validation: int | None = None) -> None:
    """``--dataset | --npz | --npz-dir``, ``--data-dir``, ``--target``, ``--extra-train-npz``, ``--n-test``,
    ``--n-validation``: the options ``task_data_from_args`` reads."""
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


def task_data_from_args(args: argparse.Namespace, task: Task, seed: int = 0, dataset: str | None = None,
                        models: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> TaskData:
    """``load_task_data`` for the options of ``add_data_options`` (``--dataset`` defaults to ``dataset``, else to
    ``task``'s), ``models`` checked before the data are read."""
    return load_task_data(args.dataset or dataset or task.default_dataset, task=task, npz=args.npz,
                          npz_dir=args.npz_dir, data_dir=args.data_dir, target=args.target, n_test=args.n_test,
                          n_validation=args.n_validation, seed=seed, extra_train_npz=args.extra_train_npz,
                          models=models)
