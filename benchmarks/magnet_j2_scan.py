"""J2 scan of the 6x4 square J1-J2 model: ground-state energy per site and Marshall-sign violation.

    PYTHONPATH=. python benchmarks/magnet_j2_scan.py [--shape 6 4] [--out docs/magnet_j2_scan.png]

Every J2 scans all real-character sectors (the orbits the sectors share are built once and reused
across J2), so the plot also shows where the ground state leaves the fully symmetric sector.
"""
from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

from keras_imnn.physics.magnet.ed import ground_state, sector_label, symmetric_sector
from keras_imnn.physics.magnet.signs import marshall_violation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=2, default=(6, 4))
    parser.add_argument("--out", default="docs/magnet_j2_scan.png")
    args = parser.parse_args()
    j2_values = np.round(np.arange(0.0, 1.0001, 0.1), 2)
    start = time.perf_counter()
    rows = []
    for j2 in tqdm(j2_values, desc="J2 scan"):
        gs = ground_state("square", args.shape, float(j2), progress=False)
        symmetric = gs.sector == symmetric_sector(gs.lattice)
        rows.append((j2, gs.energy / gs.lattice.n_sites, marshall_violation(gs), gs.gap, symmetric,
                     sector_label(gs.sector)))
    print(f"{'J2':>4} {'E0/N':>12} {'Marshall viol.':>14} {'gap':>8}  sector")
    for j2, e, v, gap, _, label in rows:
        print(f"{j2:4.1f} {e:12.8f} {v:14.6f} {gap:8.4f}  {label}")
    print(f"total {time.perf_counter() - start:.1f} s")

    j2, energy, violation, _, symmetric, _ = map(np.array, zip(*rows))
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(5, 5), dpi=100)
    ax1.plot(j2, energy, "o-")
    ax1.set_ylabel("E0 / N  (S = σ/2)")
    ax2.plot(j2, violation, "o-", color="C3")
    ax2.plot(j2[~symmetric], violation[~symmetric], "s", mfc="none", ms=10, color="k",
             label="GS not in the symmetric sector")
    ax2.set_ylabel("Marshall-sign violation\n(weight of violating states)")
    ax2.set_xlabel("J2 / J1")
    if (~symmetric).any():
        ax2.legend(fontsize=8)
    ax1.set_title(f"J1-J2 square lattice {args.shape[0]}x{args.shape[1]}, periodic, Sz = 0")
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
