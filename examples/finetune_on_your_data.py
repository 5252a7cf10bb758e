"""Fine-tune the pretrained photonic_inv_dilated on a few hundred cells of another distribution,
and compare with the same model trained from scratch on the same data (same seeds).

    # your data: an .npz with x (n, 32, 32) permittivity maps and y (n,) targets, or cells from
    # `keras-imnn generate photonic` (--target: the TM or TE gap-to-midgap ratio, or another array, as y)
    python examples/finetune_on_your_data.py --npz data/photonic_gapped_n2400_seed0.npz \
        --target te_midgap --n-train 200 --seeds 0 1 2

The last 2 000 examples (or --n-test) are held out for testing; training uses --n-train of the rest.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

import keras_imnn
from keras_imnn.training.data import Arrays, load_npz
from keras_imnn.training.evaluation import evaluate_arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npz", required=True)
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

    if args.target in ("tm", "te"):
        data = load_npz(args.npz, args.target)
    else:
        with np.load(args.npz) as f:
            data = Arrays(f["eps"][..., None], f[args.target][:, None])
    index = np.arange(len(data))
    test, pool = data.subset(index[-args.n_test:]), data.subset(index[:-args.n_test])
    results = {}
    for seed in args.seeds:
        train = pool.take(args.n_train, seed)
        runs = {
            "from scratch": (keras_imnn.load("photonic_inv_dilated", pretrained=False), "none", 1e-3),
            "fine-tuned, head only": (keras_imnn.load("photonic_inv_dilated"), "trunk", 1e-2),
            "fine-tuned, all layers": (keras_imnn.load("photonic_inv_dilated"), "none", 3e-4),
        }
        for label, (model, freeze, lr) in runs.items():
            model, _ = keras_imnn.finetune(model, train.x, train.y, freeze=freeze, learning_rate=lr,
                                           epochs=args.epochs, patience=args.patience, seed=seed, verbose=0)
            results.setdefault(label, []).append(evaluate_arrays(model, test, "regression"))
            print(f"seed {seed} {label}: {results[label][-1]}", flush=True)
    print(f"\n{args.n_train} training cells, {len(test)} test cells, seeds {args.seeds}\n")
    print("| model | test MAE | test R² |\n|---|---|---|")
    for label, runs in results.items():
        mae, r2 = (np.array([r[k] for r in runs]) for k in ("mae", "r2"))
        print(f"| {label} | {mae.mean():.4f} ± {mae.std():.4f} | {r2.mean():.3f} ± {r2.std():.3f} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
