"""Which task a model is for: from its zoo name, or from the ``run.json`` saved next to it."""
from __future__ import annotations

from pathlib import Path

import keras

from keras_imnn.atomic import read_json
from keras_imnn.models.registry import get_spec, list_models
from keras_imnn.tasks import Task, get_task


def task_of_model(model: keras.Model | str, source: str | Path | None = None) -> Task | None:
    """The task of a zoo name, or of a model named by one (the zoo names its models so), or the one
    recorded in the ``run.json`` of ``source`` (a run folder or a file in it); None if none tells."""
    names = [model if isinstance(model, str) else model.name]
    if source is not None:
        path = Path(source)
        run = path / "run.json" if path.is_dir() else path.with_name("run.json")
        if path.exists() and run.is_file():
            record = read_json(run)
            if record.get("task"):
                return get_task(record["task"])
            names.append(record.get("model"))
    return next((get_task(get_spec(n).task) for n in names if n in list_models()), None)


def resolve_task(model_task: Task | None, requested: str | Task | None, model_label: str) -> Task:
    """The task to train ``model_label`` for: ``requested`` if given (it must agree with the model's
    task, when that is known), else the model's own."""
    if requested is None:
        if model_task is None:
            raise ValueError(f"cannot tell the task of {model_label} (not a zoo model, no run.json): "
                             f"give the task explicitly")
        return model_task
    task = get_task(requested)
    if model_task is not None and task is not model_task:
        raise ValueError(f"{model_label} is a {model_task.name} model; it cannot be trained for the "
                         f"{task.name} task (leave the task out to use the model's)")
    return task
