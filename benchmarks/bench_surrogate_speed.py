"""Cells per second: the photonic zoo models against the band solver computing the same labels.

On the same ``general`` cells, in one run on the same machine: the band-edge models (32 numbers,
TM and TE bands 1–8 on ``k_grid(16)``) and the flagship (TM gap/midgap of bands 1–2) against the
solver producing those labels at the ``general`` dataset's cutoffs (``make_examples``'s settings).
Models are timed with ``predict`` after a full warm-up pass (tracing and first-call costs excluded),
untrained weights (speed does not depend on them). The solver uses ``--workers`` threads, as a dataset build does.

    PYTHONPATH=. python benchmarks/bench_surrogate_speed.py --cells 64 --workers 2
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _best_rate(run, n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=64, help="cells solved (the models see 16× as many)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="solver threads")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    import keras
    from threadpoolctl import threadpool_limits

    import keras_imnn
    from keras_imnn.physics.photonic.cells import sample_unit_cells
    from keras_imnn.physics.photonic.dataset import DATASET_N_MAX, band_edges
    from keras_imnn.physics.photonic.solver import band_structure, k_grid

    cells = sample_unit_cells(args.cells, "general", seed=7).eps
    n_max, grid = DATASET_N_MAX["general"], k_grid(16)

    def solve(pols: tuple[str, ...], n_bands: int) -> list[np.ndarray]:
        with threadpool_limits(1):
            return [band_structure(cells, grid, n_bands, pol, n_max=n_max, n_jobs=args.workers, progress=False)
                    for pol in pols]

    rates = {
        "solver, TM + TE band edges (bands 1–8)": _best_rate(lambda: band_edges(*solve(("tm", "te"), 8)),
                                                           len(cells), args.repeats),
        "solver, TM gap of bands 1–2": _best_rate(lambda: solve(("tm",), 2), len(cells), args.repeats),
    }
    many = np.tile(cells, (16, 1, 1))[..., None].astype("float32")
    for name in ("photonic_edges_inv_dilated", "photonic_edges_cnn", "photonic_inv_dilated"):
        model = keras_imnn.load(name, weights=None)
        model.predict(many, batch_size=256, verbose=0)  # a full warm-up pass: tracing and first-call costs
        rates[f"model {name}"] = _best_rate(lambda m=model: m.predict(many, batch_size=256, verbose=0),
                                            len(many), args.repeats)

    print(f"{len(cells)} general cells (models: {len(many)}), solver at n_max {n_max} with {args.workers} "
          f"thread(s), Keras {keras.backend.backend()}, {os.cpu_count()} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| what | cells/s | × the solver for its labels |\n|---|---|---|")
    solver = {"edges": rates["solver, TM + TE band edges (bands 1–8)"], "gap": rates["solver, TM gap of bands 1–2"]}
    for name, rate in rates.items():
        ref = solver["gap"] if name == "model photonic_inv_dilated" else solver["edges"]
        ratio = f"{rate / ref:.1f}×" if name.startswith("model") else ""
        print(f"| {name} | {rate:,.1f} | {ratio} |")


if __name__ == "__main__":
    main()
