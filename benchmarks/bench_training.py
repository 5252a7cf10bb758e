"""Training throughput of photonic_inv: eager-compiled vs XLA, orbit model vs trivial-group twin.

    python benchmarks/bench_training.py [--model photonic_inv] [--samples 1024] [--repeats 2]

One epoch of `fit` on symmetric (C4v, like `gapped`) random cells per setting, timed side by side
in one run (best of N, interleaved), so the printed ratios hold on whatever machine runs it.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import keras_imnn
from keras_imnn.layers import apply_element, group_elements
from keras_imnn.tasks import get_task
from keras_imnn.training.loop.orbit_twin import trivial_group_twin
from keras_imnn.training.loop.train import compile_model


def symmetric_cells(n: int, seed: int = 0) -> np.ndarray:
    """Random 32×32 ε maps made D4-symmetric by orbit summation (integers: exactly symmetric)."""
    base = np.random.default_rng(seed).integers(1, 20, size=(n, 32, 32, 1)).astype("float32")
    return sum(np.asarray(apply_element(base, g)) for g in group_elements("d4")) / 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="photonic_inv")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    x = symmetric_cells(args.samples)
    y = x.std(axis=(1, 2, 3))[:, None] / 10
    orbit = keras_imnn.load(args.model, pretrained=False)
    twin = trivial_group_twin(orbit, x)
    settings = {"orbit model, no XLA": (orbit, False), "orbit model, XLA": (orbit, True),
                "trivial-group twin, XLA": (twin, True)}
    models = {}
    for name, (model, xla) in settings.items():
        model = keras.models.clone_model(model)  # one compiled copy per setting
        compile_model(model, get_task("photonic"))
        model.jit_compile = xla
        model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)  # compile outside the timing
        models[name] = model
    best = {name: np.inf for name in models}
    for _ in range(args.repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=32, epochs=1, verbose=0)
            best[name] = min(best[name], time.perf_counter() - start)
    reference = best["orbit model, no XLA"]
    print(f"{args.model}, one epoch of {args.samples} symmetric 32×32 cells, batch 32 (best of {args.repeats}):")
    for name, seconds in best.items():
        print(f"  {name:<26} {args.samples / seconds:8.1f} samples/s   {reference / seconds:5.1f}×")


if __name__ == "__main__":
    main()
