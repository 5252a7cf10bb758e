"""Which task a model is for: from its zoo name, or from the ``run.json`` saved next to it."""
from __future__ import annotations

from pathlib import Path

import keras

from keras_imnn.atomic import read_json
from keras_imnn.models.registry import get_spec, list_models
from keras_imnn.tasks import Task, get_task


def task_of_model(model: keras.Model | str, source: str | Path | None = None) -> Task | None:
    """The task of a zoo name, or of a model named by one (the zoo names its models so), or the one
    recorded in the ``run.json`` of ``source`` (a run folder or a file in it); None if none tells.

    A ``run.json`` that is not a JSON object, or whose task contradicts the zoo model it names (an edit, or a
    file from another run), is a ValueError naming the file: scoring a model for the wrong task gives numbers
    that mean nothing."""
    names = [model if isinstance(model, str) else model.name]
    recorded, run = None, None
    if source is not None:
        path = Path(source)
        run = path / "run.json" if path.is_dir() else path.with_name("run.json")
        if path.exists() and run.is_file():
            record = read_json(run)
            if not isinstance(record, dict):
                raise ValueError(f"{run} holds a JSON {type(record).__name__}, not the object `keras-imnn train` "
                                 "and `finetune` write (with 'model' and 'task'): fix or remove it")
            if record.get("task"):
                recorded = get_task(str(record["task"]))
            names.append(record.get("model"))
    zoo_tasks = sorted({get_spec(n).task for n in names if isinstance(n, str) and n in list_models()})
    claimed = ([recorded.name] if recorded is not None else []) + zoo_tasks
    other = next((t for t in claimed if t != claimed[0]), None)
    if other is not None:
        raise ValueError(f"{run} records a {claimed[0]} model but the model is a {other} zoo model: the file "
                         "was edited or belongs to another run; restore it")
    return recorded or (get_task(zoo_tasks[0]) if zoo_tasks else None)


def resolve_task(model_task: Task | None, requested: str | Task | None, model_label: str) -> Task:
    """The task to train ``model_label`` for: ``requested`` if given (it must agree with the model's
    task, when that is known), else the model's own."""
    if requested is None:
        if model_task is None:
            raise ValueError(f"cannot tell the task of {model_label} (not a zoo model, no run.json): "
                             f"give the task explicitly")
        return model_task
    task = get_task(requested)
    if model_task is not None and task.name != model_task.name:  # a variant of the model's task (its loss) agrees
        raise ValueError(f"{model_label} is a {model_task.name} model; it cannot be trained for the "
                         f"{task.name} task (leave the task out to use the model's)")
    return task
