"""Train the zoo's pretrained checkpoints and record them in ``weights/manifest.json``.

    python -m keras_imnn.training.checkpoints photonic --npz CELLS.npz [--models ...] [--weights-dir weights]
    python -m keras_imnn.training.checkpoints magnet [--dataset frustrated_magnets/square_6x4_j2_0.5]
    python -m keras_imnn.training.checkpoints magnet --npz-dir DIR   # DIR/train.npz, DIR/test.npz

Photonic cells come from ``keras-imnn generate photonic --config gapped --n N`` (cells 0..N−1 of
``photonic_crystals/gapped``: the first 2 000 are its fixed test split, the next 500 validation,
the rest train); magnet data from the TFDS builder, or plain split files (``train.npz``,
``test.npz`` and optionally ``validation.npz``, each with the dataset's features). Each checkpoint is a
``.weights.h5`` file; ``keras_imnn.load`` checks its sha256 against the manifest before loading it.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from keras_imnn.models.registry import WEIGHTS_DIR, list_models, sha256
from keras_imnn.models.registry import manifest as read_manifest
from keras_imnn.models.zoo import DEFAULT_DATASETS
from keras_imnn.training.splits import add_split_arguments, splits_from_args
from keras_imnn.training.train import TASK_OF_MODEL, train_on

DATASET_VERSION = {"photonic_crystals": "1.0.0", "frustrated_magnets": "1.0.0"}


def record_checkpoint(weights_dir: Path, name: str, entry: dict) -> dict:
    """Add ``name``'s entry (with the file's sha256) to the manifest, keeping the others."""
    path = weights_dir / "manifest.json"
    manifest = read_manifest(weights_dir)
    manifest[name] = {**entry, "sha256": sha256(weights_dir / entry["file"])}
    path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    return manifest[name]


def describe_device() -> str:
    """What trained the checkpoint, for the manifest: the GPU's name (nvidia-smi: one query for every
    backend), else the CPU's core count."""
    try:
        gpus = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                              text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        gpus = []
    gpus = [g.strip() for g in gpus if g.strip()]
    if gpus and os.environ.get("CUDA_VISIBLE_DEVICES") not in ("", "-1"):  # Keras trains on the first GPU
        return gpus[0]
    return f"CPU ({os.cpu_count()} cores)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=("photonic", "magnet"))
    add_split_arguments(parser)
    parser.add_argument("--models", nargs="*", help="zoo names (default: all of the task)")
    parser.add_argument("--weights-dir", default=str(WEIGHTS_DIR))
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    dataset = args.dataset or DEFAULT_DATASETS[args.task]
    task = TASK_OF_MODEL[args.task]
    splits, source = splits_from_args(args, dataset, args.seed)
    weights_dir = Path(args.weights_dir)
    command = " ".join(shlex.quote(a) for a in [Path(sys.executable).name, "-m", __spec__.name, *sys.argv[1:]])
    for name in args.models or list_models(args.task):
        result = train_on(name, *splits, task=task, seed=args.seed, epochs=args.epochs,
                          patience=args.patience, batch_size=args.batch_size, verbose=2)
        file = f"{name}/model.weights.h5"
        (weights_dir / name).mkdir(parents=True, exist_ok=True)
        result.model.save_weights(weights_dir / file)
        # The config it was trained with: keras_imnn.load refuses a pretrained load into another one.
        entry = record_checkpoint(weights_dir, name, {
            "file": file, "config": result.info["config"],
            "dataset": dataset, "dataset_version": DATASET_VERSION[dataset.split("/")[0]],
            "data": source, "n_train": len(splits[0]), "n_validation": len(splits[1]),
            "n_test": len(splits[2]), "epochs_run": result.info["epochs_run"], "seed": args.seed,
            "command": command, "backend": os.environ.get("KERAS_BACKEND", "tensorflow"), "device": describe_device(),
            "test_metrics": result.metrics, "date": datetime.date.today().isoformat()})
        print(json.dumps({name: entry}, indent=2), flush=True)


if __name__ == "__main__":
    main()
