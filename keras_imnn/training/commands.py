"""`keras-imnn train`, `evaluate` and `finetune`."""
from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from keras_imnn.atomic import check_out, output_lock
from keras_imnn.cli_options import add_group_option, fraction, positive_int
from keras_imnn.errors import UserError

if TYPE_CHECKING:
    import keras


def _train(args: argparse.Namespace) -> int:
    from keras_imnn.training.experiments.comparison import with_group
    from keras_imnn.training.loop.train import train
    from keras_imnn.training.settings import TrainSettings

    overrides = {"orbit_training": args.orbit_training} if args.orbit_training else {}
    augment = args.augment
    if args.group:
        _, _, augment, overrides = with_group([(args.name, args.name, augment, overrides)], args.group)[0]
        if not augment and "group" not in overrides:
            raise UserError(f"--group: {args.name} is not invariant, so it uses no group; add --augment to draw "
                            f"its training examples from {args.group}")
    with output_lock(args.out):  # a second run to the same --out is refused, not raced
        check_out(args.out, args.overwrite, inputs=[args.data_dir])
        result = train(args.name, args.dataset, n_train=args.n_train, target=args.target, data_dir=args.data_dir,
                       settings=TrainSettings.from_args(args), augment=augment,
                       out=args.out, **overrides)
    print(json.dumps({"test_metrics": result.metrics, "out": args.out}, indent=2))
    return 0


def load_model_or_name(name_or_dir: str) -> keras.Model:
    """A saved run directory (model.keras), a .keras file, or a zoo name with its weights."""
    import keras

    from keras_imnn.models.registry import load

    path = Path(name_or_dir)
    if path.is_dir():
        path = path / "model.keras"
    if path.suffix == ".keras":
        if not path.exists():
            raise FileNotFoundError(f"no saved model at {path}")
        if not zipfile.is_zipfile(path):  # Keras would call it "File not found"
            raise ValueError(f"{path} is not a .keras file (not a zip archive); it may be truncated")
        try:
            return keras.saving.load_model(path)
        except (KeyError, ValueError, OSError) as err:  # a zip without Keras' config or weights
            raise ValueError(f"cannot load {path} as a Keras model: {err}") from err
    return load(name_or_dir)


def _evaluate(args: argparse.Namespace) -> int:
    from keras_imnn.arrays import Arrays
    from keras_imnn.tasks import task_of_dataset
    from keras_imnn.training.data.inputs import check_xy, warn_unusual_inputs
    from keras_imnn.training.data.loading import load_npz, load_split
    from keras_imnn.training.loop.evaluation import evaluate_arrays
    from keras_imnn.training.loop.model_task import resolve_task, task_of_model

    model = load_model_or_name(args.model)
    model_task = task_of_model(model, args.model)
    if args.data is not None:
        task = resolve_task(model_task, args.task, args.model)
        data, source = load_npz(args.data, target=args.target, task=task), {"data": args.data}
        if args.n is not None:
            data = data.subset(slice(0, args.n))
        # Your own file: the checks of fine-tuning (one label per example, of the model's width, finite, valid
        # for the task; physically valid inputs), so that no broadcast or truncation scores the wrong thing.
        checked = check_xy(data.x, data.y, model, task, model.output_shape[-1])
        data = Arrays(checked.x, checked.y, data.weight)
        warn_unusual_inputs(model, [data.x])
    else:
        if args.task is not None:
            raise ValueError("--task is for --data files: a --dataset's task is the dataset's")
        task = task_of_dataset(args.dataset, model_task)
        if model_task is not None and model_task is not task:
            raise ValueError(f"{args.model} is a {model_task.name} model and {args.dataset} holds {task.name} "
                             f"data: evaluate a model of the dataset's task")
        data = load_split(args.dataset, args.split, args.n, data_dir=args.data_dir, target=args.target, task=task)
        source = {"dataset": args.dataset, "split": args.split}
    metrics = evaluate_arrays(model, data, task)
    print(json.dumps({"model": args.model, **source, "task": task.name, "n": len(data), "metrics": metrics},
                     indent=2))
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from keras_imnn.training.data.loading import load_npz
    from keras_imnn.training.loop.finetune import finetune
    from keras_imnn.training.loop.model_task import resolve_task, task_of_model
    from keras_imnn.training.loop.train import save_run
    from keras_imnn.training.settings import TrainSettings

    with output_lock(args.out):  # a second run to the same --out is refused, not raced
        check_out(args.out, args.overwrite, inputs=[args.data, args.model])
        model = load_model_or_name(args.model)
        task = resolve_task(task_of_model(model, args.model), args.task, args.model)
        data = load_npz(args.data, target=args.target, task=task)
        model, history = finetune(model, data.x, data.y, task=task, freeze=args.freeze,
                                  validation_split=args.validation_split, settings=TrainSettings.from_args(args))
        info = {"base_model": args.model, "model": model.name, "task": task.name, "data": str(args.data),
                "n": len(data), "freeze": args.freeze, "epochs_run": len(history.history["loss"]),
                "best_val_loss": min(history.history.get("val_loss", [float("nan")])),
                "validation_metrics": history.validation_metrics}
        save_run(args.out, model, info, history.history)
    print(json.dumps({**info, "out": str(args.out)}, indent=2))
    return 0


def _out(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="directory for model.keras and run.json")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder (all of it)")


def _data_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="TFDS data directory (default: ~/tensorflow_datasets)")


def _target_option(p: argparse.ArgumentParser) -> None:
    from keras_imnn.tasks import TARGET_CHOICES

    p.add_argument("--target", choices=TARGET_CHOICES,
                   help="which label of the data (default: tm): the photonic gap-to-midgap ratio of bands 1-2 in "
                        "this polarization; refused for x/y files, whose y is the target")


def _task_option(p: argparse.ArgumentParser, what: str) -> None:
    from keras_imnn.tasks import TASK_CHOICES, TASKS

    p.add_argument("--task", choices=TASK_CHOICES,
                   help=f"{what} (default: the model's own, which a zoo model or a run folder knows; "
                        f"'regression' and 'classification' are older names): "
                        + "; ".join(f"{t.name}: {t.description}" for t in TASKS.values()))


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register train / evaluate / finetune."""
    from keras_imnn.models.config import ORBIT_TRAININGS
    from keras_imnn.training.settings import FINETUNE_DEFAULTS, add_settings_options

    p = sub.add_parser("train", help="train a zoo model from scratch on a TFDS dataset")
    p.add_argument("name", help="a name from `keras-imnn list`")
    p.add_argument("--dataset", help="TFDS name, e.g. photonic_crystals/gapped (default: the model's)")
    p.add_argument("--n-train", type=positive_int, help="training examples (default: the whole train split)")
    add_settings_options(p)
    add_group_option(p)
    p.add_argument("--orbit-training", choices=ORBIT_TRAININGS,
                   help="how an orbit-averaging model trains (default: the model's config): exact (the orbit "
                        "average, |G| passes) or sample (one random group element per example and step)")
    p.add_argument("--augment", action="store_true",
                   help="random point-group + periodic-shift augmentation by the symmetries of the data: D4 on square "
                        "cells and grids, D2 on rectangles, C2 on the triangular lattice")
    _out(p)
    _data_dir_option(p)
    _target_option(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="test metrics of a zoo model or a trained run directory")
    p.add_argument("model", help="zoo name (pretrained weights) or a run directory / .keras file")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="TFDS name, e.g. photonic_crystals/gapped")
    source.add_argument("--data", help="your own .npz: x (n, H, W[, 1]) and y (n[, k]), or the output of "
                        "`keras-imnn generate`")
    p.add_argument("--split", default="test", help="--dataset only: the split (default: test)")
    p.add_argument("--n", type=positive_int, help="only the first N examples")
    _task_option(p, "--data only: the task to score")
    _data_dir_option(p)
    _target_option(p)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("finetune", help="fine-tune a model on your own .npz (x, y) data")
    p.add_argument("model", help="zoo name (pretrained weights) or a run directory / .keras file")
    p.add_argument("--data", required=True, help=".npz with x (n, H, W[, 1]) and y (n[, k]), or "
                   "the output of `keras-imnn generate`")
    _out(p)
    _task_option(p, "the loss and metrics")
    p.add_argument("--freeze", default="trunk", choices=("trunk", "none"),
                   help="trunk: train only the dense head (default); none: train every layer")
    p.add_argument("--validation-split", type=fraction, default=0.2,
                   help="fraction of the data held out (seeded) for early stopping and the printed metrics "
                        "(default: 0.2)")
    add_settings_options(p, defaults=FINETUNE_DEFAULTS)
    _target_option(p)
    p.set_defaults(func=_finetune)
