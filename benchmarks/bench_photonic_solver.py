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
    N_MAX,
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
    parser.add_argument("--n-max", type=int, default=N_MAX, help="PWE plane-wave cutoff")
    parser.add_argument("--dataset-n-max", type=int, nargs="+", default=[N_MAX, N_MAX - 1],
                        help="cutoffs timed in the dataset setting")
    parser.add_argument("--repeat", type=int, default=3, help="PWE timing repeats (best of)")
    parser.add_argument("--skip-mpb", action="store_true", help="PWE only (no mpb binary)")
    args = parser.parse_args()

    data = np.load(REF)
    cells, path = data["cells"], gamma_x_m_path()
    n_cells = len(cells)
    print(f"{n_cells} reference cells, {len(path)} k-points (Γ–X–M–Γ), 8 bands, "
          f"{args.n_jobs} cores, PWE n_max={args.n_max} ({(2 * args.n_max + 1) ** 2} plane waves)")
    print(f"{'pol':<4}{'solver':<12}{'s/cell':>9}{'× PWE':>8}"
          f"{'err b1-4':>10}{'err b5-8':>10}{'gap err':>9}")
    ratios: list[float] = []
    for pol in ("tm", "te"):
        ref = data[f"{pol}_res128"]
        pwe, t_pwe = timed(partial(band_structure, cells, path, 8, pol, n_max=args.n_max,
                                   n_jobs=args.n_jobs), args.repeat)
        rows = [("PWE", pwe, t_pwe)]
        if not args.skip_mpb:
            mpb, t_mpb = timed(partial(band_structure, cells, path, 8, pol, backend="mpb",
                                       n_jobs=args.n_jobs, mpb_options={"resolution": 32}), 1)
            rows.append(("MPB res 32", mpb, t_mpb))
            ratios.append(t_mpb / t_pwe)
        for name, bands, seconds in rows:
            lo, hi, gap = accuracy(bands, ref)
            print(f"{pol.upper():<4}{name:<12}{seconds / n_cells:>9.3f}{seconds / t_pwe:>7.1f}×"
                  f"{lo:>10.2%}{hi:>10.2%}{gap:>9.4f}")

    if ratios:
        print(f"throughput ratio PWE / MPB res 32: TM {ratios[0]:.1f}×, TE {ratios[1]:.1f}×")

    grid = k_grid(16)
    print(f"\nDataset setting: k_grid(16) ({len(grid)} points, time reversal), TM + TE, "
          f"10 bands, {args.n_jobs} cores")
    for n_max in args.dataset_n_max:
        start = time.perf_counter()
        for pol in ("tm", "te"):
            band_structure(cells, grid, 10, pol, n_max=n_max, n_jobs=args.n_jobs)
        seconds = time.perf_counter() - start
        errs = [accuracy(band_structure(cells, path, 10, pol, n_max=n_max), data[f"{pol}_res128"])
                for pol in ("tm", "te")]
        acc = "; ".join(f"{p} bands {lo:.2%}/{hi:.2%}, gaps {g:.4f}"
                        for p, (lo, hi, g) in zip(("TM", "TE"), errs))
        print(f"n_max={n_max}: {seconds / n_cells:.3f} s/cell -> 20 000 cells in "
              f"{20000 * seconds / n_cells / 3600:.2f} h  ({acc})")


if __name__ == "__main__":
    main()
