"""`keras-imnn train`, `evaluate` and `finetune`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def _train(args: argparse.Namespace) -> int:
    from keras_imnn.training.train import train

    result = train(args.name, args.dataset, n_train=args.n_train, seed=args.seed, epochs=args.epochs,
                   batch_size=args.batch_size, learning_rate=args.learning_rate,
                   patience=args.patience, augment=args.augment, target=args.target,
                   data_dir=args.data_dir, out=args.out)
    print(json.dumps({"test_metrics": result.metrics, "out": args.out}, indent=2))
    return 0


def load_model_or_name(name_or_dir: str):
    """A saved run directory (model.keras), a .keras file, or a zoo name with its weights."""
    import keras

    from keras_imnn.models.registry import load

    path = Path(name_or_dir)
    if path.is_dir():
        path = path / "model.keras"
    if path.suffix == ".keras":
        if not path.exists():
            raise FileNotFoundError(f"no saved model at {path}")
        return keras.saving.load_model(path)
    return load(name_or_dir)


def _evaluate(args: argparse.Namespace) -> int:
    from keras_imnn.training.data import load_split, task_of
    from keras_imnn.training.evaluation import evaluate_arrays

    model = load_model_or_name(args.model)
    data = load_split(args.dataset, args.split, args.n, data_dir=args.data_dir, target=args.target)
    metrics = evaluate_arrays(model, data, task_of(args.dataset))
    print(json.dumps({"model": args.model, "dataset": args.dataset, "split": args.split,
                      "n": len(data), "metrics": metrics}, indent=2))
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from keras_imnn.training.data import load_npz
    from keras_imnn.training.finetune import finetune
    from keras_imnn.training.train import save_run

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


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="TFDS data directory (default: ~/tensorflow_datasets)")
    p.add_argument("--target", default="tm", choices=("tm", "te"),
                   help="photonic target: gap-to-midgap ratio of bands 1-2 in this polarization")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register train / evaluate / finetune."""
    p = sub.add_parser("train", help="train a zoo model from scratch on a TFDS dataset")
    p.add_argument("name", help="a name from `keras-imnn list`")
    p.add_argument("--dataset", help="TFDS name, e.g. photonic_crystals/gapped (default: the model's)")
    p.add_argument("--n-train", type=int, help="training examples (default: the whole train split)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--patience", type=int, default=20, help="early-stopping patience (epochs)")
    p.add_argument("--augment", action="store_true", help="random D4/D2 + periodic-shift augmentation")
    p.add_argument("--out", required=True, help="directory for model.keras and run.json")
    _common(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="test metrics of a zoo model or a trained run directory")
    p.add_argument("model", help="zoo name (pretrained weights) or a run directory / .keras file")
    p.add_argument("--dataset", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--n", type=int, help="only the first N examples")
    _common(p)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("finetune", help="fine-tune a model on your own .npz (x, y) data")
    p.add_argument("model", help="zoo name (pretrained weights) or a run directory / .keras file")
    p.add_argument("--data", required=True, help=".npz with x (n, H, W[, 1]) and y (n[, k]), or "
                   "the output of `keras-imnn generate`")
    p.add_argument("--out", required=True)
    p.add_argument("--task", default="regression", choices=("regression", "classification"))
    p.add_argument("--freeze", default="trunk", choices=("trunk", "none"))
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--validation-split", type=float, default=0.2)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", default="tm", choices=("tm", "te"))
    p.set_defaults(func=_finetune)
