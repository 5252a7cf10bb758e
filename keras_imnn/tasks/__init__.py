"""The tasks of the zoo, one file each, and their registry.

To add a task: write ``keras_imnn/tasks/<task>.py`` with a ``Task`` subclass and its instance, and
add the instance to ``TASKS`` below; zoo specs then name it by ``Task.name``.
"""
from __future__ import annotations

from keras_imnn.tasks.base import Task, Variant
from keras_imnn.tasks.magnet_sign import MAGNET_SIGN
from keras_imnn.tasks.photonic_gap import PHOTONIC_GAP

TASKS: dict[str, Task] = {task.name: task for task in (PHOTONIC_GAP, MAGNET_SIGN)}
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


def task_of_dataset(dataset: str) -> Task:
    """The task of a TFDS name like ``photonic_crystals/gapped`` (or ``frustrated_magnets:1.0.0``)."""
    family = dataset.split("/")[0].split(":")[0]
    for task in TASKS.values():
        if task.dataset_family == family:
            return task
    raise ValueError(f"unknown dataset {dataset!r}; accepted: "
                     f"{', '.join(f'{t.dataset_family}/<config>' for t in TASKS.values())}")
