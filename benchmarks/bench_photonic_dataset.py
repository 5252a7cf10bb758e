"""Cost of labelling photonic-crystal cells, the full-build time it implies, and label statistics.

Times ``make_examples`` (TM and TE, 10 bands on k_grid(16), each config's solver setting) in one
process on a small batch of each config and extrapolates the 20 000-cell build to a core count:
generation is one thread per core, so the build takes n · (CPU s/cell) / cores plus TFDS
writing. ``--stats`` then prints, per cell family, the share of cells with TM / TE gaps and the
filling and ε-contrast histograms of the timed cells.

    PYTHONPATH=. python benchmarks/bench_photonic_dataset.py --cells 32 --cores 2
    PYTHONPATH=. python benchmarks/bench_photonic_dataset.py --config general --cells 300 --stats
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

from keras_imnn.physics.photonic.cells import CONFIGS, FAMILIES
from keras_imnn.physics.photonic.dataset import (
    DATASET_N_MAX,
    SolverSettings,
    edge_gaps,
    format_histogram,
    label_statistics,
    make_examples,
)


def timed_examples(config: str, cells: int, settings: SolverSettings) -> tuple[dict[str, np.ndarray], float, float]:
    """The examples of cells 0..cells-1 and (wall, CPU) seconds per cell in this process; CPU time
    is what a shared machine's load does not inflate much, and what the projection to idle cores uses."""
    make_examples(config, 0, 0, 2, settings)  # warm-up: imports, FFT plans, caches
    wall, cpu = time.perf_counter(), time.process_time()
    examples = make_examples(config, 0, 0, cells, settings)
    return examples, (time.perf_counter() - wall) / cells, (time.process_time() - cpu) / cells


def _histogram(name: str, values: np.ndarray, bins: np.ndarray) -> str:
    counts, _ = np.histogram(values, bins=bins)
    cols = [f"[{lo:g}, {hi:g})" for lo, hi in zip(bins[:-1], bins[1:])]
    return "\n".join([f"| {name} | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|",
                      "| cells | " + " | ".join(str(c) for c in counts) + " |"])


def label_table(examples: dict[str, np.ndarray]) -> str:
    """Per family: cells, and the share with a gap between bands 1–2 and anywhere in bands 1–8 (TM, TE)."""
    gaps = edge_gaps(examples["band_edges"])[0] > 0  # (n, 2, 7)
    rows = ["| family | cells | TM gap 1–2 | TM gap in 1–8 | TE gap 1–2 | TE gap in 1–8 |", "|---" * 6 + "|"]
    for f, name in [*enumerate(FAMILIES), (None, "all")]:
        sel = np.ones(len(gaps), bool) if f is None else examples["family"] == f
        if sel.any():
            shares = [gaps[sel, pol, 0].mean() for pol in (0, 1)]
            anywhere = [gaps[sel, pol].any(axis=-1).mean() for pol in (0, 1)]
            rows.append(f"| {name} | {sel.sum()} | {shares[0]:.1%} | {anywhere[0]:.1%} | "
                        f"{shares[1]:.1%} | {anywhere[1]:.1%} |")
    return "\n".join(rows)


def summarize(cache: Path) -> None:
    files = sorted(f for f in cache.glob("*.npz") if not f.name.endswith(".partial.npz"))
    gap = np.concatenate([np.load(f)["tm_gap"] for f in files]) if files else np.zeros(0)
    mid = np.concatenate([np.load(f)["tm_midgap"] for f in files]) if files else np.zeros(0)
    stats = label_statistics(gap, mid)
    print(json.dumps({"chunks": len(files), **stats}))
    print(format_histogram(stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=CONFIGS, nargs="+", default=list(CONFIGS), help="configs timed")
    parser.add_argument("--cells", type=int, default=32, help="cells timed per config")
    parser.add_argument("--cores", type=int, default=2, help="cores of the extrapolated build")
    parser.add_argument("--n", type=int, default=20_000, help="cells of the extrapolated build")
    parser.add_argument("--n-max", type=int, default=None, help="solver cutoff (default: the config's)")
    parser.add_argument("--stats", action="store_true", help="print label and cell histograms per family")
    parser.add_argument("--summarize", type=Path, default=None, help="chunk cache to summarize")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return
    for config in args.config:
        settings = SolverSettings(n_max=DATASET_N_MAX[config] if args.n_max is None else args.n_max)
        examples, wall, cpu = timed_examples(config, args.cells, settings)
        build = args.n * cpu / args.cores
        print(f"{config:7s} (n_max TM {settings.cutoff('tm')}, TE {settings.cutoff('te')}) "
              f"{wall:.3f} s/cell wall, {cpu:.3f} s/cell CPU -> {args.n} cells on {args.cores} "
              f"idle cores: {build / 60:.1f} min (+ TFDS writing)")
        if args.stats:
            contrast = examples["eps"].max(axis=(1, 2)) / examples["eps"].min(axis=(1, 2))
            print(label_table(examples))
            print(_histogram("filling", examples["filling"], np.linspace(0, 1, 11)))
            print(_histogram("ε contrast", contrast, np.array([1, 1.5, 2, 3, 5, 8, 12, 16, 20.01])))


if __name__ == "__main__":
    main()
