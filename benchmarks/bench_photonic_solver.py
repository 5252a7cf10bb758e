"""PWE band solver vs MPB at resolution 32, side by side, on the six reference cells.

Benchmark setting (issue 4): per unit cell, the 16-point Γ–X–M–Γ path, the lowest 8 bands of one
polarization; both solvers use ``--n-jobs`` cores (MPB: processes, one cell each; PWE: threads).
Prints each solver's throughput, their ratio, and both solvers' accuracy against the converged
MPB reference (resolution 128 on the 4× upsampled cell). Then times the dataset setting
(k_grid(16) with time reversal, TM + TE, 10 bands) and projects a 20 000-cell build.

    PYTHONPATH=. python benchmarks/bench_photonic_solver.py --n-jobs 2
"""
from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import numpy as np

from keras_imnn.physics.photonic.solver import (
    DEFAULT_N_MAX,
    band_gaps,
    band_structure,
    gamma_x_m_path,
    k_grid,
)

REF = Path(__file__).resolve().parents[1] / "tests" / "data" / "photonic_mpb.npz"


def accuracy(bands: np.ndarray, ref: np.ndarray) -> tuple[float, float, float]:
    """Max relative error of bands 1–4 and 5–8, and max absolute gap error (lowest 8 bands)."""
    bands, ref = bands[..., :8], ref[..., :8]
    rel = np.abs(bands - ref) / np.maximum(ref, 0.05)  # Γ's zero band compared absolutely
    gap = np.abs(band_gaps(bands)[0] - band_gaps(ref)[0]).max()
    return rel[..., :4].max(), rel[..., 4:].max(), gap


def timed(fn, repeat: int) -> tuple[np.ndarray, float]:
    """Result of fn() and its best wall time over ``repeat`` runs."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2, help="cores for both solvers")
    parser.add_argument("--n-max", type=int, default=None,
                        help=f"PWE plane-wave cutoff (default per polarization {DEFAULT_N_MAX})")
    parser.add_argument("--dataset-n-max", nargs="+", default=["5,6", "5,5"],
                        help="TM,TE cutoff pairs timed in the dataset setting")
    parser.add_argument("--repeat", type=int, default=3, help="PWE timing repeats (best of)")
    parser.add_argument("--skip-mpb", action="store_true", help="PWE only (no mpb binary)")
    args = parser.parse_args()

    data = np.load(REF)
    cells, path = data["cells"], gamma_x_m_path()
    # Cells 0–1 (rods, holes) are C4v-symmetric like the `gapped` dataset; cells 2–5 have no
    # symmetry like `sibcl`. The PWE exploits symmetry, MPB does not: time both kinds apart.
    subsets = {"sym": cells[:2], "asym": cells[2:]}
    print(f"{len(cells)} reference cells, {len(path)} k-points (Γ–X–M–Γ), 8 bands compared, "
          f"{args.n_jobs} cores, PWE n_max={args.n_max or DEFAULT_N_MAX}")
    print(f"{'pol':<4}{'solver':<22}{'s/cell':>8}{'sym':>8}{'asym':>8}"
          f"{'err b1-4':>10}{'err b5-8':>10}{'gap err':>9}")
    solvers = {"PWE": {"n_bands": 8, "n_max": args.n_max, "repeat": args.repeat}}
    if not args.skip_mpb:
        # MPB's highest band in a block converges poorly, so 8 good bands need num-bands 10.
        mpb = {"backend": "mpb", "mpb_options": {"resolution": 32}, "repeat": 1}
        solvers["MPB res 32, 10 bands"] = dict(n_bands=10, **mpb)
        solvers["MPB res 32, 8 bands"] = dict(n_bands=8, **mpb)
    for pol in ("tm", "te"):
        times = {}
        for name, opts in solvers.items():
            opts = dict(opts)
            n_bands, repeat = opts.pop("n_bands"), opts.pop("repeat")
            parts = {key: timed(partial(band_structure, sub, path, n_bands, pol,
                                        n_jobs=args.n_jobs, **opts), repeat)
                     for key, sub in subsets.items()}
            bands = np.concatenate([parts["sym"][0], parts["asym"][0]])
            per_cell = {key: seconds / len(subsets[key]) for key, (_, seconds) in parts.items()}
            total = sum(seconds for _, seconds in parts.values()) / len(cells)
            times[name] = (total, per_cell["asym"])
            lo, hi, gap = accuracy(bands, data[f"{pol}_res128"])
            print(f"{pol.upper():<4}{name:<22}{total:>8.3f}{per_cell['sym']:>8.3f}"
                  f"{per_cell['asym']:>8.3f}{lo:>10.2%}{hi:>10.2%}{gap:>9.4f}")
        for name in list(times)[1:]:
            print(f"{pol.upper():<4}throughput PWE / {name}: {times[name][0] / times['PWE'][0]:.1f}× "
                  f"(asymmetric cells only: {times[name][1] / times['PWE'][1]:.1f}×)")

    grid = k_grid(16)
    print(f"\nDataset setting: k_grid(16) ({len(grid)} points, time reversal + cell symmetry), "
          f"TM + TE, 10 bands, {args.n_jobs} cores")
    for pair in args.dataset_n_max:
        n_max = dict(zip(("tm", "te"), map(int, pair.split(","))))
        per_cell = {}
        for key, sub in subsets.items():
            start = time.perf_counter()
            for pol in ("tm", "te"):
                band_structure(sub, grid, 10, pol, n_max=n_max[pol], n_jobs=args.n_jobs)
            per_cell[key] = (time.perf_counter() - start) / len(sub)
        errs = [accuracy(band_structure(cells, path, 10, pol, n_max=n_max[pol]),
                         data[f"{pol}_res128"]) for pol in ("tm", "te")]
        acc = "; ".join(f"{p} bands {lo:.2%}/{hi:.2%}, gaps {g:.4f}"
                        for p, (lo, hi, g) in zip(("TM", "TE"), errs))
        print(f"n_max TM {n_max['tm']}, TE {n_max['te']}: symmetric {per_cell['sym']:.3f} s/cell "
              f"(20 000 cells: {20000 * per_cell['sym'] / 3600:.2f} h), asymmetric "
              f"{per_cell['asym']:.3f} s/cell ({20000 * per_cell['asym'] / 3600:.2f} h)\n"
              f"    accuracy on the path: {acc}")


if __name__ == "__main__":
    main()
