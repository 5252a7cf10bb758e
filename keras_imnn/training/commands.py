"""`keras-imnn train`, `evaluate` and `finetune`."""
from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from keras_imnn.cli import fraction, nonnegative_int, positive_float, positive_int, seed_int

if TYPE_CHECKING:
    import keras


def _train(args: argparse.Namespace) -> int:
    from keras_imnn.training.train import check_out, train

    check_out(args.out, args.overwrite)
    result = train(args.name, args.dataset, n_train=args.n_train, seed=args.seed, epochs=args.epochs,
                   batch_size=args.batch_size, learning_rate=args.learning_rate,
                   patience=args.patience, augment=args.augment, target=args.target,
                   data_dir=args.data_dir, out=args.out)
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


def zoo_task(model: keras.Model, name_or_dir: str) -> str | None:
    """The zoo task ("photonic" | "magnet") of a loaded model: from its name where that is a zoo name
    (the zoo names its models so), else from the run.json saved with it; None if neither tells."""
    from keras_imnn.models.registry import get_spec, list_models

    names = [model.name]
    path = Path(name_or_dir)
    run = path / "run.json" if path.is_dir() else path.with_name("run.json")
    if path.exists() and run.is_file():
        names.append(json.loads(run.read_text()).get("model"))
    return next((get_spec(n).task for n in names if n in list_models()), None)


def _evaluate(args: argparse.Namespace) -> int:
    from keras_imnn.training.data import load_split, task_of
    from keras_imnn.training.evaluation import evaluate_arrays
    from keras_imnn.training.train import TASK_OF_MODEL

    task = task_of(args.dataset)
    model = load_model_or_name(args.model)
    model_task = zoo_task(model, args.model)
    if model_task is not None and TASK_OF_MODEL[model_task] != task:
        raise ValueError(f"{args.model} is a {model_task} model ({TASK_OF_MODEL[model_task]}) and {args.dataset} "
                         f"holds {task} data: evaluate a model of the dataset's task")
    data = load_split(args.dataset, args.split, args.n, data_dir=args.data_dir, target=args.target)
    metrics = evaluate_arrays(model, data, task)
    print(json.dumps({"model": args.model, "dataset": args.dataset, "split": args.split,
                      "n": len(data), "metrics": metrics}, indent=2))
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from keras_imnn.training.data import load_npz
    from keras_imnn.training.finetune import finetune
    from keras_imnn.training.train import check_out, save_run

    check_out(args.out, args.overwrite)
    data = load_npz(args.data, target=args.target)
    model = load_model_or_name(args.model)
    model, history = finetune(model, data.x, data.y, task=args.task, freeze=args.freeze,
                              epochs=args.epochs, validation_split=args.validation_split,
                              learning_rate=args.learning_rate, seed=args.seed)
    info = {"base_model": args.model, "data": str(args.data), "n": len(data), "task": args.task,
            "freeze": args.freeze, "best_val_loss": min(history.history.get("val_loss", [float("nan")]))}
    save_run(args.out, model, info, history.history)
    print(json.dumps({**info, "out": str(args.out)}, indent=2))
    return 0


def _out(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="directory for model.keras and run.json")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder (all of it)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="TFDS data directory (default: ~/tensorflow_datasets)")
    p.add_argument("--target", default="tm", choices=("tm", "te"),
                   help="photonic target: gap-to-midgap ratio of bands 1-2 in this polarization")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register train / evaluate / finetune."""
    p = sub.add_parser("train", help="train a zoo model from scratch on a TFDS dataset")
    p.add_argument("name", help="a name from `keras-imnn list`")
    p.add_argument("--dataset", help="TFDS name, e.g. photonic_crystals/gapped (default: the model's)")
    p.add_argument("--n-train", type=positive_int, help="training examples (default: the whole train split)")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--epochs", type=positive_int, default=200)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--learning-rate", type=positive_float, default=1e-3)
    p.add_argument("--patience", type=nonnegative_int, default=20, help="early-stopping patience (epochs)")
    p.add_argument("--augment", action="store_true", help="random D4/D2 + periodic-shift augmentation")
    _out(p)
    _common(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="test metrics of a zoo model or a trained run directory")
    p.add_argument("model", help="zoo name (pretrained weights) or a run directory / .keras file")
    p.add_argument("--dataset", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--n", type=positive_int, help="only the first N examples")
    _common(p)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("finetune", help="fine-tune a model on your own .npz (x, y) data")
    p.add_argument("model", help="zoo name (pretrained weights) or a run directory / .keras file")
    p.add_argument("--data", required=True, help=".npz with x (n, H, W[, 1]) and y (n[, k]), or "
                   "the output of `keras-imnn generate`")
    _out(p)
    p.add_argument("--task", default="regression", choices=("regression", "classification"))
    p.add_argument("--freeze", default="trunk", choices=("trunk", "none"))
    p.add_argument("--epochs", type=positive_int, default=100)
    p.add_argument("--validation-split", type=fraction, default=0.2)
    p.add_argument("--learning-rate", type=positive_float, default=1e-3)
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--target", default="tm", choices=("tm", "te"))
    p.set_defaults(func=_finetune)
