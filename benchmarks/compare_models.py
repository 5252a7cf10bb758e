"""The paper's data-scarce comparison: plain CNN vs invariant vs invariant multiscale.

    # photonic: learning curves over training sizes (TFDS, or cells from `keras-imnn generate`)
    python benchmarks/compare_models.py photonic --npz data/photonic_gapped_n6000_seed0.npz \\
        --sizes 100 200 400 800 1600 --seeds 0 1 2 --out docs/comparison_photonic
    # magnet: sign classification at train fraction ε (the dataset config fixes ε)
    python benchmarks/compare_models.py magnet --dataset frustrated_magnets/square_6x4_j2_0.5 \\
        --seeds 0 1 2 --out docs/comparison_magnet
    # dilation stacks of the multiscale model, either task
    python benchmarks/compare_models.py photonic --npz ... --variants dilations --out docs/dilations_photonic

Each run trains from scratch (same seeds for every model) and is scored on the fixed test split.
Results are appended to OUT/results.json as they finish (a rerun skips finished runs); at the end
a Markdown table (mean ± std over seeds) is written to OUT/table.md and a plot to OUT/curves.png.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from tqdm import tqdm

from keras_imnn.models.zoo import DEFAULT_DATASETS
from keras_imnn.training.checkpoints import photonic_npz_splits
from keras_imnn.training.comparison import BASELINES, METRICS, summarize
from keras_imnn.training.data import task_of
from keras_imnn.training.train import load_task_splits, train_on

DILATION_STACKS = ([1, 1, 1], [1, 2, 3], [3, 2, 1], [2, 2, 2], [1, 2, 4, 8])
VARIANTS = {task: {"models": BASELINES[task]} for task in BASELINES}
for task, name in (("photonic", "photonic_inv_dilated"), ("magnet", "magnet_inv_dilated")):
    VARIANTS[task]["dilations"] = [(f"{name} {d}", name, False, {"dilations": d}) for d in DILATION_STACKS]


def plot(stats: dict, task: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = METRICS[task]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6))
    for ax, metric in zip(axes, names):
        for variant in sorted({v for v, _, _ in stats}):
            pts = sorted((n, *stats[(v, n, m)]) for v, n, m in stats if v == variant and m == metric)
            n, mean, std = map(np.array, zip(*pts))
            ax.errorbar(n, mean, yerr=std, marker="o", capsize=3, label=variant)
        ax.set_xscale("log")
        ax.set_xlabel("training examples")
        ax.set_ylabel(f"test {metric}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=tuple(VARIANTS))
    parser.add_argument("--dataset", help="TFDS name (default: the task's default dataset)")
    parser.add_argument("--data-dir")
    parser.add_argument("--npz", help="photonic only: cells from `keras-imnn generate photonic`")
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--n-validation", type=int, default=500)
    parser.add_argument("--variants", choices=("models", "dilations"), default="models")
    parser.add_argument("--sizes", type=int, nargs="*", default=[],
                        help="training sizes (default: the whole train split)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--target", default="tm", choices=("tm", "te"))
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="start no new run after this long (finished runs are kept; rerun to resume)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else float("inf")

    dataset = args.dataset or DEFAULT_DATASETS[args.task]
    task = task_of(dataset)
    if args.npz:
        train, val, test = photonic_npz_splits(args.npz, args.n_test, args.n_validation, args.target)
        source = args.npz
    else:
        train, val, test = load_task_splits(dataset, data_dir=args.data_dir, target=args.target,
                                            n_train=None, seed=0)
        source = dataset
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else []
    done = {(r["variant"], r["n_train"], r["seed"]) for r in results}
    sizes = args.sizes or [len(train)]
    # Seed-major order: a run cut short by --max-minutes still covers every model and size.
    runs = [(v, n, s) for s in args.seeds for n in sizes for v in VARIANTS[args.task][args.variants]
            if (v[0], min(n, len(train)), s) not in done]
    for (label, name, augment, overrides), n, seed in tqdm(runs, desc="training runs"):
        if time.monotonic() > deadline:
            print(f"time budget reached: {len(results)} runs done; rerun to resume")
            break
        result = train_on(name, train.take(n, seed), val, test, task=task, seed=seed, epochs=args.epochs,
                          patience=args.patience, batch_size=args.batch_size, augment=augment,
                          verbose=0, info={"data": source}, **overrides)
        results.append({"variant": label, "n_train": len(train.take(n, seed)), "seed": seed,
                        "epochs_run": result.info["epochs_run"], "test_metrics": result.metrics})
        results_path.write_text(json.dumps(results, indent=1))
    table, stats = summarize(results, task)
    (out / "table.md").write_text(table)
    plot(stats, task, out / "curves.png")
    print(table)


if __name__ == "__main__":
    main()
