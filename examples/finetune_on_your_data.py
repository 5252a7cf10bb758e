"""Fine-tune a pretrained zoo model on a few hundred examples of another task or distribution,
and compare with the same model trained from scratch on the same data (same seeds).

    # your data: an .npz with x (n, 32, 32) permittivity maps and y (n,) targets, or cells from
    # `keras-imnn generate photonic` (--target: the TM or TE gap-to-midgap ratio, or another array, as y)
    python examples/finetune_on_your_data.py --npz data/photonic_gapped_n2400_seed0.npz \
        --target te_midgap --n-train 200 --seeds 0 1 2
    # a sign model pretrained at J2 = 0.5 moved to J2 = 0 (split files of `keras-imnn generate magnet`)
    python examples/finetune_on_your_data.py --model magnet_inv --npz-dir data/square_6x4_j2_0.0 --n-train 1000

With --npz the last 2 000 examples (or --n-test) are held out for testing; with --npz-dir its
test.npz is. Training uses --n-train of the rest.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

import keras_imnn
from keras_imnn.arrays import Arrays
from keras_imnn.models.registry import get_spec
from keras_imnn.tasks import get_task
from keras_imnn.training.data.loading import load_npz
from keras_imnn.training.data.splits import npz_dir_splits
from keras_imnn.training.loop.evaluation import evaluate_arrays


def pool_and_test(args: argparse.Namespace) -> tuple[Arrays, Arrays]:
    """(examples to draw the training set from, test set)."""
    if args.npz_dir:
        train, _, test = npz_dir_splits(args.npz_dir)
        return train, test
    if args.target in get_task("photonic").targets:
        data = load_npz(args.npz, args.target)
    else:
        with np.load(args.npz) as f:
            data = Arrays(f["eps"][..., None], f[args.target][:, None])
    index = np.arange(len(data))
    return data.subset(index[:-args.n_test]), data.subset(index[-args.n_test:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="photonic_inv_dilated", help="a zoo name with pretrained weights")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--npz", help="photonic cells (or any x, y arrays)")
    source.add_argument("--npz-dir", help="a folder of train.npz / test.npz (magnet split files)")
    parser.add_argument("--group", help="point group of your data if it differs from the model's (e.g. c2)")
    parser.add_argument("--target", default="tm",
                        help="for generated cells: 'tm' or 'te' (that gap-to-midgap ratio is y), or any "
                             "array of the file, e.g. 'te_midgap' (the TE band-1/2 midgap frequency)")
    parser.add_argument("--n-train", type=int, default=300)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()

    pool, test = pool_and_test(args)
    task = get_task(get_spec(args.model).task)
    overrides = {"group": args.group} if args.group else {}
    results = {}
    for seed in args.seeds:
        train = pool.take(args.n_train, seed)
        runs = {
            "from scratch": (False, "none", 1e-3),
            "fine-tuned, head only": (True, "trunk", 1e-2),
            "fine-tuned, all layers": (True, "none", 3e-4),
        }
        for label, (pretrained, freeze, lr) in runs.items():
            model = keras_imnn.load(args.model, pretrained=pretrained, **overrides)
            model, _ = keras_imnn.finetune(model, train.x, train.y, freeze=freeze, learning_rate=lr,
                                           epochs=args.epochs, patience=args.patience, seed=seed, verbose=0)
            results.setdefault(label, []).append(evaluate_arrays(model, test, task))
            print(f"seed {seed} {label}: {results[label][-1]}", flush=True)
    print(f"\n{args.model}: {args.n_train} training examples, {len(test)} test examples, seeds {args.seeds}\n")
    metrics = task.summary_metrics
    print("| model | " + " | ".join(f"test {m}" for m in metrics) + " |\n|---|" + "---|" * len(metrics))
    for label, runs in results.items():
        cells = [f"{np.mean([r[m] for r in runs]):.4f} ± {np.std([r[m] for r in runs]):.4f}" for m in metrics]
        print(f"| {label} | " + " | ".join(cells) + " |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
