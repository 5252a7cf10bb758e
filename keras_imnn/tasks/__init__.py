"""The tasks of the zoo, one file each, and their registry.

To add a task: write ``keras_imnn/tasks/<task>.py`` with a ``Task`` subclass and its instance, and
add the instance to ``TASKS`` below; zoo specs then name it by ``Task.name``.
"""
from __future__ import annotations

from keras_imnn.tasks.base import Task, Variant
from keras_imnn.tasks.magnet_sign import MAGNET_SIGN
from keras_imnn.tasks.photonic_edges import PHOTONIC_EDGES
from keras_imnn.tasks.photonic_gap import PHOTONIC_GAP

# A dataset family's first task is its data's task where no model says otherwise (task_of_dataset).
TASKS: dict[str, Task] = {task.name: task for task in (PHOTONIC_GAP, MAGNET_SIGN, PHOTONIC_EDGES)}
_ALIASES = {alias: task for task in TASKS.values() for alias in task.aliases}
# Every name the CLI's --task accepts, and every --target of some task's data.
TASK_CHOICES = (*TASKS, *_ALIASES)
TARGET_CHOICES = tuple(dict.fromkeys(target for task in TASKS.values() for target in task.targets))

__all__ = ["TARGET_CHOICES", "TASKS", "TASK_CHOICES", "Task", "Variant", "get_task", "task_of_dataset"]


def get_task(task: str | Task) -> Task:
    """The task named ``task`` (or one of its older aliases, "regression" / "classification"); a Task as is."""
    if isinstance(task, Task):
        return task
    found = TASKS.get(task) or _ALIASES.get(task)
    if found is None:
        raise ValueError(f"unknown task {task!r}; known tasks: {', '.join(TASKS)}")
    return found


def task_of_dataset(dataset: str, task: str | Task | None = None) -> Task:
    """The task of a TFDS name like ``photonic_crystals/gapped`` (or ``frustrated_magnets:1.0.0``).

    Tasks may share a dataset family (photonic gaps and band edges both read ``photonic_crystals``): ``task``
    (the model's) is the answer if it is one of them, else the family's first task is.
    """
    family = dataset.split("/")[0].split(":")[0]
    tasks = [t for t in TASKS.values() if t.dataset_family == family]
    if task is not None and get_task(task) in tasks:
        return get_task(task)
    if tasks:
        return tasks[0]
    raise ValueError(f"unknown dataset {dataset!r}; accepted: "
                     f"{', '.join(dict.fromkeys(f'{t.dataset_family}/<config>' for t in TASKS.values()))}")
