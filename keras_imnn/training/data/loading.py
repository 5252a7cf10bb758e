"""Task data as numpy arrays: from the TFDS datasets, or from a user's .npz file."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.npz import read_npz
from keras_imnn.tasks import TASKS, Task, task_of_dataset


def arrays_from_examples(examples: Mapping[str, np.ndarray], target: str | None = None,
                         task: Task | None = None) -> Arrays:
    """``Arrays`` of a dict of features: plain ``x`` and ``y``, or a task's dataset (a TFDS batch or a
    generated .npz; ``target`` picks its label). Its task is ``task`` (the model's: tasks may share an input
    feature, as the photonic ones share "eps"), else the first whose input feature is there."""
    if "x" in examples and "y" in examples:
        if target is not None:
            raise ValueError(f"target {target!r} picks a label of generated data; these arrays are x and y: "
                             "y is the target (leave the target out)")
        x, y = np.asarray(examples["x"]), np.asarray(examples["y"])
        return Arrays(x, y.reshape(len(y), -1) if y.ndim == 1 else y)
    if task is not None:
        return task.arrays(examples, target)
    for candidate in TASKS.values():
        if candidate.input_feature in examples:
            return candidate.arrays(examples, target)
    datasets = ", ".join(f"{t.name} ({t.input_feature!r}, ...)" for t in TASKS.values())
    raise ValueError(f"cannot find inputs among the keys {sorted(examples)}: expected 'x' and 'y', "
                     f"or the features of a dataset: {datasets}")


def load_split(dataset: str, split: str, n: int | None = None, *, data_dir: str | None = None,
               target: str | None = None, task: Task | None = None) -> Arrays:
    """The first ``n`` examples (all if None) of ``split`` of a TFDS dataset, as arrays (the labels of
    ``task``, the model's, where the dataset serves several: ``task_of_dataset``).

    The dataset is built locally by its builder (``tfds_builders``) if it is not there yet.
    """
    import tensorflow_datasets as tfds

    import tfds_builders  # noqa: F401  (registers the builders)

    task = task_of_dataset(dataset, task)
    names = tfds.builder(dataset, data_dir=data_dir).builder_config.split_names()
    # TFDS split specs: names joined by "+", each with an optional slice, e.g. "train[:100]+test".
    unknown = [part for part in split.split("+") if part.partition("[")[0].strip() not in names]
    if unknown:
        raise ValueError(f"{dataset} has no split {unknown[0]!r}; its splits: {', '.join(names)} "
                         "(TFDS syntax such as train[:100] or train+test also works)")
    spec = split if n is None else f"{split}[:{n}]"
    batch = tfds.as_numpy(tfds.load(dataset, split=spec, data_dir=data_dir, batch_size=-1))
    return task.arrays(batch, target)


def load_npz(path: str | Path, target: str | None = None, task: Task | None = None) -> Arrays:
    """Arrays from an .npz with ``x`` and ``y`` (or the output of ``keras-imnn generate``: the labels of ``task``,
    the model's, as ``arrays_from_examples``)."""
    examples = read_npz(path)
    empty = sorted(key for key, value in examples.items() if value.ndim > 0 and len(value) == 0)
    if empty:
        raise ValueError(f"{path} holds no examples ({', '.join(empty)} of length 0); give at least one")
    return arrays_from_examples(examples, target, task)
