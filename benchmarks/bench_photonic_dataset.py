"""Cost of labelling photonic-crystal cells, and the full-build time it implies.

Times ``make_examples`` (TM and TE, 10 bands on k_grid(16), each config's solver setting) in one
process on a small batch of each config and extrapolates the 20 000-cell build to a core count:
generation is one process per core, so the build takes n · (CPU s/cell) / cores plus TFDS
writing.

    PYTHONPATH=. python benchmarks/bench_photonic_dataset.py --cells 32 --cores 2
    PYTHONPATH=. python benchmarks/bench_photonic_dataset.py --summarize DIR   # chunk cache

``--summarize`` reads the chunk cache of an interrupted ``keras-imnn generate photonic`` run and
prints how many cells it holds and their label statistics.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from keras_imnn.physics.photonic.cells import CONFIGS
from keras_imnn.physics.photonic.dataset import (
    DATASET_N_MAX,
    SolverSettings,
    format_histogram,
    label_statistics,
    make_examples,
)


def per_cell_seconds(config: str, cells: int, settings: SolverSettings) -> tuple[float, float]:
    """(wall, CPU) seconds per cell in this process; CPU time is what a shared machine's load
    does not inflate much, and what the projection to idle cores uses."""
    make_examples(config, 0, 0, 2, settings)  # warm-up: imports, FFT plans, caches
    wall, cpu = time.perf_counter(), time.process_time()
    make_examples(config, 0, 0, cells, settings)
    return (time.perf_counter() - wall) / cells, (time.process_time() - cpu) / cells


def summarize(cache: Path) -> None:
    files = sorted(f for f in cache.glob("*.npz") if not f.name.endswith(".partial.npz"))
    gap = np.concatenate([np.load(f)["tm_gap"] for f in files]) if files else np.zeros(0)
    mid = np.concatenate([np.load(f)["tm_midgap"] for f in files]) if files else np.zeros(0)
    stats = label_statistics(gap, mid)
    print(json.dumps({"chunks": len(files), **stats}))
    print(format_histogram(stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=32, help="cells timed per config")
    parser.add_argument("--cores", type=int, default=2, help="cores of the extrapolated build")
    parser.add_argument("--n", type=int, default=20_000, help="cells of the extrapolated build")
    parser.add_argument("--summarize", type=Path, default=None, help="chunk cache to summarize")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return
    for config in CONFIGS:
        settings = SolverSettings(n_max=DATASET_N_MAX[config])
        wall, cpu = per_cell_seconds(config, args.cells, settings)
        build = args.n * cpu / args.cores
        print(f"{config:7s} (n_max TM {settings.cutoff('tm')}, TE {settings.cutoff('te')}) "
              f"{wall:.3f} s/cell wall, {cpu:.3f} s/cell CPU -> {args.n} cells on {args.cores} "
              f"idle cores: {build / 60:.1f} min (+ TFDS writing)")

if __name__ == "__main__":
    main()
