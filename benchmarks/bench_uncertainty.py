"""Cells per second with and without uncertainty, and the edges model with it against the band solver.

On the same fresh ``general`` cells (seed 7), in one run on one machine: ``model.predict`` of the pretrained
Keras model (no uncertainty, no domain check) against ``keras_imnn.predict`` (domain check, the ensemble's
members, calibrated std), after a warm-up call of each; and the band solver computing the same 32 edges (TM + TE bands
1–8 on ``k_grid(16)`` at the ``general`` cutoff, as benchmarks/bench_surrogate_speed.py times it).

    PYTHONPATH=. python benchmarks/bench_uncertainty.py --cells 32 --workers 1
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _best_seconds(run, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=32, help="cells solved (the models see 32× as many)")
    parser.add_argument("--workers", type=int, default=1, help="solver threads")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    import keras_imnn
    from keras_imnn.physics.photonic.cells import sample_unit_cells
    from keras_imnn.physics.photonic.dataset import DATASET_N_MAX, band_edges
    from keras_imnn.physics.photonic.solver import band_structure, k_grid

    cells = sample_unit_cells(args.cells, "general", seed=7).eps
    many = np.tile(cells, (32, 1, 1)).astype(np.float32)

    def solve() -> np.ndarray:
        with threadpool_limits(1):
            return band_edges(*(band_structure(cells, k_grid(16), 8, pol, n_max=DATASET_N_MAX["general"],
                                               n_jobs=args.workers, progress=False) for pol in ("tm", "te")))

    solver = len(cells) / _best_seconds(solve, 1)
    print(f"{len(many)} general cells, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPU cores; solver "
          f"(TM + TE band edges, {args.workers} thread(s)): {solver:.2f} cells/s\n")
    print("| model | model.predict cells/s | keras_imnn.predict (+ std, domain) cells/s | overhead | "
          "× the solver with std |\n|---|---|---|---|---|")
    for name in ("photonic_edges_inv_dilated", "photonic_inv_dilated", "photonic_edges_cnn"):
        model = keras_imnn.load(name)
        plain = lambda m=model: m.predict(many[..., None], batch_size=256, verbose=0)  # noqa: E731
        full = lambda n=name: keras_imnn.predict(n, many)  # noqa: E731
        plain(), full()  # warm-up: tracing, loading the members
        rate_plain = len(many) / _best_seconds(plain, args.repeats)
        rate_full = len(many) / _best_seconds(full, args.repeats)
        print(f"| {name} | {rate_plain:,.0f} | {rate_full:,.0f} | {rate_plain / rate_full - 1:+.0%} | "
              f"{rate_full / solver:,.0f}× |")


if __name__ == "__main__":
    main()
