"""Orbit-averaged training on cells without symmetry: exact orbit (|G| passes) vs one sampled element (1 pass).

    python benchmarks/bench_orbit_training.py [--model photonic_inv_dilated] [--filters 16] [--cells 1200]
                                              [--seconds 150] [--repeats 2]

The trivial-group twin (training/orbit_twin.py) needs C4v-symmetric cells; on random "sibcl" cells it does not
apply and an orbit-averaged model pays 8 passes per step. ``orbit_training="sample"`` maps each example by one
random D4 element per step (1 pass) and stays the exact orbit average at inference. Labels are real and cheap:
the top of TM band 1 and the bottom of band 2 over k_grid(4) (plane waves n_max=3), both D4- and
shift-invariant. Side by side in one run: training samples/s (one epoch, best of N, interleaved), and the test
MAE of the exact (orbit-averaged) predictions after the same training wall time, and after the same epochs.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import keras_imnn
from keras_imnn.physics.photonic.cells import random_unit_cells
from keras_imnn.physics.photonic.kpoints import k_grid
from keras_imnn.physics.photonic.solver import band_structure
from keras_imnn.tasks import get_task
from keras_imnn.training.loop.orbit_twin import trivial_group_twin
from keras_imnn.training.loop.train import compile_model

MODES = ("exact", "sample")


def band_edge_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sibcl cells ``(n, 32, 32, 1)`` and their TM band edges ``(n, 2)``: max ω₁ and min ω₂ over k."""
    eps = random_unit_cells(n, "sibcl", seed)
    bands = band_structure(eps, k_grid(4), 2, "tm", n_max=3, progress=False)
    return eps[..., None].astype("float32"), np.stack([bands[..., 0].max(-1), bands[..., 1].min(-1)], -1)


class TrainingClock(keras.callbacks.Callback):
    """Stops training after ``seconds`` of it; the exact (inference) test MAE then and after ``at_epoch`` epochs.

    The clock counts training only: it starts after the first step (which compiles) and leaves out the
    evaluations.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, seconds: float, at_epoch: int | None = None) -> None:
        super().__init__()
        self.x, self.y, self.seconds, self.at_epoch = x, y, seconds, at_epoch
        self.mae: dict[int, float] = {}  # epochs trained → test MAE

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.trained, self.start = 0.0, None

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.start is None:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.trained += time.perf_counter() - self.start
        self.model.stop_training = self.trained >= self.seconds
        if self.model.stop_training or epoch + 1 == self.at_epoch:
            predictions = self.model.predict(self.x, batch_size=256, verbose=0)
            self.mae[epoch + 1] = float(np.abs(predictions - self.y).mean())
        self.start = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="photonic_inv_dilated")
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--cells", type=int, default=1200)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=150.0, help="training wall time per mode")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    x, y = band_edge_data(args.cells)
    print(f"labelled {args.cells} sibcl cells in {time.perf_counter() - start:.1f} s")
    # Whole batches only: a last, smaller batch would compile XLA again inside the timing.
    train = slice(args.test, args.test + (args.cells - args.test) // 32 * 32)
    (x_train, y_train), (x_test, y_test) = (x[train], y[train]), (x[:args.test], y[:args.test])

    keras.utils.set_random_seed(0)
    models = {mode: keras_imnn.load(args.model, pretrained=False, outputs=2, filters=args.filters,
                                    orbit_training=mode) for mode in MODES}
    models["sample"].set_weights(models["exact"].get_weights())  # the same initial weights
    assert trivial_group_twin(models["exact"], x_train) is None, "cells with symmetry: the twin would apply"
    initial = {mode: m.get_weights() for mode, m in models.items()}
    for model in models.values():
        compile_model(model, get_task("photonic"))
        model.fit(x_train[:64], y_train[:64], batch_size=32, epochs=1, verbose=0)  # compile outside the timing

    best = dict.fromkeys(MODES, np.inf)
    for _ in range(args.repeats):
        for mode, model in models.items():
            begin = time.perf_counter()
            model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
            best[mode] = min(best[mode], time.perf_counter() - begin)

    mae = {}  # mode → {epochs: test MAE}; exact first, so that sample is also scored after as many epochs
    for mode, model in models.items():
        model.set_weights(initial[mode])
        compile_model(model, get_task("photonic"))  # fresh optimizer state
        keras.utils.set_random_seed(1)  # the same shuffles
        clock = TrainingClock(x_test, y_test, args.seconds, at_epoch=max(mae["exact"]) if mae else None)
        model.fit(x_train, y_train, batch_size=32, epochs=10_000, verbose=0, callbacks=[clock])
        mae[mode] = clock.mae

    load = os.getloadavg()
    base = float(np.abs(y_test - y_train.mean(0)).mean())
    epochs = {mode: max(mae[mode]) for mode in MODES}
    final = {mode: mae[mode][epochs[mode]] for mode in MODES}
    same_epochs = mae["sample"].get(epochs["exact"], float("nan"))  # nan: sample ran fewer epochs
    print(f"\n{args.model} (filters {args.filters}, outputs 2), {len(x_train)} train / {len(x_test)} test sibcl "
          f"cells, batch 32, {args.seconds:.0f} s of training per mode; test MAE of the exact orbit average "
          f"(mean predictor: {base:.4f}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    after = f"test MAE after {epochs['exact']} ep"
    print(f"  {'orbit_training':<15}{'samples/s':>10}{'epochs in budget':>18}{'test MAE, same time':>21}{after:>24}")
    for mode in MODES:
        at_epochs = final["exact"] if mode == "exact" else same_epochs
        print(f"  {mode:<15}{len(x_train) / best[mode]:>10.1f}{epochs[mode]:>18}{final[mode]:>21.4f}{at_epochs:>24.4f}")
    print(f"  sample / exact: {best['exact'] / best['sample']:.2f}× samples/s; test MAE at the same time "
          f"×{final['sample'] / final['exact']:.2f}, after the same epochs ×{same_epochs / final['exact']:.2f}")


if __name__ == "__main__":
    main()
