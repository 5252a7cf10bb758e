"""Out-of-distribution cells for the uncertainty study (docs/trust.md), drawn here, not by cells.py's generator.

    python benchmarks/trust_ood_cells.py OUT.npz [--per-kind 20] [--seed 30]

Seven kinds, ``--per-kind`` cells each: textbook rods in air and air holes over their full radius range,
thin veins (a square grid of 1–2 pixel lines), two rods of different radii, a repeated motif (a 16×16 rod or hole
tiled 2×2: out of domain, the bands fold), high-contrast rods (ε 20–60: out of domain) and thin rings. Labels:
the band solver at the ``general`` datasets' cutoff (arrays of ``keras-imnn generate photonic`` plus ``kind``
and ``kinds``), written atomically.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from keras_imnn.physics.photonic import dataset
from keras_imnn.physics.photonic.cells import N_PIXELS, holes, pixel_centers, rods
from keras_imnn.physics.photonic.commands import write_arrays

KINDS = ("rods", "holes", "thin veins", "two rods", "repeated motif", "high contrast", "thin ring")


def _periodic_distance(cx: float, cy: float, n: int = N_PIXELS) -> np.ndarray:
    x = pixel_centers(n)
    dx = np.abs(x[:, None] - cx)
    dy = np.abs(x[None, :] - cy)
    return np.hypot(np.minimum(dx, 1 - dx), np.minimum(dy, 1 - dy))


def draw(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One ``(32, 32)`` cell of ``kind``."""
    eps = rng.uniform(2.0, 20.0)
    if kind == "rods":
        return rods(rng.uniform(0.04, 0.48), eps)
    if kind == "holes":
        return holes(rng.uniform(0.08, 0.49), eps)
    if kind == "thin veins":
        cell = np.ones((N_PIXELS, N_PIXELS))
        w = rng.integers(1, 3)
        cell[:w] = cell[:, :w] = eps
        return np.roll(cell, rng.integers(0, N_PIXELS, 2), (0, 1))
    if kind == "two rods":
        cell = np.ones((N_PIXELS, N_PIXELS))
        for r in (rng.uniform(0.05, 0.15), rng.uniform(0.15, 0.25)):
            cell[_periodic_distance(*rng.uniform(0, 1, 2)) <= r] = eps
        return cell
    if kind == "repeated motif":
        tile = rods(rng.uniform(0.1, 0.4), eps, n=N_PIXELS // 2) if rng.random() < 0.5 else \
            holes(rng.uniform(0.1, 0.45), eps, n=N_PIXELS // 2)
        return np.tile(tile, (2, 2))
    if kind == "high contrast":
        return rods(rng.uniform(0.1, 0.4), rng.uniform(20.0, 60.0))
    if kind == "thin ring":
        d = _periodic_distance(0.5, 0.5)
        r = rng.uniform(0.15, 0.4)
        return np.where((d <= r) & (d > r - rng.uniform(0.03, 0.07)), eps, 1.0)
    raise ValueError(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--per-kind", type=int, default=20)
    parser.add_argument("--seed", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    kind = np.repeat(np.arange(len(KINDS)), args.per_kind)
    eps = np.stack([draw(KINDS[k], rng) for k in kind])
    began = time.perf_counter()
    labels = dataset.label_cells(eps, dataset.SolverSettings(n_max=dataset.DATASET_N_MAX["general"]))
    write_arrays(args.out, {"eps": eps.astype(np.float32), "kind": kind, "kinds": np.array(KINDS),
                            **{k: v.astype(np.float32) for k, v in labels.items()}}, {})
    print(f"{len(eps)} cells labelled in {time.perf_counter() - began:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
